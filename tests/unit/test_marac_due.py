"""`book.safeguarding.marac_due(scope)`: the residents Today lists under "MARAC referrals due" — a
high checklist or potential escalation with no MARAC referral since — mine or the whole unit's."""
from __future__ import annotations

import pytest

from keyworker.casebook import Casebook
from keyworker.errors import ValidationError
from keyworker.incidents import IncidentInput
from keyworker.safeguarding import ChecklistInput, SafeguardingReferralInput
from tests.fixtures.caseload import admit


def answers(yes: int) -> dict[int, str]:
    return {n: ("yes" if n <= yes else "no") for n in range(1, 25)}


def test_marac_due_lists_high_and_escalation_until_a_referral_is_recorded(
        manager_book: Casebook, worker_book: Casebook, book_factory) -> None:  # type: ignore[no-untyped-def]
    high = admit(manager_book, given_name="Hana", family_name="High")
    medium = admit(manager_book, given_name="Mo", family_name="Medium")
    esc = admit(manager_book, given_name="Esme", family_name="Escalation")
    sg = worker_book.safeguarding
    sg.record_checklist(ChecklistInput(high.id, "05/01/2026", answers(14)))
    sg.record_checklist(ChecklistInput(medium.id, "05/01/2026", answers(13)))
    for day in ("01/11/2025", "01/12/2025", "04/01/2026"):
        worker_book.incidents.record(IncidentInput(esc.id, f"{day} 21:00", "violence", "Partner at the door",
                                                   domestic_abuse=True))
    due = sg.marac_due("mine")
    assert [(d.resident_name, d.grounds) for d in due] == [("Esme Escalation", ("escalation",)),
                                                          ("Hana High", ("visible_high",))]
    assert "visible high risk (14 or more" in due[1].grounds_text
    # the admissions are the worker's; another key worker has none of their own, the senior sees the unit
    assert book_factory("worker2").safeguarding.marac_due("mine") == []
    assert len(manager_book.safeguarding.marac_due("unit")) == 2
    sg.record_referral(SafeguardingReferralInput(high.id, "marac", "05/01/2026", grounds="visible_high"))
    assert [d.resident_name for d in sg.marac_due("unit")] == ["Esme Escalation"]
    with pytest.raises(ValidationError):
        sg.marac_due("everyone")


def test_marac_due_agrees_with_each_resident_s_status(manager_book: Casebook, worker_book: Casebook) -> None:
    """The bulk list and `status(resident)` give the same answer: judgement, a referral older than
    the grounds, a later checklist that is no longer high."""
    judged = admit(manager_book, given_name="Jude", family_name="Judged")
    old_ref = admit(manager_book, given_name="Olive", family_name="Older")
    lowered = admit(manager_book, given_name="Lee", family_name="Later")
    sg = worker_book.safeguarding
    sg.record_checklist(ChecklistInput(judged.id, "05/01/2026", answers(6), judgement_level="high",
                                       judgement_reason="Threats to kill"))
    sg.record_referral(SafeguardingReferralInput(old_ref.id, "marac", "01/01/2026", grounds="judgement"))
    sg.record_checklist(ChecklistInput(old_ref.id, "05/01/2026", answers(16)))
    sg.record_checklist(ChecklistInput(lowered.id, "02/01/2026", answers(15)))
    sg.record_checklist(ChecklistInput(lowered.id, "05/01/2026", answers(3)))
    due = {d.resident_id: d for d in sg.marac_due("unit")}
    for rec in (judged, old_ref, lowered):
        st = sg.status(rec.id)
        assert (rec.id in due) == st.marac_due
        if st.marac_due:
            assert due[rec.id].grounds == st.marac_grounds
    assert due[judged.id].grounds == ("judgement",) and old_ref.id in due and lowered.id not in due


def test_the_safeguarding_overview_is_one_audited_read(worker_book: Casebook, manager_book: Casebook) -> None:
    from tests.fixtures.caseload import last_audit

    rec = admit(manager_book)
    x = worker_book.incidents.record(IncidentInput(rec.id, "05/01/2026 08:00", "other", "Alarm"))
    c = worker_book.safeguarding.record_checklist(ChecklistInput(rec.id, "05/01/2026", answers(14)))
    o = worker_book.safeguarding.overview(rec.id)
    assert [i.id for i in o.incidents] == [x.id] and [k.id for k in o.checklists] == [c.id]
    assert o.status.marac_due and o.referrals == ()
    # one entry for the whole read; the one before it is the checklist's risk prompt
    assert last_audit(worker_book, 2) == [("safeguarding.view", {"part": "overview"}),
                                          ("risk.prompt", {"reason": "safeguarding"})]
