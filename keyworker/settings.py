"""Business settings of the unit, declared once with their defaults, stored in the encrypted DB."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from keyworker.db.foundation import Setting
from keyworker.errors import ValidationError
from keyworker.security.permissions import Permission

if TYPE_CHECKING:
    from keyworker.casebook import Casebook


@dataclass(frozen=True)
class SettingSpec:
    key: str
    label: str
    default: Any
    kind: type
    minimum: int | None = None
    maximum: int | None = None
    admin_only: bool = True


SPECS = {
    s.key: s
    for s in [
        SettingSpec("unit_name", "Unit name", "", str),
        SettingSpec("idle_lock_minutes", "Lock after this many idle minutes", 10, int, 1, 120),
        SettingSpec("unit_id", "Unit id", "", str),
        # When each shift starts, "HH:MM" local time (keyworker/shifts.py; the handover's default).
        SettingSpec("shift_early", "Early shift starts", "07:00", str),
        SettingSpec("shift_late", "Late shift starts", "14:30", str),
        SettingSpec("shift_night", "Night shift starts", "21:30", str),
        # Unplanned discharge to the community at night must be avoided (4.1.7.10): between these
        # times, "HH:MM" local time, the discharge asks why (keyworker/discharges.py).
        SettingSpec("discharge_night_starts", "Night starts for discharges", "21:00", str),
        SettingSpec("discharge_night_ends", "Night ends for discharges", "08:00", str),
        # Out-of-hours adult social care (4.1.2.6: "as of December 2023 ... 0300 123 6720"; the
        # unit checks it periodically and changes it here if the Authority gives another).
        SettingSpec("out_of_hours_social_care_phone", "Out-of-hours adult social care number", "0300 123 6720", str),
    ]
}


def set_setting(session: Session, key: str, value: Any) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=str(value)))
    else:
        row.value = str(value)


class SettingsService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    def get(self, key: str) -> Any:
        # Open: unit configuration every signed-in app needs (idle lock, unit name), no personal data.
        spec = SPECS[key]
        with self._book._read() as s:
            row = s.get(Setting, key)
        if row is None:
            return spec.default
        try:
            return spec.kind(row.value)
        except ValueError:
            return spec.default

    def set(self, key: str, value: Any) -> None:
        spec = SPECS.get(key)
        if spec is None:
            raise ValidationError({key: "Unknown setting."})
        if spec.admin_only:
            self._book.require(Permission.MANAGE_ACCOUNTS)
        try:
            typed = spec.kind(value)
        except (TypeError, ValueError) as e:
            raise ValidationError({key: f"{spec.label} must be a {spec.kind.__name__}."}) from e
        if spec.minimum is not None and typed < spec.minimum or spec.maximum is not None and typed > spec.maximum:
            raise ValidationError({key: f"{spec.label} must be between {spec.minimum} and {spec.maximum}."})
        with self._book._write() as s:
            set_setting(s, key, typed)
            self._book._record(s, "setting.change", "setting", None, detail={"key": key, "value": typed})
