"""A long import shares the unit (issue 7.15): it is written in batches, so others' short writes get
their turn (a real second process imports while this one saves); one that still waits too long is
told the unit is busy and nothing was lost; an import killed half way is resumed from where it
stopped, and any import can be undone as a whole."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from keyworker.casebook import Casebook
from keyworker.db.caseload import Resident
from keyworker.db.foundation import AuditEntry
from keyworker.errors import DatabaseError, ImportFileError, PermissionDenied
from keyworker.imports import ImportService
from tests.conftest import STAFF_PW

HEADER = "external_id,given_name,family_name,date_of_birth\n"
ROOT = Path(__file__).resolve().parents[2]

def caseload_file(path: Path, n: int, prefix: str = "E") -> Path:
    path.write_text(HEADER + "".join(f"{prefix}{i},Given{i},Family{i},01/01/1980\n" for i in range(n)))
    return path

def residents(book: Casebook, *, archived: bool = False) -> int:
    with book._read() as s:
        return int(s.scalar(select(func.count()).select_from(Resident).where(Resident.archived.is_(archived))) or 0)

def in_another_process(code: str) -> subprocess.Popen[str]:
    """Run `code` in a separate Python process with the unit open as `book` (the manager)."""
    prelude = textwrap.dedent("""
        import os, sys, time
        from pathlib import Path
        from keyworker.casebook import Casebook
        from keyworker.imports import ImportService
        from keyworker.security.vault import FAST_KDF
        db, password, work = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
        book = Casebook.open(db, "manager", password, kdf=FAST_KDF)
    """)
    return subprocess.Popen([sys.executable, "-c", prelude + textwrap.dedent(code), *ARGS], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)

ARGS: list[str] = []

@pytest.fixture(autouse=True)
def _args(db_path: Path, tmp_path: Path) -> None:
    ARGS[:] = [str(db_path), STAFF_PW, str(tmp_path)]

def wait_for(condition, what: str, limit: float = 120) -> None:  # type: ignore[no-untyped-def]
    """Wait (not a timed assertion: the limit only stops a broken test hanging)."""
    end = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < end, f"gave up waiting for {what}"
        time.sleep(0.05)

def test_short_writes_get_their_turn_during_a_long_import(manager_book: Casebook, admin_book: Casebook,
                                                          tmp_path: Path) -> None:
    caseload_file(tmp_path / "big.csv", 4000)
    importer = in_another_process("""
        ImportService.BATCH_ROWS = 100  # 40 batches, each its own transaction
        report = book.imports.residents(work / "big.csv")
        print(report.residents_imported)
    """)
    try:
        wait_for(lambda: any(r.status == "running" and r.rows_done for r in manager_book.imports.runs()),
                 "the import to commit its first batch")
        # Meanwhile, in this process: a save, and opening a record (its audit entry is a write).
        admin_book.settings.set("idle_lock_minutes", 15)
        with manager_book._read() as s:
            first = s.scalars(select(Resident.id).limit(1)).one()
        assert manager_book.residents.get(first).given_name.startswith("Given")
        (run,) = manager_book.imports.runs()
        assert run.status == "running"  # we got in between its batches, not after it
        assert 0 < run.residents < 4000
    finally:
        out, err = importer.communicate(timeout=300)
    assert importer.returncode == 0, err
    assert out.strip() == "4000"
    assert admin_book.settings.get("idle_lock_minutes") == 15
    assert manager_book.imports.runs()[0].status == "done"
    assert residents(manager_book) == 4000 and manager_book.audit.verify().ok

def test_a_write_that_waits_too_long_says_the_unit_is_busy(admin_book: Casebook, tmp_path: Path) -> None:
    holder = in_another_process("""
        with book._write() as s:  # a long write, holding the lock past busy_timeout (10 s)
            s.connection()  # BEGIN IMMEDIATE: the write lock is taken now
            (work / "holding").touch()
            end = time.monotonic() + 60
            while not (work / "release").exists() and time.monotonic() < end:
                time.sleep(0.05)
    """)
    try:
        wait_for(lambda: (tmp_path / "holding").exists(), "the other process to take the write lock")
        with pytest.raises(DatabaseError) as e:
            admin_book.settings.set("idle_lock_minutes", 20)
        message = str(e.value)
        assert "busy with another long task" in message and "Nothing was lost" in message
        assert "locked" not in message
    finally:
        (tmp_path / "release").touch()
        holder.communicate(timeout=120)
    admin_book.settings.set("idle_lock_minutes", 20)  # its turn has come
    assert admin_book.settings.get("idle_lock_minutes") == 20

def test_an_import_killed_half_way_is_resumed_where_it_stopped(manager_book: Casebook, tmp_path: Path) -> None:
    path = caseload_file(tmp_path / "caseload.csv", 1000)
    crashed = in_another_process("""
        ImportService.BATCH_ROWS = 100
        def progress(done, total):
            if done >= 600:
                os._exit(3)  # the power goes: no clean-up, no final commit
        book.imports.residents(work / "caseload.csv", valid_only=True, progress=progress)
    """)
    _out, err = crashed.communicate(timeout=300)
    assert crashed.returncode == 3, err
    (run,) = manager_book.imports.runs()
    assert run.status == "running" and 0 < run.residents < 1000
    assert residents(manager_book) == run.residents  # whole batches only
    with pytest.raises(ImportFileError, match="not the file that import was reading"):
        manager_book.imports.resume(run.id, caseload_file(tmp_path / "other.csv", 1000, prefix="X"))

    report = manager_book.imports.resume(run.id, path)
    assert report.resumed_after_row == run.rows_done
    assert report.residents_imported == 1000 - run.residents and report.duplicates == 0
    with manager_book._read() as s:
        refs = s.scalars(select(Resident.reference_no)).all()
        ext = s.scalars(select(Resident.external_id)).all()
    assert sorted(refs) == list(range(1, 1001)) and len(set(ext)) == 1000
    assert [r.status for r in manager_book.imports.runs()] == ["done"]
    assert manager_book.audit.verify().ok
    with pytest.raises(ImportFileError, match="nothing to resume"):
        manager_book.imports.resume(run.id, path)

def test_an_import_is_undone_as_a_whole(manager_book: Casebook, book_factory, tmp_path: Path,  # type: ignore[no-untyped-def]
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ImportService, "BATCH_ROWS", 100)
    monkeypatch.setattr(ImportService, "PAUSE_SECONDS", 0)
    path = caseload_file(tmp_path / "caseload.csv", 250)
    kept = manager_book.imports.residents(caseload_file(tmp_path / "kept.csv", 5, prefix="K"))
    report = manager_book.imports.residents(path)
    assert report.residents_imported == 250 and report.import_id
    assert any("import undo" in line for line in report.lines())
    with pytest.raises(PermissionDenied):
        book_factory("worker").imports.undo(report.import_id)

    undone = manager_book.imports.undo(report.import_id)
    assert (undone.status, undone.residents) == ("undone", 250)
    assert residents(manager_book) == 5 and residents(manager_book, archived=True) == 250
    with manager_book._read() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "import.undo")).one()
    assert entry.entity_id == report.import_id and '"residents": 250' in entry.detail
    with pytest.raises(ImportFileError, match="already been undone"):
        manager_book.imports.undo(report.import_id)
    # The undone rows are not "already present": the (corrected) file can come in again.
    again = manager_book.imports.residents(path)
    assert again.residents_imported == 250 and again.duplicates == 0
    assert residents(manager_book) == 255 and kept.import_id != again.import_id
    assert manager_book.audit.verify().ok

def test_the_report_keeps_only_the_first_problems(manager_book: Casebook, monkeypatch: pytest.MonkeyPatch) -> None:
    from keyworker.imports import residents as service

    monkeypatch.setattr(service, "MAX_PROBLEMS", 50)
    data = HEADER + "".join(f"B{i},,Family,31/02/1980\n" for i in range(40))  # two problems a row
    report = manager_book.imports.residents(data.encode())
    assert report.invalid == 40 and len(report.problems) == 50 and report.problems_not_listed == 30
    assert "... and 30 more problems, not listed." in "\n".join(report.lines())


def test_cli_lists_resumes_and_undoes(db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from keyworker import cli

    monkeypatch.setenv("KEYWORKER_PASSWORD", STAFF_PW)
    base = ["--db", str(db_path), "--user", "manager"]
    path = tmp_path / "excel.csv"
    path.write_bytes((HEADER + "W1,Renée,Dupré,03/03/1983\n").encode("cp1252"))
    assert cli.run(["import", "residents", str(path), *base]) == 1
    assert "row 2 (given_name, family_name)" in capsys.readouterr().err
    assert cli.run(["import", "residents", str(path), "--encoding", "windows-1252", *base]) == 0
    out = capsys.readouterr().out
    assert "Imported 1 residents" in out and "import undo " in out
    import_id = out.split("import undo ")[1].split(")")[0]
    assert cli.run(["import", "list", *base]) == 0
    assert f"{import_id}" in (listed := capsys.readouterr().out) and "done" in listed and "excel.csv" in listed
    assert cli.run(["import", "residents", str(path), "--resume", import_id, *base]) == 1
    assert "nothing to resume" in capsys.readouterr().err
    assert cli.run(["import", "undo", import_id, *base]) == 0
    assert "1 residents and 0 referrals archived" in capsys.readouterr().out


def test_an_import_that_stops_says_how_to_go_on(manager_book: Casebook, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ImportService, "BATCH_ROWS", 500)
    monkeypatch.setattr(ImportService, "PAUSE_SECONDS", 0)
    path = caseload_file(tmp_path / "caseload.csv", 3000)
    original = path.read_bytes()

    def spoil_the_end_of_the_file(done: int, _total: int) -> None:
        if done == 1000:  # two batches are in; the reader has not reached the end of the file yet
            with open(path, "r+b") as f:
                f.seek(len(original) - 100)
                f.write(b"\xff\xfe")

    with pytest.raises(ImportFileError) as e:
        manager_book.imports.residents(path, valid_only=True, progress=spoil_the_end_of_the_file)
    (run,) = manager_book.imports.runs()
    assert f"stopped after row {run.rows_done}" in str(e.value) and run.id in str(e.value)
    assert "changed while it was being imported" in str(e.value)
    assert run.status == "running" and residents(manager_book) == run.residents == run.rows_done - 1
    path.write_bytes(original)
    assert manager_book.imports.resume(run.id, path).residents_imported == 3000 - run.residents
    assert residents(manager_book) == 3000
