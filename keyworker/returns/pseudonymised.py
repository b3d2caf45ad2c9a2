"""The pseudonymised extract for the Authority (specification 11.4.3): line-level data, one row per
episode (stay) active in a period, with nothing that names a person.

What a row holds: a keyed hash id per resident, the age band at admission, sex, ethnicity group,
district (a Lancashire district, else "Outside Lancashire"), setting, strand, the admission and
discharge MONTHS, the discharge type and reason (with its NDTMS code), whole weeks in treatment,
substances, injecting status, the Outcome Star's first and latest totals and the TOP's start and
exit health and quality-of-life scales. Never a name, a date of birth, a postcode, an NHS number, a
reference or any free text a person wrote.

The id: HMAC-SHA256 of the resident's internal id under a per-unit secret of 32 random bytes,
made once on the first extract and kept in the unit's settings sealed under the unit key
(AES-256-GCM, as destination secrets are). The same resident has the same id in every extract of
the unit; another unit (another secret) gives another id; without the secret the id cannot be
turned back into the resident.

The summary tables (residents by district and by age band) suppress small cells: a count from 1
to 4 is shown as "<5".

`book.extracts` (`ExtractService`): `pseudonymised(start, end)` (VIEW_REPORTS) makes it;
`queue_pseudonymised(start, end)` (VIEW_REPORTS) puts it in the outbox for the route of
"pseudonymised_extract", which must be an HTTPS API or an SFTP drop (never email)."""
from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import json
import os
from collections import Counter
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keyworker.db.caseload import Admission, Resident
from keyworker.db.discharges import Discharge
from keyworker.db.foundation import Setting
from keyworker.db.outcomes import StarReading, StarScore
from keyworker.db.top import Top
from keyworker.errors import ValidationError
from keyworker.input_types import typed_inputs
from keyworker.reports.periods import Period, between
from keyworker.security.permissions import Permission
from keyworker.text import starts_like_formula

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

KIND = "pseudonymised_extract"  # the outbox item's kind (keyworker/outbox/kinds.py)
SECRET_SETTING = "pseudonym_secret"  # settings row: the sealed per-unit secret (base64)
_SECRET_AD = "settings:pseudonym_secret"  # bound into the seal: the secret cannot be moved elsewhere
SMALL_CELL = 5  # counts from 1 to SMALL_CELL - 1 are shown as "<5"
LINE_TRANSPORTS = ("https", "sftp")  # where line-level data may go; never email

AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
UNDER_18 = "Under 18"
OUTSIDE = "Outside Lancashire"
NOT_RECORDED = "Not recorded"
SETTING_WORDS = {"24h_residential": "24-hour residential", "non_24h_residential": "Residential, not 24-hour",
                 "day_programme": "Day programme"}
PATH_WORDS = {"planned": "Planned discharge", "unplanned": "Unplanned discharge"}
STRAND_WORDS = {"level_1": "Level 1", "level_2": "Level 2"}
ETHNIC_GROUPS = (("White", "White"), ("Mixed", "Mixed or multiple ethnic groups"),
                 ("Asian", "Asian or Asian British"), ("Black", "Black or Black British"),
                 ("Other ethnic group", "Other ethnic group"), ("Prefer not to say", "Prefer not to say"))

COLUMNS = (
    "Pseudonymised id", "Age band at admission", "Sex", "Ethnicity group", "District", "Setting", "Strand",
    "Admission month", "Discharge month", "Discharge type", "Discharge reason", "Discharge reason NDTMS code",
    "Weeks in treatment", "Primary substance", "Other substances", "Injecting status",
    "Outcome Star first total", "Outcome Star latest total",
    "TOP start psychological health", "TOP start physical health", "TOP start quality of life",
    "TOP exit psychological health", "TOP exit physical health", "TOP exit quality of life",
)
SUMMARY_COLUMNS = ("Table", "Group", "Residents")


