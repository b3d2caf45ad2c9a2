"""Applying a pull (docs/SYNC.md, "Applying a pull, and conflicts"). Every laptop applies the
same ops in the same unit_seq order by the same rules, so they converge: the same rows and the
same conflict records (ids are UUIDv5 of the op ids).

`apply_page(session, ops)` applies one page and advances `last_seen` in the caller's
transaction (one `book._write()`), writes one summary audit entry for the page, and makes no
op of its own: rows are written with Core statements, and the op-log listener is off.

The rules, per op:
1. Own op (or an op already in this laptop's op-log, as a copied unit has): mark it
   acknowledged, note its unit_seq, and move the heads of the fields it wrote.
2. Insert of an unknown id: insert the row. A resident first meets the probable-duplicate check
   (same normalised name and date of birth as another live resident: a `duplicate` conflict) and
   the reference check (the same R-number as another resident: the later one in hub order is
   given a number derived from its op id, the same on every laptop, and a `duplicate` conflict
   on "reference" says so). A version row on the same parent as another version is a `fork`.
   An insert of a row already here is taken as an update on base 0.
3. Update: per field, a conflict when the field's head (the last op in hub order that wrote it)
   is after the op's base, from another device, with another value. The op's value stands.
4. Unpushed local edits win locally: a field this laptop has an own op on that is not yet met in
   hub order is not written. The conflict is recorded (its id is derived from the local op, and
   it is kept up to date while the local op is open), as every other laptop will when the
   local op arrives there.
5. Versioned records: see 2 (fork). Both versions are kept.
6. Append-only records are plain inserts; they never conflict.
7. One row per stay (a care plan, a risk assessment, a stay-ending discharge, a discharge plan)
   started on two laptops: the later in hub order becomes an alias of the earlier (`_clash`;
   `sync_aliases`), every later op naming it is applied to the earlier, its first versions are a
   fork (2), two discharges or plans a `twice` conflict keeping the later's fields. The laptop
   that wrote the later folds it into the earlier when that arrives (`_fold`).

A payload that does not open, or a row that cannot be written (another unique key, or a missing
parent row), puts the op in `sync_quarantine` with the reason: never applied, never silently skipped.
"""
from __future__ import annotations

import os
import re
import unicodedata
import uuid
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dataclasses import replace

from sqlalchemy import Table, delete, insert, select, text, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from keyworker.db.base import Base
from keyworker.db.foundation import Account
from keyworker.db.sync import ALIASES_T, CONFLICTS_T, HEADS_T, OPS_T, QUARANTINE_T, STATE_T
from keyworker.security import audit as audit_chain
from keyworker.sync import codec
from keyworker.sync.keys import Keyring, PayloadUnreadable, epoch_of
from keyworker.sync.oplog import APPLYING, CHILD_TABLES, KEYRING, LOCAL_TABLES, VAULT_SLOTS, resolve_bases

NAMESPACE = uuid.UUID("0196a000-5e1c-5000-8000-000000000017")
ALL_FIELDS = "*"  # the head an insert leaves: every field, its value the row's
NO_CONFLICT = frozenset({"updated_at", "search_text"})  # stamps and derived columns: later stands
VERSIONED: dict[str, tuple[str, str]] = {  # version table -> (parent column, parent table)
    "care_plan_versions": ("plan_id", "care_plans"),
    "risk_assessment_versions": ("assessment_id", "risk_assessments"),
}
RESIDENTS = "residents"
# One row per stay, started on two laptops offline: the later in hub order becomes an alias of the
# earlier (`_clash`). Parent table -> its version table.
ONE_PER_STAY: dict[str, str | None] = {
    "care_plans": "care_plan_versions", "risk_assessments": "risk_assessment_versions",
    # Not versioned: the later is kept readable in a `twice` conflict (its insert's fields in
    # value_b) and a senior keeps one or the other (keyworker/sync/service.py).
    "discharges": None, "discharge_plans": None}
# A discharge clashes only with another that ends the stay (ux_discharges_one_per_stay); freezes do not.
STAY_ENDING: dict[str, str] = {"discharges": "ends_stay"}
# Fields a new version sets on its plan or assessment. An update that names an alias does not write
# them: the earlier row's current version stands until a senior chooses or merges the fork.
FROM_VERSION: dict[str, frozenset[str]] = {
    "care_plans": frozenset({"current_version_id"}),
    "risk_assessments": frozenset({"current_version_id", "overall_level", "review_on"})}


@dataclass(frozen=True)
class PulledOp:
    """An op as the hub hands it out, in unit_seq order."""

    unit_seq: int
    op_id: str
    device_id: str
    device_seq: int
    entity_type: str
    entity_id: str
    base_seq: int | None
    created_at: datetime
    payload: bytes  # sealed; it names its key epoch and holds the kind (keyworker/sync/keys.py)


@dataclass(frozen=True)
class ApplyResult:
    applied: int = 0
    acknowledged: int = 0
    skipped: int = 0  # already applied (a page repeated, an op twice in a pull)
    quarantined: int = 0
    conflicts: tuple[str, ...] = ()  # ids recorded or brought up to date in this page
    last_seen: int = 0


@dataclass(frozen=True)
class ConflictView:
    id: str
    kind: str
    entity_type: str
    entity_id: str
    field: str | None
    op_a: str
    op_b: str
    record_a: str | None
    record_b: str | None
    value_a: Any
    value_b: Any
    by_a: str | None
    by_b: str | None
    at_a: datetime | None
    at_b: datetime | None
    resolved: bool


@dataclass
class _Local:
    """An own op not yet met in hub order, opened: the fields it wrote."""

    device_seq: int
    op_id: str
    actor: str | None
    at: datetime
    fields: dict[str, Any]


@dataclass
class _Page:
    session: Session
    me: str
    keyring: Keyring
    pending: dict[tuple[str, str], list[_Local]]
    conflicts: list[str] = field(default_factory=list)
    touched: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    residents: set[str] = field(default_factory=set)
    aliases: dict[tuple[str, str], str] = field(default_factory=dict)  # (table, alias id) -> target id


# -- state ---------------------------------------------------------------------------------
def get_state(session: Session, key: str, default: str | None = None) -> str | None:
    v = session.connection().execute(select(STATE_T.c.value).where(STATE_T.c.key == key)).scalar()
    return default if v is None else v


def set_state(session: Session, key: str, value: str) -> None:
    conn = session.connection()
    t = STATE_T
    if conn.execute(update(t).where(t.c.key == key).values(value=value)).rowcount == 0:
        conn.execute(insert(t).values(key=key, value=value))


def last_seen(session: Session) -> int:
    return int(get_state(session, "last_seen", "0") or 0)


