"""One demo build in progress: the random stream, the demo's today, the staff who make the records,
and the rows waiting to go in. Rows are bulk-inserted (Core executemany) in a few large
transactions; because the data are synthetic, each batch writes ONE summary audit entry
("demo.populate") instead of one entry per row. Real data always goes through the services."""
from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from keyworker.clock import LONDON
from keyworker.demo.history import History
from keyworker.db.caseload import Admission, Consent, MedicationEvent, Referral, Resident
from keyworker.db.documents import Document
from keyworker.imports.bulk import AuditItem, append_audit, insert_rows
from keyworker.outbox.queue import Recipient, enqueue

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

BATCH = 2000
YEARS = 4  # how far back the demo unit's history goes (the plain demo's; `years` overrides it)
# With `years` (the benchmark unit): the populators in order and their share of the build time,
# for one progress bar over the whole build (DemoRun.tick). Measured at 20,000 residents / 5 years.
PHASES = {"people": 3, "referrals": 1, "risk": 8, "care_plans": 13, "incidents": 1, "key_work": 12,
          "notes": 4, "outcomes": 10, "discharges": 11, "activity": 37}


def received_at(rng: random.Random, day: date) -> datetime:
    return datetime.combine(day, time(rng.randint(8, 18), rng.choice((0, 15, 30, 45))), LONDON)


def plan_json(content: dict[str, Any]) -> str:
    """A care plan version's content, compact, as the care plan service stores it."""
    return json.dumps(content, ensure_ascii=False, separators=(",", ":"))


@dataclass
class DemoRun:
    """What every area populator gets: `n` residents to make from `seed`, and the shared batch."""

    book: Casebook
    n: int
    seed: int
    rng: random.Random
    today: date
    workers: list[str]
    history: History
    unit_name: str = ""
    progress: Callable[[int, int], None] | None = None
    # None: the plain demo (`main.py demo`, four years, as it always was). A number: a unit with
    # that many years of history, as a benchmark needs (returning residents, full-length stays,
    # sign-ins and record views in the audit trail; keyworker/demo/activity.py).
    years: int | None = None
    phase: str = ""
    _shown: int = -1
    residents: list[dict[str, Any]] = field(default_factory=list)
    admissions: list[dict[str, Any]] = field(default_factory=list)
    referrals: list[dict[str, Any]] = field(default_factory=list)
    meds: list[dict[str, Any]] = field(default_factory=list)
    consents: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    # Documents (rows in `documents`) that also wait in the outbox: (document row, recipient). The
    # demo configures no destination, so they wait visibly as "no destination set".
    outbox: list[tuple[dict[str, Any], Recipient]] = field(default_factory=list)

    @property
    def start(self) -> date:
        return self.today - timedelta(days=365 * (self.years or YEARS))

    @property
    def long_history(self) -> bool:
        return self.years is not None

    def tick(self, done: int, total: int, phase: str | None = None) -> None:
        """With `years`: report the whole build's progress, `done` of `total` through the current
        phase (PHASES), as (thousandths done, 1000), only when it moves."""
        if self.years is None or self.progress is None:
            return
        phase = phase or self.phase
        names = list(PHASES)
        before = sum(PHASES[p] for p in names[:names.index(phase)]) if phase in PHASES else 0
        share = PHASES.get(phase, 0) * min(1.0, done / total if total else 1.0)
        shown = min(999, int(1000 * (before + share) / sum(PHASES.values())))
        if shown > self._shown:
            self._shown = shown
            self.progress(shown, 1000)

    def at(self, day: date, hour: int = 10) -> datetime:
        return datetime.combine(day, time(hour), LONDON)

    def reset(self) -> None:
        for rows in (self.residents, self.admissions, self.referrals, self.meds, self.consents, self.documents):
            rows.clear()
        self.outbox.clear()

    def flush(self, label: str, done: int) -> None:
        book = self.book
        with book._write() as s:
            insert_rows(s, Resident, self.residents)
            insert_rows(s, Referral, self.referrals)
            insert_rows(s, Admission, self.admissions)
            insert_rows(s, MedicationEvent, self.meds)
            insert_rows(s, Consent, self.consents)
            insert_rows(s, Document, self.documents)
            for doc, recipient in self.outbox:  # through the real enqueue, in the same transaction
                safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in doc["title"])[:80].strip("-")
                enqueue(book, s, kind=doc["kind"], title=doc["title"], payload=doc["content"],
                        filename=f"{safe or doc['kind']}.pdf", mime_type=doc["mime_type"],
                        resident_id=doc.get("resident_id"), referral_id=doc.get("referral_id"),
                        document_id=doc["id"], recipient=recipient)
            # Synthetic data: one summary audit entry per batch (see the module docstring).
            append_audit(
                s,
                book,
                [
                    AuditItem(
                        "demo.populate",
                        "unit",
                        None,
                        None,
                        {
                            "batch": label,
                            "residents": len(self.residents),
                            "referrals": len(self.referrals),
                            "admissions": len(self.admissions),
                            "medication_events": len(self.meds),
                            "consents": len(self.consents),
                            "documents": len(self.documents),
                            "outbox_items": len(self.outbox),
                            "done": done,
                        },
                    )
                ],
            )
        self.reset()