@dataclass(frozen=True)
class ExtractRow:
    """One episode, with nothing that names the resident. Months are "YYYY-MM"."""

    pseudo_id: str
    age_band: str
    sex: str
    ethnicity_group: str
    district: str
    setting: str
    strand: str
    admission_month: str
    discharge_month: str  # "" while the stay was open at the end of the period
    discharge_type: str
    discharge_reason: str
    discharge_reason_code: str
    weeks_in_treatment: int
    primary_substance: str
    other_substances: str
    injecting_status: str
    star_first_total: int | None
    star_latest_total: int | None
    top_start: tuple[int, int, int] | None  # psychological health, physical health, quality of life
    top_exit: tuple[int, int, int] | None

    def cells(self) -> list[str]:
        def num(v: int | None) -> str:
            return "" if v is None else str(v)

        start = self.top_start or (None, None, None)
        end = self.top_exit or (None, None, None)
        return [self.pseudo_id, self.age_band, self.sex, self.ethnicity_group, self.district, self.setting,
                self.strand, self.admission_month, self.discharge_month, self.discharge_type,
                self.discharge_reason, self.discharge_reason_code, str(self.weeks_in_treatment),
                self.primary_substance, self.other_substances, self.injecting_status,
                num(self.star_first_total), num(self.star_latest_total), *map(num, start), *map(num, end)]


@dataclass(frozen=True)
class Extract:
    period: Period
    rows: tuple[ExtractRow, ...]
    # (group, shown count): "<5" for a count from 1 to 4
    by_district: tuple[tuple[str, str], ...]
    by_age_band: tuple[tuple[str, str], ...]

    @property
    def residents(self) -> int:
        return len({r.pseudo_id for r in self.rows})

    @property
    def filename(self) -> str:
        return f"pseudonymised-extract-{self.period.slug}.csv"

    @property
    def summary_filename(self) -> str:
        return f"pseudonymised-extract-{self.period.slug}-summary.csv"


@dataclass(frozen=True)
class ExtractQueued:
    """The extract in the outbox: the line-level CSV and its summary, for `destination_name`."""

    item_ids: tuple[str, ...]
    rows: int
    destination_name: str
    transport: str  # https / sftp
    created: bool = True  # False: exactly this extract was already queued, nothing was added


# -- the secret and the id ---------------------------------------------------------------------
def _seal_key(book: Casebook) -> bytes:
    from keyworker.outbox.secrets import _key

    return _key(book)


def unit_secret(book: Casebook, s: Session, *, create: bool) -> bytes | None:
    """The unit's pseudonym secret, unsealed; made and stored (sealed) on first use when `create`."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    row = s.get(Setting, SECRET_SETTING)
    if row is not None:
        sealed = base64.b64decode(row.value)
        try:
            return AESGCM(_seal_key(book)).decrypt(sealed[1:13], sealed[13:], _SECRET_AD.encode())
        except (InvalidTag, ValueError) as e:
            raise ValidationError({"secret": "The unit's pseudonym secret does not open with this unit's key, so "
                                             "ids would not match earlier extracts. Ask your administrator."}) from e
    if not create:
        return None
    secret = os.urandom(32)
    nonce = os.urandom(12)
    sealed = b"\x01" + nonce + AESGCM(_seal_key(book)).encrypt(nonce, secret, _SECRET_AD.encode())
    s.add(Setting(key=SECRET_SETTING, value=base64.b64encode(sealed).decode()))
    s.flush()
    return secret


def reseal(conn: Any, old_key: bytes, new_key: bytes) -> bool:
    """The pseudonym secret sealed again under a new unit key, on a plain sqlcipher3 connection in
    the caller's transaction (the database being re-keyed: keyworker/sync/unit_key.py)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from keyworker.outbox.secrets import derived_key

    row = conn.execute("SELECT value FROM settings WHERE key = ?", (SECRET_SETTING,)).fetchone()
    if row is None:
        return False
    sealed = base64.b64decode(row[0])
    try:
        secret = AESGCM(derived_key(old_key)).decrypt(sealed[1:13], sealed[13:], _SECRET_AD.encode())
    except (InvalidTag, ValueError):
        return False
    nonce = os.urandom(12)
    sealed = b"\x01" + nonce + AESGCM(derived_key(new_key)).encrypt(nonce, secret, _SECRET_AD.encode())
    conn.execute("UPDATE settings SET value = ? WHERE key = ?", (base64.b64encode(sealed).decode(), SECRET_SETTING))
    return True


