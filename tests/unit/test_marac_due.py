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
