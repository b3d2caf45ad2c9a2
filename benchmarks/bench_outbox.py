"""Outbox benchmark (issue 12), on a fresh unit database:

- enqueue overhead: a write that stores a 20 KB letter (a document and its audit entry), with and
  without putting it in the outbox in the same transaction (`enqueue_document`), interleaved,
  median and p95; the target is < 2 ms added;
- the delivery worker sending 1,000 small items to a loopback HTTPS receiver (uvicorn + trustme,
  run as its own process so it does not share the worker's interpreter), target < 30 s.

    .venv/bin/python benchmarks/bench_outbox.py [--items 1000] [--writes 300] [--dir /tmp/kw-bench/outbox]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import timed  # noqa: E402
from keyworker.casebook import Casebook  # noqa: E402
from keyworker.security.permissions import Role  # noqa: E402
from keyworker.security.vault import FAST_KDF  # noqa: E402

PW = "Bench-Outbox-Lantern-61"


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def enqueue_overhead(book: Casebook, writes: int) -> tuple[float, float, float, float]:
    from keyworker.outbox.queue import Recipient, enqueue_document

    letter = os.urandom(20_000)
    plain: list[float] = []
    queued: list[float] = []

    def write(with_outbox: bool, i: int) -> None:
        with book._write() as s:
            doc = book.documents._store(s, kind="decline_letter", title=f"Decline letter {i}", content=letter)
            book._record(s, "document.save", "document", doc.id, detail={"kind": "decline_letter"})
            if with_outbox:
                enqueue_document(book, s, doc, recipient=Recipient("Ms Referrer", "ref@example.org", "referrer"))

    for i in range(10):  # warm up
        write(i % 2 == 0, -i - 1)
    for i in range(writes):
        for with_outbox, out in ((False, plain), (True, queued)) if i % 2 else ((True, queued), (False, plain)):
            ms, _ = timed(lambda w=with_outbox, n=i: write(w, n))
            out.extend(ms)
    return statistics.median(plain), p95(plain), statistics.median(queued), p95(queued)


def delivery_run(book: Casebook, items: int, folder: Path) -> tuple[float, int, str]:
    from tests.fixtures.outbox_servers import TOKEN, add_destination, queue_items

    from keyworker.outbox.worker import DeliveryWorker

    receiver = subprocess.Popen([sys.executable, "-m", "tests.fixtures.outbox_servers", str(folder)], cwd=ROOT,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert receiver.stdout is not None and receiver.stdin is not None
        url, ca_file = receiver.stdout.readline().split()
        dest = add_destination(book, "https", {"url": url + "/inbox", "ca_bundle": ca_file, "timeout": 10}, TOKEN)
        queue_items(book, dest, items, prefix="bench", payload=b"%PDF-1.4 small")
        started = time.perf_counter()
        report = DeliveryWorker(book).run_once()
        seconds = time.perf_counter() - started
        receiver.stdin.close()
        said = receiver.stdout.readline().strip()
    finally:
        receiver.wait(10)
    return seconds, report.delivered, said


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=1000)
    ap.add_argument("--writes", type=int, default=300)
    ap.add_argument("--dir", type=Path, default=None)
    args = ap.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="kw-bench-outbox-"))
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    book, _ = Casebook.create(folder / "unit.kwdb", admin_username="admin", admin_full_name="Ada Admin", password=PW,
                              kdf=FAST_KDF, unit_name="Bench Unit")
    try:
        book.accounts.create("worker", "Sam Worker", Role.KEY_WORKER, PW)
        m0, p0, m1, p1 = enqueue_overhead(book, args.writes)
        print(f"write storing a 20 KB letter, {args.writes} each: without the outbox median {m0:.2f} ms, "
              f"p95 {p0:.2f} ms; with enqueue median {m1:.2f} ms, p95 {p1:.2f} ms; "
              f"added median {m1 - m0:.2f} ms, p95 {p1 - p0:.2f} ms (target < 2 ms)", flush=True)
        seconds, delivered, said = delivery_run(book, args.items, folder / "https")
        print(f"worker: {delivered} of {args.items} small items delivered to loopback HTTPS in {seconds:.1f} s "
              f"({seconds * 1000 / max(1, delivered):.1f} ms each; target < 30 s for 1,000); receiver: {said}",
              flush=True)
    finally:
        book.close()
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
