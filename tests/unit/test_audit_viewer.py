"""The audit viewer's service (book.audit.search / export_csv) on a real unit: newest first in
words, filters by person, resident, action and the unit's days, keyset pages, the administrator
sees residents by reference only and no clinical details, and looking or exporting is audited."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.errors import PermissionDenied, ValidationError
from keyworker.security.audit_viewer import AuditFilter, action_choices
from tests.fixtures.caseload import admit, last_audit, worker_id
from tests.fixtures.reports import REASONS


@pytest.fixture
def story(book_factory, clock: FixedClock) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Tuesday 6 January: the manager admits Jane Doe, starts her on Methadone and declines Lee
    Park (risk to others); Wednesday the worker opens Jane's record; a referral for Kim Lowe waits."""
    manager = book_factory("manager")
    clock.set(datetime(2026, 1, 6, 10, 0))
    rec = admit(manager)
    manager.residents.start_medication(rec.id, {"name": "Methadone", "effective_on": "06/01/2026",
                                                "dose": "30 mg", "frequency": "once a day", "route": "oral"})
    from tests.fixtures.caseload import referral_input

    lee = manager.referrals.record(referral_input(given_name="Lee", family_name="Park"))
    manager.referrals.decline(lee.id, "risk", REASONS["risk"])
    kim = manager.referrals.record(referral_input(given_name="Kim", family_name="Lowe"))
    clock.set(datetime(2026, 1, 7, 15, 0))
    worker = book_factory("worker")
    worker.residents.get(rec.id)
    clock.set(datetime(2026, 1, 8, 9, 0))
    return {"resident": rec, "manager": manager, "worker": worker, "kim": kim}


def test_newest_first_in_words_with_full_names(story, book_factory) -> None:  # type: ignore[no-untyped-def]
    senior: Casebook = book_factory("manager")
    page = senior.audit.search(AuditFilter())
    seqs = [line.seq for line in page.lines]
    assert seqs == sorted(seqs, reverse=True)
    assert page.lines[0].what == "Signed in" and page.lines[0].who == "Morgan Manager"
    opened = next(line for line in page.lines if line.what == "Record opened")
    assert opened.who == "Sam Worker" and opened.username == "worker"
    assert opened.resident == f"Jane Doe ({story['resident'].reference})"
    declined = next(line for line in page.lines if line.what == "Referral declined")
    assert declined.details.startswith("Risk to others")  # a senior may read why
    assert declined.resident == "Lee Park (referral)"
    assert page.total == page.lines[0].seq and not page.more
    assert not any("." in line.what.split()[0] for line in page.lines)  # no "care_plan.view" on screen


def test_administrator_sees_references_only_and_no_clinical_details(story, admin_book) -> None:  # type: ignore[no-untyped-def]
    ref = story["resident"].reference
    page = admin_book.audit.search(AuditFilter())
    shown = " ".join(f"{line.what} {line.details} {line.resident}" for line in page.lines)
    for private in ("Jane", "Doe", "Methadone", "30 mg", "Kim", "Lee", "Park", "Risk"):
        assert private not in shown
    assert "Medication started" in shown and "Referral declined" in shown and ref in shown
    opened = next(line for line in page.lines if line.what == "Record opened")
    assert opened.resident == ref
    # Found by reference (also typed loosely), never by name.
    by_ref = admin_book.audit.search(AuditFilter(resident=ref.lower()))
    assert by_ref.lines and all(line.resident == ref for line in by_ref.lines)
    number = int(ref.split("-")[1])
    assert admin_book.audit.search(AuditFilter(resident=str(number))).total == by_ref.total
    by_name = admin_book.audit.search(AuditFilter(resident="Jane Doe"))
    assert by_name.lines == () and not by_name.resident_found


