"""This laptop's device id (stamped on every row for later sync) and default file locations."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir

APP = "keyworker"


def data_dir() -> Path:
    return Path(user_data_dir(APP, appauthor=False))


def default_db_path() -> Path:
    env = os.environ.get("KEYWORKER_DB")
    return Path(env) if env else data_dir() / "unit.kwdb"


def demo_db_path() -> Path:
    return data_dir() / "demo.kwdb"


def device_id() -> str:
    env = os.environ.get("KEYWORKER_DEVICE_ID")
    if env:
        return env
    path = Path(user_config_dir(APP, appauthor=False)) / "device-id"
    try:
        text = path.read_text(encoding="ascii").strip()
        return str(uuid.UUID(text))
    except (OSError, ValueError):
        pass
    new = str(uuid.uuid4())
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(new, encoding="ascii")
    except OSError:
        pass  # an unwritable profile only costs a stable device id, not the user's work
    return new