def pseudo_id(secret: bytes, resident_id: str) -> str:
    """"P-" and 20 hex digits (80 bits) of HMAC-SHA256(secret, resident id)."""
    return "P-" + hmac.new(secret, resident_id.encode(), hashlib.sha256).hexdigest()[:20]


# -- the vocabulary ----------------------------------------------------------------------------
@lru_cache(maxsize=1)
def districts() -> frozenset[str]:
    path = Path(__file__).resolve().parents[2] / "resources" / "reference" / "districts.json"
    return frozenset(json.loads(path.read_text(encoding="utf-8"))["districts"])


def age_band(dob: date | None, on: date) -> str:
    if dob is None:
        return NOT_RECORDED
    age = on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))
    if age < 18:
        return UNDER_18
    for band, top in zip(AGE_BANDS, (24, 34, 44, 54, 64), strict=False):
        if age <= top:
            return band
    return AGE_BANDS[-1]


def ethnicity_group(ethnicity: str | None) -> str:
    if not ethnicity:
        return NOT_RECORDED
    for prefix, words in ETHNIC_GROUPS:
        if ethnicity.startswith(prefix):
            return words
    return "Other ethnic group"


def district_of(district: str | None) -> str:
    if not district:
        return NOT_RECORDED
    return district if district in districts() else OUTSIDE


def month(d: date | None) -> str:
    return "" if d is None else f"{d.year:04d}-{d.month:02d}"


def _substances(primary: str | None, primary_route: str | None, others: str | None) -> tuple[str, str, str]:
    """(primary, other substances "; "-joined, injecting status). Injecting: any recorded route is
    "Injected"; not recorded when no route is recorded at all."""
    routes = [primary_route] if primary_route else []
    names: list[str] = []
    try:
        items = json.loads(others) if others else []
    except ValueError:
        items = []
    for it in items if isinstance(items, list) else []:
        if isinstance(it, dict):
            if it.get("substance"):
                names.append(str(it["substance"]))
            if it.get("route"):
                routes.append(str(it["route"]))
    status = NOT_RECORDED if not routes else "Injecting" if "Injected" in routes else "Not injecting"
    return primary or NOT_RECORDED, "; ".join(names), status


def suppress(counter: Counter[str], order: tuple[str, ...] = ()) -> tuple[tuple[str, str], ...]:
    """Groups with their counts shown, a count from 1 to 4 as "<5"; groups in `order` first (all
    of them, 0 included), then any others alphabetically."""
    keys = [*order, *sorted(k for k in counter if k not in order)]
    return tuple((k, "<5" if 0 < counter[k] < SMALL_CELL else str(counter[k])) for k in keys)


