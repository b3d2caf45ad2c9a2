"""The audit viewer on a long trail (keyworker/security/audit_viewer.py): the first page with its
count and the next page, unfiltered and with each filter, on a unit with 300,000 audit entries
(inserted in bulk: the query's cost does not depend on the hashes). Run by hand:
python benchmarks/bench_audit_viewer.py [entries]"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from benchmarks.common import timed  # noqa: E402
from keyworker.casebook import Casebook  # noqa: E402
from keyworker.security.audit_viewer import AuditFilter  # noqa: E402
from keyworker.security.vault import FAST_KDF  # noqa: E402

ACTIONS = ("resident.view", "care_plan.view", "sign_in", "lock", "unlock", "review.record", "referral.view")


def fill(book: Casebook, n: int) -> str:
    """n entries over two years by 40 people, one of them rare."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    actors = [f"0196a000-0000-7000-8000-{i:012d}" for i in range(40)]
    rare = "0196a000-0000-7000-8000-999999999999"
    with book._write() as s:
        first = int(s.execute(text("SELECT max(seq) FROM audit_log")).scalar() or 0) + 1
        rows = []
        for i in range(n):
            seq = first + i
            rows.append({"seq": seq, "at": (start + timedelta(minutes=3 * i)).replace(tzinfo=None),
                         "actor": rare if i % 10_000 == 7 else actors[i % 40], "name": "bench", "dev": book.device_id,
                         "action": ACTIONS[i % len(ACTIONS)], "entity": "resident",
                         "rid": f"r-{i % 5000}", "detail": json.dumps({}),
                         "prev": "0" * 64, "hash": "0" * 64})
        s.execute(text("INSERT INTO audit_log (seq, at, actor_id, actor_name, device_id, action, entity, entity_id, "
                       "resident_id, detail, prev_hash, hash) VALUES (:seq, :at, :actor, :name, :dev, :action, "
                       ":entity, NULL, :rid, :detail, :prev, :hash)"), rows)
    return rare


def main(n: int = 300_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        book, _ = Casebook.create(Path(tmp) / "unit.kwdb", admin_username="admin", admin_full_name="Ada Admin",
                                  password="Quiet-Harbour-Lamp-42", kdf=FAST_KDF)
        rare = fill(book, n)
        cases = {
            "everything": AuditFilter(),
            "one person (rare)": AuditFilter(actor_id=rare),
            "one action": AuditFilter(actions=("review.record",)),
            "one week": AuditFilter(date_from=date(2025, 6, 2), date_to=date(2025, 6, 8)),
        }
        print(f"{n:,} audit entries; median / max of 5, ms")
        for name, where in cases.items():
            first, page = timed(lambda w=where: book.audit.search(w), 5)
            before = page.lines[-1].seq if page.lines else None
            nxt, _ = timed(lambda w=where, b=before: book.audit.search(w, before=b), 5)
            print(f"  {name:<30} first page + count {statistics.median(first):7.1f} / {max(first):7.1f}"
                  f"   next page {statistics.median(nxt):7.1f} / {max(nxt):7.1f}   ({page.total:,} match)")
        book.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300_000)
