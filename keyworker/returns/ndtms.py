"""The NDTMS monthly return (issue 15, contract 11.1.2, 11.1.5, 11.1.10) and its data-quality report.

One row per residential rehabilitation episode active in the month (an admission in one of the
mapping's `episode_settings`, admitted on or before the month's last day and not discharged before
its first), with the latest TOP interviewed in the month for that stay (TOP fields empty when none
was held in the month). The fields, their order, their sources and every code come from the
mapping file (keyworker/returns/mapping.py); nothing here names an NDTMS field or code.

Every row is checked before it is written: a core field with no value, or a value that is not in
the mapping's code list (or a postcode or a date that cannot be right), is a problem, listed per
resident with the field named and where in the app to fix it (a resident tab key and a field).
A resident who has not given NDTMS consent (declined, or not recorded: CONSENT is then a problem)
is sent with the identifying fields left empty; those are not counted as missing.

Compliance: the share of episodes with every core field valid (target 100%, contract 11.1.5) and
TOP compliance from `book.top.compliance` for the month (target 90%)."""
from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from keyworker.clock import format_date, to_local
from keyworker.db.care_plans import CarePlan
from keyworker.db.caseload import Admission, Consent, Referral, Resident
from keyworker.db.discharges import Discharge
from keyworker.db.top import Top, TopSubstance
from keyworker.discharges import DEFAULT_REASONS
from keyworker.errors import ValidationError
from keyworker.reports.periods import Period, long_date
from keyworker.returns.mapping import Field, Mapping
from keyworker.text import starts_like_formula

CONSENT_KIND = "ndtms"  # resources/reference/caseload.json consent_kinds
CORE_TARGET_PCT = 100.0
TOP_TARGET_PCT = 90.0
_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$|^\s*(\d{1,2})/(\d{4})\s*$")
_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")
TAB_WORDS = {"overview": "Overview", "care_plan": "Care plan", "discharge": "Discharge", "outcomes": "Outcomes"}
APP_FIELD_WORDS = {
    "given_name": "Given name", "family_name": "Family name", "date_of_birth": "Date of birth", "sex": "Sex",
    "ethnicity": "Ethnicity", "nationality": "Nationality", "sexual_orientation": "Sexual orientation",
    "pregnancy": "Pregnancy", "postcode": "Postcode", "district": "District", "primary_substance": "Main substance",
    "other_substances": "Other substances", "primary_route": "Route", "consents": "Consents",
    "admission": "Admission", "admitted_on": "Admission date", "setting": "Setting",
    "referral_received": "Referral (received)", "referral_decided": "Referral (decision)",
    "completed": "Care plan completed", "discharged_on": "Discharge date", "reason": "Discharge reason",
    "top": "TOP", "reference": "Reference",
}


def month_period(text: str) -> tuple[str, Period]:
    """'2026-03' (or '03/2026') -> ('2026-03', 1–31 March 2026). Raises ValidationError."""
    m = _MONTH.match(text or "")
    if m:
        year, month = (int(m.group(1)), int(m.group(2))) if m.group(1) else (int(m.group(4)), int(m.group(3)))
        if 1 <= month <= 12 and 2000 <= year <= 2100:
            start = date(year, month, 1)
            nxt = date(year + (month == 12), month % 12 + 1, 1)
            return f"{year:04d}-{month:02d}", Period(start, nxt - timedelta(days=1))
    raise ValidationError({"month": f"'{text}' is not a month: write it as 2026-03 (March 2026)."})


# -- what is read for one episode --------------------------------------------------------------------
@dataclass
class Episode:
    admission: Any
    resident: Any
    referral: Any | None = None
    consent: bool | None = None
    care_plan_completed_at: datetime | None = None
    discharge_reason: str | None = None
    top: Any | None = None
    top_days: dict[str, int] = field(default_factory=dict)
    discharged: bool = False  # discharged on or before the month's last day


@dataclass(frozen=True)
class Problem:
    """One thing to put right before the return is complete."""

    resident_id: str
    reference: str
    name: str
    episode_id: str
    field: str  # the NDTMS field name
    field_label: str  # the field in words
    kind: str  # missing / invalid
    message: str
    tab: str  # the resident record's tab key
    app_field: str  # the field on that tab

    @property
    def where(self) -> str:
        tab = TAB_WORDS.get(self.tab, self.tab)
        words = APP_FIELD_WORDS.get(self.app_field, self.app_field)
        return f"{tab} tab: {words}" if words else f"{tab} tab"


