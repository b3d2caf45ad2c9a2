"""SIGKILL during the unplanned-discharge save (issue 13): after reopening, the unit holds either
the whole discharge (the row, the stay ended, both documents, the four outbox items and the audit
entries) or none of it; SQLite's integrity check and the audit chain pass. The writer is a real
process signed in as night staff, killed in the middle of its transaction (after some outbox items
are written) or just after its commit."""
from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.db.caseload import Admission
from keyworker.db.discharges import Discharge
from keyworker.db.documents import Document
from keyworker.db.foundation import AuditEntry
from keyworker.db.outbox import OutboxItem
from tests.conftest import STAFF_PW, open_as
from tests.unit.test_unplanned_discharge import admitted, with_risk_and_medication

ROOT = Path(__file__).resolve().parents[2]

WRITER = r"""
import os, sys, time
from datetime import datetime
from pathlib import Path
from keyworker.casebook import Casebook
from keyworker.clock import FixedClock, LONDON
from keyworker.discharges import UnplannedDischargeInput
from keyworker.outbox import queue
from keyworker.security.vault import FAST_KDF

mode, resident_id = sys.argv[2], sys.argv[3]
book = Casebook.open(Path(sys.argv[1]), "nights", os.environ["KEYWORKER_PASSWORD"], kdf=FAST_KDF,
                     clock=FixedClock(datetime(2026, 1, 5, 15, 0)))
real = queue.enqueue_document
sent = []

def slow(*a, **k):
    item = real(*a, **k)
    sent.append(item)
    if mode == "mid" and len(sent) == 3:
        a[1].flush()
        print("mid", flush=True)  # three items written inside the open transaction
        time.sleep(120)
    return item

queue.enqueue_document = slow
print("ready", flush=True)
d = book.discharges.record_unplanned(UnplannedDischargeInput(
    resident_id, "absconded", datetime(2026, 1, 5, 14, 0, tzinfo=LONDON), "Went over the back fence."))
print("committed", d.id, flush=True)
time.sleep(120)
"""


def _run_and_kill(db_path: Path, tmp_path: Path, mode: str, resident_id: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYWORKER_")}
    env.update(KEYWORKER_PASSWORD=STAFF_PW, KEYWORKER_DEVICE_ID="0196a000-0000-7000-8000-0000000000e2",
               HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(db_path), mode, resident_id], env=env,
                            cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    wanted = "mid" if mode == "mid" else "committed"
    seen = ""
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            if not sel.select(timeout=max(deadline - time.monotonic(), 0.01)):
                continue
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith(wanted):
                seen = line.strip()
                break
        os.kill(proc.pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    assert seen, f"the writer never got there: {err[-2000:]}"
    assert proc.returncode == -signal.SIGKILL
    return seen


def _counts(book: Casebook, resident_id: str, admission_id: str) -> dict[str, object]:
    with book._read() as s:
        def n(model: type, *where: object) -> int:
            return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]

        adm = s.get(Admission, admission_id)
        assert adm is not None
        return {
            "discharges": n(Discharge, Discharge.resident_id == resident_id),
            "documents": n(Document, Document.resident_id == resident_id,
                           Document.kind.in_(("unplanned_discharge_summary", "risk_analysis"))),
            "items": n(OutboxItem, OutboxItem.resident_id == resident_id),
            "audited": n(AuditEntry, AuditEntry.action == "discharge.record_unplanned"),
            "ended": adm.discharged_on is not None,
        }


@pytest.mark.parametrize("mode", ["mid", "after"])
def test_sigkill_during_the_save_leaves_all_or_nothing(db_path: Path, tmp_path: Path, mode: str) -> None:
    clock = FixedClock(datetime(2026, 1, 5, 15, 0))
    manager = open_as(db_path, "manager", clock)
    try:
        resident_id, admission_id = admitted(manager)
        with_risk_and_medication(manager, resident_id, admission_id)
    finally:
        manager.close()
    _run_and_kill(db_path, tmp_path, mode, resident_id)
    book = open_as(db_path, "manager", clock)
    try:
        got = _counts(book, resident_id, admission_id)
        if mode == "mid":
            assert got == {"discharges": 0, "documents": 0, "items": 0, "audited": 0, "ended": False}
        else:
            assert got == {"discharges": 1, "documents": 2, "items": 4, "audited": 1, "ended": True}
        report = book.check()
        assert report["ok"], report
        assert report["discharges_awaiting_senior"] == (1 if mode == "after" else 0)
    finally:
        book.close()