# -- reading -------------------------------------------------------------------------------
def conflicts(session: Session, *, include_resolved: bool = False, entity_id: str | None = None) -> list[ConflictView]:
    """The conflicts recorded on this laptop (field, fork, duplicate), oldest op first."""
    t = CONFLICTS_T
    q = select(t)
    if not include_resolved:
        q = q.where(t.c.resolved_at.is_(None))
    if entity_id is not None:
        q = q.where((t.c.entity_id == entity_id) | (t.c.record_a == entity_id) | (t.c.record_b == entity_id))
    rows = session.connection().execute(q.order_by(t.c.op_a, t.c.op_b, t.c.field)).all()
    return [ConflictView(r.id, r.kind, r.entity_type, r.entity_id, r.field, r.op_a, r.op_b, r.record_a, r.record_b,
                         None if r.value_a is None else codec.loads(r.value_a),
                         None if r.value_b is None else codec.loads(r.value_b),
                         r.by_a, r.by_b, r.at_a, r.at_b, r.resolved_at is not None) for r in rows]


def forked(session: Session, entity_type: str, entity_id: str) -> bool:
    """Whether a care plan or risk assessment is flagged "Two versions: choose or merge"."""
    t = CONFLICTS_T
    return session.connection().execute(select(t.c.id).where(
        t.c.kind == "fork", t.c.entity_type == entity_type, t.c.entity_id == entity_id,
        t.c.resolved_at.is_(None)).limit(1)).first() is not None


def quarantined(session: Session) -> list[tuple[int, str, str]]:
    """(unit_seq, op_id, reason) of every op held back."""
    t = QUARANTINE_T
    return [(r.unit_seq, r.op_id, r.reason)
            for r in session.connection().execute(select(t).order_by(t.c.unit_seq)).all()]


# -- applying ------------------------------------------------------------------------------
def _open(keyring: Keyring, epoch: int | None, op_id: str, etype: str, eid: str, payload: bytes) -> dict[str, Any]:
    plain = payload if epoch == 0 else keyring.open(epoch, op_id, etype, eid, payload)
    try:
        data = codec.unpack(plain)
    except (ValueError, zlib.error) as e:
        raise PayloadUnreadable("the payload is not an op") from e
    if not isinstance(data, dict) or not isinstance(data.get("f"), dict) or data.get("k") not in ("insert", "update"):
        raise PayloadUnreadable("the payload is not an op")
    return data


def _local_pending(session: Session, me: str, keyring: Keyring,
                   entities: set[tuple[str, str]]) -> dict[tuple[str, str], list[_Local]]:
    """This device's open ops on the entities the page touches (only those: after a first join
    a laptop has a whole unit of open ops, and a page must not open them all)."""
    t = OPS_T
    out: dict[tuple[str, str], list[_Local]] = defaultdict(list)
    conn = session.connection()
    # An own open op on an alias (a care plan this laptop started, folded into the earlier one) is
    # an edit of its target: looked up with it, without its insert and its FROM_VERSION fields.
    aliased: dict[tuple[str, str], str] = {}
    targets = sorted({eid for et, eid in entities if et in ONE_PER_STAY})
    for i in range(0, len(targets), 500):
        for a in conn.execute(select(ALIASES_T).where(ALIASES_T.c.target_id.in_(targets[i:i + 500]))).all():
            if (a.entity_type, a.target_id) in entities:
                aliased[(a.entity_type, a.alias_id)] = a.target_id
    ids = sorted({eid for _, eid in entities} | {eid for _, eid in aliased})
    r_aliases = {(a.entity_type, a.alias_id): a.target_id for a in conn.execute(select(ALIASES_T)).all()}
    for i in range(0, len(ids), 500):
        for r in conn.execute(select(t).where(t.c.entity_id.in_(ids[i:i + 500]), t.c.device_id == me,
                                              t.c.acknowledged == False).order_by(t.c.device_seq)).all():  # noqa: E712 - "= 0" uses ix_sync_ops_open
            key = (r.entity_type, r.entity_id)
            target = aliased.get(key)
            if (key not in entities and target is None) or r.entity_type in CHILD_TABLES:
                continue
            data = _open(keyring, r.key_epoch, r.op_id, r.entity_type, r.entity_id, r.payload)
            if target is not None:
                if r.kind == "insert":
                    continue
                key = (r.entity_type, target)
                data["f"] = _strip_versioned(r.entity_type, data["f"])
            out[key].append(_Local(r.device_seq, r.op_id, data.get("by"), r.created_at, data["f"]))
    for k, v in out.items():
        v.sort(key=lambda lo: lo.device_seq)
        for lo in v:
            for col, target_table in _aliased_columns(k[0]) if r_aliases else ():
                t_id = r_aliases.get((target_table, str(lo.fields.get(col))))
                if t_id is not None:
                    lo.fields = {**lo.fields, col: t_id}
    return out


def _strip_versioned(etype: str, fields: dict[str, Any]) -> dict[str, Any]:
    drop = FROM_VERSION.get(etype, frozenset())
    return {k: v for k, v in fields.items() if k not in drop}


def aliases(session: Session) -> dict[tuple[str, str], str]:
    """Every alias (a handful: only stays started on two laptops)."""
    return {(r.entity_type, r.alias_id): r.target_id
            for r in session.connection().execute(select(ALIASES_T)).all()}


def _add_alias(page: _Page, etype: str, alias_id: str, target_id: str, op_id: str) -> None:
    page.session.connection().execute(insert(ALIASES_T).prefix_with("OR IGNORE").values(
        entity_type=etype, alias_id=alias_id, target_id=target_id, op_id=op_id))
    page.aliases[(etype, alias_id)] = target_id


def _clash(page: _Page, op: PulledOp, actor: str | None, values: dict[str, Any], other_id: str,
           fields: dict[str, Any]) -> bool:
    """A care plan or risk assessment arrives for a stay that has one already (two laptops each
    started it offline). The earlier in hub order stands and the later's id becomes its alias.
    Returns True when the arriving row is the later (nothing to insert); otherwise the other is
    this laptop's own, not yet met in hub order: it is folded into the arriving row (`_fold`)."""
    other_op, other_first = _earlier(page, op.entity_type, other_id, op)
    if other_first:
        _add_alias(page, op.entity_type, op.entity_id, other_id, op.op_id)
        if ONE_PER_STAY[op.entity_type] is None:
            _twice(page, op.entity_type, (other_op, other_id), (op.op_id, op.entity_id), fields, actor, op.created_at)
        return True
    _fold(page, op, actor, values, other_id, other_op)
    return False