@dataclass(frozen=True)
class Compliance:
    """The share of episodes with every core field valid against 100%, and TOP compliance against 90%."""

    episodes: int
    complete: int
    top_due: int
    top_done: int
    core_target_pct: float = CORE_TARGET_PCT
    top_target_pct: float = TOP_TARGET_PCT

    @property
    def core_pct(self) -> float | None:
        return None if self.episodes == 0 else round(100.0 * self.complete / self.episodes, 1)

    @property
    def top_pct(self) -> float | None:
        return None if self.top_due == 0 else round(100.0 * self.top_done / self.top_due, 1)

    @property
    def core_meets(self) -> bool | None:
        p = self.core_pct
        return None if p is None else p >= self.core_target_pct

    @property
    def top_meets(self) -> bool | None:
        p = self.top_pct
        return None if p is None else p >= self.top_target_pct

    @property
    def core_text(self) -> str:
        if self.core_pct is None:
            return "NDTMS core fields: no episodes in the month."
        return (f"NDTMS core fields: {self.complete} of {self.episodes} episodes complete ({self.core_pct:.1f}%), "
                f"target {self.core_target_pct:.0f}%" + ("" if self.core_meets else " — below target"))

    @property
    def top_text(self) -> str:
        if self.top_pct is None:
            return "TOP: no TOPs were due in the month."
        return (f"TOP: {self.top_done} of {self.top_due} due TOPs completed ({self.top_pct:.1f}%), "
                f"target {self.top_target_pct:.0f}%" + ("" if self.top_meets else " — below target"))


@dataclass(frozen=True)
class NdtmsReturn:
    month: str  # 2026-03
    period: Period
    dataset: str
    version: str
    codes_checked: bool
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    problems: tuple[Problem, ...]
    compliance: Compliance
    withheld: int  # episodes sent without identifying fields (no NDTMS consent)

    @property
    def label(self) -> str:
        """'March 2026'."""
        return long_date(self.period.start).split(" ", 1)[1]

    @property
    def residents_with_problems(self) -> int:
        return len({p.resident_id for p in self.problems})


# -- reading ---------------------------------------------------------------------------------------
def _chunks(items: list[str], n: int = 900) -> Iterable[list[str]]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


_UNUSED = frozenset({"created_at", "updated_at", "created_by", "device_id", "search_text"})


def _columns(model: Any) -> list[Any]:
    """A model's columns but the bookkeeping ones no source reads (each costs a conversion per row)."""
    return [c for c in model.__table__.c if c.name not in _UNUSED]


