"""Sync tests: real SQLCipher units, real services; laptops B and C copied from A."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from tests.sync.helpers import copy_unit, open_laptop


@pytest.fixture
def laptops(db_path: Path, tmp_path: Path, clock: FixedClock) -> Iterator[dict[str, Casebook]]:
    """Three laptops of one unit, signed in as the senior: A is the test unit, B and C its copies."""
    paths = {"A": db_path, "B": copy_unit(db_path, tmp_path / "b" / "unit.kwdb"),
             "C": copy_unit(db_path, tmp_path / "c" / "unit.kwdb")}
    books = {name: open_laptop(p, name, clock, "manager") for name, p in paths.items()}
    yield books
    for b in books.values():
        b.close()
