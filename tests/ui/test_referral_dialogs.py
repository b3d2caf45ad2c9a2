"""The referral dialogs on a real encrypted unit: recording a referral with the decision deadline
shown live (5 working days; after 17:00 and at weekends it counts from the next working day),
accepting, declining with reasons and the letter shown, and admitting with the resident record."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QApplication

from keyworker.clock import LONDON
from tests.ui.conftest import make_ctx
from ui.documents import PdfDialog
from tests.fixtures.caseload import last_audit
from ui.forms import ErrorLabel, Unsaved
from ui.referrals.dialogs import AdmitDialog, DecisionDialog, ReferralDialog, deadline_text


def fill_referral(d: ReferralDialog, qtbot: Any, *, email: str = "pat@lancashire.gov.uk") -> None:
    f = d.binder.fields
    qtbot.keyClicks(f["given_name"].editor, "Alex")
    qtbot.keyClicks(f["family_name"].editor, "Smith")
    qtbot.keyClicks(f["referrer_name"].editor, "Pat Referrer")
    qtbot.keyClicks(f["referrer_email"].editor, email)
    qtbot.keyClicks(f["community_treatment_provider"].editor, "Inspire Preston")
    f["category"].editor.set_value("priority")
    f["assessment_summary"].editor.setPlainText("Assessed: abstinent for six weeks, motivated, suitable.")


@pytest.fixture(autouse=True)
def _discard_at_teardown(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dialogs left with typed text are closed by pytest-qt at teardown: never block on the question."""
    monkeypatch.setattr("ui.forms.dialog.ask_unsaved", lambda _w, *_a: Unsaved.DISCARD)


@pytest.fixture
def ctx(manager_book, tasks):  # type: ignore[no-untyped-def]
    return make_ctx(manager_book, tasks)


def record(book: Any, **kw: Any) -> Any:
    data = dict(received_at=datetime(2026, 1, 5, 9, 0, tzinfo=LONDON), given_name="Alex", family_name="Smith",
                referrer_name="Pat Referrer", referrer_email="pat@lancashire.gov.uk",
                community_treatment_provider="Inspire Preston", category="routine",
                assessment_summary="Assessed: abstinent for six weeks, motivated, suitable.")
    data.update(kw)
    return book.referrals.record(data)


def test_deadline_follows_the_received_date_as_it_changes(qtbot, ctx) -> None:  # type: ignore[no-untyped-def]
    d = ReferralDialog(None, ctx)
    qtbot.addWidget(d)
    d.confirm_unsaved = lambda _w: Unsaved.DISCARD
    assert d.deadline.text().startswith("Decision due by Monday 12/01/2026")
    d.received.set_value(datetime(2026, 1, 2, 17, 30, tzinfo=LONDON))  # a Friday evening
    assert d.deadline.text().startswith("Decision due by Monday 12/01/2026")
    assert "after 17:00" in d.deadline.text()
    d.received.set_value(datetime(2025, 12, 23, 10, 0, tzinfo=LONDON))  # Christmas, Boxing Day, New Year
    assert d.deadline.text().startswith("Decision due by Friday 02/01/2026")


def test_deadline_text_names_the_day_it_counts_from() -> None:
    text = deadline_text(datetime(2026, 1, 3, 11, 0, tzinfo=LONDON))  # a Saturday
    assert "from Monday 05/01/2026" in text and "weekend" in text


def test_a_new_referral_opens_quiet_with_the_cursor_in_the_first_field(qtbot, ctx) -> None:  # type: ignore[no-untyped-def]
    """No "Fix 7 fields to save" and no red message before anything is typed; Save tried shows
    them all at once and puts the cursor on the first."""
    d = ReferralDialog(None, ctx)
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    given = d.binder.fields["given_name"].editor
    assert d.focusWidget() is given
    assert d.status.text() == "" and d.save_button.isEnabled()
    assert not [e for e in d.findChildren(ErrorLabel) if e.isVisible()]
    d.save_button.click()
    assert d.result() != ReferralDialog.DialogCode.Accepted
    shown = [f for f in d.binder.fields if d.binder.shown_error(f)]
    assert {"given_name", "family_name", "category", "referrer_name", "referrer_email",
            "community_treatment_provider", "assessment_summary"} == set(shown)
    assert d.status.text().startswith("Fix 7 fields to save: Given name, Family name")
    assert d.focusWidget() is given and not d.save_button.isEnabled()


def test_a_field_shows_its_message_once_it_is_left(qtbot, ctx) -> None:  # type: ignore[no-untyped-def]
    d = ReferralDialog(None, ctx)
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    given = d.binder.fields["given_name"].editor
    QApplication.sendEvent(given, QFocusEvent(QEvent.Type.FocusOut, Qt.FocusReason.TabFocusReason))  # Tab, nothing typed
    assert d.binder.shown_error("given_name") == "Given name is required."
    assert d.binder.shown_error("family_name") == "" and d.status.text() == "Fix 1 field to save: Given name"


