"""File → Import on a real encrypted unit: choosing a file runs a dry run that lists problems by
row, column and message; "Import" is all or nothing; "Import valid rows only" takes the good rows;
a second import of the same file finds only duplicates; roles without the permission cannot."""
from __future__ import annotations

from pathlib import Path

import pytest

from PySide6.QtWidgets import QApplication

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
    assert problems[0] == ("4", "Cy Brown", "date_of_birth", "Date of birth: there is no 31 February 1980.")
    assert any(p[0] == "4" and p[2] == "postcode" for p in problems)
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
    assert d.problems() == [] and d.results.currentWidget() is d.note and "No problems" in d.note.text()
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
    assert d.note.isVisible() and "There is no file" in d.note.text()
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


def test_a_windows_1252_file_is_refused_until_that_encoding_is_chosen(dialog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _book, _ctx, d = dialog
    path = tmp_path / "excel.csv"
    path.write_bytes("First name,Surname,DOB\nRenée,Dupré,03/03/1983\n".encode("cp1252"))
    d.set_file(path)
    # Said where the list would be, with the columns as the sheet heads them
    assert "row 2 (First name, Surname)" in d.note.text() and d.report is None
    assert d.results.currentWidget() is d.note and not d.import_button.isEnabled()
    d.encoding.setCurrentIndex(1)  # Windows-1252: checked again at once
    assert d.report is not None and d.report.ok == 1 and d.report.encoding == "windows-1252"
    d.run_import(valid_only=False)
    assert d.final is not None and d.final.residents_imported == 1


def test_an_unreadable_file_replaces_the_previous_problem_list(dialog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _book, _ctx, d = dialog
    d.set_file(_csv(tmp_path, MIXED))
    assert d.problems() and d.table.isVisible()
    d.set_file(tmp_path / "missing.csv")
    # The first file's problems are gone; what is wrong with this one stands in their place
    assert d.problems() == [] and not d.table.isVisible()
    assert d.note.isVisible() and d.note.text() == f"There is no file {tmp_path / 'missing.csv'}."


def test_the_layout_stays_put_after_a_successful_import(dialog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _book, _ctx, d = dialog

    def places() -> list[tuple[int, int]]:
        QApplication.processEvents()  # let the layout settle, as a person sees it
        return [w.mapTo(d, w.rect().topLeft()).toTuple() for w in (d.file_edit, d.summary, d.import_button)]

    before = places()
    d.set_file(_csv(tmp_path, GOOD))
    assert places() == before
    d.import_button.click()
    assert d.final is not None and d.final.imported == 2
    assert places() == before


def _contrast(a, b) -> float:  # type: ignore[no-untyped-def]
    def lum(c) -> float:  # type: ignore[no-untyped-def]
        def ch(v: int) -> float:
            x = v / 255
            return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4
        return 0.2126 * ch(c.red()) + 0.7152 * ch(c.green()) + 0.0722 * ch(c.blue())
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_the_percentage_is_readable_on_the_bar(dialog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from collections import Counter

    from PySide6.QtCore import Qt

    from ui.icons import RESOURCES

    _book, _ctx, d = dialog
    qss = (RESOURCES / "style.qss").read_text(encoding="utf-8")
    for token in ("@title_pt", "@brand_pt", "@section_pt", "@small_pt"):
        qss = qss.replace(token, "10pt")
    d.setStyleSheet(qss.replace("@icons", (RESOURCES / "icons").as_posix()))  # the app's style, here only
    d.set_file(_csv(tmp_path, GOOD))
    bar = d.progress
    assert bar.isVisible() and bar.isTextVisible() and bar.text() == "100%"
    assert bar.alignment() & Qt.AlignmentFlag.AlignHCenter
    image = bar.grab().toImage()
    # At 100% the text lies on the chunk: the darkest pixel (the text) must stand out from the chunk.
    colours = Counter(image.pixelColor(x, y).rgb() for x in range(image.width()) for y in range(image.height()))
    from PySide6.QtGui import QColor

    chunk = QColor.fromRgb(colours.most_common(1)[0][0])
    mid = image.height() // 2
    text_pixels = [image.pixelColor(x, mid) for x in range(image.width() // 3, 2 * image.width() // 3)]
    darkest = min(text_pixels, key=lambda c: c.lightness())
    assert _contrast(chunk, darkest) >= 4.5


def test_problems_name_the_person_and_the_column_as_the_file_heads_it(dialog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _book, _ctx, d = dialog
    d.set_file(_csv(tmp_path, "First name,Surname,DOB,NHS number,Sex\nAnna,Smith,31/02/1990,,\n"
                               ",,01/01/1980,943 476 5919,Robot\n"))
    problems = d.problems()
    assert problems[0] == ("2", "Anna Smith", "DOB", "Date of birth: there is no 31 February 1990.")
    assert sorted(p[:3] for p in problems[1:]) == [("3", "NHS number 943 476 5919", "First name"),
                                                   ("3", "NHS number 943 476 5919", "Sex"),
                                                   ("3", "NHS number 943 476 5919", "Surname")]
    sex = next(p for p in problems if p[2] == "Sex")
    assert "Write one of:" in sex[3] and "Female" in sex[3]


def test_admissions_that_ended_long_ago_are_flagged_and_can_come_in_discharged(dialog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    book, _ctx, d = dialog
    # Today is 05/01/2026: 12 weeks from 01/09/2025 ended on 24/11/2025, 42 days ago.
    d.set_file(_csv(tmp_path, "Given name,Surname,DOB,Admission date,Setting,Strand,Planned weeks,Key worker\n"
                               "Anna,Smith,01/01/1980,01/09/2025,24h_residential,level_1,12,worker\n"))
    assert d.as_discharged.isVisible() and not d.as_discharged.isChecked()
    (row,) = d.problems()
    assert row[:3] == ("2", "Anna Smith", "Admission date") and "42 days ago" in row[3]
    assert "ended long ago" in d.summary.text() and d.import_button.isEnabled()
    d.as_discharged.setChecked(True)  # checked again: the list says what will happen
    assert d.problems()[0][3].startswith("Imported as discharged on 24/11/2025")
    d.import_button.click()
    assert d.final is not None and d.final.residents_imported == 1 and d.final.as_discharged
    rid = book.residents.find_by_reference("R-00001")
    assert rid is not None
    rec = book.residents.get(rid)
    assert [(a.discharged_on.isoformat() if a.discharged_on else None) for a in rec.admissions] == ["2025-11-24"]


def test_a_sample_file_can_be_saved_and_imports_as_it_is(dialog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _book, _ctx, d = dialog
    target = tmp_path / "sample.csv"
    d.choose_save = lambda _parent, _start: str(target)
    d.sample_button.click()
    assert d.sample_saved == target and "Sample file saved" in d.status.text()
    assert target.stat().st_mode & 0o777 == 0o600
    d.set_file(target)
    assert d.report is not None and (d.report.ok, d.report.invalid) == (4, 0) and d.problems() == []


def test_focus_starts_on_choose_and_the_empty_list_says_what_to_do(dialog) -> None:  # type: ignore[no-untyped-def]
    _book, _ctx, d = dialog
    d.activateWindow()
    QApplication.processEvents()
    assert d.focusWidget() is d.choose_button
    assert d.results.currentWidget() is d.note and "sample file" in d.note.text()