def episodes(s: Session, mapping: Mapping, period: Period) -> list[Episode]:
    """The residential rehabilitation episodes active in `period`, with what their row needs, in a
    fixed number of queries per 900 episodes. Rows are read as plain column tuples (attribute
    access by column name, as on the models), not ORM objects: the return reads them only, and an
    ORM object costs more to build than the return's row (issue 15's all-active month)."""
    adms = s.execute(select(*_columns(Admission)).where(
        Admission.archived.is_(False), Admission.setting.in_(mapping.episode_settings),
        Admission.admitted_on <= period.end,
        or_(Admission.discharged_on.is_(None), Admission.discharged_on >= period.start))).all()
    if not adms:
        return []
    end = period.end
    eps = {a.id: Episode(a, None, discharged=a.discharged_on is not None and a.discharged_on <= end)
           for a in adms}
    res_ids = sorted({a.resident_id for a in adms})
    residents: dict[str, Any] = {}
    consent: dict[str, bool] = {}
    for chunk in _chunks(res_ids):
        for r in s.execute(select(*_columns(Resident)).where(Resident.id.in_(chunk))):
            residents[r.id] = r
        for rid, given in s.execute(select(Consent.resident_id, Consent.given).where(
                Consent.resident_id.in_(chunk), Consent.kind == CONSENT_KIND,
                Consent.superseded_by_id.is_(None), Consent.archived.is_(False))):
            consent[rid] = bool(given)
    ref_ids = [a.referral_id for a in adms if a.referral_id]
    referrals: dict[str, Any] = {}
    for chunk in _chunks(ref_ids):
        for ref in s.execute(select(Referral.id, Referral.received_at, Referral.decided_at)
                             .where(Referral.id.in_(chunk))):
            referrals[ref.id] = ref
    ids = list(eps)
    month_end = datetime.combine(period.end, datetime.max.time())
    for chunk in _chunks(ids):
        for aid, status, done in s.execute(select(CarePlan.admission_id, CarePlan.status, CarePlan.completed_at)
                                           .where(CarePlan.admission_id.in_(chunk), CarePlan.archived.is_(False))):
            if status == "complete" and done is not None and to_local(done).replace(tzinfo=None) <= month_end:
                eps[aid].care_plan_completed_at = done
        for aid, reason, dtype in s.execute(select(Discharge.admission_id, Discharge.reason_code, Discharge.type)
                                            .where(Discharge.admission_id.in_(chunk), Discharge.ends_stay.is_(True),
                                                   Discharge.archived.is_(False))):
            eps[aid].discharge_reason = reason or DEFAULT_REASONS.get(dtype)
        latest: dict[str, Any] = {}
        for t in s.execute(select(*_columns(Top)).where(Top.admission_id.in_(chunk), Top.archived.is_(False),
                                               and_(Top.interview_on >= period.start, Top.interview_on <= period.end))
                           .order_by(Top.interview_on, Top.created_at)):
            latest[t.admission_id] = t
        by_top = {t.id: t.admission_id for t in latest.values()}
        for aid, t in latest.items():
            eps[aid].top = t
        for tchunk in _chunks(list(by_top)):
            for top_id, substance, days in s.execute(
                    select(TopSubstance.top_id, TopSubstance.substance, TopSubstance.total_days)
                    .where(TopSubstance.top_id.in_(tchunk), TopSubstance.archived.is_(False))):
                eps[by_top[top_id]].top_days[substance] = days
    for e in eps.values():
        e.resident = residents.get(e.admission.resident_id)
        e.referral = referrals.get(e.admission.referral_id or "")
        e.consent = consent.get(e.admission.resident_id)
    out = [e for e in eps.values() if e.resident is not None and not e.resident.archived]
    out.sort(key=lambda e: (e.resident.reference_no, e.admission.admitted_on))
    return out


# -- sources ---------------------------------------------------------------------------------------
def _others(r: Any) -> tuple[tuple[str, str | None], ...]:
    return _parse_others(r.other_substances or "[]")


@lru_cache(maxsize=4096)
def _parse_others(text: str) -> tuple[tuple[str, str | None], ...]:
    """(substance, route) of a resident's other substances, parsed once per distinct text."""
    try:
        raw = json.loads(text)
    except ValueError:
        return ()
    out: list[tuple[str, str | None]] = []
    for o in raw if isinstance(raw, list) else []:
        if isinstance(o, dict) and o.get("substance"):
            out.append((str(o["substance"]), o.get("route")))
        elif isinstance(o, list | tuple) and o:
            out.append((str(o[0]), o[1] if len(o) > 1 else None))
    return tuple(out)


def _local_day(at: datetime | None) -> date | None:
    return None if at is None else to_local(at).date()


def _injecting(e: Episode) -> str | None:
    r = e.resident
    routes = [r.primary_route, *(route for _s, route in _others(r))]
    if "Injected" in routes or (e.top is not None and e.top.injecting_days > 0):
        return "currently_injecting"
    return None if r.primary_route is None else "not_currently_injecting"


_TOP_SUBSTANCES = ("alcohol", "opiates", "crack", "cocaine", "amphetamines", "cannabis", "other")


def _other(i: int) -> Callable[[Episode], Any]:
    def get(e: Episode) -> Any:
        others = _others(e.resident)
        return others[i][0] if len(others) > i else None
    return get


def _initial(name: str) -> Callable[[Episode], Any]:
    return lambda e: (getattr(e.resident, name) or "").strip()[:1].upper() or None


def _top_value(name: str) -> Callable[[Episode], Any]:
    def get(e: Episode) -> Any:
        if e.top is None:
            return None
        v = getattr(e.top, name)
        return ("yes" if v else "no") if isinstance(v, bool) else v
    return get


