"""The printable resident summary (handover, out of hours): read in one transaction and returned as
a preview; it is filed in the resident's Documents only when printed or saved."""
from __future__ import annotations

from typing import TYPE_CHECKING

from keyworker import medication as med

if TYPE_CHECKING:
    from keyworker.casebook import Casebook
    from keyworker.documents.store import Preview
    from keyworker.residents import ResidentService


def summary_preview(service: ResidentService, book: Casebook, resident_id: str) -> Preview:
    from keyworker.documents import resident_summary
    from keyworker.residents import build_record
    from keyworker.unit_profile import read_profile

    with book._write() as s:
        r = service._load(s, resident_id)
        record = build_record(s, r, service._today())
        pdf = resident_summary.build(record, med.summary_in(s, r.id), med.consents_in(s, r.id),
                                     profile=read_profile(s), generated_at=book.clock.now())
        return book.documents._preview(s, kind="resident_summary", title=f"Resident summary ({record.reference})",
                                       content=pdf, resident_id=r.id, subject_id=r.id)
