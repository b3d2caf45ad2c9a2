"""What anchoring the audit chain in the vault costs (keyworker/security/audit_anchor.py): one small
audited write, one anchor (vault rewrite with fsyncs, after checking the chain still holds the
mark), and so the cost per write at ANCHOR_EVERY_WRITES. Run by hand: python benchmarks/bench_audit_anchor.py"""
from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import timed  # noqa: E402
from keyworker.casebook import Casebook  # noqa: E402
from keyworker.security.audit_anchor import ANCHOR_EVERY_WRITES  # noqa: E402
from keyworker.security.vault import FAST_KDF  # noqa: E402


def main(n: int = 300) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        book, _ = Casebook.create(Path(tmp) / "unit.kwdb", admin_username="admin", admin_full_name="Ada Admin",
                                  password="Quiet-Harbour-Lamp-42", kdf=FAST_KDF)
        book._writes_since_anchor = -10**9  # time the write alone, without the periodic anchor

        def write() -> None:
            with book._write() as s:
                book._record(s, "bench.write", "unit", None, detail={"n": 1})

        def anchor() -> None:
            write()  # a new head, so the anchor really rewrites the vault
            book._anchor_chain()

        writes, _ = timed(write, n)
        both, _ = timed(anchor, n)
        book.close()
    w, a = statistics.median(writes), statistics.median(both) - statistics.median(writes)
    print(f"audited write: median {w:.2f} ms, p95 {sorted(writes)[int(n * 0.95)]:.2f} ms")
    print(f"anchor (check the mark, rewrite the vault): median {a:.2f} ms")
    for every in (1, 10, ANCHOR_EVERY_WRITES, 200):
        print(f"  anchoring every {every:>3} writes adds {a / every:.3f} ms per write ({100 * a / every / w:.1f} %)")


if __name__ == "__main__":
    main()