def getter(source: str) -> Callable[[Episode], Any]:
    """How to read our raw value (a str, date, int or None) of one named source from an episode."""
    head, _, transform = source.partition(":")
    if source == "none":
        return lambda e: None
    if head.startswith("resident."):
        name = head[9:]
        special: dict[str, Callable[[Episode], Any]] = {
            "substance1": lambda e: e.resident.primary_substance, "substance2": _other(0),
            "substance3": _other(1), "route1": lambda e: e.resident.primary_route,
            "injecting_status": _injecting}
        if name in special:
            return special[name]
        if transform == "initial":
            return _initial(name)
        return lambda e: getattr(e.resident, name)
    if source == "consent.ndtms":
        return lambda e: None if e.consent is None else ("given" if e.consent else "declined")
    if head == "admission.discharged_on":
        return lambda e: e.admission.discharged_on if e.discharged else None
    if head.startswith("admission."):
        name = head[10:]
        return lambda e: getattr(e.admission, name)
    if head.startswith("referral."):
        name = head[9:]
        return lambda e: None if e.referral is None else _local_day(getattr(e.referral, name))
    if source == "care_plan.completed_at:date":
        return lambda e: _local_day(e.care_plan_completed_at)
    if source == "discharge.reason":
        return lambda e: e.discharge_reason if e.discharged else None
    if head == "top.interview_on":
        return lambda e: None if e.top is None else e.top.interview_on
    if head.startswith("top.") and head.endswith("_days") and head[4:-5] in _TOP_SUBSTANCES:
        sub = head[4:-5]
        return lambda e: None if e.top is None else e.top_days.get(sub, 0)
    if head.startswith("top."):
        return _top_value(head[4:])
    raise ValueError(f"unknown source {source}")  # the loader refuses these first


def value_of(e: Episode, source: str) -> Any:
    """Our raw value for one named source."""
    return getter(source)(e)


# -- building the return ---------------------------------------------------------------------------
def _name(r: Any) -> str:
    return f"{r.preferred_name or r.given_name} {r.family_name}"


def build_rows(mapping: Mapping, eps: list[Episode], period: Period
               ) -> tuple[list[tuple[str, ...]], list[Problem], int, int]:
    """(rows, problems, complete episodes, episodes sent without identifying fields).

    What each field needs is worked out once (its getter, whether it is core, its codes, which
    checks apply), not per row; a date's text is made once per distinct date."""
    rows: list[tuple[str, ...]] = []
    problems: list[Problem] = []
    complete = withheld = 0
    fmt = mapping.date_format
    end = period.end
    plan = [(f, getter(f.source), f.identifying, f.core is True, f.core == "discharged", f.codes,
             f.source == "referral.received_at:date", f.source == "resident.date_of_birth:date",
             f.source == "resident.postcode") for f in mapping.fields]
    date_text: dict[date, str] = {}
    for e in eps:
        r = e.resident
        consented = e.consent is True
        withheld += not consented
        discharged = e.discharged
        admitted_on = e.admission.admitted_on
        cells: list[str] = []
        append = cells.append
        ok = True
        for f, get, identifying, always_core, core_when_discharged, codes, is_referral, is_dob, is_postcode in plan:
            if identifying and not consented:
                append("")
                continue
            raw = get(e)
            core = always_core or (core_when_discharged and discharged)
            if raw is None or raw == "":
                append("")
                if core:
                    ok = False
                    problems.append(_problem(e, f, "missing", f"{f.label} is not recorded."))
                continue
            if codes is not None:
                code = codes.get(str(raw))
                if code is None:
                    append("")
                    if core:
                        ok = False
                    problems.append(_problem(
                        e, f, "invalid", f"{f.label} '{raw}' has no NDTMS code in the mapping's "
                                         f"'{f.codes_name}' list: correct the record, or add the code to the mapping."))
                    continue
                append(code)
                continue
            if isinstance(raw, date):
                text = date_text.get(raw)
                if text is None:
                    text = date_text[raw] = raw.strftime(fmt)
                bad = None
                if raw > end:
                    bad = f"{f.label} {format_date(raw)} is after the end of the month."
                elif is_referral and raw > admitted_on:
                    bad = f"{f.label} {format_date(raw)} is after the admission on {format_date(admitted_on)}."
                elif is_dob and raw >= admitted_on:
                    bad = f"{f.label} {format_date(raw)} is not before the admission."
                if bad is not None:
                    if core:
                        ok = False
                    problems.append(_problem(e, f, "invalid", bad))
                append(text)
                continue
            text = str(raw)
            if is_postcode:
                norm = " ".join(text.upper().split())
                if not _POSTCODE.match(norm):
                    if core:
                        ok = False
                    problems.append(_problem(e, f, "invalid", f"{f.label} '{text}' is not a full UK postcode."))
                text = norm
            append(text)
        complete += ok
        rows.append(tuple(cells))
    return rows, problems, complete, withheld


