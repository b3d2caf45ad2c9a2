"""Reference lists of the caseload (districts, minimum-data-set options, substances, routes,
decline reasons, settings, strands), loaded once from resources/reference/*.json."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from keyworker.db.caseload import PREFER_NOT_TO_SAY

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "resources" / "reference"

# The protected characteristics and other minimum-data-set fields that allow "Prefer not to say".
DEMOGRAPHIC_FIELDS = (
    "sex",
    "gender_identity",
    "ethnicity",
    "religion",
    "sexual_orientation",
    "disability",
    "pregnancy",
    "marital_status",
    "nationality",
)
# Nationality is free text: its list is only suggestions.
FREE_TEXT_DEMOGRAPHICS = frozenset({"nationality"})


@dataclass(frozen=True)
class Option:
    code: str
    label: str


@cache
def _load(name: str) -> dict[str, Any]:
    with open(REFERENCE_DIR / f"{name}.json", encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


def _options(name: str, key: str) -> tuple[Option, ...]:
    return tuple(Option(o["code"], o["label"]) for o in _load(name)[key])


def districts() -> tuple[str, ...]:
    """The 12 Lancashire districts."""
    return tuple(_load("districts")["districts"])


def demographic_options(field: str) -> tuple[str, ...]:
    """The choices for one minimum-data-set field; the last is always 'Prefer not to say'."""
    return tuple(_load("demographics")[field])


def substances() -> tuple[str, ...]:
    return tuple(_load("substances")["substances"])


def routes() -> tuple[str, ...]:
    return tuple(_load("substances")["routes"])


def admission_categories() -> tuple[Option, ...]:
    return _options("caseload", "admission_categories")


def settings() -> tuple[Option, ...]:
    return _options("caseload", "settings")


def strands() -> tuple[Option, ...]:
    return _options("caseload", "strands")


def decline_categories() -> tuple[Option, ...]:
    return _options("caseload", "decline_categories")


def decline_letter_wording(code: str | None) -> str:
    """How a decline category reads in the letter to the referrer: plain words, no clause
    numbers (the label, with its clause, stays for staff and the declines report)."""
    for o in _load("caseload")["decline_categories"]:
        if o["code"] == code:
            return str(o.get("letter") or o["label"])
    return "The reason is explained in full below."


def consent_kinds() -> tuple[Option, ...]:
    return _options("caseload", "consent_kinds")


def label(options: tuple[Option, ...], code: str | None) -> str:
    """The label for a code, or the code itself if unknown (never fails on old data)."""
    for o in options:
        if o.code == code:
            return o.label
    return code or ""


def find_code(options: tuple[Option, ...], text: str | None) -> str | None:
    """Match a code or a label, case-insensitively (for imports and the CLI)."""
    if not text:
        return None
    t = text.strip().lower()
    for o in options:
        if t in (o.code.lower(), o.label.lower()):
            return o.code
    return None


__all__ = [
    "PREFER_NOT_TO_SAY",
    "DEMOGRAPHIC_FIELDS",
    "Option",
    "districts",
    "demographic_options",
    "substances",
    "routes",
    "admission_categories",
    "settings",
    "strands",
    "decline_categories",
    "consent_kinds",
    "label",
    "find_code",
]
