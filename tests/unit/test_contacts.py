"""The contacts log and sharing the care plan: the resident's consents decide who may be
contacted (refused without consent with the reason, allowed with it), a safeguarding contact is
the exception and needs a reason, corrections supersede, and a shared plan records its
recipients for the care plan tab."""
from __future__ import annotations

from datetime import date

import pytest

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.contacts import ContactInput
from keyworker.errors import PermissionDenied, ValidationError
from keyworker.sharing import ShareRecipient
from tests.fixtures.caseload import last_audit
from tests.unit import care_helpers


def _consent(book: Casebook, rid: str, kind: str, given: bool = True, parties: tuple[str, ...] = ()) -> None:
    book.residents.record_consent(rid, kind, given, parties=list(parties), recorded_on=date(2026, 1, 5), notes=None)


def _call(rid: str, kind: str = "family", name: str = "Ann Whitfield (mother)", **kw) -> ContactInput:  # type: ignore[no-untyped-def]
    return ContactInput(rid, kind, name, "phone", "Told her Dana has settled.", **kw)


def test_a_contact_with_family_is_refused_without_consent_and_allowed_with_it(
        manager_book: Casebook, book_factory) -> None:  # type: ignore[no-untyped-def]
    rid, _ = care_helpers.admit(manager_book, given="Dana")
    nights = book_factory("nights")
    with pytest.raises(ValidationError) as e:
        nights.contacts.log(_call(rid))
    assert e.value.fields == {"party_kind": "Dana has not consented to contact with family: see Consents."}
    assert nights.contacts.check_consent(rid, "family") == "Dana has not consented to contact with family: see Consents."
    _consent(manager_book, rid, "contact_next_of_kin", given=False)
    with pytest.raises(ValidationError, match="not consented"):
        nights.contacts.log(_call(rid))
    _consent(manager_book, rid, "contact_next_of_kin")
    x = nights.contacts.log(_call(rid))
    assert (x.title, x.logged_by_name) == ("Phone call with family: Ann Whitfield (mother)", "Nico Nights")
    assert last_audit(nights)[0] == ("contact.log", {"party_kind": "family", "method": "phone", "safeguarding": False})
    assert nights.contacts.check_consent(rid, "family") == ""


def test_services_need_information_sharing_naming_them(manager_book: Casebook) -> None:
    rid, _ = care_helpers.admit(manager_book, given="Dana")
    _consent(manager_book, rid, "information_sharing", parties=("GP practice", "Community Treatment Provider"))
    assert manager_book.contacts.log(_call(rid, "gp", "Dr Shah")).party_kind == "gp"
    assert manager_book.contacts.log(_call(rid, "Community Treatment Provider", "Inspire Preston")).party_kind == "ctp"
    with pytest.raises(ValidationError) as e:
        manager_book.contacts.log(_call(rid, "referrer", "Priya Shah"))
    assert e.value.fields["party_kind"] == ("Dana has not consented to sharing information with the referrer "
                                            "(Priya Shah): see Consents.")
    with pytest.raises(ValidationError, match="other agencies"):
        manager_book.contacts.log(_call(rid, "agency", "Preston Housing"))
    _consent(manager_book, rid, "information_sharing", parties=("Preston Housing", "Referring social worker"))
    assert manager_book.contacts.log(_call(rid, "agency", "Preston Housing Team")).with_name == "Preston Housing Team"
    assert manager_book.contacts.log(_call(rid, "referrer", "Priya Shah")).party_kind == "referrer"


def test_a_safeguarding_contact_is_the_recorded_exception_and_needs_a_reason(manager_book: Casebook) -> None:
    rid, _ = care_helpers.admit(manager_book, given="Dana")
    with pytest.raises(ValidationError) as e:
        manager_book.contacts.log(_call(rid, "agency", "Children's social care", safeguarding=True))
    assert set(e.value.fields) == {"safeguarding_reason"}
    x = manager_book.contacts.log(_call(rid, "agency", "Children's social care", safeguarding=True,
                                        safeguarding_reason="Disclosure about her children at home"))
    assert x.safeguarding and x.title.endswith("(safeguarding)")
    assert last_audit(manager_book)[0][1]["safeguarding"] is True
    entry = manager_book.notes.timeline(rid, kinds=("contact",))[0]
    assert "Disclosure about her children" in entry.text


def test_a_contact_correction_supersedes_and_keeps_the_original(manager_book: Casebook) -> None:
    rid, _ = care_helpers.admit(manager_book)
    _consent(manager_book, rid, "contact_next_of_kin")
    x = manager_book.contacts.log(_call(rid))
    fixed = manager_book.contacts.correct(x.id, ContactInput(rid, "family", "Ann Whitfield (mother)", "visit",
                                                             "Visited for an hour."), "It was a visit, not a call")
    assert [v.method for v in manager_book.contacts.history(x.id)] == ["phone", "visit"]
    entries = {e.record_id: e for e in manager_book.notes.timeline(rid, kinds=("contact",))}
    assert entries[x.id].superseded and entries[x.id].correction == "It was a visit, not a call"
    assert not entries[fixed.id].superseded
    assert [e.record_id for e in manager_book.notes.timeline(rid, search="visited")] == [fixed.id]


def _agreed_plan(book: Casebook) -> tuple[str, str, str]:
    rid, aid = care_helpers.admit(book, given="Dana")
    view = book.care_plans.save_draft(aid, care_helpers.full_content())
    care_helpers.assess_risk(book, aid)
    done = book.care_plans.mark_complete(view.plan_id or "")
    assert done.version is not None and done.plan_id is not None
    return rid, done.plan_id, done.version.id


def test_sharing_the_plan_waits_for_agreement_and_checks_consent(manager_book: Casebook, book_factory,
                                                                 clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    rid, plan_id, version_id = _agreed_plan(manager_book)
    ctp = ShareRecipient("ctp", "Inspire Preston")
    with pytest.raises(ValidationError, match="agreed"):
        manager_book.sharing.record(version_id, [ctp])
    manager_book.care_plans.record_agreement(plan_id, date(2026, 1, 5), "signed_paper")
    with pytest.raises(ValidationError) as e:
        manager_book.sharing.record(version_id, [ctp])
    assert "Dana has not consented to sharing information with the Community Treatment Provider" in \
        e.value.fields["recipients.1.party_kind"]
    _consent(manager_book, rid, "information_sharing", parties=("Community Treatment Provider", "GP practice"))
    shared = manager_book.sharing.record(version_id, [ctp, ShareRecipient("GP", "Fishergate Surgery")])
    assert [s.text for s in shared] == [
        "Shared with Inspire Preston (Community Treatment Provider) on 05/01/2026",
        "Shared with Fishergate Surgery (GP) on 05/01/2026"]
    assert all(x.queued for x in shared)  # each recipient has its outbox item
    assert last_audit(manager_book)[0] == ("care_plan.share", {"version": 1, "recipients": [
        "Community Treatment Provider", "GP"]})
    assert [s.name for s in book_factory("nights").sharing.for_plan(plan_id)] == ["Inspire Preston",
                                                                                  "Fishergate Surgery"]
    with pytest.raises(PermissionDenied):
        book_factory("nights").sharing.record(version_id, [ctp])