# -- building ----------------------------------------------------------------------------------
def build(s: Session, secret: bytes, period: Period) -> Extract:
    from keyworker.discharge_reasons import reason as reason_of
    from keyworker.discharges import TYPE_LABELS

    start, end = period.start, period.end
    active = ((Admission.admitted_on <= end)
              & ((Admission.discharged_on.is_(None)) | (Admission.discharged_on >= start))
              & Admission.archived.is_(False))
    adms = s.execute(
        select(Admission.id, Admission.resident_id, Admission.admitted_on, Admission.discharged_on,
               Admission.discharge_type, Admission.setting, Admission.strand, Resident.date_of_birth, Resident.sex,
               Resident.ethnicity, Resident.district, Resident.primary_substance, Resident.primary_route,
               Resident.other_substances)
        .join(Resident, Resident.id == Admission.resident_id).where(active)
        .order_by(Admission.admitted_on, Admission.id)).all()
    active_ids = select(Admission.id).where(active)
    discharges = {a: (t, r) for a, t, r in s.execute(
        select(Discharge.admission_id, Discharge.type, Discharge.reason_code)
        .where(Discharge.admission_id.in_(active_ids), Discharge.ends_stay.is_(True), Discharge.archived.is_(False))
        .order_by(Discharge.occurred_at))}
    totals = s.execute(
        select(StarReading.admission_id, StarReading.taken_on, func.sum(StarScore.score))
        .join(StarScore, StarScore.reading_id == StarReading.id)
        .where(StarReading.admission_id.in_(active_ids), StarReading.superseded_by_id.is_(None),
               StarReading.archived.is_(False), StarReading.taken_on <= end)
        .group_by(StarReading.id).order_by(StarReading.taken_on, StarReading.created_at)).all()
    star: dict[str, tuple[int, int]] = {}
    for aid, _on, total in totals:
        star[aid] = (star[aid][0] if aid in star else int(total), int(total))
    tops: dict[tuple[str, str], tuple[int, int, int]] = {}
    for aid, stage, psy, phys, qol in s.execute(
            select(Top.admission_id, Top.stage, Top.psychological_health, Top.physical_health, Top.quality_of_life)
            .where(Top.admission_id.in_(active_ids), Top.stage.in_(("start", "exit")), Top.archived.is_(False),
                   Top.interview_on <= end).order_by(Top.interview_on)):
        tops.setdefault((aid, stage), (psy, phys, qol))  # the first of each stage

    rows: list[ExtractRow] = []
    ids: dict[str, str] = {}
    for a in adms:
        rid = ids.get(a.resident_id) or ids.setdefault(a.resident_id, pseudo_id(secret, a.resident_id))
        ended = a.discharged_on if a.discharged_on is not None and a.discharged_on <= end else None
        dtype = dreason = dcode = ""
        if ended is not None:
            kind, code = discharges.get(a.id, (None, None))
            dtype = TYPE_LABELS.get(kind or "", "") or PATH_WORDS.get(a.discharge_type or "", NOT_RECORDED)
            r = reason_of(code) if code else None
            dreason, dcode = (r.label, r.ndtms_code) if r else (NOT_RECORDED, "")
        primary, others, injecting = _substances(a.primary_substance, a.primary_route, a.other_substances)
        first: int | None = None
        latest: int | None = None
        if a.id in star:
            first, latest = star[a.id]
        rows.append(ExtractRow(
            pseudo_id=rid, age_band=age_band(a.date_of_birth, a.admitted_on), sex=a.sex or NOT_RECORDED,
            ethnicity_group=ethnicity_group(a.ethnicity), district=district_of(a.district),
            setting=SETTING_WORDS.get(a.setting, a.setting), strand=STRAND_WORDS.get(a.strand, a.strand),
            admission_month=month(a.admitted_on), discharge_month=month(ended), discharge_type=dtype,
            discharge_reason=dreason, discharge_reason_code=dcode,
            weeks_in_treatment=max(0, ((ended or end) - a.admitted_on).days // 7),
            primary_substance=primary, other_substances=others, injecting_status=injecting,
            star_first_total=first, star_latest_total=latest,
            top_start=tops.get((a.id, "start")), top_exit=tops.get((a.id, "exit")) if ended else None))
    # Residents (not episodes) per group: a resident with two stays counts once, by the latest.
    latest_of: dict[str, ExtractRow] = {r.pseudo_id: r for r in rows}
    by_district = Counter(r.district for r in latest_of.values())
    by_age = Counter(r.age_band for r in latest_of.values())
    return Extract(period, tuple(rows), suppress(by_district, tuple(sorted(districts()))),
                   suppress(by_age, AGE_BANDS))


# -- CSV -------------------------------------------------------------------------------------
def _cell(text: str) -> str:
    """A cell that starts like a formula is prefixed with an apostrophe (a spreadsheet shows it).
    A cell starting with an ASCII letter or digit cannot (its first visible character is that one):
    the fast path for the ids, bands and numbers that make most of an extract."""
    first = text[:1]
    if first.isascii() and first.isalnum():
        return text
    return "'" + text if starts_like_formula(text) else text


def extract_csv(extract: Extract) -> bytes:
    """The line-level rows, UTF-8 with a byte-order mark so Excel reads it."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(COLUMNS)
    for r in extract.rows:
        w.writerow([_cell(c) for c in r.cells()])
    return buf.getvalue().encode("utf-8-sig")


def summary_csv(extract: Extract) -> bytes:
    """Residents by district and by age band, small cells shown as "<5"."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(SUMMARY_COLUMNS)
    for table, groups in (("Residents by district", extract.by_district),
                          ("Residents by age band at admission", extract.by_age_band)):
        for group, shown in groups:
            w.writerow([_cell(table), _cell(group), _cell(shown)])
    return buf.getvalue().encode("utf-8-sig")


def _period(start: date | str, end: date | str) -> Period:
    return between(start, end)


class ExtractService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    @typed_inputs(requires=Permission.VIEW_REPORTS)
    def pseudonymised(self, start: date | str, end: date | str, *, output: str = "view") -> Extract:
        """The pseudonymised extract of episodes active from `start` to `end` (both included).
        Audited `extract.pseudonymised` with the period and the number of rows, never an id."""
        if output not in ("view", "csv"):
            raise ValidationError({"output": f"Unknown output '{output}'."})
        period = _period(start, end)
        with self._book._write() as s:
            secret = unit_secret(self._book, s, create=True)
            assert secret is not None
            extract = build(s, secret, period)
            self._book._record(s, "extract.pseudonymised", "report", None,
                               detail={"from": period.start.isoformat(), "to": period.end.isoformat(),
                                       "rows": len(extract.rows), "output": output})
        return extract

    @typed_inputs(requires=Permission.VIEW_REPORTS)
    def queue_pseudonymised(self, start: date | str, end: date | str) -> ExtractQueued:
        """Make the extract and put it (the line-level CSV and its summary, two items) in the
        outbox for the destination routed for "pseudonymised_extract", in one transaction with its
        audit entry (`extract.pseudonymised_queue`). Refused, with nothing queued, when no
        destination is routed or it is an email destination: line-level data goes only by an
        HTTPS API or an SFTP drop (11.4.4)."""
        from keyworker.db.outbox import OutboxDestination
        from keyworker.outbox.queue import Recipient, default_destination, enqueue, existing_item

        period = _period(start, end)
        with self._book._write() as s:
            dest_id = default_destination(s, KIND)
            dest = s.get(OutboxDestination, dest_id) if dest_id else None
            if dest is None or dest.archived:
                raise ValidationError({"destination": "No destination is set for pseudonymised extracts. A senior "
                                                      "or the administrator sets one in Administration → "
                                                      "Destinations (an HTTPS API or an SFTP drop)."})
            if dest.transport not in LINE_TRANSPORTS:
                raise ValidationError({"destination": f"Pseudonymised extracts are set to go to '{dest.name}', "
                                                      "which is email. Line-level data is not sent by email: "
                                                      "route them to an HTTPS API or an SFTP drop in "
                                                      "Administration → Destinations, or save the file instead."})
            secret = unit_secret(self._book, s, create=True)
            assert secret is not None
            extract = build(s, secret, period)
            rows_csv, sums_csv = extract_csv(extract), summary_csv(extract)
            # same period and same content: the same items (the idempotency key says so)
            digest = hashlib.sha256(rows_csv + sums_csv).hexdigest()[:32]
            recipient = Recipient(name="The Authority", role="authority")
            items: list[str] = []
            created = False
            for title, payload, filename, part in (
                    (f"Pseudonymised extract {period.slug}", rows_csv, extract.filename, "rows"),
                    (f"Pseudonymised extract {period.slug} (summary)", sums_csv, extract.summary_filename, "summary")):
                subject = f"{KIND}|{period.slug}|{digest}|{part}"
                item = existing_item(s, kind=KIND, subject=subject, recipient=recipient)
                if item is None:
                    item = enqueue(self._book, s, kind=KIND, title=title, payload=payload, filename=filename,
                                   mime_type="text/csv", recipient=recipient, subject=subject)
                    created = True
                items.append(item.id)
            self._book._record(s, "extract.pseudonymised_queue", "report", None,
                               detail={"from": period.start.isoformat(), "to": period.end.isoformat(),
                                       "rows": len(extract.rows), "destination": dest.name, "new": created})
            return ExtractQueued(tuple(items), len(extract.rows), dest.name, dest.transport, created)


__all__ = ["COLUMNS", "Extract", "ExtractQueued", "ExtractRow", "ExtractService", "KIND", "extract_csv",
           "pseudo_id", "summary_csv", "age_band"]