def test_record_a_referral(qtbot, ctx) -> None:  # type: ignore[no-untyped-def]
    d = ReferralDialog(None, ctx)
    qtbot.addWidget(d)
    fill_referral(d, qtbot, email="pat@lancashire")
    assert "email address" in d.binder.shown_error("referrer_email")
    assert not d.save_button.isEnabled()
    d.binder.fields["referrer_email"].editor.setText("pat@lancashire.gov.uk")
    assert d.save_button.isEnabled()
    with qtbot.waitSignal(ctx.state.data_changed) as sig:
        d.save_button.click()
    assert sig.args == ["referrals"]
    r = d.result_value
    assert r.name == "Alex Smith" and r.category == "priority" and r.status == "open"
    assert r.decision_due_on == date(2026, 1, 12)
    assert ctx.book.referrals.get(r.id).community_treatment_provider == "Inspire Preston"


def test_referrer_needs_an_email_or_a_phone(qtbot, ctx) -> None:  # type: ignore[no-untyped-def]
    d = ReferralDialog(None, ctx)
    qtbot.addWidget(d)
    fill_referral(d, qtbot, email="")
    d.binder.reveal_all()
    assert "email or phone" in d.binder.shown_error("referrer_email")
    qtbot.keyClicks(d.binder.fields["referrer_phone"].editor, "01772 123456")
    assert d.binder.shown_error("referrer_email") == ""
    d.save()
    assert d.result_value.referrer_phone == "01772 123456"


def test_a_future_receipt_time_is_refused(qtbot, ctx) -> None:  # type: ignore[no-untyped-def]
    d = ReferralDialog(None, ctx)
    qtbot.addWidget(d)
    d.confirm_unsaved = lambda _w: Unsaved.DISCARD
    d.received.set_value(datetime(2026, 2, 1, 9, 0, tzinfo=LONDON))
    assert "future" in d.binder.shown_error("received_at")


def test_correcting_an_open_referral_sends_only_changes(qtbot, ctx) -> None:  # type: ignore[no-untyped-def]
    r = record(ctx.book)
    d = ReferralDialog(None, ctx, r)
    qtbot.addWidget(d)
    assert d.binder.value("given_name") == "Alex" and not d.save_button.isEnabled()
    d.binder.fields["given_name"].editor.setText("Alexa")
    d.save()
    assert d.result_value.given_name == "Alexa"


def test_an_accepted_referral_is_corrected_audited_and_the_admission_gets_the_date_of_birth(  # type: ignore[no-untyped-def]
        qtbot, ctx) -> None:
    r = ctx.book.referrals.accept(record(ctx.book, given_name="Alx").id)
    d = ReferralDialog(None, ctx, ctx.book.referrals.get(r.id))
    qtbot.addWidget(d)
    assert "Accepted on 05/01/2026" in d.standing.text() and "waiting for admission" in d.standing.text()
    assert d.received.isReadOnly()  # the decision was timed from it
    d.binder.fields["given_name"].editor.setText("Alex")
    d.binder.fields["date_of_birth"].editor.set_value(date(1988, 7, 9))
    d.save()
    assert d.result() == ReferralDialog.DialogCode.Accepted
    assert last_audit(ctx.book)[0] == ("referral.update", {"fields": ["date_of_birth", "given_name"]})
    a = AdmitDialog(None, ctx, ctx.book.referrals.get(r.id))
    qtbot.addWidget(a)
    a.confirm_unsaved = lambda _w: Unsaved.DISCARD
    f = a.binder.fields
    assert f["given_name"].editor.text() == "Alex" and f["family_name"].editor.text() == "Smith"
    assert f["date_of_birth"].editor.value() == date(1988, 7, 9)


def test_a_declined_referral_opens_to_read_only(qtbot, ctx) -> None:  # type: ignore[no-untyped-def]
    r = record(ctx.book)
    ctx.book.referrals.decline(r.id, "no_vacancy", "No place is available within the time the assessment says.")
    d = ReferralDialog(None, ctx, ctx.book.referrals.get(r.id))
    qtbot.addWidget(d)
    d.show()
    assert "Declined on 05/01/2026" in d.standing.text() and "Reason: No suitable place" in d.standing.text()
    assert not d.save_button.isVisible() and d.cancel_button.text() == "Close"
    assert d.binder.fields["given_name"].editor.isReadOnly()
    assert d.binder.fields["assessment_summary"].editor.toPlainText().startswith("Assessed")
    assert d.next_button is None