def _fold(page: _Page, op: PulledOp, actor: str | None, values: dict[str, Any], local_id: str,
          local_op: str) -> None:
    """This laptop's own plan (or assessment) for the stay comes later in hub order than the one
    arriving: its versions move to the arriving row, its row goes, and its id becomes an alias, as
    every other laptop will make it when its ops arrive there. Its unpushed edits (all but its
    insert and the fields a version sets) stay on screen: they are written into the arriving row
    and kept as open edits of it (rule 4)."""
    conn = page.session.connection()
    etype = op.entity_type
    table: Table = Base.metadata.tables[etype]
    key = (etype, op.entity_id)
    everything = _local_pending(page.session, page.me, page.keyring, {(etype, local_id)}).get((etype, local_id), [])
    mine = [lo for lo in everything if lo.op_id != local_op]
    if ONE_PER_STAY[etype] is None:
        r = conn.execute(select(OPS_T).where(OPS_T.c.op_id == local_op)).first()
        if r is not None:  # its insert, as every other laptop reads it from the op
            d = _open(page.keyring, r.key_epoch, r.op_id, r.entity_type, r.entity_id, r.payload)
            _twice(page, etype, (op.op_id, op.entity_id), (local_op, local_id), d["f"], d.get("by"), r.created_at)
    arrived = {k: codec.encode(v) for k, v in values.items()}
    for lo in mine:
        lo.fields = _strip_versioned(etype, lo.fields)
    for f in sorted({f for lo in mine for f in lo.fields} - NO_CONFLICT):
        # Rule 4 against the arriving row: an open edit of a field it holds otherwise conflicts
        # with it, as it does on every other laptop when the edit arrives after it.
        first = next(lo for lo in mine if f in lo.fields)
        if first.fields[f] != arrived.get(f):
            _put_conflict(page, {
                "id": _cid("field", etype, op.entity_id, f, first.op_id), "kind": "field", "entity_type": etype,
                "entity_id": op.entity_id, "field": f, "op_a": op.op_id, "op_b": first.op_id, "record_a": None,
                "record_b": None, "value_a": codec.dumps(arrived.get(f)), "value_b": codec.dumps(first.fields[f]),
                "by_a": actor, "by_b": first.actor, "at_a": op.created_at, "at_b": first.at})
    for lo in mine:
        values.update(_decoded(table, lo.fields))
    if mine:
        page.pending[key] = sorted(page.pending.get(key, []) + mine, key=lambda lo: lo.device_seq)
    page.pending.pop((etype, local_id), None)
    # The versions point at a row that is not there yet, and the stay has two rows for a moment:
    # foreign keys are checked at the end of the transaction meanwhile (all met again by then).
    conn.execute(text("PRAGMA defer_foreign_keys = ON"))
    for child, col in _refs(etype):
        conn.execute(update(child).where(child.c[col] == local_id).values({col: op.entity_id}))
    gone = delete(table).where(table.c.id == local_id)  # hard-delete-ok: folded into the earlier row, id kept as an alias
    conn.execute(gone)
    _add_alias(page, etype, local_id, op.entity_id, local_op)


_REFS: dict[str, list[tuple[Table, str]]] = {}


def _refs(etype: str) -> list[tuple[Table, str]]:
    """(table, column) of every synchronised column that points at a row of `etype` (the versions
    of a plan, the follow-ups and notifications of a discharge ...)."""
    got = _REFS.get(etype)
    if got is None:
        got = _REFS[etype] = [(t, c.name) for t in Base.metadata.sorted_tables for c in t.columns
                              if any(fk.column.table.name == etype for fk in c.foreign_keys)]
    return got


_ALIASED_COLUMNS: dict[str, list[tuple[str, str]]] = {}


def _aliased_columns(name: str) -> list[tuple[str, str]]:
    """(column, table it points at) of `name`'s columns that may name an alias."""
    got = _ALIASED_COLUMNS.get(name)
    if got is None:
        table = Base.metadata.tables[name]
        got = _ALIASED_COLUMNS[name] = [(c.name, fk.column.table.name) for c in table.columns
                                        for fk in c.foreign_keys if fk.column.table.name in ONE_PER_STAY]
    return got


def _unalias(page: _Page, name: str, values: dict[str, Any]) -> None:
    """A row (or change) that points at the later of two rows of one stay points at the earlier."""
    if not page.aliases:
        return
    for col, target_table in _aliased_columns(name):
        v = values.get(col)
        if isinstance(v, str):
            target = page.aliases.get((target_table, v))
            if target is not None:
                values[col] = target


def _twice(page: _Page, etype: str, earlier: tuple[str, str], later: tuple[str, str], later_fields: dict[str, Any],
           later_by: str | None, later_at: datetime | None) -> None:
    """Two discharges (or discharge plans) of one stay: the later's fields kept in the conflict."""
    (oa, ra), (ob, rb) = earlier, later
    _put_conflict(page, {"id": _cid("twice", *sorted((oa, ob))), "kind": "twice", "entity_type": etype,
                         "entity_id": ra, "field": None, "op_a": oa, "op_b": ob, "record_a": ra, "record_b": rb,
                         "value_a": None, "value_b": codec.dumps(later_fields), "by_a": None, "by_b": later_by,
                         "at_a": None, "at_b": later_at})


def _cid(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "|".join(parts)))


def _put_conflict(page: _Page, row: dict[str, Any]) -> None:
    conn = page.session.connection()
    t = CONFLICTS_T
    exists = conn.execute(select(t.c.id, t.c.resolved_at).where(t.c.id == row["id"])).first()
    if exists is None:
        conn.execute(insert(t).values(**row))
    elif exists.resolved_at is None:
        conn.execute(update(t).where(t.c.id == row["id"]).values(**row))
    page.conflicts.append(row["id"])


def _withdraw_conflict(page: _Page, cid: str) -> None:
    t = CONFLICTS_T
    # A local edit that now agrees with the latest pulled value is no conflict (as on every other
    # laptop, which never records one): sync bookkeeping that never moves as an op.
    gone = delete(t).where(t.c.id == cid, t.c.resolved_at.is_(None))  # hard-delete-ok: sync bookkeeping
    page.session.connection().execute(gone)


def _set_heads(page: _Page, op: PulledOp, actor: str | None, fields: dict[str, Any]) -> None:
    conn = page.session.connection()
    t = HEADS_T
    rows = [{"entity_type": op.entity_type, "entity_id": op.entity_id, "field": f, "unit_seq": op.unit_seq,
             "op_id": op.op_id, "device_id": op.device_id, "actor_id": actor, "at": op.created_at,
             "value": codec.dumps(v)} for f, v in fields.items()]
    if rows:
        conn.execute(insert(t).prefix_with("OR REPLACE"), rows)


