"""The sync service on the facade (`book.sync`): what the status bar, the Conflicts page, the
record's flag, Today, the out-of-hours banner and Administration -> Laptops show and do
(docs/SYNC.md, "The screens").

- `status()`: enrolled or not, when this laptop last synced, since when it is offline, the last
  error, how many ops wait to be pushed, conflicts waiting (those the signed-in user may see),
  ops held in quarantine, and `stale` (enrolled and not synced for 15 minutes).
- `conflicts()`: each open conflict in a key worker's words. Key workers see the field conflicts
  on their own residents; seniors see all of them, forks and probable duplicates too.
- Resolving writes through the ORM, so each choice is an op of its own and moves to every
  laptop; the conflict is marked resolved and the choice audited, in one transaction:
  - `keep_value` (a field): the chosen value written again, even when it is the one that
    stands, so the other laptops meet a later write made by someone who had seen both;
  - `choose_version` / `merge_versions` (a care plan or risk assessment fork, seniors): a new
    version whose parent is the chosen one and whose reason names the other;
  - `merge_duplicate` (seniors): the other record archived, its children pointed at the kept one;
    `not_duplicate`: the two stay apart, and a `sync_decisions` row (an op) says so everywhere;
  - `keep_record` (seniors; a `twice` conflict: two discharges or discharge plans of one stay):
    the kept one's values written on the stay's record (an op), a `kept` decision settles it.
- On a laptop that meets the choice by a pull, a conflict is *settled* (not listed) when what
  moved says so: a later write of the field made on top of both values, a new version on top of
  one fork naming the other, one of the two duplicate records archived, a "not the same person"
  decision on the pair.
- Laptops (administrators): `laptops()`, `enrolment_code()`, `revoke()`, `rotate_key()`, through the
  transport (keyworker/sync/client.py, enrol.py, rotate.py).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from keyworker.audit_words import FIELD_WORDS
from keyworker.clock import format_date, format_datetime, to_local
from keyworker.db.base import Base
from keyworker.db.caseload import Admission, Resident
from keyworker.db.foundation import Account
from keyworker.db.sync import CONFLICTS_T, HEADS_T, OPS_T
from keyworker.db.sync_decisions import KEPT, NOT_SAME, SyncDecision
from keyworker.errors import NotFound, ValidationError
from keyworker.input_types import typed_inputs
from keyworker.security.permissions import Permission
from keyworker.sync import apply as engine
from keyworker.sync import codec
from keyworker.sync.oplog import record_rows
from keyworker.sync.rotate import KeyRotation
from keyworker.sync.unit_key import UnitKeyRotation, UnitKeyStatus

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

STALE_AFTER = timedelta(minutes=15)
NOT_SYNCED_DAYS = 7
VERSIONS = {"care_plans": ("care_plan_versions", "plan_id"),
            "risk_assessments": ("risk_assessment_versions", "assessment_id")}
# Fields a new version sets on its plan or assessment: a fork conflicts on them too, and they are
# settled with the fork (choosing or merging writes them again), never shown on their own.
FROM_VERSION = engine.FROM_VERSION
WHAT_VERSIONED = {"care_plans": "Care plan", "risk_assessments": "Risk assessment"}
WHAT_TWICE = {"discharges": ("Two discharges", "discharge"), "discharge_plans": ("Two discharge plans", "discharge plan")}
# The columns a kept discharge (or plan) brings: what was recorded, not who made the row, the stay it
# belongs to, nor what its workflow did since (confirmation, papers, signatures move as ops of their own).
KEPT_FIELDS = {
    "discharges": ("path", "type", "reason_code", "occurred_at", "circumstances", "destination", "night_reason",
                   "overdose_risk", "naloxone_supplied", "harm_reduction_advice", "ctp_referral_made",
                   "homelessness_risk", "council_name", "council_referral_made", "summary_due_at"),
    "discharge_plans": ("meeting_on", "attendees", "referrer_invited", "planned_date", "route", "reason_code",
                        "aftercare", "recommendations", "goals_achieved", "medication_on_discharge")}
OTHER_MARK = "other version kept: "  # in a chosen or merged version's reason, with the other's id
ENTITY_WORDS = {
    "residents": "", "admissions": "Stay: ", "medication_events": "Medication: ", "consents": "Consent: ",
    "care_plans": "Care plan: ", "risk_assessments": "Risk assessment: ", "reviews": "Review: ",
    "discharges": "Discharge: ", "discharge_plans": "Discharge plan: ", "follow_ups": "Follow-up: ",
    "incidents": "Incident: ", "case_notes": "Note: ", "contacts": "Contact: ", "referrals": "Referral: ",
    "accounts": "Account: ",
}
EXTRA_FIELD_WORDS = {"next_of_kin_phone": "next of kin's phone number", "phone": "phone number",
                     "archived": "archived", "dose": "dose", "frequency": "frequency", "route": "route",
                     "review_on": "review date", "overall_level": "overall risk level", "status": "status"}


# -- what comes out ------------------------------------------------------------------------------
@dataclass(frozen=True)
class SyncStatus:
    enrolled: bool
    hub_url: str | None
    last_synced_at: datetime | None
    offline_since: datetime | None
    last_error: str | None
    pending_ops: int
    conflicts_waiting: int
    quarantined: int
    stale: bool
    rekey_pending: bool = False  # holds the unit's new database key; re-keys at the next open (unit_key.py)

    @property
    def text(self) -> str:
        """The status bar's words: "" when not enrolled."""
        if not self.enrolled:
            return ""
        return status_words(self, None)


