"""The "Record session…" dialog: a session typed by keyboard alone (Tab, letters, Space, Ctrl+S),
the reason shown only when the session was not attended or cancelled, the plan's goals offered and
the progress typed reaching the care plan, a correction keeping the original, and the dialog fitting
a 1024×768 screen."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from keyworker.casebook import Casebook
from tests.ui.conftest import make_ctx
from tests.unit.care_helpers import admit, assess_risk, full_content
from ui.forms.dialog import Unsaved
from ui.key_work.session_dialog import SessionDialog, open_dialogs, open_session_dialog


def _resident_with_plan(book: Casebook) -> tuple[str, str, list[tuple[str, str]]]:
    rid, aid = admit(book)
    plan = book.care_plans.save_draft(aid, full_content())
    assess_risk(book, aid)
    plan = book.care_plans.mark_complete(plan.plan_id)
    return rid, aid, [(g.id, g.goal) for g in plan.content.goals]


def _focused() -> QWidget:
    w = QApplication.focusWidget()
    assert w is not None
    return w


def test_a_session_entered_by_keyboard_alone(qtbot, worker_book: Casebook, tasks) -> None:  # type: ignore[no-untyped-def]
    rid, _aid, goals = _resident_with_plan(worker_book)
    ctx = make_ctx(worker_book, tasks)
    open_session_dialog(ctx, None, rid)
    (d,) = open_dialogs()
    assert isinstance(d, SessionDialog)
    qtbot.addWidget(d)
    d.confirm_unsaved = lambda _w: Unsaved.DISCARD  # a failing test must not wait on a question
    qtbot.waitExposed(d)
    d.activateWindow()
    f = d.binder.fields
    # the cursor starts on the date (today)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is f["held_on"].editor)

    def tab() -> QWidget:
        """Tab to the next field (a date takes a Tab per part: day, month, year)."""
        start = _focused()
        for _ in range(4):
            qtbot.keyClick(_focused(), Qt.Key.Key_Tab)
            if _focused() is not start:
                break
        return _focused()

    assert tab() is f["start_time"].editor
    qtbot.keyClick(_focused(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(_focused(), "10:30")
    assert tab() is f["duration_minutes"].editor
    qtbot.keyClick(_focused(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(_focused(), "50")
    assert tab() is f["kind"].editor
    qtbot.keyClicks(_focused(), "Psy")
    assert d.kind.value() == "psychosocial"
    assert tab().parent() is f["intervention"].editor or _focused() is f["intervention"].editor
    qtbot.keyClicks(_focused(), "Relapse prevention")
    assert tab() is f["outcome"].editor
    assert not d.reason.isVisible()  # attended: no reason asked for
    qtbot.keyClicks(_focused(), "D")
    assert d.outcome.value() == "did_not_attend" and d.reason.isVisible()
    qtbot.keyClick(_focused(), Qt.Key.Key_Up)
    assert d.outcome.value() == "attended" and not d.reason.isVisible()
    first_goal = d.goals.rows[0]
    assert tab() is first_goal[1]  # the hidden reason is skipped
    qtbot.keyClick(_focused(), Qt.Key.Key_Space)
    assert tab() is first_goal[2]
    qtbot.keyClicks(_focused(), "No heroin for two weeks")
    tab()  # the second goal, left alone
    assert tab() is f["notes"].editor
    qtbot.keyClicks(_focused(), "Mapped the risky times: payday and Friday nights.")
    what, who, _by = d.follow_ups.rows[0]
    assert tab() is what
    qtbot.keyClicks(_focused(), "Book GP appointment")
    qtbot.keyClick(_focused(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert d.result() == d.DialogCode.Accepted.value, d.status.text() + d.form_error.text()

    (s,) = worker_book.key_work.for_resident(rid)
    assert (s.start_time, s.duration_minutes, s.kind, s.intervention, s.outcome) == (
        "10:30", 50, "psychosocial", "Relapse prevention", "attended")
    assert s.notes == "Mapped the risky times: payday and Friday nights."
    assert [(f.what, f.who) for f in s.follow_ups] == [("Book GP appointment", "Sam Worker")]
    goal = worker_book.care_plans.get(rid).content.goal(goals[0][0])
    assert goal is not None and goal.progress_notes.endswith("(key-work session): No heroin for two weeks")


def test_a_missing_reason_is_said_beside_the_field(qtbot, worker_book: Casebook, tasks) -> None:  # type: ignore[no-untyped-def]
    rid, _ = admit(worker_book)
    d = SessionDialog(None, make_ctx(worker_book, tasks), rid)
    qtbot.addWidget(d)
    d.confirm_unsaved = lambda _w: Unsaved.DISCARD  # a failing test must not wait on a question
    d.show()
    d.kind.set_value("one_to_one")
    d.outcome.set_value("cancelled")
    d.save()
    assert d.result() != d.DialogCode.Accepted.value
    assert d.binder.shown_error("outcome_reason") == "Say why the session was cancelled (the reason is required)."
    assert worker_book.key_work.for_resident(rid) == []


def test_a_correction_asks_why_and_keeps_the_original(qtbot, worker_book: Casebook, tasks) -> None:  # type: ignore[no-untyped-def]
    from tests.unit.test_key_work import session

    rid, _ = admit(worker_book)
    first = worker_book.key_work.record(session(rid, notes="Talked about the council."))
    d = SessionDialog(None, make_ctx(worker_book, tasks), rid, session=first)
    qtbot.addWidget(d)
    d.confirm_unsaved = lambda _w: Unsaved.DISCARD  # a failing test must not wait on a question
    d.show()
    assert d.binder.value("notes") == "Talked about the council."
    d.binder.fields["notes"].editor.setPlainText("Talked about Preston council.")  # type: ignore[attr-defined]
    d.save()
    assert d.binder.shown_error("correction_reason")
    d.binder.fields["correction_reason"].editor.setText("Named the council")  # type: ignore[attr-defined]
    d.save()
    assert d.result() == d.DialogCode.Accepted.value
    history = worker_book.key_work.for_resident(rid, include_superseded=True)
    assert [(h.notes, h.superseded) for h in history if h.id == first.id] == [("Talked about the council.", True)]


def test_the_dialog_fits_a_small_screen(qtbot, worker_book: Casebook, tasks) -> None:  # type: ignore[no-untyped-def]
    rid, _aid, goals = _resident_with_plan(worker_book)
    d = SessionDialog(None, make_ctx(worker_book, tasks), rid, goals)
    qtbot.addWidget(d)
    d.confirm_unsaved = lambda _w: Unsaved.DISCARD  # a failing test must not wait on a question
    d.show()
    room = d.screen().availableGeometry()
    assert d.height() <= room.height() - 60 and d.width() <= room.width() - 40
    # On a 1024×768 laptop the form needs no sideways scrolling (long goals wrap).
    assert d.content.minimumSizeHint().width() <= 1024 - 80
    d.resize(980, 700)
    d.grab().save("/tmp/kw_session_dialog.png")
