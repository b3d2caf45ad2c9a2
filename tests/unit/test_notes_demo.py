"""The demo unit's case notes and contacts: notes across the shifts by day and night staff, last
night's handover notes still flagged, contacts of every kind only where the consents allow (and a
safeguarding exception with its reason), corrections kept, all searchable and in the History."""
from __future__ import annotations

from collections import Counter
from datetime import time

from sqlalchemy import func, select

from keyworker.casebook import Casebook
from keyworker.clock import LONDON
from keyworker.db.caseload import Admission, Consent
from keyworker.db.foundation import Account, AuditEntry
from keyworker.db.notes import CaseNote, ContactLog
from keyworker.demo import populate


def test_demo_notes_cross_the_shifts_with_flags_contacts_and_corrections(manager_book: Casebook) -> None:
    populate(manager_book, 80, seed=4)
    book = manager_book
    with book._read() as s:
        notes = s.scalars(select(CaseNote)).all()
        contacts = s.scalars(select(ContactLog)).all()
        roles = dict(s.execute(select(Account.id, Account.role)).tuples().all())
        given = {(c.resident_id, c.kind) for c in s.scalars(select(Consent).where(
            Consent.superseded_by_id.is_(None), Consent.given.is_(True)))}
        current = set(s.scalars(select(Admission.resident_id).where(Admission.discharged_on.is_(None))))
        written = s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "note.write"))
    by_role = Counter(roles[n.created_by] for n in notes)
    assert by_role["out_of_hours"] > 0 and by_role["key_worker"] > 0
    night = [n for n in notes if roles[n.created_by] == "out_of_hours"]
    assert all(n.about_at.astimezone(LONDON).time() < time(7) for n in night)
    assert written == len([n for n in notes if n.supersedes_id is None])
    assert book.check(integrity=False)["handover_flags_open"] > 0
    assert any(n.for_next_shift and n.acknowledged_at is not None for n in notes)
    corrected = [n for n in notes if n.supersedes_id]
    assert corrected and all(n.correction_reason for n in corrected)
    assert {c.party_kind for c in contacts} == {"family", "carer", "referrer", "ctp", "gp", "agency"}
    need = {"family": "contact_next_of_kin", "carer": "contact_next_of_kin"}
    for c in contacts:
        assert c.safeguarding_reason if c.safeguarding else (c.resident_id, need.get(c.party_kind,
                                                                                     "information_sharing")) in given
    some = next(n for n in notes if n.resident_id in current and n.supersedes_id is None
                and n.superseded_by_id is None)
    word = some.text.split()[-1].strip(".;:")
    assert some.id in {e.record_id for e in book.notes.timeline(some.resident_id, search=word)}
    old = corrected[0]
    entries = {e.record_id: e for e in book.notes.timeline(old.resident_id)}
    assert entries[old.supersedes_id or ""].superseded and entries[old.supersedes_id or ""].correction