def test_senior_finds_a_resident_by_name_with_their_referral(story, manager_book) -> None:  # type: ignore[no-untyped-def]
    page = manager_book.audit.search(AuditFilter(resident="jane doe"))
    whats = [line.what for line in page.lines]
    assert "Record opened" in whats and "Referral recorded" in whats  # the referral before admission too
    assert "Signed in" not in whats
    kim = manager_book.audit.search(AuditFilter(resident="Kim"))
    assert [line.what for line in kim.lines] == ["Referral recorded"]
    assert kim.lines[0].resident == "Kim Lowe (referral)"


def test_filters_by_person_action_and_the_units_days(story, manager_book, admin_book) -> None:  # type: ignore[no-untyped-def]
    wid = worker_id(manager_book)
    mine = manager_book.audit.search(AuditFilter(actor_id=wid))
    assert mine.lines and {line.username for line in mine.lines} == {"worker"}
    choices = dict(action_choices())
    sign_ins = manager_book.audit.search(AuditFilter(actions=choices["Signing in and locking"]))
    assert sign_ins.lines and {line.what for line in sign_ins.lines} == {"Signed in"}
    # 7 January, London: the worker's sign-in and view only.
    day = manager_book.audit.search(AuditFilter(date_from=date(2026, 1, 7), date_to=date(2026, 1, 7)))
    assert [line.what for line in day.lines] == ["Record opened", "Signed in"]
    with pytest.raises(ValidationError) as e:
        manager_book.audit.search(AuditFilter(date_from=date(2026, 1, 8), date_to=date(2026, 1, 7)))
    assert "before the From date" in str(e.value)
    with pytest.raises(ValidationError):
        manager_book.audit.search(AuditFilter(date_from=date(1, 1, 1)))


def test_pages_by_keyset_and_only_the_first_is_audited(story, manager_book) -> None:  # type: ignore[no-untyped-def]
    first = manager_book.audit.search(AuditFilter(), limit=3)
    assert len(first.lines) == 3 and first.more and first.total is not None
    assert last_audit(manager_book)[0] == ("audit.view", {"filters": [], "rows": first.total})
    seen = list(first.lines)
    before = first.lines[-1].seq
    while True:
        page = manager_book.audit.search(AuditFilter(), before=before, limit=3)
        assert page.total is None
        seen += page.lines
        if not page.more:
            break
        before = page.lines[-1].seq
    assert [line.seq for line in seen] == list(range(first.total, 0, -1))
    assert last_audit(manager_book)[0][0] == "audit.view"  # no entry per page scrolled
    with pytest.raises(ValidationError):
        manager_book.audit.search(AuditFilter(), limit=0)


def test_what_was_typed_is_not_kept_in_the_viewers_own_entry(story, manager_book, admin_book) -> None:  # type: ignore[no-untyped-def]
    manager_book.audit.search(AuditFilter(resident="Jane Doe", date_from=date(2026, 1, 6)))
    action, detail = last_audit(manager_book)[0]
    assert action == "audit.view" and detail["filters"] == ["resident", "dates"] and "Jane" not in str(detail)
    line = admin_book.audit.search(AuditFilter(actions=("audit.view",))).lines[0]
    assert line.what == "Audit trail looked at" and "filtered by resident, dates" in line.details


def test_export_csv_of_the_filtered_entries_is_audited(story, admin_book) -> None:  # type: ignore[no-untyped-def]
    where = AuditFilter(resident=story["resident"].reference)
    expected = admin_book.audit.search(where).total
    content = admin_book.audit.export_csv(where)
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == ["Number", "When", "Who", "User name", "What", "Details", "Resident"]
    assert len(rows) - 1 == expected and all(r[6] == story["resident"].reference for r in rows[1:])
    assert "Jane" not in content.decode("utf-8-sig")
    assert last_audit(admin_book)[0] == ("audit.export", {"filters": ["resident"], "rows": expected})


def test_only_seniors_and_administrators(story, book_factory) -> None:  # type: ignore[no-untyped-def]
    for user in ("worker", "nights"):
        book = book_factory(user)
        with pytest.raises(PermissionDenied):
            book.audit.search(AuditFilter())
        with pytest.raises(PermissionDenied):
            book.audit.export_csv(AuditFilter())
