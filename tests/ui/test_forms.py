"""The shared form helpers: UK dates, "Prefer not to say" kept apart from "Not recorded", messages
beside fields as the user types, Save disabled while invalid, undo, the unsaved-changes question,
and the PDF window (preview, print through an injected print dialog, save)."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLineEdit

from keyworker.documents.layout import para, render
from tests.ui.conftest import make_ctx
from ui.documents import PdfDialog, show_pdf
from ui.forms import (
    NOT_RECORDED,
    PREFER_NOT_TO_SAY,
    ChoiceCombo,
    EditableChoice,
    FormBinder,
    FormDialog,
    OptionalDateEdit,
    UkDateEdit,
    Unsaved,
)
from ui.forms.lists import NameListEdit, SubstanceListEdit


def test_uk_date_edit_shows_day_month_year_with_a_calendar(qtbot) -> None:  # type: ignore[no-untyped-def]
    e = UkDateEdit(date(2026, 1, 31))
    qtbot.addWidget(e)
    assert e.displayFormat() == "dd/MM/yyyy"
    assert e.calendarPopup()
    assert e.text() == "31/01/2026"
    assert e.value() == date(2026, 1, 31)


def test_optional_date_can_be_blank(qtbot) -> None:  # type: ignore[no-untyped-def]
    e = OptionalDateEdit()
    qtbot.addWidget(e)
    assert e.value() is None
    assert e.text().strip() == ""
    e.set_value(date(1990, 2, 3))
    assert e.value() == date(1990, 2, 3) and e.text() == "03/02/1990"
    e.set_value(None)
    assert e.value() is None


def test_prefer_not_to_say_is_not_the_same_as_not_recorded(qtbot) -> None:  # type: ignore[no-untyped-def]
    c = ChoiceCombo(["Male", "Female", PREFER_NOT_TO_SAY])
    qtbot.addWidget(c)
    assert c.currentText() == NOT_RECORDED and c.value() is None
    c.set_value(PREFER_NOT_TO_SAY)
    assert c.value() == PREFER_NOT_TO_SAY
    c.setCurrentIndex(0)
    assert c.value() is None
    c.set_value("An old value no longer listed")  # never lost
    assert c.value() == "An old value no longer listed"


def test_editable_choice_allows_other_names(qtbot) -> None:  # type: ignore[no-untyped-def]
    c = EditableChoice(["Preston", "Wyre"])
    qtbot.addWidget(c)
    assert c.value() is None
    c.set_value("Blackpool")
    assert c.value() == "Blackpool"
    c.set_value("Wyre")
    assert c.value() == "Wyre"


def test_list_editors_round_trip(qtbot) -> None:  # type: ignore[no-untyped-def]
    s = SubstanceListEdit(["Alcohol", "Cannabis"], ["Oral", "Smoked"])
    qtbot.addWidget(s)
    assert s.value() is None
    s.set_value([("Cannabis", "Smoked"), {"substance": "Alcohol", "route": None}])
    assert s.value() == [{"substance": "Cannabis", "route": "Smoked"}, {"substance": "Alcohol", "route": None}]
    n = NameListEdit()
    qtbot.addWidget(n)
    qtbot.keyClicks(n.entry, "GP surgery")
    qtbot.keyClick(n.entry, Qt.Key.Key_Return)
    n.entry.setText("Probation")  # typed but not yet added still counts
    assert n.value() == ["GP surgery", "Probation"]


def _postcode_rule(values: dict[str, Any]) -> dict[str, str]:
    from keyworker.validation import normalise_postcode

    pc = values.get("postcode")
    return {"postcode": "Not a UK postcode."} if pc and normalise_postcode(pc) is None else {}


@pytest.fixture
def form(qtbot):  # type: ignore[no-untyped-def]
    box = QGroupBox()
    f = QFormLayout(box)
    binder = FormBinder(_postcode_rule, box)
    binder.row(f, "name", "Name", QLineEdit(), required=True)
    binder.row(f, "postcode", "Postcode", QLineEdit())
    binder.mark_saved()
    qtbot.addWidget(box)
    box.show()
    return box, binder


def test_message_beside_the_field_as_the_user_types(form, qtbot) -> None:  # type: ignore[no-untyped-def]
    _box, binder = form
    pc = binder.fields["postcode"].editor
    assert binder.shown_error("name") == ""  # untouched fields are not shouted at
    qtbot.keyClicks(pc, "PR1 2A")
    assert binder.shown_error("postcode") == "Not a UK postcode."
    assert pc.accessibleDescription() == "Not a UK postcode."
    qtbot.keyClicks(pc, "B")
    assert binder.shown_error("postcode") == ""
    assert pc.accessibleDescription() == ""
    binder.reveal_all()  # as when Save is pressed
    assert binder.shown_error("name") == "Name is required."


def test_a_fresh_form_shows_no_error_until_save_is_tried(form, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Nothing typed yet: no "Fix 1 field" and no message; Save can be pressed, and pressing it
    shows every message at once and keeps Save off until they are put right."""
    from PySide6.QtWidgets import QLabel, QPushButton

    _box, binder = form
    button, status = QPushButton("Save"), QLabel()
    binder.bind_save(button, status)
    assert button.isEnabled() and status.text() == "" and binder.shown_error("name") == ""
    assert not binder.is_valid()  # the error is known, only not shown
    binder.reveal_all()  # Save pressed
    assert not button.isEnabled()
    assert status.text() == "Fix 1 field to save: Name" and binder.shown_error("name") == "Name is required."
    qtbot.keyClicks(binder.fields["name"].editor, "Alex")
    assert button.isEnabled()
    qtbot.keyClicks(binder.fields["postcode"].editor, "nonsense")
    assert not button.isEnabled()