def test_a_late_decision_says_by_how_many_working_days(qtbot, ctx) -> None:  # type: ignore[no-untyped-def]
    r = record(ctx.book, received_at=datetime(2025, 12, 22, 10, 0, tzinfo=LONDON))  # due 31/12/2025
    d = DecisionDialog(None, ctx, ctx.book.referrals.get(r.id))
    qtbot.addWidget(d)
    d.show()
    assert d.late_note.isVisible()
    assert d.late_note.text() == "⚠ This decision is 2 working days late (due 31/12/2025)."
    on_time = DecisionDialog(None, ctx, record(ctx.book))  # due 12/01/2026
    qtbot.addWidget(on_time)
    on_time.show()
    assert not on_time.late_note.isVisible()


def test_ask_returns_none_when_cancelled(qtbot, ctx) -> None:  # type: ignore[no-untyped-def]
    def close_it() -> None:
        dlg = QApplication.activeModalWidget()
        assert isinstance(dlg, ReferralDialog)
        dlg.reject()

    QTimer.singleShot(0, close_it)
    assert ReferralDialog.ask(None, ctx) is None


def test_accept(qtbot, ctx) -> None:  # type: ignore[no-untyped-def]
    r = record(ctx.book)
    d = DecisionDialog(None, ctx, r)
    qtbot.addWidget(d)
    d.save()  # nothing chosen yet: it says so and records nothing
    assert d.binder.shown_error("decision") and not d.save_button.isEnabled()
    assert d.category_box.isHidden() or not d.decide_form.isRowVisible(d.category_box)
    d.choice.accept_radio.click()
    assert d.save_button.isEnabled() and d.save_button.text() == "&Accept referral"
    d.save_button.click()
    assert d.result_value.status == "accepted"


def test_decline_needs_reasons_in_full_and_shows_the_letter(qtbot, ctx, tmp_path) -> None:  # type: ignore[no-untyped-def]
    r = record(ctx.book)
    d = DecisionDialog(None, ctx, r)
    qtbot.addWidget(d)
    d.confirm_unsaved = lambda _w: Unsaved.DISCARD
    shown: list[PdfDialog] = []

    def show_letter(parent: Any, c: Any, title: str, source: Any) -> PdfDialog:
        w = PdfDialog(parent, c, title, source)
        shown.append(w)
        return w

    d.show_letter = show_letter
    d.choice.decline_radio.click()
    assert d.decide_form.isRowVisible(d.category_box) and d.decide_form.isRowVisible(d.reason_box)
    d.category.set_value("no_vacancy")
    qtbot.keyClicks(d.reason, "No room.")
    assert "in full" in d.binder.shown_error("reason")
    assert not d.save_button.isEnabled()
    d.reason.setPlainText("No place is available within the time the assessment says is needed.")
    assert d.save_button.isEnabled()
    d.save_button.click()
    v = d.result_value
    assert v.status == "declined" and v.decline_letter_id
    assert shown and shown[0].document_id == v.decline_letter_id
    assert shown[0].document.pageCount() >= 1
    shown[0].choose_save_path = lambda _p, _s: str(tmp_path / "letter.pdf")
    shown[0].save_document()
    assert (tmp_path / "letter.pdf").read_bytes().startswith(b"%PDF")
    shown[0].close()


def test_a_key_worker_cannot_decide(qtbot, worker_book, manager_book, tasks) -> None:  # type: ignore[no-untyped-def]
    r = record(manager_book)
    d = DecisionDialog(None, make_ctx(worker_book, tasks), r)
    qtbot.addWidget(d)
    d.choice.accept_radio.setChecked(True)
    assert not d.save_button.isEnabled()


@pytest.fixture
def accepted(ctx):  # type: ignore[no-untyped-def]
    r = record(ctx.book, date_of_birth=date(1985, 3, 4))
    return ctx.book.referrals.accept(r.id)


def test_admit_creates_the_resident(qtbot, ctx, accepted) -> None:  # type: ignore[no-untyped-def]
    d = AdmitDialog(None, ctx, accepted)
    qtbot.addWidget(d)
    f = d.binder.fields
    assert f["given_name"].editor.text() == "Alex" and f["date_of_birth"].editor.value() == date(1985, 3, 4)
    names = [d.key_worker.itemText(i) for i in range(d.key_worker.count())]
    assert "Sam Worker" in names and "Ada Admin" not in names and "Nico Nights" not in names
    assert d.key_worker.value() == ctx.book.actor.id  # the manager is a clinical account
    assert "setting" in d.binder.errors() and d.binder.shown_error("setting") == ""
    f["setting"].editor.set_value("day_programme")
    f["strand"].editor.set_value("level_2")
    f["planned_weeks"].editor.setValue(16)
    f["religion"].editor.set_value("Prefer not to say")
    qtbot.keyClicks(f["postcode"].editor, "pr1 2ab")
    d.part_time.setChecked(True)
    assert d.adm_form.isRowVisible(d.part_time_notes_box)
    assert "which days" in d.binder.errors()["part_time_notes"]
    f["part_time_notes"].editor.setPlainText("Monday to Wednesday")
    assert d.save_button.isEnabled(), d.binder.errors()
    with qtbot.waitSignals([ctx.state.data_changed, ctx.state.data_changed]):
        d.save_button.click()
    rec = d.result_value
    assert rec.reference == "R-00001" and rec.postcode == "PR1 2AB" and rec.religion == "Prefer not to say"
    adm = rec.current_admission
    assert (adm.setting, adm.strand, adm.planned_weeks, adm.part_time) == ("day_programme", "level_2", 16, True)
    assert ctx.book.referrals.get(accepted.id).status == "admitted"