def _insert_op_of(page: _Page, etype: str, eid: str) -> tuple[str, int | None, bool] | None:
    """(op id, unit_seq, met in hub order) of the op that inserted a row, if this laptop has it."""
    t = OPS_T
    r = page.session.connection().execute(select(t.c.op_id, t.c.unit_seq, t.c.acknowledged).where(
        t.c.entity_type == etype, t.c.entity_id == eid, t.c.kind == "insert").order_by(t.c.device_seq).limit(1)).first()
    return None if r is None else (r.op_id, r.unit_seq, bool(r.acknowledged))


def _earlier(page: _Page, etype: str, other_id: str, op: PulledOp) -> tuple[str, bool]:
    """The other row's insert op id, and whether it comes before `op` in hub order (a row with
    no op, or one met in hub order, does; a row whose op is still open here comes later)."""
    found = _insert_op_of(page, etype, other_id)
    if found is None:
        return other_id, True
    oid, useq, acked = found
    return oid, acked or (useq is not None and useq < op.unit_seq)


def _pair_conflict(page: _Page, kind: str, etype: str, field_: str | None, op: PulledOp, this_id: str,
                   other_id: str, other_table: str) -> None:
    other_op, other_first = _earlier(page, other_table, other_id, op)
    (oa, ra), (ob, rb) = ((other_op, other_id), (op.op_id, this_id)) if other_first else \
        ((op.op_id, this_id), (other_op, other_id))
    parent = etype
    _put_conflict(page, {"id": _cid(kind, field_ or "", *sorted((oa, ob))), "kind": kind, "entity_type": parent,
                         "entity_id": ra if kind != "fork" else this_id, "field": field_, "op_a": oa,
                         "op_b": ob, "record_a": ra, "record_b": rb, "value_a": None, "value_b": None,
                         "by_a": None, "by_b": None, "at_a": None, "at_b": None})


def _normal(name: str) -> str:
    s = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().casefold()
    return re.sub(r"[^a-z]+", "", s)


def _residents_checks(page: _Page, op: PulledOp, values: dict[str, Any]) -> None:
    """Before a resident arrives: the probable duplicate and the reference clash."""
    conn = page.session.connection()
    t: Table = Base.metadata.tables[RESIDENTS]
    dob = values.get("date_of_birth")
    if dob is not None:
        key = (_normal(values.get("given_name", "")), _normal(values.get("family_name", "")))
        for r in conn.execute(select(t.c.id, t.c.given_name, t.c.family_name).where(
                t.c.date_of_birth == dob, t.c.archived.is_(False), t.c.id != op.entity_id)).all():
            if (_normal(r.given_name), _normal(r.family_name)) == key:
                _pair_conflict(page, "duplicate", RESIDENTS, None, op, op.entity_id, r.id, RESIDENTS)
    n = values.get("reference_no")
    if n is None:
        return
    clash = conn.execute(select(t.c.id).where(t.c.reference_no == n, t.c.id != op.entity_id)).scalar()
    if clash is None:
        return
    other_op, other_first = _earlier(page, RESIDENTS, clash, op)
    later_id, later_op = (op.entity_id, op.op_id) if other_first else (clash, other_op)
    new_no = _renumber(conn, t, later_op)
    if later_id == op.entity_id:
        values["reference_no"], values["reference"] = new_no, _reference(new_no)
    else:
        conn.execute(update(t).where(t.c.id == later_id).values(reference_no=new_no, reference=_reference(new_no)))
        page.residents.add(later_id)
    _pair_conflict(page, "duplicate", RESIDENTS, "reference", op, op.entity_id, clash, RESIDENTS)


def _reference(n: int) -> str:
    from keyworker.residents import format_reference

    return format_reference(n)


def _renumber(conn: Any, t: Table, op_id: str) -> int:
    """A number for the later of two residents that arrived with the same one: derived from its
    op id (so every laptop gives the same), above any a unit allocates by counting."""
    n = 900000 + uuid.uuid5(NAMESPACE, "reference|" + op_id).int % 100000
    while conn.execute(select(t.c.id).where(t.c.reference_no == n)).first() is not None:
        n += 1  # practically never
    return n


def _refresh_search_text(page: _Page) -> None:
    if not page.residents:
        return
    from keyworker.residents import search_text_of

    conn = page.session.connection()
    t: Table = Base.metadata.tables[RESIDENTS]
    for r in conn.execute(select(t.c.id, t.c.given_name, t.c.family_name, t.c.preferred_name, t.c.reference,
                                 t.c.postcode, t.c.search_text).where(t.c.id.in_(sorted(page.residents)))).all():
        want = search_text_of(r.given_name, r.family_name, r.preferred_name, r.reference, r.postcode)
        if want != r.search_text:
            conn.execute(update(t).where(t.c.id == r.id).values(search_text=want))


def _refresh_note_index(session: Session, ops: list[PulledOp]) -> None:
    """Notes, contacts and key work sessions the page touched, into the full-text index as they now
    stand (keyworker/note_search.py: a row that arrived is indexed, a superseded one leaves it)."""
    from keyworker import note_search

    touched: dict[str, set[str]] = defaultdict(set)
    for op in ops:
        if op.entity_type in note_search.SOURCES:
            touched[op.entity_type].add(op.entity_id)
    for table, ids in touched.items():
        note_search.reindex(session, table, ids)


