"""The NDTMS mapping file (resources/returns/ndtms_cds_r.json): which dataset it follows, the CSV's
fields in order (each with its NDTMS name, words for people, its source in our data, whether it is
core and whether it identifies the person) and every code list from our values to NDTMS codes.

A unit corrects the file when the dataset changes, without a code change. A broken file is refused
with a message naming the file, the field and what is wrong (house style: discharge_reasons.py):
an unknown source, a field named twice, a code list that is missing or lacks a value our data can
hold. The sources are a small fixed vocabulary implemented in keyworker/returns/ndtms.py
(`SOURCES`); the values each code list must cover come from resources/reference/*.json."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from keyworker import discharge_reasons
from keyworker import reference_data as ref
from keyworker.errors import KeyworkerError

FILE = Path(__file__).resolve().parent.parent.parent / "resources" / "returns" / "ndtms_cds_r.json"
CORE_VALUES = (True, False, "discharged")
TOP_RULES = ("latest_in_month",)


class MappingError(KeyworkerError, ValueError):
    """The mapping file cannot be used; the message says which file, which field, what is wrong."""


@dataclass(frozen=True)
class Source:
    """One named source: which app tab and field hold it (where to fix it), and the vocabulary of
    our values a code list for it must cover (None: not coded, e.g. a date)."""

    tab: str
    app_field: str
    vocabulary: str | None = None


def _settings_codes() -> tuple[str, ...]:
    return tuple(o.code for o in ref.settings())


# The values our data can hold, per vocabulary. Coded sources name one of these.
def vocabularies() -> dict[str, tuple[str, ...]]:
    demo = {f: ref.demographic_options(f) for f in ("sex", "ethnicity", "sexual_orientation", "pregnancy",
                                                    "nationality")}
    return {
        **demo,
        "consent": ("given", "declined"),
        "local_authority": ref.districts(),
        "substance": ref.substances(),
        "route": ref.routes(),
        "injecting_status": ("currently_injecting", "not_currently_injecting"),
        "discharge_reason": tuple(r.code for r in discharge_reasons.reasons()),
        "top_stage": ("start", "review", "exit", "post_treatment_exit"),
        "yes_no": ("yes", "no"),
        "setting": _settings_codes(),
    }


# The named sources the export implements (keyworker/returns/ndtms.py reads each one).
_TOP_DAYS = ("alcohol", "opiates", "crack", "cocaine", "amphetamines", "cannabis", "other")
_TOP_NUMBERS = ("tobacco_days", "injecting_days", "shoplifting_days", "drug_selling_days", "paid_work_days",
                "education_days", "psychological_health", "physical_health", "quality_of_life")
_TOP_YES_NO = ("shared_needles", "shared_other_equipment", "vehicle_theft", "property_theft", "fraud", "assault",
               "acute_housing_problem", "eviction_risk")
SOURCES: dict[str, Source] = {
    "none": Source("overview", ""),  # not held by Keyworker: always empty
    "resident.given_name:initial": Source("overview", "given_name"),
    "resident.family_name:initial": Source("overview", "family_name"),
    "resident.date_of_birth:date": Source("overview", "date_of_birth"),
    "resident.sex": Source("overview", "sex", "sex"),
    "resident.ethnicity": Source("overview", "ethnicity", "ethnicity"),
    "resident.nationality": Source("overview", "nationality", "nationality"),
    "resident.sexual_orientation": Source("overview", "sexual_orientation", "sexual_orientation"),
    "resident.pregnancy": Source("overview", "pregnancy", "pregnancy"),
    "resident.postcode": Source("overview", "postcode"),
    "resident.district": Source("overview", "district", "local_authority"),
    "resident.substance1": Source("overview", "primary_substance", "substance"),
    "resident.substance2": Source("overview", "other_substances", "substance"),
    "resident.substance3": Source("overview", "other_substances", "substance"),
    "resident.route1": Source("overview", "primary_route", "route"),
    "resident.injecting_status": Source("overview", "primary_route", "injecting_status"),
    "resident.reference": Source("overview", "reference"),
    "consent.ndtms": Source("overview", "consents", "consent"),
    "admission.id": Source("overview", "admission"),
    "admission.admitted_on:date": Source("overview", "admitted_on"),
    "admission.discharged_on:date": Source("discharge", "discharged_on"),
    "admission.setting": Source("overview", "setting", "setting"),
    "referral.received_at:date": Source("overview", "referral_received"),
    "referral.decided_at:date": Source("overview", "referral_decided"),
    "care_plan.completed_at:date": Source("care_plan", "completed"),
    "discharge.reason": Source("discharge", "reason", "discharge_reason"),
    "top.interview_on:date": Source("outcomes", "top"),
    "top.stage": Source("outcomes", "top", "top_stage"),
    **{f"top.{s}_days": Source("outcomes", "top") for s in _TOP_DAYS},
    **{f"top.{n}": Source("outcomes", "top") for n in _TOP_NUMBERS},
    **{f"top.{n}": Source("outcomes", "top", "yes_no") for n in _TOP_YES_NO},
}


@dataclass(frozen=True)
class Field:
    name: str  # the NDTMS field name, the CSV header
    label: str  # in words, for the data-quality report
    source: str
    core: bool | str  # True, False, or "discharged" (core once the episode has ended)
    identifying: bool  # left empty when the resident has not given NDTMS consent
    codes: dict[str, str] | None  # our value -> NDTMS code
    codes_name: str | None

    def core_for(self, discharged: bool) -> bool:
        return self.core is True or (self.core == "discharged" and discharged)

    @property
    def where(self) -> Source:
        return SOURCES[self.source]


@dataclass(frozen=True)
class Mapping:
    path: Path
    dataset: str
    version: str
    codes_checked: bool
    note: str
    date_format: str
    episode_settings: tuple[str, ...]
    top: str
    fields: tuple[Field, ...]

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


def _text(data: dict[str, Any], key: str, where: str) -> str:
    v = data.get(key)
    if not isinstance(v, str) or not v.strip():
        raise MappingError(f"{where}: \"{key}\" is missing or empty")
    return v


def load(path: Path = FILE) -> Mapping:
    name = path.name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise MappingError(f"{name}: cannot be read as JSON ({e})") from e
    if not isinstance(data, dict):
        raise MappingError(f"{name}: must be a JSON object")
    dataset, version = _text(data, "dataset", name), _text(data, "version", name)
    date_format = data.get("date_format", "%d/%m/%Y")
    if not isinstance(date_format, str) or "%" not in date_format:
        raise MappingError(f"{name}: \"date_format\" must be a date pattern such as %d/%m/%Y")
    settings = data.get("episode_settings")
    known_settings = _settings_codes()
    if not isinstance(settings, list) or not settings or not all(s in known_settings for s in settings):
        raise MappingError(f"{name}: \"episode_settings\" must list the settings that are residential "
                           f"rehabilitation, from {', '.join(known_settings)}")
    top = data.get("top", "latest_in_month")
    if top not in TOP_RULES:
        raise MappingError(f"{name}: \"top\" must be one of {', '.join(TOP_RULES)}, not {top!r}")
    lists = data.get("code_lists")
    if not isinstance(lists, dict):
        raise MappingError(f"{name}: needs an object called \"code_lists\"")
    rows = data.get("fields")
    if not isinstance(rows, list) or not rows:
        raise MappingError(f"{name}: needs a non-empty list called \"fields\"")
    vocab = vocabularies()
    fields: list[Field] = []
    seen: set[str] = set()
    for i, r in enumerate(rows, 1):
        where = f"{name}, field {i}"
        if not isinstance(r, dict):
            raise MappingError(f"{where}: must be an object")
        fname = _text(r, "name", where)
        where = f"{name}, field {fname}"
        if fname in seen:
            raise MappingError(f"{where}: the field is named twice")
        seen.add(fname)
        source = _text(r, "source", where)
        if source not in SOURCES:
            raise MappingError(f"{where}: unknown source {source!r} (the sources Keyworker knows are listed "
                               "in docs/RETURNS.md)")
        core = r.get("core", False)
        if core not in CORE_VALUES or isinstance(core, int) and not isinstance(core, bool):
            raise MappingError(f"{where}: \"core\" must be true, false or \"discharged\"")
        identifying = r.get("identifying", False)
        if not isinstance(identifying, bool):
            raise MappingError(f"{where}: \"identifying\" must be true or false")
        need = SOURCES[source].vocabulary
        codes_name = r.get("codes")
        codes: dict[str, str] | None = None
        if need is not None:
            if not isinstance(codes_name, str) or not codes_name:
                raise MappingError(f"{where}: source {source!r} is coded: name its code list in \"codes\"")
            raw = lists.get(codes_name)
            if not isinstance(raw, dict) or not raw:
                raise MappingError(f"{where}: code list {codes_name!r} is missing from \"code_lists\"")
            if not all(isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in raw.items()):
                raise MappingError(f"{name}, code list {codes_name}: every code must be non-empty text")
            required = settings if need == "setting" else vocab[need]
            missing = [v for v in required if v not in raw]
            if missing:
                raise MappingError(f"{where}: code list {codes_name!r} has no code for "
                                   + ", ".join(repr(m) for m in missing[:5])
                                   + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""))
            codes = dict(raw)
        elif codes_name is not None:
            raise MappingError(f"{where}: source {source!r} is not coded: remove \"codes\"")
        fields.append(Field(fname, str(r.get("label") or fname), source, core, identifying, codes,
                            codes_name if codes is not None else None))
    return Mapping(path, dataset, version, bool(data.get("codes_checked")), str(data.get("note") or ""),
                   date_format, tuple(settings), top, tuple(fields))


@cache
def _cached(path: Path, mtime_ns: int) -> Mapping:
    return load(path)


def current(path: Path | None = None) -> Mapping:
    """The mapping in force (re-read when the file changes)."""
    p = path or FILE
    try:
        stamp = p.stat().st_mtime_ns
    except OSError as e:
        raise MappingError(f"{p.name}: cannot be read ({e.strerror or e})") from e
    return _cached(p, stamp)