def test_admit_under_18_is_refused_naming_the_day_they_turn_18(qtbot, ctx) -> None:  # type: ignore[no-untyped-def]
    r = ctx.book.referrals.accept(record(ctx.book, date_of_birth=date(2009, 6, 1)).id)
    d = AdmitDialog(None, ctx, r)
    qtbot.addWidget(d)
    d.confirm_unsaved = lambda _w: Unsaved.DISCARD
    f = d.binder.fields
    assert "age_override_reason" not in f  # no way round the contract's rule (5.1.1.1)
    f["setting"].editor.set_value("24h_residential")
    f["strand"].editor.set_value("level_1")
    d.save()
    assert d.binder.shown_error("date_of_birth") == (
        "Under 18 on the admission date (05/01/2026): they turn 18 on 01/06/2027. "
        "Only people aged 18 or over on the date of admission can be admitted.")
    assert not d.save_button.isEnabled() and d.result() != AdmitDialog.DialogCode.Accepted


def test_planned_weeks_stay_within_12_to_26(qtbot, ctx, accepted) -> None:  # type: ignore[no-untyped-def]
    d = AdmitDialog(None, ctx, accepted)
    qtbot.addWidget(d)
    weeks = d.binder.fields["planned_weeks"].editor
    weeks.setValue(40)
    assert weeks.value() == 26
    weeks.setValue(3)
    assert weeks.value() == 12


def test_nothing_is_half_saved_when_the_core_refuses(qtbot, ctx, accepted) -> None:  # type: ignore[no-untyped-def]
    d = AdmitDialog(None, ctx, accepted)
    qtbot.addWidget(d)
    d.confirm_unsaved = lambda _w: Unsaved.DISCARD
    f = d.binder.fields
    f["setting"].editor.set_value("24h_residential")
    f["strand"].editor.set_value("level_1")
    d.key_worker.set_choices([("not-an-account", "Ghost"), *[(d.key_worker.itemData(i), d.key_worker.itemText(i))
                                                               for i in range(1, d.key_worker.count())]])
    d.key_worker.set_value("not-an-account")
    d.save()
    assert d.result_value is None and d.result() != d.DialogCode.Accepted.value
    assert "key worker" in d.binder.shown_error("key_worker_id").lower()
    assert ctx.book.referrals.get(accepted.id).status == "accepted"
    assert ctx.book.residents.find_by_reference("R-00001") is None


def test_a_preset_choice_alone_closes_without_asking(qtbot, ctx) -> None:  # type: ignore[no-untyped-def]
    d = DecisionDialog(None, ctx, record(ctx.book))
    qtbot.addWidget(d)
    d.show()
    d.choice.set_value("decline")  # as the inbox's Decline button does
    d.confirm_unsaved = lambda _w: pytest.fail("nothing typed yet")
    d.reject()
    assert not d.isVisible()


def test_admit_a_returning_resident_by_reference(qtbot, ctx, accepted) -> None:  # type: ignore[no-untyped-def]
    from tests.ui.test_resident_window import admit_resident

    first = admit_resident(ctx.book)  # R-00001, still admitted
    d = AdmitDialog(None, ctx, accepted)
    qtbot.addWidget(d)
    f = d.binder.fields
    f["setting"].editor.set_value("24h_residential")
    f["strand"].editor.set_value("level_1")
    qtbot.keyClicks(d.returning, "R-1x")
    assert "looks like R-00042" in d.binder.shown_error("returning_reference")
    d.returning.setText("R-00001")
    assert all(box.isHidden() for box in d.resident_boxes)
    assert d.binder.is_valid()
    d.save()  # the core refuses: that resident is still admitted, and nothing changes
    assert d.result_value is None
    assert "already admitted" in d.form_error.text()
    assert ctx.book.residents.get(first).reference == "R-00001"
    assert ctx.book.referrals.get(accepted.id).status == "accepted"
    d.returning.setText("R-00099")
    d.save()
    assert "No resident has the reference" in d.binder.shown_error("returning_reference")
    d.returning.clear()
    assert not any(box.isHidden() for box in d.resident_boxes)
