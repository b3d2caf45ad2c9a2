"""File → Import on a real encrypted unit: choosing a file runs a dry run that lists problems by
row, column and message; "Import" is all or nothing; "Import valid rows only" takes the good rows;
a second import of the same file finds only duplicates; roles without the permission cannot."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.conftest import make_ctx
from ui.imports import ImportDialog

GOOD = "given_name,family_name,date_of_birth,postcode,sex\nAlex,Smith,04/03/1985,PR1 2AB,Male\n" \
       "Bo,Jones,1990-01-02,,Prefer not to say\n"
MIXED = GOOD + "Cy,Brown,31/02/1980,NOTAPOSTCODE,\n"


@pytest.fixture
def dialog(qtbot, manager_book, tasks):  # type: ignore[no-untyped-def]
    ctx = make_ctx(manager_book, tasks)
    d = ImportDialog(None, ctx)
    qtbot.addWidget(d)
    d.show()
    return manager_book, ctx, d


def _csv(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "caseload.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_choosing_a_file_checks_it_without_importing(dialog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    book, _ctx, d = dialog
    path = _csv(tmp_path, MIXED)
    d.choose_file = lambda _parent, _start: str(path)
    d.choose()
    assert d.report is not None and d.report.dry_run
    assert "3 rows read: 2 valid and new, 1 with problems" in d.summary.text()
    problems = d.problems()
    assert ("4", "Date of birth", problems[0][2]) == problems[0][:3] and "date" in problems[0][2].lower()
    assert any(p[0] == "4" and p[1] == "Postcode" for p in problems)
    assert not d.import_button.isEnabled()  # all-or-nothing would import nothing
    assert d.valid_only_button.isEnabled()
    assert book.residents.find_by_reference("R-00001") is None  # a dry run writes nothing


def test_import_valid_rows_only(dialog, tmp_path, qtbot) -> None:  # type: ignore[no-untyped-def]
    book, ctx, d = dialog
    d.set_file(_csv(tmp_path, MIXED))
    with qtbot.waitSignal(ctx.state.data_changed):
        d.valid_only_button.click()
    assert d.final is not None and d.final.residents_imported == 2
    assert "Imported 2 residents" in d.summary.text()
    assert not d.import_button.isEnabled() and not d.valid_only_button.isEnabled()
    assert book.residents.find_by_reference("R-00002") is not None


def test_import_all_when_every_row_is_valid_then_again_finds_duplicates(dialog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    book, _ctx, d = dialog
    path = _csv(tmp_path, GOOD)
    d.set_file(path)
    assert d.problems() == [] and d.table.isHidden()
    assert d.import_button.isEnabled() and not d.valid_only_button.isEnabled()
    d.import_button.click()
    assert d.final is not None and d.final.imported == 2
    d.set_file(path)
    assert d.report is not None and d.report.duplicates == 2 and d.report.ok == 0
    assert "2 already here" in d.summary.text()
    assert not d.import_button.isEnabled()


def test_unreadable_file_is_reported(dialog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _book, _ctx, d = dialog
    d.set_file(tmp_path / "missing.csv")
    assert d.report is None
    assert d.summary.text() == "The file could not be read."
    assert not d.import_button.isEnabled()


def test_a_key_worker_cannot_import(qtbot, worker_book, tasks) -> None:  # type: ignore[no-untyped-def]
    d = ImportDialog(None, make_ctx(worker_book, tasks))
    qtbot.addWidget(d)
    assert not d.choose_button.isEnabled()
    assert "cannot import" in d.status.text()


def test_lock_hides_the_report(dialog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _book, ctx, d = dialog
    d.set_file(_csv(tmp_path, MIXED))
    ctx.state.set_locked(True)
    assert d.body.isHidden()
    ctx.state.set_locked(False)
    assert not d.body.isHidden() and d.table.rowCount() >= 2


def test_runs_off_the_ui_thread_with_progress(qtbot, manager_book, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from ui.tasks import TaskRunner

    runner = TaskRunner()
    try:
        d = ImportDialog(None, make_ctx(manager_book, runner))
        qtbot.addWidget(d)
        d.set_file(_csv(tmp_path, MIXED))
        assert d._running and d.status.text() == "Checking the file…"  # noqa: SLF001 - the UI did not wait
        assert not d.valid_only_button.isEnabled()
        qtbot.waitUntil(lambda: d.report is not None)
        assert d.valid_only_button.isEnabled() and d.progress.value() == d.progress.maximum()
    finally:
        runner.shutdown()


def _many_rows(n: int) -> str:
    return "external_id,given_name,family_name,date_of_birth,postcode,sex\n" + "".join(
        f"X{i},Given{i},Family{i},{1 + i % 28:02d}/04/1981,PR1 2AB,Female\n" for i in range(n))


def test_progress_bar_counts_rows_to_100_percent(qtbot, manager_book, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The real task runner: the core reports from its thread, the bar moves through real values on
    the UI thread and ends at 100%, for the check and for the import."""
    from ui.tasks import TaskRunner

    runner = TaskRunner()
    try:
        d = ImportDialog(None, make_ctx(manager_book, runner))
        qtbot.addWidget(d)
        d.show()
        values: list[tuple[int, int]] = []
        d.progress.valueChanged.connect(lambda v: values.append((v, d.progress.maximum())))
        d.set_file(_csv(tmp_path, _many_rows(1_050)))
        assert not d.progress.isHidden()
        qtbot.waitUntil(lambda: d.report is not None)
        assert d.progress.maximum() == 1_050 and d.progress.value() == 1_050 and d.progress.text() == "100%"
        partial = [v for v, m in values if m == 1_050 and 0 < v < 1_050]
        assert partial and partial == sorted(partial)  # real steps on the way, never backwards
        values.clear()
        d.run_import(valid_only=False)
        qtbot.waitUntil(lambda: d.final is not None)
        assert d.final.residents_imported == 1_050
        assert d.progress.text() == "100%" and any(0 < v < 1_050 for v, _m in values)
    finally:
        runner.shutdown()


def test_progress_bar_with_inline_tasks_and_a_failed_read(dialog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _book, _ctx, d = dialog
    d.set_file(_csv(tmp_path, _many_rows(450)))
    assert d.progress.value() == d.progress.maximum() == 450 and d.progress.text() == "100%"
    missing = tmp_path / "gone.csv"
    d.set_file(missing)
    assert d.progress.isHidden()


def test_a_windows_1252_file_is_refused_until_that_encoding_is_chosen(dialog, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _book, _ctx, d = dialog
    shown: list[str] = []
    monkeypatch.setattr("ui.imports.dialog.show_error", lambda _parent, exc: shown.append(str(exc)))
    path = tmp_path / "excel.csv"
    path.write_bytes("given_name,family_name,date_of_birth\nRenée,Dupré,03/03/1983\n".encode("cp1252"))
    d.set_file(path)
    assert len(shown) == 1 and "row 2 (given_name, family_name)" in shown[0] and d.report is None
    assert not d.import_button.isEnabled()
    d.encoding.setCurrentIndex(1)  # Windows-1252: checked again at once
    assert d.report is not None and d.report.ok == 1 and d.report.encoding == "windows-1252"
    d.run_import(valid_only=False)
    assert d.final is not None and d.final.residents_imported == 1 and len(shown) == 1
