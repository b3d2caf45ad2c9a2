"""The demo unit's audit trail as it would have been written: each referral recorded by a key
worker or the manager, decided by the manager, each admission, care plan, review and medicine by
the resident's key worker, on the days and at the times of the placement, so a resident's History
tab tells the story from the referral on rather than one burst by the administrator who built
the demo. The area populators note events here; `write` appends them at the end, oldest first
(the chain's order is the order things happened)."""
from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from keyworker.db.foundation import Account
from keyworker.imports.bulk import AuditItem, append_audit

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

CHUNK = 20000  # entries per transaction


@dataclass
class History:
    now: datetime
    usernames: dict[str, str]  # account id -> user name, as audit entries name the actor
    seniors: list[str]
    key_workers: list[str]
    rng: random.Random  # its own stream: the demo's data stay the same for a seed
    items: list[AuditItem] = field(default_factory=list)

    @classmethod
    def of(cls, book: Casebook, seed: int) -> History:
        with book._read() as s:
            accounts = s.execute(select(Account.id, Account.username, Account.role)
                                 .where(Account.disabled.is_(False)).order_by(Account.username)).all()
        return cls(now=book.clock.now(), usernames={a.id: a.username for a in accounts},
                   seniors=[a.id for a in accounts if a.role == "senior"],
                   key_workers=[a.id for a in accounts if a.role == "key_worker"],
                   rng=random.Random(seed * 104729 + 11))

    def decider(self, fallback: str) -> str:
        """Who accepts and declines referrals: the manager (a senior)."""
        return self.seniors[0] if self.seniors else fallback

    def recorder(self, fallback: str) -> str:
        """Who types a referral in as it arrives: a key worker, or the manager."""
        staff = self.key_workers + self.seniors
        return self.rng.choice(staff) if staff else fallback

    def minutes(self, at: datetime, most: int = 50) -> datetime:
        return at + timedelta(minutes=self.rng.randint(0, most))

    def record(self, at: datetime, actor_id: str, action: str, entity: str, entity_id: str | None,
               resident_id: str | None = None, **detail: Any) -> None:
        if actor_id not in self.usernames:
            return  # an account the demo did not make (a test's unit): no story for it
        self.items.append(AuditItem(action, entity, entity_id, resident_id, detail or None,
                                    at=min(at, self.now), actor=(actor_id, self.usernames[actor_id])))

    def write(self, book: Casebook, between: Iterable[AuditItem] = (),
              tick: Callable[[int, int], None] | None = None) -> None:
        """Append the noted events, oldest first; `between`: more events already in time order (the
        benchmark unit's sign-ins and record views), merged in as they come, never all in memory."""
        items = sorted(self.items, key=lambda it: it.at or self.now)  # stable: same-time events keep their order
        self.items = []
        merged = heapq.merge(items, between, key=lambda it: it.at or self.now)
        first = items[0].at if items and items[0].at else self.now
        span = max(1, int((self.now - first).total_seconds()))
        while chunk := list(itertools.islice(merged, CHUNK)):
            with book._write() as s:
                append_audit(s, book, chunk)
            if tick:  # how far through the unit's years the chain has got
                tick(int(((chunk[-1].at or self.now) - first).total_seconds()), span)
