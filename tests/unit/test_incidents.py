"""Incidents: who may log them (key workers, seniors and night staff; not the administrator), the
resident's list and the unit's (seniors only) filtered by dates and type, what is checked on the
form, the audit entries, safeguarding referrals linked to the incident that raised them, and
`incidents_30d` in `check --json`."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from keyworker.casebook import Casebook
from keyworker.clock import LONDON, FixedClock
from keyworker.errors import PermissionDenied, ValidationError
from keyworker.incidents import IncidentFilter, IncidentInput
from keyworker.safeguarding import SafeguardingReferralInput
from tests.conftest import open_as
from tests.fixtures.caseload import admit, last_audit
from tests.unit.test_cli import run


def test_night_staff_log_an_incident_and_the_record_says_who_and_when(
        manager_book: Casebook, book_factory, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    rec = admit(manager_book)
    nights = book_factory("nights")
    clock.advance(hours=14)  # 23:00
    x = nights.incidents.record(IncidentInput(
        rec.id, "05/01/2026 22:40", "Relapse or use on site", "Found with foil in the bathroom",
        people_involved="Night worker; resident", actions_taken="Naloxone kit checked; observations hourly",
        police_involved=False))
    assert (x.kind, x.kind_label, x.when_text, x.recorded_by_name) == (
        "relapse", "Relapse or use on site", "05/01/2026 22:40", "Nico Nights")
    # the incident's entry, then the risk review it prompts (same transaction)
    assert [a for a in last_audit(nights, 2) if a[0] == "incident.record"] == [
        ("incident.record", {"kind": "relapse", "occurred_at": "2026-01-05T22:40:00+00:00"})]
    assert nights.incidents.get(x.id).description == "Found with foil in the bathroom"
    assert last_audit(nights)[0][0] == "incident.view"


def test_who_may_log_and_who_may_list_the_unit(manager_book: Casebook, book_factory) -> None:  # type: ignore[no-untyped-def]
    rec = admit(manager_book)
    data = IncidentInput(rec.id, "05/01/2026 08:00", "other", "Fire alarm set off by toast")
    for user in ("worker", "manager", "nights"):
        book_factory(user).incidents.record(data)
    admin = book_factory("admin")
    with pytest.raises(PermissionDenied):
        admin.incidents.record(data)
    with pytest.raises(PermissionDenied):
        admin.incidents.for_resident(rec.id)
    for user in ("worker", "nights"):
        with pytest.raises(PermissionDenied):
            book_factory(user).incidents.unit()
        assert len(book_factory(user).incidents.for_resident(rec.id)) == 3
    assert len(manager_book.incidents.unit()) == 3


def test_lists_filter_by_dates_and_type(manager_book: Casebook, worker_book: Casebook, clock: FixedClock) -> None:
    a = admit(manager_book)
    b = admit(manager_book, given_name="Alex", family_name="Brook")
    clock.set(datetime(2026, 1, 20, 12, 0, tzinfo=LONDON))
    for rid, at, kind in ((a.id, "06/01/2026 23:59", "violence"), (a.id, "07/01/2026 00:00", "self_harm"),
                          (b.id, "10/01/2026 14:00", "violence"), (b.id, "19/01/2026 09:00", "absconding")):
        worker_book.incidents.record(IncidentInput(rid, at, kind, "Recorded for the filter test"))
    inc = manager_book.incidents
    assert [r.kind for r in inc.unit()] == ["absconding", "violence", "self_harm", "violence"]
    assert [r.resident_name for r in inc.unit(IncidentFilter(kinds=("Violence or threat",)))] == [
        "Alex Brook", f"{a.given_name} {a.family_name}"]
    # both ends included, as the unit's days (London)
    assert [r.kind for r in inc.unit(IncidentFilter("07/01/2026", "10/01/2026"))] == ["violence", "self_harm"]
    assert [r.kind for r in inc.unit(IncidentFilter(date_to="06/01/2026"))] == ["violence"]
    assert last_audit(manager_book)[0] == ("incident.list", {"from": None, "to": "2026-01-06", "kinds": [], "rows": 1})
    mine = worker_book.incidents.for_resident(a.id, IncidentFilter(date_from="07/01/2026", kinds=("self_harm",)))
    assert [x.kind for x in mine] == ["self_harm"]
    assert last_audit(worker_book)[0][0] == "incident.history"
    with pytest.raises(ValidationError) as e:
        inc.unit(IncidentFilter("10/01/2026", "07/01/2026"))
    assert e.value.fields["date_to"] == "“To” must be on or after “From”."
    with pytest.raises(ValidationError) as e:
        inc.unit(IncidentFilter(kinds=("fight",)))
    assert e.value.fields["kinds"].startswith("Choose types of incident from: Relapse or use on site, ")


def test_the_form_is_checked_in_words(manager_book: Casebook, worker_book: Casebook) -> None:
    rec = admit(manager_book)
    inc = worker_book.incidents
    with pytest.raises(ValidationError) as e:
        inc.record(IncidentInput(rec.id, "06/01/2026 09:00", "brawl", "", safeguarding_referral=True))
    f = e.value.fields
    assert f["occurred_at"] == "Date and time cannot be in the future."
    assert f["kind"].startswith("Choose one of: Relapse or use on site, Violence or threat")
    assert f["description"] == "What happened is required."
    assert f["safeguarding_to"] == "Say to whom the safeguarding referral was made."
    with pytest.raises(ValidationError) as e:
        inc.record(IncidentInput(rec.id, "05/01/2026 08:00", "police", "Police called", police_reference="LC-1"))
    assert e.value.fields == {"police_involved": "Tick “Police involved” when there is a police reference."}
    x = inc.record(IncidentInput(rec.id, "05/01/2026 08:00", "police", "Police called", police_involved=True,
                                 police_reference="LC-1", safeguarding_referral=True,
                                 safeguarding_to="Lancashire adult social care", safeguarding_reference="AS-77"))
    assert (x.police_reference, x.safeguarding_to, x.safeguarding_reference) == (
        "LC-1", "Lancashire adult social care", "AS-77")


def test_a_safeguarding_referral_is_linked_to_the_incident_that_raised_it(
        manager_book: Casebook, worker_book: Casebook) -> None:
    rec = admit(manager_book)
    other = admit(manager_book, given_name="Alex", family_name="Brook")
    x = worker_book.incidents.record(IncidentInput(rec.id, "05/01/2026 08:00", "safeguarding",
                                                   "Disclosed that her children are left alone"))
    sg = worker_book.safeguarding
    with pytest.raises(ValidationError) as e:
        sg.record_referral(SafeguardingReferralInput(other.id, "children", "05/01/2026", "Children's services",
                                                     incident_id=x.id))
    assert e.value.fields == {"incident_id": "That incident is not this resident's."}
    r = sg.record_referral(SafeguardingReferralInput(rec.id, "Children's safeguarding", "05/01/2026",
                                                     "Lancashire Children's Social Care", reference="CS-2026-0042",
                                                     incident_id=x.id))
    assert (r.kind, r.incident_id, r.outcome) == ("children", x.id, None)
    done = manager_book.safeguarding.record_outcome(r.id, "Strategy meeting held; child protection plan")
    assert done.outcome == "Strategy meeting held; child protection plan"
    assert last_audit(manager_book)[0] == ("safeguarding.outcome", {"kind": "children"})
    assert [v.reference for v in book_view(manager_book, rec.id)] == ["CS-2026-0042"]


def book_view(book: Casebook, resident_id: str) -> list:  # type: ignore[type-arg]
    return book.safeguarding.referrals(resident_id)


def test_logging_an_incident_prompts_a_risk_review(manager_book: Casebook, worker_book: Casebook) -> None:
    """Through the risk area's hook (book.risk.prompt), in the incident's own transaction."""
    rec = admit(manager_book)
    assert rec.current_admission is not None
    aid = rec.current_admission.id
    before = len(worker_book.risk.needs_review(aid))
    worker_book.incidents.record(IncidentInput(rec.id, "05/01/2026 08:00", "relapse", "Used on site"))
    prompts = worker_book.risk.needs_review(aid)
    assert len(prompts) == before + 1 and prompts[-1].reason == "relapse"


def test_check_json_counts_incidents_in_the_last_30_days(tmp_path: Path, db_path: Path, manager_book: Casebook) -> None:
    rec = admit(manager_book)
    now = datetime.now(LONDON).replace(microsecond=0)
    book = open_as(db_path, "worker", FixedClock(now))
    try:
        for days in (1, 29, 31, 400):
            book.incidents.record(IncidentInput(rec.id, now - timedelta(days=days), "other", "For the count"))
    finally:
        book.close()
    manager_book.close()
    res = run(tmp_path, "check", "--json", "--db", str(db_path))
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["incidents_30d"] == 2
    text = run(tmp_path, "check", "--db", str(db_path)).stdout
    assert "Incidents in the last 30 days: 2" in text
