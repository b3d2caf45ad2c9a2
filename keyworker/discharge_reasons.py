"""Why a stay ends: the reference list in resources/reference/discharge_reasons.json, aligned
with the NDTMS discharge reasons, each with its NDTMS code beside it. The codes are marked as to
be checked against the NDTMS Reference Data; a unit corrects them in that file, not in code. A
broken file is refused with a message naming the file, the entry and what is wrong."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from keyworker.reference_data import REFERENCE_DIR

FILE = REFERENCE_DIR / "discharge_reasons.json"
KINDS = ("planned", "unplanned", "either")


class DischargeReasonsError(ValueError):
    """The reasons file cannot be used; the message says which file, which entry, what is wrong."""


@dataclass(frozen=True)
class DischargeReason:
    code: str
    label: str
    ndtms_code: str
    kind: str  # planned / unplanned / either: which path offers it
    completed: bool  # a completed programme: the 3- and 6-month follow-ups are scheduled

    def offered_for(self, path: str) -> bool:
        return self.kind in (path, "either")


def load(path: Path = FILE) -> tuple[DischargeReason, ...]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise DischargeReasonsError(f"{path.name}: cannot be read as JSON ({e})") from e
    rows = data.get("reasons") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not rows:
        raise DischargeReasonsError(f"{path.name}: needs a non-empty list called \"reasons\"")
    out: list[DischargeReason] = []
    seen: set[str] = set()
    for i, r in enumerate(rows, 1):
        where = f"{path.name}, reason {i}"
        if not isinstance(r, dict):
            raise DischargeReasonsError(f"{where}: must be an object")
        for field in ("code", "label", "ndtms_code", "kind"):
            if not isinstance(r.get(field), str) or not r[field].strip():
                raise DischargeReasonsError(f"{where}: \"{field}\" is missing or empty")
        if r["kind"] not in KINDS:
            raise DischargeReasonsError(f"{where}: \"kind\" must be one of {', '.join(KINDS)}, not {r['kind']!r}")
        if r["code"] in seen:
            raise DischargeReasonsError(f"{where}: code {r['code']!r} is used twice")
        seen.add(r["code"])
        out.append(DischargeReason(r["code"], r["label"], r["ndtms_code"], r["kind"], bool(r.get("completed"))))
    return tuple(out)


@cache
def reasons() -> tuple[DischargeReason, ...]:
    return load()


def reason(code: str) -> DischargeReason | None:
    return next((r for r in reasons() if r.code == code), None)


def offered(path: str) -> tuple[DischargeReason, ...]:
    """The reasons the planned or the unplanned path offers, in the file's order."""
    return tuple(r for r in reasons() if r.offered_for(path))
