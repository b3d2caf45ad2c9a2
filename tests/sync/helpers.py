"""For the sync tests only: an in-process exchange standing in for the hub (a list that gives
each op a unit_seq in arrival order and answers a repeated push with the seq it gave), and
laptops made the way a joined laptop gets the unit: a copy of the database and its vault, opened
with a device id of its own."""
from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.security.vault import FAST_KDF, vault_path_for
from keyworker.sync.apply import PulledOp, apply_page, last_seen
from keyworker.sync.oplog import LOCAL_COLUMNS, OutgoingOp, pending_ops, record_acks, synced_tables
from tests.conftest import ADMIN_PW, STAFF_PW

DEVICES = {"A": "0196a000-0000-7000-8000-00000000000a", "B": "0196a000-0000-7000-8000-00000000000b",
           "C": "0196a000-0000-7000-8000-00000000000c"}


@dataclass
class Exchange:
    ops: list[PulledOp] = field(default_factory=list)
    by_device: dict[tuple[str, int], int] = field(default_factory=dict)

    def push(self, outgoing: list[OutgoingOp]) -> list[tuple[str, int]]:
        acks = []
        for o in outgoing:
            key = (o.device_id, o.device_seq)
            if key not in self.by_device:
                seq = len(self.ops) + 1
                self.ops.append(PulledOp(seq, o.op_id, o.device_id, o.device_seq, o.entity_type, o.entity_id,
                                         o.base_seq, o.created_at, o.payload))
                self.by_device[key] = seq
            acks.append((o.op_id, self.by_device[key]))
        return acks

    def pull(self, after: int, limit: int) -> list[PulledOp]:
        return self.ops[after:after + limit]


def push(book: Casebook, ex: Exchange, *, record: bool = True) -> int:
    with book._write() as s:
        out = pending_ops(s, 10_000)
    acks = ex.push(out)
    if record:
        with book._write() as s:
            record_acks(s, acks)
    return len(out)


def pull(book: Casebook, ex: Exchange, *, page: int = 25) -> list[Any]:
    results = []
    while True:
        with book._write() as s:
            ops = ex.pull(last_seen(s), page)
            if not ops:
                return results
            results.append(apply_page(s, ops))


def sync(book: Casebook, ex: Exchange) -> None:
    push(book, ex)
    pull(book, ex)


def open_laptop(path: Path, name: str, clock: FixedClock, username: str = "admin") -> Casebook:
    return Casebook.open(path, username, ADMIN_PW if username == "admin" else STAFF_PW, clock=clock,
                         kdf=FAST_KDF, device_id=DEVICES[name])


def copy_unit(src: Path, dest: Path) -> Path:
    """A joined laptop's copy: the database (closed, so the WAL is in it) and its vault."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, dest)
    shutil.copy(vault_path_for(src), vault_path_for(dest))
    return dest


def digest(book: Casebook) -> dict[str, str]:
    """A hash of every synchronised table (the columns that move), and of the conflicts."""
    out = {}
    with book._read() as s:
        for t in synced_tables():
            skip = set(LOCAL_COLUMNS.get(t.name, ())) | ({"updated_at"} if t.name in LOCAL_COLUMNS else set())
            cols = [c for c in t.columns if c.name not in skip]
            h = hashlib.sha256()
            for row in s.execute(select(*cols).order_by(*t.primary_key.columns)).all():
                h.update(repr(tuple(row)).encode())
            out[t.name] = h.hexdigest()
        h = hashlib.sha256()
        for row in s.execute(text("SELECT id, kind, entity_type, entity_id, field, op_a, op_b, record_a, record_b, "
                                  "value_a, value_b, by_a, by_b, at_a, at_b FROM sync_conflicts ORDER BY id")).all():
            h.update(repr(tuple(row)).encode())
        out["sync_conflicts"] = h.hexdigest()
    return out