def _decoded(table: Table, fields: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in fields.items():
        col = table.c.get(k)
        if col is None:
            raise ValueError(f"the op names a column this version does not have: {table.name}.{k}")
        out[k] = codec.decode(col, v)
    return out


def _apply_insert(page: _Page, op: PulledOp, actor: str | None, fields: dict[str, Any]) -> None:
    conn = page.session.connection()
    table: Table = Base.metadata.tables[op.entity_type]
    if op.entity_type in CHILD_TABLES:
        rows = [_decoded(table, r) for r in fields.get("rows", [])]
        if rows:
            conn.execute(insert(table).prefix_with("OR IGNORE"), rows)
        return
    if conn.execute(select(table.c.id).where(table.c.id == op.entity_id)).first() is not None:
        _apply_update(page, op, actor, fields, base=0)
        return
    values = _decoded(table, fields)
    if op.entity_type == RESIDENTS:
        _residents_checks(page, op, values)
        page.residents.add(op.entity_id)
    _unalias(page, op.entity_type, values)
    folded = False
    ending = STAY_ENDING.get(op.entity_type)
    if op.entity_type in ONE_PER_STAY and (ending is None or values.get(ending)):
        q = select(table.c.id).where(table.c.admission_id == values.get("admission_id"), table.c.id != op.entity_id)
        other = conn.execute(q if ending is None else q.where(table.c[ending].is_(True))).scalar()
        if other is not None:
            if _clash(page, op, actor, values, other, fields):
                return  # the later of two: an alias of the earlier, nothing written
            folded = True
    if op.entity_type in VERSIONED:
        parent_col, parent_table = VERSIONED[op.entity_type]
        for other in _siblings(conn, table, op.entity_id, values):
            _fork(page, op, parent_table, values[parent_col], other)
    try:
        conn.execute(insert(table).values(**values))
    finally:
        if folded:
            conn.execute(text("PRAGMA defer_foreign_keys = OFF"))
    _set_heads(page, op, actor, {ALL_FIELDS: None})


def _siblings(conn: Any, table: Table, vid: str, values: dict[str, Any]) -> list[str]:
    """The other live versions on the same parent version of the same plan (or, for a first
    version, the other first versions: two laptops each started the plan): a fork."""
    parent_col = VERSIONED[table.name][0]
    pv = values.get("parent_version_id")
    return list(conn.execute(select(table.c.id).where(
        table.c[parent_col] == values.get(parent_col), table.c.id != vid,
        table.c.parent_version_id == pv if pv else table.c.parent_version_id.is_(None),
        table.c.archived.is_(False))).scalars())


def _fork(page: _Page, op: PulledOp, parent_table: str, parent_id: str, other_version: str) -> None:
    other_op, other_first = _earlier(page, op.entity_type, other_version, op)
    (oa, ra), (ob, rb) = ((other_op, other_version), (op.op_id, op.entity_id)) if other_first else \
        ((op.op_id, op.entity_id), (other_op, other_version))
    _put_conflict(page, {"id": _cid("fork", *sorted((oa, ob))), "kind": "fork", "entity_type": parent_table,
                         "entity_id": parent_id, "field": None, "op_a": oa, "op_b": ob, "record_a": ra,
                         "record_b": rb, "value_a": None, "value_b": None, "by_a": None, "by_b": None,
                         "at_a": None, "at_b": None})


def _apply_update(page: _Page, op: PulledOp, actor: str | None, fields: dict[str, Any], *,
                  base: int | None = None) -> None:
    conn = page.session.connection()
    table: Table = Base.metadata.tables[op.entity_type]
    row = conn.execute(select(table).where(table.c.id == op.entity_id)).mappings().first()
    if row is None:
        raise LookupError("the record it changes is not on this laptop")
    if page.aliases:
        fields = dict(fields)
        _unalias(page, op.entity_type, fields)
    base = (op.base_seq or 0) if base is None else base
    ht = HEADS_T
    heads = {h.field: h for h in conn.execute(select(ht).where(
        ht.c.entity_type == op.entity_type, ht.c.entity_id == op.entity_id)).all()}
    star = heads.get(ALL_FIELDS)
    local = page.pending.get((op.entity_type, op.entity_id), [])
    write: dict[str, Any] = {}
    for f, v in sorted(fields.items()):
        if f not in table.c:
            raise ValueError(f"the op names a column this version does not have: {table.name}.{f}")
        mine = next((lo for lo in local if f in lo.fields), None)
        if f not in NO_CONFLICT:
            h = heads.get(f)
            if h is None or (star is not None and star.unit_seq > h.unit_seq):
                h = star
            if h is not None and h.unit_seq > base and h.device_id != op.device_id:
                head_value = codec.loads(h.value) if h.field != ALL_FIELDS else codec.encode(row[f])
                if head_value != v:
                    _put_conflict(page, {
                        "id": _cid("field", op.entity_type, op.entity_id, f, op.op_id), "kind": "field",
                        "entity_type": op.entity_type, "entity_id": op.entity_id, "field": f, "op_a": h.op_id,
                        "op_b": op.op_id, "record_a": None, "record_b": None, "value_a": codec.dumps(head_value),
                        "value_b": codec.dumps(v), "by_a": h.actor_id, "by_b": actor, "at_a": h.at,
                        "at_b": op.created_at})
            if mine is not None:
                cid = _cid("field", op.entity_type, op.entity_id, f, mine.op_id)
                if mine.fields[f] != v:
                    _put_conflict(page, {
                        "id": cid, "kind": "field", "entity_type": op.entity_type, "entity_id": op.entity_id,
                        "field": f, "op_a": op.op_id, "op_b": mine.op_id, "record_a": None, "record_b": None,
                        "value_a": codec.dumps(v), "value_b": codec.dumps(mine.fields[f]), "by_a": actor,
                        "by_b": mine.actor, "at_a": op.created_at, "at_b": mine.at})
                else:
                    _withdraw_conflict(page, cid)
        if mine is None:
            write[f] = v
    if write:
        conn.execute(update(table).where(table.c.id == op.entity_id).values(**_decoded(table, write)))
    if op.entity_type == RESIDENTS:
        page.residents.add(op.entity_id)
    _set_heads(page, op, actor, fields)


def _quarantine(page: _Page, op: PulledOp, reason: str, kind: str = "") -> None:
    t = QUARANTINE_T
    ctx = page.session.info["ctx"]
    try:
        epoch = epoch_of(op.payload)
    except PayloadUnreadable:
        epoch = -1
    page.session.connection().execute(insert(t).prefix_with("OR IGNORE").values(
        op_id=op.op_id, unit_seq=op.unit_seq, device_id=op.device_id, device_seq=op.device_seq,
        entity_type=op.entity_type, entity_id=op.entity_id, kind=kind, base_seq=op.base_seq,
        key_epoch=epoch, payload=op.payload, created_at=op.created_at, reason=reason,
        held_at=ctx.clock.now()))


def _acknowledge(page: _Page, op: PulledOp, row: Any) -> None:
    """Rule 1: an op this laptop already has (its own, or one copied with the unit)."""
    data = _open(page.keyring, row.key_epoch, row.op_id, row.entity_type, row.entity_id, row.payload)
    fields = data["f"]
    target = page.aliases.get((row.entity_type, row.entity_id))
    if page.aliases and row.kind != "insert":
        fields = dict(fields)
        _unalias(page, row.entity_type, fields)
    if target is not None:
        # Own ops on a plan folded into the earlier one (`_fold`): as every other laptop applies
        # them, the insert leaves no head, an update moves the earlier row's heads.
        if row.kind != "insert":
            _set_heads(page, replace(op, entity_id=target), data.get("by"), _strip_versioned(row.entity_type, fields))
    elif row.entity_type not in CHILD_TABLES:
        _set_heads(page, op, data.get("by"), {ALL_FIELDS: None} if row.kind == "insert" else fields)
    if target is None and row.kind == "insert" and (row.entity_type == RESIDENTS or row.entity_type in VERSIONED):
        _insert_checks_on_ack(page, op)
    t = OPS_T
    page.session.connection().execute(update(t).where(t.c.op_id == op.op_id).values(
        unit_seq=op.unit_seq, acknowledged=True))
    for key in ((row.entity_type, row.entity_id), (row.entity_type, target or "")):
        if key in page.pending:
            page.pending[key] = [lo for lo in page.pending[key] if lo.op_id != op.op_id]


def _insert_checks_on_ack(page: _Page, op: PulledOp) -> None:
    """The duplicate, reference and fork checks for a row this laptop inserted itself, met now in
    hub order: another laptop runs them when the row arrives there, so this one must too."""
    conn = page.session.connection()
    table: Table = Base.metadata.tables[op.entity_type]
    row = conn.execute(select(table).where(table.c.id == op.entity_id)).mappings().first()
    if row is None:
        return
    values = dict(row)
    if op.entity_type == RESIDENTS:
        before = values.get("reference_no")
        _residents_checks(page, op, values)
        if values.get("reference_no") != before:
            conn.execute(update(table).where(table.c.id == op.entity_id).values(
                reference_no=values["reference_no"], reference=values["reference"]))
            page.residents.add(op.entity_id)
        return
    parent_col, parent_table = VERSIONED[op.entity_type]
    if values.get("archived"):
        return
    for other in _siblings(conn, table, op.entity_id, values):
        _fork(page, op, parent_table, values[parent_col], other)


ONE_BY_ONE = "KEYWORKER_SYNC_ONE_BY_ONE"  # env: "1" forces the op-by-op path (tests compare both)


def apply_page(session: Session, ops: list[PulledOp], *, bulk: bool | None = None) -> ApplyResult:
    """Apply one page of pulled ops (in unit_seq order) and advance last_seen, inside the caller's
    write transaction. Idempotent: ops at or below last_seen, or already met, are skipped.

    `bulk` (default: on, unless the environment sets KEYWORKER_SYNC_ONE_BY_ONE=1) writes the runs
    of plain inserts of new rows with one executemany per table (see `_Bulk`); the result is the
    same as applying every op one by one."""
    ctx = session.info["ctx"]
    keyring: Keyring = session.info[KEYRING]
    if bulk is None:
        bulk = os.environ.get(ONE_BY_ONE, "") not in ("1", "true", "yes")
    session.flush()  # anything the caller changed first gets its ops as usual
    before = session.info.get(APPLYING)
    session.info[APPLYING] = True
    try:
        return _apply(session, ctx, keyring, sorted(ops, key=lambda o: o.unit_seq), bulk)
    finally:
        session.info[APPLYING] = before


@dataclass
class _Counts:
    applied: int = 0
    acked: int = 0
    skipped: int = 0
    held: int = 0


_INSERTS: dict[str, Any] = {}  # table name -> insert(table): built once, compiled once per key set


def _insert_of(table: Table) -> Any:
    stmt = _INSERTS.get(table.name)
    if stmt is None:
        stmt = _INSERTS[table.name] = insert(table)
    return stmt


_NULL = codec.dumps(None)
_HEADS_INSERT = insert(HEADS_T).prefix_with("OR REPLACE")
_OPS_INSERT = insert(OPS_T)


def _oplog_row(op: PulledOp, kind: str) -> dict[str, Any]:
    return {"op_id": op.op_id, "device_id": op.device_id, "device_seq": op.device_seq,
            "entity_type": op.entity_type, "entity_id": op.entity_id, "kind": kind, "base_seq": op.base_seq,
            "key_epoch": epoch_of(op.payload), "payload": op.payload, "created_at": op.created_at,
            "unit_seq": op.unit_seq, "acknowledged": True}


def _apply_one(page: _Page, op: PulledOp, n: _Counts, data: dict[str, Any] | None = None) -> None:
    """Rules 1-6 for one op (the op-by-op path; the bulk path's fallback)."""
    conn = page.session.connection()
    t = OPS_T
    known = conn.execute(select(t).where(t.c.op_id == op.op_id)).first()
    if known is not None:
        if known.acknowledged:
            n.skipped += 1
        else:
            _acknowledge(page, op, known)
            n.acked += 1
        return
    if data is None:
        try:
            data = _open(page.keyring, None, op.op_id, op.entity_type, op.entity_id, op.payload)
        except (PayloadUnreadable, ValueError) as e:
            _quarantine(page, op, f"payload: {e}")
            n.held += 1
            return
    if op.entity_type == VAULT_SLOTS:
        # An account's key slot: kept in the op-log here and written to the vault after the
        # commit (keyworker/sync/slots.py), which is outside the database.
        conn.execute(insert(t).values(**_oplog_row(op, data["k"])))
        n.applied += 1
        page.touched[op.entity_type] += 1
        return
    if op.entity_type not in Base.metadata.tables or op.entity_type in LOCAL_TABLES:
        _quarantine(page, op, f"unknown table {op.entity_type}")
        n.held += 1
        return
    mark = len(page.conflicts)
    residents = set(page.residents)
    aliases, pending = dict(page.aliases), dict(page.pending)
    target = page.aliases.get((op.entity_type, op.entity_id))
    try:
        with conn.begin_nested():
            kind = data["k"]
            if target is not None:
                # An op naming the later of two plans of one stay: applied to the earlier one,
                # without the fields a version sets (the fork is settled by a senior).
                if kind != "insert":
                    _apply_update(page, replace(op, entity_id=target), data.get("by"),
                                  _strip_versioned(op.entity_type, data["f"]))
            elif kind == "insert":
                _apply_insert(page, op, data.get("by"), data["f"])
            else:
                _apply_update(page, op, data.get("by"), data["f"])
            conn.execute(insert(t).values(**_oplog_row(op, kind)))
    except (sa_exc.IntegrityError, LookupError, ValueError) as e:
        del page.conflicts[mark:]
        page.residents = residents
        page.aliases, page.pending = aliases, pending
        reason = str(getattr(e, "orig", e)).splitlines()[0]
        _quarantine(page, op, f"not written: {reason}", data["k"])
        n.held += 1
        return
    n.applied += 1
    page.touched[op.entity_type] += 1


def _chunks(xs: list[Any], size: int = 500) -> Any:
    for i in range(0, len(xs), size):
        yield xs[i:i + size]


class _Bulk:
    """The bulk path for one page (docs/SYNC.md, "Applying as built").

    An op goes the fast way only when the op-by-op rules would do nothing but insert its row,
    one `*` head and its op-log row: it is an insert (payload opened, columns known) of an
    ordinary synchronised table (not a child table, not vault slots), its op id is not in the
    op-log, its entity is not in its table when the page starts and no earlier op of the page
    names it, this laptop has no open op on it, a version row has no parent version or no other
    live version on the same parent and parent version (so no fork check can fire; looked up per
    page and kept up to date) and a resident meets neither another live resident with the same normalised
    name and date of birth nor another resident with its reference number (looked up per page,
    kept up to date as the page goes). Every other op goes the op-by-op way, in hub order, after
    the fast ops queued before it are written; so every check that reads the database sees what
    the op-by-op path would have seen.

    Queued rows are written in hub order, one executemany per run of consecutive rows of one
    table and set of columns (so a row meets its parents exactly as op by op: no reordering), then
    the heads and the op-log rows, inside one savepoint. If the batch fails (a constraint, a value
    its column refuses), the savepoint is rolled back and its ops are applied one by one (the
    failing op is quarantined, exactly as the op-by-op path does)."""

    def __init__(self, page: _Page, ops: list[PulledOp], n: _Counts) -> None:
        self.page, self.n = page, n
        conn = page.session.connection()
        self.conn = conn
        t = OPS_T
        ids = sorted({o.op_id for o in ops})
        self.known: set[str] = set()
        for chunk in _chunks(ids):
            self.known.update(conn.execute(select(t.c.op_id).where(t.c.op_id.in_(chunk))).scalars())
        self.data: dict[str, dict[str, Any]] = {}
        self.values: dict[str, dict[str, Any]] = {}
        by_table: dict[str, set[str]] = defaultdict(set)
        for o in ops:
            if (o.op_id in self.known or o.entity_type in CHILD_TABLES or o.entity_type in LOCAL_TABLES
                    or o.entity_type not in Base.metadata.tables):
                continue
            try:
                d = _open(page.keyring, None, o.op_id, o.entity_type, o.entity_id, o.payload)
            except (PayloadUnreadable, ValueError):
                continue
            self.data[o.op_id] = d
            if d["k"] != "insert":
                continue
            try:
                self.values[o.op_id] = _decoded(Base.metadata.tables[o.entity_type], d["f"])
            except Exception:  # noqa: BLE001 - the op-by-op path meets it and does what it does
                continue
            by_table[o.entity_type].add(o.entity_id)
        self.present: set[tuple[str, str]] = set()
        for name, eids in by_table.items():
            table = Base.metadata.tables[name]
            for chunk in _chunks(sorted(eids)):
                self.present.update((name, e) for e in conn.execute(
                    select(table.c.id).where(table.c.id.in_(chunk))).scalars())
        rvals = [self.values[o.op_id] for o in ops if o.entity_type == RESIDENTS and o.op_id in self.values]
        self.dobs = sorted({v["date_of_birth"] for v in rvals if v.get("date_of_birth") is not None})
        self.refnos = sorted({v["reference_no"] for v in rvals if v.get("reference_no") is not None})
        self._residents_state()
        self.parents: dict[str, list[str]] = {
            name: sorted({self.values[o.op_id]["parent_version_id"] for o in ops if o.entity_type == name
                          and o.op_id in self.values and self.values[o.op_id].get("parent_version_id")})
            for name in VERSIONED}
        self.plans: dict[str, list[str]] = {  # the plans of the page's first versions
            name: sorted({str(self.values[o.op_id].get(VERSIONED[name][0])) for o in ops if o.entity_type == name
                          and o.op_id in self.values and not self.values[o.op_id].get("parent_version_id")})
            for name in VERSIONED}
        self.siblings: dict[str, set[tuple[Any, Any]]] = {}
        self.roots: dict[str, set[Any]] = {}
        for name in VERSIONED:
            self._versions_state(name)
        self.stay_ids: dict[str, list[str]] = {
            name: sorted({str(self.values[o.op_id].get("admission_id")) for o in ops if o.entity_type == name
                          and o.op_id in self.values}) for name in ONE_PER_STAY}
        self.stays: dict[str, set[Any]] = {}
        for name in ONE_PER_STAY:
            self._stays_state(name)
        self.named: set[tuple[str, str]] = set()  # entities an earlier op of the page names
        self.queue: list[tuple[PulledOp, dict[str, Any], str | None]] = []

    def _residents_state(self) -> None:
        """The live residents' (date of birth, names) and the reference numbers in use, for the
        page's residents only (one query each)."""
        t: Table = Base.metadata.tables[RESIDENTS]
        self.people: set[tuple[Any, str, str]] = set()
        self.refs: set[Any] = set()
        for chunk in _chunks(self.dobs):
            for r in self.conn.execute(select(t.c.date_of_birth, t.c.given_name, t.c.family_name).where(
                    t.c.date_of_birth.in_(chunk), t.c.archived.is_(False))).all():
                self.people.add((r.date_of_birth, _normal(r.given_name), _normal(r.family_name)))
        for chunk in _chunks(self.refnos):
            self.refs.update(self.conn.execute(select(t.c.reference_no).where(t.c.reference_no.in_(chunk))).scalars())

    def _versions_state(self, name: str) -> None:
        """(parent, parent version) of the live versions on the page's parent versions: a version
        with the same pair is a fork (one query per version table)."""
        table: Table = Base.metadata.tables[name]
        parent_col = VERSIONED[name][0]
        got: set[tuple[Any, Any]] = set()
        for chunk in _chunks(self.parents[name]):
            got.update((r[0], r[1]) for r in self.conn.execute(select(table.c[parent_col], table.c.parent_version_id).where(
                table.c.parent_version_id.in_(chunk), table.c.archived.is_(False))).all())
        self.siblings[name] = got
        roots: set[Any] = set()
        parent_col = VERSIONED[name][0]
        for chunk in _chunks(self.plans[name]):
            roots.update(self.conn.execute(select(table.c[parent_col]).where(
                table.c[parent_col].in_(chunk), table.c.parent_version_id.is_(None),
                table.c.archived.is_(False))).scalars())
        self.roots[name] = roots

    def _stays_state(self, name: str) -> None:
        """The page's stays that have a plan (or assessment) already: another is a clash."""
        table: Table = Base.metadata.tables[name]
        got: set[Any] = set()
        ending = STAY_ENDING.get(name)
        for chunk in _chunks(self.stay_ids[name]):
            q = select(table.c.admission_id).where(table.c.admission_id.in_(chunk))
            got.update(self.conn.execute(q if ending is None else q.where(table.c[ending].is_(True))).scalars())
        self.stays[name] = got

    def _fast(self, op: PulledOp) -> dict[str, Any] | None:
        key = (op.entity_type, op.entity_id)
        if (op.op_id in self.known or key in self.named or key in self.present or key in self.page.pending
                or op.op_id not in self.values):
            return None
        values = self.values[op.op_id]
        if self.page.aliases and any((t, values.get(c)) in self.page.aliases for c, t in _aliased_columns(op.entity_type)):
            return None  # it points at the later of two rows of a stay: op by op
        if op.entity_type in VERSIONED:
            parent_col, parent_table = VERSIONED[op.entity_type]
            parent = values.get(parent_col)
            if values.get("parent_version_id"):
                if parent is None or (parent, values["parent_version_id"]) in self.siblings[op.entity_type]:
                    return None  # the fork check would fire (or compares with null): op by op
            elif parent is None or parent in self.roots[op.entity_type]:
                return None  # another first version of the plan: a fork
        if op.entity_type in ONE_PER_STAY and values.get("admission_id") in self.stays[op.entity_type]:
            ending = STAY_ENDING.get(op.entity_type)
            if ending is None or values.get(ending):
                return None  # the stay has one already: the clash, op by op
        if op.entity_type == RESIDENTS:
            dob = values.get("date_of_birth")
            if dob is not None and (dob, _normal(values.get("given_name", "")),
                                    _normal(values.get("family_name", ""))) in self.people:
                return None
            if values.get("reference_no") is not None and values["reference_no"] in self.refs:
                return None
        return values

    def step(self, op: PulledOp) -> None:
        values = self._fast(op)
        self.named.add((op.entity_type, op.entity_id))
        if values is None:
            self.flush()
            _apply_one(self.page, op, self.n, self.data.get(op.op_id))
            if op.entity_type == RESIDENTS:
                self._residents_state()
            elif op.entity_type in VERSIONED:
                self._versions_state(op.entity_type)
            elif op.entity_type in ONE_PER_STAY:
                self._stays_state(op.entity_type)
                vname = ONE_PER_STAY[op.entity_type]
                if vname is not None:
                    self._versions_state(vname)  # a fold moves versions
            return
        self.queue.append((op, values, self.data[op.op_id].get("by")))
        if op.entity_type == RESIDENTS:
            dob = values.get("date_of_birth")
            if dob is not None and not values.get("archived"):
                self.people.add((dob, _normal(values.get("given_name", "")), _normal(values.get("family_name", ""))))
            if values.get("reference_no") is not None:
                self.refs.add(values["reference_no"])
        elif op.entity_type in VERSIONED and not values.get("archived"):
            if values.get("parent_version_id"):
                self.siblings[op.entity_type].add((values[VERSIONED[op.entity_type][0]], values["parent_version_id"]))
            else:
                self.roots[op.entity_type].add(values[VERSIONED[op.entity_type][0]])
        elif op.entity_type in ONE_PER_STAY:
            ending = STAY_ENDING.get(op.entity_type)
            if ending is None or values.get(ending):
                self.stays[op.entity_type].add(values.get("admission_id"))

    def flush(self) -> None:
        if not self.queue:
            return
        queue, self.queue = self.queue, []
        runs: list[tuple[str, list[dict[str, Any]]]] = []  # hub order: consecutive rows of one table
        for op, values, _ in queue:
            if runs and runs[-1][0] == op.entity_type and runs[-1][1][0].keys() == values.keys():
                runs[-1][1].append(values)
            else:
                runs.append((op.entity_type, [values]))
        heads = [{"entity_type": op.entity_type, "entity_id": op.entity_id, "field": ALL_FIELDS,
                  "unit_seq": op.unit_seq, "op_id": op.op_id, "device_id": op.device_id, "actor_id": by,
                  "at": op.created_at, "value": _NULL} for op, _, by in queue]
        oplog = [_oplog_row(op, "insert") for op, _, _ in queue]
        try:
            with self.conn.begin_nested():
                for name, rows in runs:
                    self.conn.execute(_insert_of(Base.metadata.tables[name]), rows)
                self.conn.execute(_HEADS_INSERT, heads)
                self.conn.execute(_OPS_INSERT, oplog)
        except (sa_exc.StatementError, LookupError, ValueError, TypeError):
            # a constraint (or a value its column refuses): the savepoint is gone, and the op-by-op
            # path quarantines the op that fails (or raises what it raises), as it always does
            for op, _, _ in queue:  # as the op-by-op path would: the failing op is quarantined
                _apply_one(self.page, op, self.n, self.data.get(op.op_id))
            if any(op.entity_type == RESIDENTS for op, _, _ in queue):
                self._residents_state()
            for name in {op.entity_type for op, _, _ in queue} & set(VERSIONED):
                self._versions_state(name)
            for name in {op.entity_type for op, _, _ in queue} & set(ONE_PER_STAY):
                self._stays_state(name)
                vname = ONE_PER_STAY[name]
                if vname is not None:
                    self._versions_state(vname)
            return
        for op, _, _ in queue:
            self.n.applied += 1
            self.page.touched[op.entity_type] += 1
            if op.entity_type == RESIDENTS:
                self.page.residents.add(op.entity_id)


def _apply(session: Session, ctx: Any, keyring: Keyring, ops: list[PulledOp], bulk: bool = True) -> ApplyResult:
    resolve_bases(session, ctx.device_id)  # before any head moves
    page = _Page(session, ctx.device_id, keyring,
                 _local_pending(session, ctx.device_id, keyring, {(o.entity_type, o.entity_id) for o in ops}),
                 aliases=aliases(session))
    seen = last_seen(session)
    n = _Counts()
    top = seen
    fresh = [op for op in ops if op.unit_seq > seen]
    n.skipped = len(ops) - len(fresh)
    runner = _Bulk(page, fresh, n) if bulk and fresh else None
    for op in fresh:
        top = max(top, op.unit_seq)
        if runner is not None:
            runner.step(op)
        else:
            _apply_one(page, op, n)
    if runner is not None:
        runner.flush()
    applied, held = n.applied, n.held
    _refresh_search_text(page)
    _refresh_note_index(session, fresh)
    set_state(session, "last_seen", str(top))
    if applied or held:
        name = session.connection().execute(select(Account.username).where(Account.id == ctx.actor_id)).scalar()
        audit_chain.append(session, at=ctx.clock.now(), actor_id=ctx.actor_id, actor_name=name or "sync",
                           device_id=ctx.device_id, action="sync.apply", entity="unit", entity_id=None,
                           detail={"from_seq": seen + 1, "to_seq": top, "applied": applied,
                                   "quarantined": held, "conflicts": len(set(page.conflicts)),
                                   "tables": dict(sorted(page.touched.items())),
                                   "residents": len(page.residents)})
    return ApplyResult(applied, n.acked, n.skipped, held, tuple(dict.fromkeys(page.conflicts)), top)


__all__ = ["ApplyResult", "ConflictView", "PulledOp", "aliases", "apply_page", "conflicts", "forked", "last_seen",
           "quarantined"]