def test_a_field_left_empty_shows_its_message(form, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QFocusEvent
    from PySide6.QtWidgets import QApplication, QLabel, QPushButton

    _box, binder = form
    button, status = QPushButton("Save"), QLabel()
    binder.bind_save(button, status)
    name = binder.fields["name"].editor
    QApplication.sendEvent(name, QFocusEvent(QEvent.Type.FocusOut, Qt.FocusReason.TabFocusReason))
    assert binder.shown_error("name") == "Name is required."
    assert binder.shown_error("postcode") == "" and not button.isEnabled()
    assert status.text() == "Fix 1 field to save: Name"


def test_undo_a_typo_and_dirty_tracking(form, qtbot) -> None:  # type: ignore[no-untyped-def]
    _box, binder = form
    name = binder.fields["name"].editor
    binder.load({"name": "Alex"})
    assert not binder.is_dirty()
    name.setFocus()
    name.end(False)
    qtbot.keyClicks(name, "x")
    assert binder.is_dirty() and name.text() == "Alexx"
    qtbot.keyClick(name, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert name.text() == "Alex"
    assert not binder.is_dirty()


class _Dialog(FormDialog):
    def __init__(self, ctx: Any) -> None:
        super().__init__(None, ctx, "Test form")
        box = QGroupBox()
        f = QFormLayout(box)
        self.name = QLineEdit()
        self.binder.row(f, "name", "Name", self.name, required=True)
        self.content_layout.addWidget(box)
        self.saved: list[dict[str, Any]] = []
        self.finish_setup()

    def operation(self, values: dict[str, Any]) -> Any:
        return lambda: self.saved.append(values) or "done"


@pytest.fixture
def dialog(qtbot, worker_book, tasks):  # type: ignore[no-untyped-def]
    d = _Dialog(make_ctx(worker_book, tasks))
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    return d


def test_escape_with_typed_work_asks_and_cancel_keeps_it(dialog, qtbot) -> None:  # type: ignore[no-untyped-def]
    asked: list[bool] = []
    dialog.confirm_unsaved = lambda _w: asked.append(True) or Unsaved.CANCEL
    qtbot.keyClicks(dialog.name, "Alex")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert asked == [True]
    assert dialog.isVisible() and dialog.name.text() == "Alex"
    dialog.confirm_unsaved = lambda _w: Unsaved.DISCARD
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert dialog.saved == []


def test_escape_on_an_untouched_form_closes_without_asking(dialog, qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog.confirm_unsaved = lambda _w: pytest.fail("nothing was typed")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_ctrl_s_saves(dialog, qtbot) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClick(dialog.name, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dialog.saved == []  # invalid: the message shows instead
    assert dialog.binder.shown_error("name") == "Name is required."
    qtbot.keyClicks(dialog.name, "Alex")
    qtbot.keyClick(dialog.name, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dialog.saved == [{"name": "Alex"}]
    assert dialog.result_value == "done" and not dialog.isVisible()


def test_unsaved_save_answer_saves_then_closes(dialog, qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog.confirm_unsaved = lambda _w: Unsaved.SAVE
    qtbot.keyClicks(dialog.name, "Alex")
    dialog.reject()
    assert dialog.saved == [{"name": "Alex"}] and not dialog.isVisible()


# -- PDF window -------------------------------------------------------------------------------
def _pdf(pages: int = 2) -> bytes:
    from datetime import UTC, datetime

    flow = [para("Paragraph " * 400) for _ in range(pages * 2)]
    return render(flow, title="Test letter", unit_name="Test Unit", generated_at=datetime(2026, 1, 5, tzinfo=UTC))


def _to_file(path: Path) -> Any:
    def choose(_parent: Any, printer: QPrinter) -> bool:
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(path))
        return True

    return choose


def test_pdf_preview_print_and_save_from_bytes(qtbot, worker_book, tasks, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(worker_book, tasks)
    win = show_pdf(None, ctx, "Test letter", _pdf())
    qtbot.addWidget(win)
    assert isinstance(win, PdfDialog)
    assert win.document.pageCount() >= 2
    assert "pages" in win.status.text()
    win.choose_printer = _to_file(tmp_path / "printed.pdf")
    win.print_document()
    assert win.pages_printed == win.document.pageCount()
    assert (tmp_path / "printed.pdf").read_bytes().startswith(b"%PDF")
    win.choose_save_path = lambda _p, suggested: str(tmp_path / suggested)
    win.save_document()
    assert win.saved_to == tmp_path / "Test-letter.pdf"
    assert win.saved_to.read_bytes() == win.pdf


def test_saving_a_pdf_over_a_symlink_leaves_its_target_alone(qtbot, worker_book, tasks, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import stat

    precious = tmp_path / "precious.txt"
    precious.write_text("not a letter")
    (tmp_path / "letter.pdf").symlink_to(precious)
    win = show_pdf(None, make_ctx(worker_book, tasks), "Test letter", _pdf(1))
    qtbot.addWidget(win)
    win.choose_save_path = lambda _p, _s: str(tmp_path / "letter.pdf")
    win.save_document()
    assert precious.read_text() == "not a letter"
    assert win.saved_to == tmp_path / "letter.pdf" and not win.saved_to.is_symlink()
    assert win.saved_to.read_bytes() == win.pdf
    assert stat.S_IMODE(win.saved_to.stat().st_mode) == 0o600


def test_print_dialog_cancelled_prints_nothing(qtbot, worker_book, tasks, tmp_path) -> None:  # type: ignore[no-untyped-def]
    win = show_pdf(None, make_ctx(worker_book, tasks), "Test letter", _pdf(1))
    qtbot.addWidget(win)
    win.choose_printer = lambda _p, _printer: False
    win.print_document()
    assert win.pages_printed == 0


def test_stored_document_views_prints_and_saves_are_audited(qtbot, manager_book, tasks, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with manager_book._write() as s:
        doc_id = manager_book.documents._store(s, kind="test", title="Stored", content=_pdf(1)).id
    win = show_pdf(None, make_ctx(manager_book, tasks), "Stored", doc_id)
    qtbot.addWidget(win)
    win.choose_printer = _to_file(tmp_path / "p.pdf")
    win.print_document()
    win.choose_save_path = lambda _p, _s: str(tmp_path / "copy.pdf")
    win.save_document()
    actions = [e.action for e in manager_book.audit.recent(limit=20) if e.entity_id == doc_id]
    # "Print to file" writes a file: it is audited as a save, like Save as PDF
    assert {"document.view", "document.save"} <= set(actions) and actions.count("document.save") == 2


def test_locked_pdf_window_hides_the_pages(qtbot, worker_book, tasks) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(worker_book, tasks)
    win = show_pdf(None, ctx, "Letter", _pdf(1))
    qtbot.addWidget(win)
    ctx.state.set_locked(True)
    assert win.view.isHidden() and not win.cover.isHidden()
    ctx.state.set_locked(False)
    assert not win.view.isHidden()


def test_busy_bar_appears_only_after_half_a_second(qtbot) -> None:  # type: ignore[no-untyped-def]
    from ui.forms import BusyBar

    bar = BusyBar()
    qtbot.addWidget(bar)
    bar.start()
    assert bar.isHidden()  # quick work never flashes a progress bar
    qtbot.waitUntil(lambda: not bar.isHidden(), timeout=3000)
    bar.stop()
    assert bar.isHidden()


def test_every_form_dialog_keeps_its_buttons_on_the_screen(qtbot, worker_book, tasks) -> None:  # type: ignore[no-untyped-def]
    """A long form (a new referral is ~780 px tall) scrolls inside the dialog, which fits the screen."""
    from ui.referrals.dialogs import ReferralDialog

    dlg = ReferralDialog(None, make_ctx(worker_book, tasks))
    qtbot.addWidget(dlg)
    room = dlg.screen().availableGeometry()
    assert dlg.height() <= room.height() - 60 and dlg.width() <= room.width() - 40