def _problem(e: Episode, f: Field, kind: str, message: str) -> Problem:
    r = e.resident
    where = f.where
    return Problem(r.id, r.reference, _name(r), e.admission.id, f.name, f.label, kind, message,
                   where.tab, where.app_field)


def make_return(month: str, period: Period, mapping: Mapping, eps: list[Episode],
                top: tuple[int, int] | None) -> NdtmsReturn:
    """`top`: (due, completed) TOPs of the month, as `book.top.compliance` counts them."""
    rows, problems, complete, withheld = build_rows(mapping, eps, period)
    comp = Compliance(len(eps), complete, *(top or (0, 0)))
    return NdtmsReturn(month, period, mapping.dataset, mapping.version, mapping.codes_checked, mapping.header,
                       tuple(rows), tuple(problems), comp, withheld)


# -- files -----------------------------------------------------------------------------------------
def _cell(value: str | None) -> str:
    text = value or ""
    return "'" + text if starts_like_formula(text) else text


def return_csv(ret: NdtmsReturn) -> bytes:
    """The return: the mapping's header, one row per episode, every cell formula-safe. UTF-8."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([_cell(h) for h in ret.header])
    safe: dict[str, str] = {}  # codes and dates repeat: each distinct cell is checked once

    def cell(value: str) -> str:
        out = safe.get(value)
        if out is None:
            out = safe[value] = _cell(value)
        return out

    w.writerows([cell(c) for c in row] for row in ret.rows)
    return buf.getvalue().encode("utf-8")


QUALITY_COLUMNS = ("Reference", "Name", "Episode", "NDTMS field", "Field", "Problem", "What is wrong",
                   "Where to fix it", "Tab", "App field")


def quality_csv(ret: NdtmsReturn, *, names: bool = True) -> bytes:
    """The data-quality report, one row per problem (UTF-8 with a byte-order mark for Excel). With
    `names=False` (the copy queued beside the return) residents are named by reference only."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(QUALITY_COLUMNS)
    for p in ret.problems:
        w.writerow([_cell(p.reference), _cell(p.name if names else ""), p.episode_id, p.field, _cell(p.field_label),
                    "Missing" if p.kind == "missing" else "Invalid", _cell(p.message if names else _no_value(p)),
                    p.where, p.tab, p.app_field])
    return buf.getvalue().encode("utf-8-sig")


def _no_value(p: Problem) -> str:
    return f"{p.field_label} is not recorded." if p.kind == "missing" else f"{p.field_label} is not valid."


def quality_pdf(ret: NdtmsReturn, profile: Any, generated_at: datetime, *, names: bool = True) -> bytes:
    """The data-quality report on the unit's letterhead: compliance, then the problems by resident."""
    from keyworker.documents import layout as L

    c = ret.compliance
    story = [*L.letterhead(profile), L.heading(f"NDTMS data quality: {ret.label}", 1),
             L.fields([("Dataset", f"{ret.dataset} ({ret.version})"),
                       ("Codes checked", "Yes" if ret.codes_checked else
                        "Not yet: every code is to be checked against the NDTMS Reference Data"),
                       ("Episodes", str(c.episodes)), ("Core fields", c.core_text), ("TOP", c.top_text),
                       ("Without identifying fields", f"{ret.withheld} (no NDTMS consent)"),
                       ("Problems", f"{len(ret.problems)} for {ret.residents_with_problems} residents")]),
             L.spacer()]
    if ret.problems:
        rows = [[p.reference + (f"\n{p.name}" if names else ""), p.field_label + f" ({p.field})",
                 p.message if names else _no_value(p), p.where] for p in ret.problems]
        story += [L.heading("What to put right", 2),
                  L.grid(("Resident", "Field", "What is wrong", "Where to fix it"), rows, (38, 40, 62, 40))]
    else:
        story.append(L.para("Every core field of every episode is recorded and valid."))
    return L.render(story, title=f"NDTMS data quality {ret.month}", generated_at=generated_at, profile=profile)


def by_resident(problems: Iterable[Problem]) -> dict[str, list[Problem]]:
    out: dict[str, list[Problem]] = defaultdict(list)
    for p in problems:
        out[p.resident_id].append(p)
    return dict(out)
