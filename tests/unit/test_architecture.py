"""House rules that a reviewer would otherwise have to remember: the core never imports Qt, and the
migrations produce exactly the schema the models describe."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from keyworker.db import migrate
from keyworker.db.base import Tracked
from keyworker.db.engine import make_engine
from keyworker.db.models import Base
from keyworker.security.vault import new_db_key

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "keyworker"
QT_MODULES = {"PySide6", "PySide2", "PyQt5", "PyQt6", "shiboken6", "shiboken2", "pytestqt"}
IMPORT_FUNCS = {"import_module", "__import__", "find_spec"}


def _qt_imports(path: Path, root: Path = ROOT) -> list[str]:
    """Every import of a Qt module in one file: import/from statements anywhere (also inside
    functions and TYPE_CHECKING blocks) and importlib/__import__ calls with a literal name."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Call):
            func = node.func
            fname = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if fname in IMPORT_FUNCS and node.args and isinstance(node.args[0], ast.Constant) and isinstance(
                    node.args[0].value, str):
                names = [node.args[0].value]
        for name in names:
            if name.split(".")[0] in QT_MODULES:
                found.append(f"{path.relative_to(root)}:{node.lineno}: {name}")
    return found


def test_the_checker_finds_every_form_of_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\nimport PySide6.QtCore\nfrom PySide6 import QtWidgets\n"
        "def f():\n    from shiboken6 import isValid\n"
        "import importlib\nimportlib.import_module('PySide6.QtGui')\n__import__('PyQt6')\n"
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from PySide6.QtCore import QObject\n"
    )
    assert len(_qt_imports(sample, tmp_path)) == 6


def test_keyworker_never_imports_qt() -> None:
    files = sorted(CORE.rglob("*.py"))
    assert len(files) > 10
    offenders = [hit for f in files for hit in _qt_imports(f)]
    assert offenders == [], "keyworker/ must stay free of Qt:\n" + "\n".join(offenders)


def test_importing_every_core_module_loads_no_qt() -> None:
    """Catches Qt pulled in indirectly (through a third-party package), which no source scan sees."""
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__") for p in CORE.rglob("*.py")
    )
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}:\n    importlib.import_module(m)\n"
        f"print(json.dumps(sorted(k for k in sys.modules if k.split('.')[0] in {sorted(QT_MODULES)!r})))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert json.loads(res.stdout.strip().splitlines()[-1]) == []


def test_the_cli_entry_point_imports_no_qt() -> None:
    code = "import sys, main\nfrom keyworker import cli\ncli.build_parser()\nprint('PySide6' in sys.modules)"
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == "False"


def test_migrated_schema_matches_the_models_exactly(tmp_path: Path) -> None:
    """A database migrated to head has exactly Base.metadata: every table, column, type,
    nullability, server default, index, unique and foreign key. Nothing is ignored."""
    engine = make_engine(tmp_path / "drift.kwdb", new_db_key())
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            from keyworker.note_search import VIRTUAL_TABLES

            # The one exception: the FTS5 full-text index, a virtual table (and its shadow tables)
            # that SQLAlchemy metadata cannot describe; its map table note_search_rows is checked.
            ctx = MigrationContext.configure(conn, opts={
                "compare_type": True, "compare_server_default": True,
                "include_name": lambda name, kind, _p: not (kind == "table" and name in VIRTUAL_TABLES)})
            diff = compare_metadata(ctx, Base.metadata)
    finally:
        engine.dispose()
    assert diff == [], "migrations and models differ; write a migration (migrations/autogenerate.py):\n" + "\n".join(
        map(str, diff))


def test_every_synchronisable_table_has_the_sync_columns() -> None:
    tracked = [m for m in Base.registry.mappers if issubclass(m.class_, Tracked)]
    assert tracked
    for mapper in tracked:
        cols = mapper.local_table.columns
        for name in ("id", "created_at", "updated_at", "created_by", "device_id", "archived"):
            assert name in cols, f"{mapper.class_.__name__} lacks {name}"
        assert [c.name for c in mapper.local_table.primary_key.columns] == ["id"]
        assert cols["id"].type.length == 36  # a UUID string, generated on the client


def test_benchmarks_are_not_collected_by_the_normal_run() -> None:
    import tomllib

    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert cfg["testpaths"] == ["tests"]
    assert not list((ROOT / "tests").rglob("bench_*.py"))


def _hard_deletes(path: Path, root: Path = ROOT) -> list[str]:
    """Session.delete(...), sqlalchemy's delete(...) and DELETE statements in SQL strings. A line may
    opt out with a comment `# hard-delete-ok: <why>` (e.g. a scratch table that never syncs)."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename=str(path))):
        hit = False
        if isinstance(node, ast.Call):
            func = node.func
            hit = (isinstance(func, ast.Attribute) and func.attr == "delete") or (
                isinstance(func, ast.Name) and func.id == "delete")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            hit = "delete from" in " ".join(node.value.lower().split())
        if hit and "hard-delete-ok" not in lines[node.lineno - 1]:
            found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_the_delete_checker_finds_deletes(tmp_path: Path) -> None:
    sample = tmp_path / "s.py"
    sample.write_text("s.delete(row)\nfrom sqlalchemy import delete\ndelete(T)\nq = 'DELETE  FROM t'\n"
                      "s.delete(x)  # hard-delete-ok: scratch\n")
    assert len(_hard_deletes(sample, tmp_path)) == 3


def test_nothing_in_the_core_hard_deletes_rows() -> None:
    """Rows are archived, never deleted, so laptops can later sync (docs/ARCHITECTURE.md, "Adding an area")."""
    offenders = [hit for f in sorted(CORE.rglob("*.py")) for hit in _hard_deletes(f)]
    assert offenders == [], "archive instead of deleting:\n" + "\n".join(offenders)


def test_row_ids_are_time_ordered_uuid7() -> None:
    import uuid

    from keyworker.ids import new_id

    ids = [new_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)  # generation order is sort order, also within one millisecond
    for i in ids[:50]:
        u = uuid.UUID(i)
        assert u.version == 7 and u.variant == uuid.RFC_4122