def status_words(st: SyncStatus, now: datetime | None) -> str:
    """"Synced 2 min ago", "Offline since 21:40", "3 conflicts waiting" (the status bar is narrow:
    while syncing goes well, conflicts waiting is the news; offline or behind, both are said)."""
    n = st.conflicts_waiting
    if st.offline_since is not None:
        head = f"Offline since {_hhmm(st.offline_since, now)}"
    elif st.last_synced_at is None:
        head = "Not synced yet"
    elif n and not st.stale:
        return f"{n} conflict{'s' if n != 1 else ''} waiting"
    else:
        head = f"Synced {ago(st.last_synced_at, now)}"
    return head + (f" · {n} conflict{'s' if n != 1 else ''}" if n else "")


def ago(at: datetime, now: datetime | None) -> str:
    if now is None:
        return f"at {to_local(at).strftime('%H:%M')}"
    minutes = int((now - at).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 24 * 60:
        return f"{minutes // 60} h ago"
    return f"on {format_date(at)}"


def _hhmm(at: datetime, now: datetime | None) -> str:
    local = to_local(at)
    if now is not None and to_local(now).date() != local.date():
        return local.strftime("%d/%m/%Y %H:%M")
    return local.strftime("%H:%M")


@dataclass(frozen=True)
class ConflictSide:
    key: str  # "a" / "b" (field), or the version or resident id (fork, duplicate)
    value: str  # in words
    by: str  # who wrote it
    at: datetime | None
    laptop: str  # "this laptop" or the laptop's name
    stands: bool  # the one the record shows now
    content: str | None = None  # a fork's version content (JSON), for the side-by-side view


@dataclass(frozen=True)
class ConflictItem:
    id: str
    kind: str  # field / fork / duplicate
    resident_id: str | None
    resident_name: str
    reference: str
    what: str  # "Postcode", "Care plan: two versions", "Probable duplicate"
    explanation: str
    sides: tuple[ConflictSide, ...]
    entity_type: str
    entity_id: str
    field: str | None

    @property
    def search_text(self) -> str:
        return " ".join([self.resident_name, self.reference, self.what, self.explanation,
                         *(f"{s.value} {s.by} {s.laptop}" for s in self.sides)]).lower()


@dataclass(frozen=True)
class Laptop:
    device_id: str
    name: str
    enrolled_at: datetime | None
    last_seen_at: datetime | None
    revoked_at: datetime | None
    this_laptop: bool
    not_synced_for_days: int | None  # None: synced in the last day, or removed


@dataclass(frozen=True)
class EnrolmentCode:
    code: str
    expires_at: datetime
    hub_url: str = ""  # what the new laptop types beside the code
    fingerprint: str = ""  # the hub certificate's SHA-256, in pairs, as the new laptop checks it


# -- helpers ------------------------------------------------------------------------------------
def _table(name: str) -> Table:
    return cast(Table, Base.metadata.tables[name])


def _orm_class(table_name: str) -> Any:
    for m in Base.registry.mappers:
        if cast(Table, m.local_table).name == table_name:
            return m.class_
    raise NotFound(f"Records of this kind ({table_name}) are not known to this version of Keyworker.")


def _aware(at: datetime | None) -> datetime | None:
    from datetime import UTC

    if at is None:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _parse_time(v: str | None) -> datetime | None:
    if not v:
        return None
    try:
        return _aware(datetime.fromisoformat(v))
    except ValueError:
        return None


def field_words(entity_type: str, field: str) -> str:
    words = EXTRA_FIELD_WORDS.get(field) or FIELD_WORDS.get(field) or field.replace("_", " ")
    return ENTITY_WORDS.get(entity_type, entity_type.replace("_", " ").capitalize() + ": ") + \
        (words[:1].upper() + words[1:] if not ENTITY_WORDS.get(entity_type) else words)


def value_words(v: Any, names: dict[str, str], field: str | None = None) -> str:
    if v is None or v == "":
        return "(empty)"
    if isinstance(v, bool):
        return "Yes" if v else "No"
    if isinstance(v, str):
        if field and field.endswith("_id") and v in names:
            return names[v]
        if len(v) == 10 and v[4] == "-" and v[7] == "-":
            try:
                from datetime import date

                return format_date(date.fromisoformat(v))
            except ValueError:
                return v
        if len(v) > 18 and v[4] == "-" and "T" in v:
            t = _parse_time(v)
            if t is not None:
                return format_datetime(t)
        return v
    return str(v)


class SyncService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    # -- status ----------------------------------------------------------------------------------
    def _hub(self) -> tuple[bool, str | None]:
        """Whether this laptop is enrolled, and the hub's address (keyworker/sync/hubconf.py)."""
        from keyworker.sync import hubconf

        cfg = hubconf.hub_config(self._book._vault)
        return (False, None) if cfg is None else (True, cfg.url)

    def status(self) -> SyncStatus:
        """The status bar's reading, for any signed-in user: numbers and times, no resident data."""
        enrolled, url = self._hub()
        with self._book._read() as s:
            conn = s.connection()
            last = _parse_time(engine.get_state(s, "last_synced_at"))
            offline = _parse_time(engine.get_state(s, "offline_since"))
            error = engine.get_state(s, "last_error") or None
            # "= 0", not "IS 0": only that form matches the partial index ix_sync_ops_open.
            pending = conn.execute(select(func.count()).select_from(OPS_T).where(
                OPS_T.c.device_id == self._book.device_id, OPS_T.c.acknowledged == False,  # noqa: E712
                OPS_T.c.unit_seq.is_(None))).scalar() or 0
            waiting = len(self._visible(s, self._open(s)))
            held = len(engine.quarantined(s))
        now = self._book.clock.now()
        stale = enrolled and (last is None or now - last > STALE_AFTER)
        file_gen, newest = self._book._vault.unit_key_gens()
        return SyncStatus(enrolled, url, last, offline, error, int(pending), waiting, held, stale, newest > file_gen)

    def counts(self, session: Session) -> dict[str, int]:
        """check --json: conflicts open and ops held back, numbers only."""
        return {"sync_conflicts_open": len(self._open(session)),
                "sync_quarantined": len(engine.quarantined(session))}

    # -- conflicts -------------------------------------------------------------------------------
    def _open(self, s: Session) -> list[engine.ConflictView]:
        return [c for c in engine.conflicts(s) if not self._settled(s, c)
                and not (c.kind == "field" and c.field in FROM_VERSION.get(c.entity_type, ()))]

    def _seq_of(self, s: Session, op_id: str) -> int | None:
        return s.connection().execute(select(OPS_T.c.unit_seq).where(OPS_T.c.op_id == op_id)).scalar()

    def _settled(self, s: Session, c: engine.ConflictView) -> bool:
        """Resolved on another laptop, as far as what moved shows (see the module's docstring)."""
        conn = s.connection()
        if c.kind == "field":
            seq_b = self._seq_of(s, c.op_b)
            head = conn.execute(select(HEADS_T.c.unit_seq, HEADS_T.c.op_id).where(
                HEADS_T.c.entity_type == c.entity_type, HEADS_T.c.entity_id == c.entity_id,
                HEADS_T.c.field == c.field)).first()
            if seq_b is None or head is None or head.unit_seq <= seq_b or head.op_id in (c.op_a, c.op_b):
                return False
            base = conn.execute(select(OPS_T.c.base_seq).where(OPS_T.c.op_id == head.op_id)).scalar()
            return base is not None and base >= seq_b
        if c.kind == "fork":
            vtable, _ = VERSIONS.get(c.entity_type, (None, None))
            if vtable is None:
                return False
            t = _table(vtable)
            for parent, other in ((c.record_a, c.record_b), (c.record_b, c.record_a)):
                for reason in conn.execute(select(t.c.reason).where(t.c.parent_version_id == parent)).scalars():
                    if reason and f"{OTHER_MARK}{other}" in reason:
                        return True
            return False
        if c.kind == "twice":
            d = SyncDecision
            return s.scalar(select(func.count()).select_from(d).where(
                d.kind == KEPT, d.conflict_id == c.id, d.archived.is_(False))) != 0
        if c.kind == "duplicate":
            t = _table("residents")
            archived = conn.execute(select(func.count()).select_from(t).where(
                t.c.id.in_([c.record_a, c.record_b]), t.c.archived.is_(True))).scalar()
            return bool(archived) or self._found_not_same(s, c)
        return False

    @staticmethod
    def _found_not_same(s: Session, c: engine.ConflictView) -> bool:
        """Someone on any laptop found the pair to be two people (a synced decision)."""
        d = SyncDecision
        pair = sorted((c.record_a or "", c.record_b or ""))
        return s.scalar(select(func.count()).select_from(d).where(
            d.kind == NOT_SAME, d.resident_a == pair[0], d.resident_b == pair[1], d.archived.is_(False))) != 0

    def _resident_of(self, s: Session, c: engine.ConflictView) -> str | None:
        if c.entity_type == "residents":
            return c.entity_id
        if c.entity_type not in Base.metadata.tables:
            return None
        t = _table(c.entity_type)
        conn = s.connection()
        if "resident_id" in t.c:
            return conn.execute(select(t.c.resident_id).where(t.c.id == c.entity_id)).scalar()
        if "admission_id" in t.c:
            aid = conn.execute(select(t.c.admission_id).where(t.c.id == c.entity_id)).scalar()
            return s.scalar(select(Admission.resident_id).where(Admission.id == aid)) if aid else None
        return None

    def _visible(self, s: Session, open_: list[engine.ConflictView]) -> list[engine.ConflictView]:
        actor = self._book.actor
        if actor.can(Permission.MERGE_SYNC_RECORDS):
            return open_
        if not actor.can(Permission.RESOLVE_SYNC_CONFLICTS):
            return []
        mine = []
        for c in open_:
            if c.kind != "field":
                continue
            rid = self._resident_of(s, c)
            if rid is not None and s.scalar(select(Resident.key_worker_id).where(Resident.id == rid)) == actor.id:
                mine.append(c)
        return mine

    @typed_inputs(requires=Permission.RESOLVE_SYNC_CONFLICTS)
    def conflicts(self, *, mine_only: bool = False, resident_id: str | None = None) -> list[ConflictItem]:
        """The open conflicts this user may resolve, in words. `mine_only`: on the signed-in
        user's residents only (a senior's Today "mine" scope); `resident_id`: on that record.
        Audited (`sync.conflicts.list`) with the residents shown."""
        with self._book._write() as s:
            open_ = self._visible(s, self._open(s))
            items = [self._item(s, c) for c in open_]
            if resident_id is not None:
                items = [i for i in items if i.resident_id == resident_id or
                         any(sd.key == resident_id for sd in i.sides)]
            if mine_only:
                me = self._book.actor.id
                ids = {i.resident_id for i in items if i.resident_id}
                kw: dict[str, str | None] = {rid_: worker for rid_, worker in s.execute(
                    select(Resident.id, Resident.key_worker_id).where(Resident.id.in_(ids))).tuples()}
                items = [i for i in items if kw.get(i.resident_id or "") == me]
            if items:
                shown = sorted({i.resident_id for i in items if i.resident_id})
                self._book._record(s, "sync.conflicts.list", "sync_conflict", None,
                                   resident_id=shown[0] if len(shown) == 1 else None,
                                   detail={"count": len(items), "residents": shown})
        return items

    def conflict_count_for(self, resident_id: str) -> int:
        """How many conflicts wait on one record (its header's flag): a number, for anyone who
        may open the record; the conflicts themselves are read through `conflicts()`."""
        self._book.require(Permission.VIEW_RESIDENTS)
        with self._book._read() as s:
            n = 0
            for c in self._visible(s, self._open(s)):
                if self._resident_of(s, c) == resident_id or resident_id in (c.record_a, c.record_b):
                    n += 1
        return n

    def _names(self, s: Session) -> dict[str, str]:
        return {aid: name for aid, name in s.execute(select(Account.id, Account.full_name)).tuples()}

    def _laptop_name(self, s: Session, device_id: str | None) -> str:
        if device_id is None:
            return "a laptop"
        if device_id == self._book.device_id:
            return "this laptop"
        known = json.loads(engine.get_state(s, "laptop_names", "{}") or "{}")
        return known.get(device_id) or f"another laptop ({device_id[-6:]})"

    def _op_device(self, s: Session, op_id: str) -> str | None:
        return s.connection().execute(select(OPS_T.c.device_id).where(OPS_T.c.op_id == op_id)).scalar()

    def _item(self, s: Session, c: engine.ConflictView) -> ConflictItem:
        names = self._names(s)
        rid = self._resident_of(s, c) if c.kind != "duplicate" else c.record_a
        res = s.get(Resident, rid) if rid else None
        rname = f"{res.given_name} {res.family_name}" if res else "(not a resident's record)"
        ref = res.reference if res else ""
        if c.kind == "field":
            assert c.field is not None
            t = _table(c.entity_type)
            current = s.connection().execute(select(t.c[c.field]).where(t.c.id == c.entity_id)).scalar()
            now = codec.encode(current) if current is not None else None
            sides = []
            for key, v, by, at, op in (("a", c.value_a, c.by_a, c.at_a, c.op_a), ("b", c.value_b, c.by_b, c.at_b, c.op_b)):
                sides.append(ConflictSide(key, value_words(v, names, c.field), names.get(by or "", "someone"),
                                          _aware(at), self._laptop_name(s, self._op_device(s, op)), v == now))
            what = field_words(c.entity_type, c.field)
            return ConflictItem(c.id, c.kind, rid, rname, ref, what,
                                f"{what} was changed on two laptops to different values.", tuple(sides),
                                c.entity_type, c.entity_id, c.field)
        if c.kind == "fork":
            vtable, parent_col = VERSIONS[c.entity_type]
            t = _table(vtable)
            parent = _table(c.entity_type)
            current = s.connection().execute(select(parent.c.current_version_id).where(
                parent.c.id == c.entity_id)).scalar()
            sides = []
            for vid in (c.record_a or "", c.record_b or ""):
                v = s.connection().execute(select(t).where(t.c.id == vid)).mappings().first()
                if v is None:
                    continue
                label = f"Version {v['number']}" + (f": {v['reason']}" if v["reason"] else "")
                sides.append(ConflictSide(vid, label, names.get(v["created_by"] or "", "someone"),
                                          _aware(v["created_at"]), self._laptop_name(s, v["device_id"]),
                                          vid == current, v["content"]))
            what = f"{WHAT_VERSIONED[c.entity_type]}: two versions"
            return ConflictItem(c.id, c.kind, rid, rname, ref, what,
                                f"Two laptops each saved a new version of this {WHAT_VERSIONED[c.entity_type].lower()} "
                                "from the same one. Both are kept: choose one, or merge them.",
                                tuple(sides), c.entity_type, c.entity_id, None)
        if c.kind == "twice":
            return self._twice_item(s, c, rid, rname, ref, names)
        sides = []
        for r_id in (c.record_a or "", c.record_b or ""):
            r = s.get(Resident, r_id)
            if r is None:
                continue
            n_adm = s.scalar(select(func.count()).select_from(Admission).where(Admission.resident_id == r_id))
            sides.append(ConflictSide(r_id, f"{r.given_name} {r.family_name}, born {format_date(r.date_of_birth)}, "
                                            f"{r.reference} ({n_adm} stay{'s' if n_adm != 1 else ''})",
                                      names.get(r.created_by or "", "someone"), _aware(r.created_at),
                                      self._laptop_name(s, r.device_id), not r.archived))
        if c.field == "reference":
            what = "Same reference number"
            words = ("Two laptops gave the same reference number to two residents; the later one was given a new "
                     "number. If they are the same person, merge the records.")
        else:
            what = "Probable duplicate"
            words = "Two laptops each admitted a resident with the same name and date of birth."
        return ConflictItem(c.id, c.kind, rid, rname, ref, what, words, tuple(sides), c.entity_type,
                            c.entity_id, c.field)

    def _twice_values(self, s: Session, c: engine.ConflictView) -> tuple[dict[str, Any], dict[str, Any]]:
        """The two rows as encoded values: the one that stands (its row now) and the later one (the
        fields its insert carried, kept in the conflict; what pointed at an alias points at its target)."""
        t = _table(c.entity_type)
        row = s.connection().execute(select(t).where(t.c.id == c.record_a)).mappings().first()
        a = {k: codec.encode(v) for k, v in row.items()} if row is not None else {}
        b = dict(c.value_b) if isinstance(c.value_b, dict) else {}
        aliases = engine.aliases(s)
        for col in t.columns:
            for fk in col.foreign_keys:
                target = aliases.get((fk.column.table.name, str(b.get(col.name))))
                if target is not None:
                    b[col.name] = target
        return a, b

    def _twice_words(self, etype: str, v: dict[str, Any], names: dict[str, str]) -> tuple[str, dict[str, str]]:
        """A discharge (or plan) in words: a headline and the fields a senior compares."""
        from keyworker.discharge_plans import ROUTE_LABELS
        from keyworker.discharges import TYPE_LABELS, state_label

        def when(x: Any) -> str:
            return value_words(x, names) if x else "(not recorded)"

        if etype == "discharges":
            head = f"{TYPE_LABELS.get(v.get('type') or '', 'Other')}, {when(v.get('occurred_at'))}"
            details = {"Type": TYPE_LABELS.get(v.get("type") or "", "Other"), "When": when(v.get("occurred_at")),
                       "State": state_label(v.get("state") or ""), "Circumstances": v.get("circumstances") or "(empty)",
                       "Destination": v.get("destination") or "(empty)", "Reason code": v.get("reason_code") or "(empty)",
                       "Overdose risk": value_words(v.get("overdose_risk"), names),
                       "Naloxone supplied": value_words(v.get("naloxone_supplied"), names),
                       "Second person": names.get(v.get("second_person_id") or "", "(none yet)")}
        else:
            head = (f"{ROUTE_LABELS.get(v.get('route') or '', 'Route not chosen')}, planned for "
                    f"{when(v.get('planned_date'))}")
            details = {"Route": ROUTE_LABELS.get(v.get("route") or "", "(not chosen)"),
                       "Planned date": when(v.get("planned_date")), "Meeting": when(v.get("meeting_on")),
                       "Referrer invited": value_words(v.get("referrer_invited"), names),
                       "Recommendations": v.get("recommendations") or "(empty)",
                       "Goals achieved": v.get("goals_achieved") or "(empty)", "State": v.get("state") or "draft"}
        return head, details

    def _twice_item(self, s: Session, c: engine.ConflictView, rid: str | None, rname: str, ref: str,
                    names: dict[str, str]) -> ConflictItem:
        a, b = self._twice_values(s, c)
        sides = []
        for key, v, stands in (("a", a, True), ("b", b, False)):
            head, details = self._twice_words(c.entity_type, v, names)
            sides.append(ConflictSide(key, head, names.get(v.get("created_by") or "", "someone"),
                                      _parse_time(v.get("created_at")), self._laptop_name(s, v.get("device_id")),
                                      stands, json.dumps(details)))
        what, noun = WHAT_TWICE[c.entity_type]
        words = (f"{what} were recorded for one stay on different laptops. The earlier one stands on the record; "
                 f"the later one is kept here. Keep one of them: the {noun} then says what it says.")
        return ConflictItem(c.id, c.kind, rid, rname, ref, what, words, tuple(sides), c.entity_type, c.entity_id, None)

    def _get_open(self, s: Session, conflict_id: str) -> engine.ConflictView:
        for c in self._visible(s, self._open(s)):
            if c.id == conflict_id:
                return c
        raise NotFound("That conflict is not waiting any more: someone may have resolved it already.")

    def _resolve(self, s: Session, c: engine.ConflictView) -> None:
        s.connection().execute(update(CONFLICTS_T).where(CONFLICTS_T.c.id == c.id).values(
            resolved_by=self._book.actor.id, resolved_at=self._book.clock.now()))

    # -- resolving a field ---------------------------------------------------------------------
    @typed_inputs(requires=Permission.RESOLVE_SYNC_CONFLICTS)
    def keep_value(self, conflict_id: str, which: str) -> None:
        """Keep value "a" or "b" of a field conflict: written again as a change of its own."""
        if which not in ("a", "b"):
            raise ValidationError({"which": "Choose which of the two values to keep."})
        with self._book._write() as s:
            c = self._get_open(s, conflict_id)
            if c.kind != "field" or c.field is None:
                raise ValidationError({"": "This conflict is not about one value: choose a version or merge."})
            cls = _orm_class(c.entity_type)
            obj = s.get(cls, c.entity_id)
            if obj is None:
                raise NotFound("The record this conflict is about is not on this laptop.")
            raw = c.value_a if which == "a" else c.value_b
            col = _table(c.entity_type).c[c.field]
            value = codec.decode(col, raw)
            before = getattr(obj, c.field)
            setattr(obj, c.field, value)
            if c.entity_type == "residents" and c.field in ("given_name", "family_name", "preferred_name",
                                                            "postcode", "reference"):
                from keyworker.residents import search_text_of

                obj.search_text = search_text_of(obj.given_name, obj.family_name, obj.preferred_name,
                                                 obj.reference, obj.postcode)
            s.flush()
            if codec.encode(before) == raw:
                # The value stands already: write it again, so the other laptops meet a later
                # write of this field made on top of both values, and settle it too.
                record_rows(s, c.entity_type, [c.entity_id], [c.field])
            self._resolve(s, c)
            rid = self._resident_of(s, c)
            self._book._record(s, "sync.conflict.keep_value", c.entity_type, c.entity_id, resident_id=rid,
                               detail={"conflict": c.id, "field": c.field, "kept": which})

    # -- forks -----------------------------------------------------------------------------------
    @typed_inputs(requires=Permission.MERGE_SYNC_RECORDS)
    def choose_version(self, conflict_id: str, version_id: str) -> str:
        """Keep one of two forked versions: a new version, a copy of the chosen one, on top of it.
        Returns the new version's id."""
        with self._book._write() as s:
            c = self._fork(s, conflict_id, version_id)
            content = s.connection().execute(select(_table(VERSIONS[c.entity_type][0]).c.content).where(
                _table(VERSIONS[c.entity_type][0]).c.id == version_id)).scalar()
            return self._new_version(s, c, version_id, str(content), "chose")

    @typed_inputs(requires=Permission.MERGE_SYNC_RECORDS)
    def merge_versions(self, conflict_id: str, content: str, based_on: str | None = None) -> str:
        """A merged version (`content`: the version's JSON, as the merge editor leaves it) on top of
        `based_on` (the version the editor was seeded from; default the one that stands), naming
        the other. Returns the new version's id."""
        try:
            parsed = json.loads(content)
        except ValueError:
            raise ValidationError({"content": "The merged version is not complete: start again from one of the two."}) from None
        if not isinstance(parsed, dict):
            raise ValidationError({"content": "The merged version is not complete: start again from one of the two."})
        with self._book._write() as s:
            if based_on is None:
                c0 = self._get_open(s, conflict_id)
                based_on = c0.record_b or ""
                if c0.entity_type in VERSIONS:
                    p = _table(c0.entity_type)
                    cur = s.connection().execute(select(p.c.current_version_id).where(p.c.id == c0.entity_id)).scalar()
                    if cur in (c0.record_a, c0.record_b):
                        based_on = str(cur)
            version_id: str = based_on
            c = self._fork(s, conflict_id, version_id)
            if c.entity_type == "risk_assessments":
                content = json.dumps(parsed, sort_keys=True)
            else:
                from keyworker.care_plans import PlanContent

                try:
                    content = PlanContent.from_json(content).to_json()
                except (ValueError, KeyError, TypeError):
                    raise ValidationError({"content": "The merged plan could not be read."}) from None
            return self._new_version(s, c, version_id, content, "merged")

    def _fork(self, s: Session, conflict_id: str, version_id: str) -> engine.ConflictView:
        c = self._get_open(s, conflict_id)
        if c.kind != "fork" or c.entity_type not in VERSIONS:
            raise ValidationError({"": "This conflict is not two versions of a plan or assessment."})
        if version_id not in (c.record_a, c.record_b):
            raise ValidationError({"version_id": "Choose one of the two versions."})
        return c

    def _new_version(self, s: Session, c: engine.ConflictView, chosen: str, content: str, how: str) -> str:
        vtable, parent_col = VERSIONS[c.entity_type]
        cls = _orm_class(vtable)
        other = (c.record_b if chosen == c.record_a else c.record_a) or ""
        t = _table(vtable)
        top = s.connection().execute(select(func.max(t.c.number)).where(t.c[parent_col] == c.entity_id)).scalar() or 0
        chosen_row = s.get(cls, chosen)
        other_row = s.get(cls, other)
        names = self._names(s)

        def said(v: Any) -> str:
            return f"version {v.number} by {names.get(v.created_by or '', 'someone')} ({format_datetime(_aware(v.created_at))})"

        verb = "Chose" if how == "chose" else "Merged the two versions, starting from"
        reason = (f"Two versions saved on two laptops. {verb} {said(chosen_row)}; the other, {said(other_row)}, "
                  f"stays in the history ({OTHER_MARK}{other}).")
        kw: dict[str, Any] = {parent_col: c.entity_id, "number": top + 1, "parent_version_id": chosen,
                              "content": content, "reason": reason}
        if vtable == "care_plan_versions":
            kw["frozen"] = True
        v = cls(**kw)
        s.add(v)
        s.flush([v])
        parent = s.get(_orm_class(c.entity_type), c.entity_id)
        if parent is None:
            raise NotFound("The plan or assessment these versions belong to is not on this laptop.")
        parent.current_version_id = v.id
        if c.entity_type == "risk_assessments":
            from datetime import date

            data = json.loads(content)
            if data.get("overall_level"):
                parent.overall_level = data["overall_level"]
            if data.get("review_on"):
                parent.review_on = date.fromisoformat(data["review_on"])
        self._resolve(s, c)
        for f in engine.conflicts(s, entity_id=c.entity_id):
            if f.kind == "field" and f.entity_type == c.entity_type and f.field in FROM_VERSION[c.entity_type]:
                self._resolve(s, f)
        rid = self._resident_of(s, c)
        self._book._record(s, f"sync.fork.{'choose' if how == 'chose' else 'merge'}", c.entity_type, c.entity_id,
                           resident_id=rid, detail={"conflict": c.id, "version": v.number, "chosen": chosen,
                                                    "other": other})
        return str(v.id)

    # -- duplicates ------------------------------------------------------------------------------
    @typed_inputs(requires=Permission.MERGE_SYNC_RECORDS)
    def merge_duplicate(self, conflict_id: str, keep_resident_id: str) -> None:
        """The same person admitted twice: archive the other record and point its children (stays,
        medication, notes ... every row with its resident id) at the kept one."""
        with self._book._write() as s:
            c = self._get_open(s, conflict_id)
            if c.kind != "duplicate":
                raise ValidationError({"": "This conflict is not about two records of one person."})
            if keep_resident_id not in (c.record_a, c.record_b):
                raise ValidationError({"keep_resident_id": "Choose one of the two records to keep."})
            gone_id = c.record_b if keep_resident_id == c.record_a else c.record_a
            keep, gone = s.get(Resident, keep_resident_id), s.get(Resident, gone_id)
            if keep is None or gone is None:
                raise NotFound("One of the two records is not on this laptop.")
            moved: dict[str, int] = {}
            for m in Base.registry.mappers:
                cls = m.class_
                if cls is Resident or "resident_id" not in cast(Table, m.local_table).c:
                    continue
                rows = s.scalars(select(cls).where(cls.resident_id == gone_id)).all()
                for r in rows:
                    r.resident_id = keep_resident_id
                if rows:
                    moved[cast(Table, m.local_table).name] = len(rows)
            gone.archived = True
            for field in ("nhs_number", "postcode", "gp_practice", "next_of_kin_name", "next_of_kin_phone"):
                if getattr(keep, field) in (None, "") and getattr(gone, field):
                    setattr(keep, field, getattr(gone, field))
            s.flush()
            for other in engine.conflicts(s):
                if other.kind == "duplicate" and {other.record_a, other.record_b} == {c.record_a, c.record_b}:
                    self._resolve(s, other)
            self._book._record(s, "sync.duplicate.merge", "resident", keep_resident_id, resident_id=keep_resident_id,
                               detail={"conflict": c.id, "archived": gone_id, "archived_reference": gone.reference,
                                       "moved": moved})

    # -- two discharges (or discharge plans) of one stay ---------------------------------------
    @typed_inputs(requires=Permission.MERGE_SYNC_RECORDS)
    def keep_record(self, conflict_id: str, which: str) -> None:
        """Keep the discharge (or discharge plan) that stands ("a") or the later one ("b"): its
        values are written on the stay's record as a change of its own (so they move to every laptop
        on top of both), and a `kept` decision closes the conflict everywhere."""
        if which not in ("a", "b"):
            raise ValidationError({"which": "Choose which of the two to keep."})
        with self._book._write() as s:
            c = self._get_open(s, conflict_id)
            if c.kind != "twice" or c.entity_type not in WHAT_TWICE:
                raise ValidationError({"": "This conflict is not about two discharges of one stay."})
            obj = s.get(_orm_class(c.entity_type), c.record_a)
            if obj is None:
                raise NotFound("The record this conflict is about is not on this laptop.")
            a, b = self._twice_values(s, c)
            t = _table(c.entity_type)
            differ = sorted(k for k in KEPT_FIELDS[c.entity_type] if k in b and k in t.c and a.get(k) != b.get(k))
            if which == "b":
                for k in differ:
                    setattr(obj, k, codec.decode(t.c[k], b[k]))
                s.flush()
            elif differ:
                # What stands is kept: written again, so every laptop meets a write made on top of both.
                record_rows(s, c.entity_type, [c.record_a or ""], differ)
            self._resolve(s, c)
            for f in engine.conflicts(s, entity_id=c.record_a):
                if f.kind == "field" and f.entity_type == c.entity_type and f.field in differ:
                    self._resolve(s, f)
            if c.entity_type == "discharges" and obj.ends_stay:
                # The stay ends on the day the kept discharge says (as recording it does).
                from keyworker.clock import to_local

                adm = s.get(Admission, obj.admission_id)
                if adm is not None:
                    day = to_local(_aware(obj.occurred_at) or obj.occurred_at).date()
                    changed = adm.discharged_on != day
                    if changed:
                        adm.discharged_on = day
                        s.flush()
                    days = [f for f in engine.conflicts(s, entity_id=adm.id)
                            if f.kind == "field" and f.entity_type == "admissions" and f.field == "discharged_on"]
                    if days and not changed:
                        record_rows(s, "admissions", [adm.id], ["discharged_on"])  # on top of both, as keep_value
                    for f in days:
                        self._resolve(s, f)
            rid = self._resident_of(s, c) or str(obj.resident_id)
            s.add(SyncDecision(kind=KEPT, conflict_id=c.id, resident_a=rid, resident_b=rid))  # moves as an op
            self._book._record(s, "sync.twice.keep", c.entity_type, c.record_a, resident_id=rid,
                               detail={"conflict": c.id, "kept": which, "other": c.record_b if which == "a" else
                                       c.record_a, "fields": differ})

    @typed_inputs(requires=Permission.MERGE_SYNC_RECORDS)
    def not_duplicate(self, conflict_id: str) -> None:
        """Two people after all: the records stay apart and the conflict is closed."""
        with self._book._write() as s:
            c = self._get_open(s, conflict_id)
            if c.kind != "duplicate":
                raise ValidationError({"": "This conflict is not about two records of one person."})
            for other in engine.conflicts(s):
                if other.kind == "duplicate" and {other.record_a, other.record_b} == {c.record_a, c.record_b}:
                    self._resolve(s, other)
            pair = sorted((c.record_a or "", c.record_b or ""))
            s.add(SyncDecision(kind=NOT_SAME, conflict_id=c.id, resident_a=pair[0], resident_b=pair[1]))  # moves as an op
            self._book._record(s, "sync.duplicate.not_same", "resident", c.record_a, resident_id=c.record_a,
                               detail={"conflict": c.id, "other": c.record_b})

    # -- laptops ---------------------------------------------------------------------------------
    @typed_inputs(requires=Permission.MANAGE_LAPTOPS)
    def laptops(self) -> list[Laptop]:
        """The unit's enrolled laptops as the hub knows them (a network call: off the UI thread).
        Their names are kept here, so a conflict can say which laptop wrote a value."""
        from keyworker.sync import enrol

        now = self._book.clock.now()
        out = []
        for d in enrol.laptops(self._book):
            seen, enrolled, revoked = _aware(d.last_seen_at), _aware(d.enrolled_at), _aware(d.revoked_at)
            days = None if revoked else ((now - (seen or enrolled or now)).days or None)
            out.append(Laptop(d.device_id, d.name or "(no name)", enrolled, seen, revoked,
                              d.device_id == self._book.device_id, days))
        with self._book._write() as s:
            names = json.loads(engine.get_state(s, "laptop_names", "{}") or "{}")
            names.update({lp.device_id: lp.name for lp in out})
            engine.set_state(s, "laptop_names", json.dumps(names, sort_keys=True))
            engine.set_state(s, "laptops_seen", json.dumps({
                "at": now.isoformat(),
                "laptops": [{"device_id": lp.device_id, "name": lp.name, "revoked": lp.revoked_at is not None,
                             "last_seen_at": lp.last_seen_at.isoformat() if lp.last_seen_at else None,
                             "enrolled_at": lp.enrolled_at.isoformat() if lp.enrolled_at else None}
                            for lp in out]}, sort_keys=True))
        return out

    @typed_inputs(requires=Permission.MANAGE_LAPTOPS)
    def laptops_not_synced(self, days: int = NOT_SYNCED_DAYS) -> tuple[datetime | None, list[Laptop]]:
        """The laptops not synced for `days` days, as the hub listed them when Administration ->
        Laptops last asked (no network: for Today), and when that was (None: never asked here)."""
        with self._book._read() as s:
            raw = engine.get_state(s, "laptops_seen")
        if not raw:
            return None, []
        data = json.loads(raw)
        now = self._book.clock.now()
        out = []
        for d in data.get("laptops", []):
            if d.get("revoked") or d.get("device_id") == self._book.device_id:
                continue
            seen = _parse_time(d.get("last_seen_at")) or _parse_time(d.get("enrolled_at"))
            if seen is None or (now - seen).days < days:
                continue
            out.append(Laptop(d["device_id"], d.get("name") or "(no name)", _parse_time(d.get("enrolled_at")),
                              _parse_time(d.get("last_seen_at")), None, False, (now - seen).days))
        return _parse_time(data.get("at")), sorted(out, key=lambda lp: -(lp.not_synced_for_days or 0))

    @typed_inputs(requires=Permission.MANAGE_LAPTOPS)
    def enrolment_code(self) -> EnrolmentCode:
        """A one-time code for a new laptop, valid 15 minutes and usable once (a network call;
        audited by keyworker/sync/enrol.py)."""
        from keyworker.sync import enrol

        from keyworker.sync import hubconf

        made = enrol.make_code(self._book)
        cfg = hubconf.hub_config(self._book._vault)
        pin = cfg.cert_sha256.upper() if cfg else ""
        return EnrolmentCode(made.text, _aware(made.expires_at) or self._book.clock.now() + timedelta(minutes=15),
                             cfg.url if cfg else "", ":".join(pin[i:i + 2] for i in range(0, len(pin), 2)))

    @typed_inputs(requires=Permission.MANAGE_LAPTOPS)
    def revoke(self, device_id: str) -> datetime | None:
        """Remove a laptop from the unit on the hub (a network call; audited). It cannot reach into
        the laptop: what it holds stays as readable as its passwords allow."""
        from keyworker.sync import enrol

        return _aware(enrol.revoke(self._book, device_id))

    @typed_inputs(requires=Permission.MANAGE_LAPTOPS)
    def rotate_key(self) -> KeyRotation:
        """The unit's next sync key epoch, for every laptop still enrolled (a network call; audited by
        keyworker/sync/rotate.py). What a removed laptop already holds stays readable there; what
        is written from now on is sealed with a key it does not have."""
        from keyworker.sync.rotate import rotate_sync_key

        return rotate_sync_key(self._book)

    @typed_inputs(requires=Permission.MANAGE_LAPTOPS)
    def rotate_unit_key(self) -> UnitKeyRotation:
        """The unit's next database key, for every laptop still enrolled (a network call; audited by
        keyworker/sync/unit_key.py). Each laptop re-keys its database the next time the unit is
        opened there; a removed laptop's key then opens none of them."""
        from keyworker.sync.unit_key import rotate_unit_key

        return rotate_unit_key(self._book)

    @typed_inputs(requires=Permission.MANAGE_LAPTOPS)
    def unit_key_status(self) -> UnitKeyStatus:
        """Whether this laptop re-keys at its next open, and the accounts still to sign in since the
        unit key was rotated (their slots wrap an older key). No network."""
        from keyworker.sync.unit_key import status

        return status(self._book)


__all__ = ["UnitKeyRotation", "UnitKeyStatus", "ConflictItem", "ConflictSide", "EnrolmentCode", "KeyRotation", "Laptop", "SyncService", "SyncStatus", "ago",
           "status_words"]
