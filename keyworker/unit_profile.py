"""The unit profile: who the unit is on paper. Every letter and printout takes its letterhead
(logo, name, address, phone, secure email), signatory's unit and footer (provider, CQC location,
footer text) from it. `book.unit_profile`: `get()` is open to everyone signed in (a key worker
prints letters too); changing it is for administrators and seniors (`edit_unit_profile`).

Stored as settings rows ("unit_name" is the same row the settings service and older documents
read), the logo as base64 PNG, so a backup carries the profile with the unit."""
from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker.db.foundation import Setting
from keyworker.errors import ValidationError
from keyworker.input_types import typed_inputs
from keyworker.security.permissions import Permission
from keyworker.settings import set_setting
from keyworker.unit_logo import logo_size, prepare_logo
from keyworker.unit_name import remember_unit_name
from keyworker.validation import Cleaner

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

MAX_ADDRESS_LINES, MAX_ADDRESS_LINE = 5, 100
MAX_FOOTER, MAX_FOOTER_LINES = 400, 3

# field -> settings key. unit_name keeps its historical key.
KEYS: dict[str, str] = {
    "unit_name": "unit_name",
    "address_lines": "profile.address_lines",
    "postcode": "profile.postcode",
    "phone": "profile.phone",
    "secure_email": "profile.secure_email",
    "provider_name": "profile.provider_name",
    "cqc_location": "profile.cqc_location",
    "footer_text": "profile.footer_text",
    # The Authority's nominated person: the declined-referrals report goes to them (4.1.2.3).
    "authority_name": "profile.authority_name",
    "authority_email": "profile.authority_email",
}
LOGO_KEY = "profile.logo"
FIELDS = tuple(KEYS)
LABELS: dict[str, str] = {
    "unit_name": "Unit name",
    "address_lines": "Postal address",
    "postcode": "Postcode",
    "phone": "Phone",
    "secure_email": "Secure email",
    "provider_name": "Provider",
    "cqc_location": "Registered CQC location",
    "footer_text": "Footer text",
    "authority_name": "Authority's nominated person",
    "authority_email": "Their email",
    "logo": "Logo",
}


@dataclass(frozen=True)
class UnitProfile:
    unit_name: str = ""
    address_lines: tuple[str, ...] = ()
    postcode: str = ""
    phone: str = ""
    secure_email: str = ""
    provider_name: str = ""
    cqc_location: str = ""
    footer_text: str = ""
    authority_name: str = ""  # who receives the declined-referrals report for the Authority
    authority_email: str = ""
    logo: bytes | None = None  # PNG, already scaled for the letterhead

    def missing(self) -> list[str]:
        """Plain labels of what a letter needs and this profile lacks (empty: ready to post)."""
        out: list[str] = []
        if not self.unit_name:
            out.append("unit name")
        if not self.address_lines or not self.postcode:
            out.append("postal address with postcode")
        if not self.phone:
            out.append("phone")
        if not self.secure_email:
            out.append("secure email")
        return out

    @property
    def address_block(self) -> tuple[str, ...]:
        """The postal address as printed: its lines, then the postcode."""
        return self.address_lines + ((self.postcode,) if self.postcode else ())

    @property
    def footer_lines(self) -> tuple[str, ...]:
        """What the page footer of a letter carries: provider and CQC location, then the footer text."""
        first = " · ".join(x for x in (
            self.provider_name,
            f"CQC registered location: {self.cqc_location}" if self.cqc_location else "",
        ) if x)
        return tuple(x for x in (first, *self.footer_text.splitlines()) if x.strip())


def _uk_phone(text: str) -> bool:
    """A UK number: 0 and 9-10 more digits, or +44 and 9-10 digits (spaces, dashes, brackets allowed)."""
    if not re.fullmatch(r"\+?[0-9 ()\-]{10,24}", text):
        return False
    digits = re.sub(r"\D", "", text)
    if text.startswith("+"):
        return digits.startswith("44") and 11 <= len(digits) <= 12
    return digits.startswith("0") and 10 <= len(digits) <= 11


def _lines(raw: Any) -> list[str] | None:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [ln.strip() for ln in raw.splitlines() if ln.strip()]
    if isinstance(raw, list | tuple) and all(isinstance(x, str) for x in raw):
        return [" ".join(x.split()) for x in raw if x.strip()]
    return None


def validate_profile(data: Mapping[str, Any], *, partial: bool = True) -> tuple[dict[str, Any], dict[str, str]]:
    """Cleaned values and {field: message} for a person. Blank optional fields clear them."""
    unknown = [k for k in data if k not in FIELDS]
    c = Cleaner(data, partial=partial)
    c.text("unit_name", LABELS["unit_name"], required=True, max_len=200)
    c.postcode("postcode", LABELS["postcode"])
    c.text("phone", LABELS["phone"], max_len=30)
    if c.values.get("phone") and not _uk_phone(c.values["phone"]):
        c.errors["phone"] = "Phone must be a UK number like 01772 123456 or +44 1772 123456."
        del c.values["phone"]
    c.email("secure_email", LABELS["secure_email"])
    c.text("provider_name", LABELS["provider_name"], max_len=200)
    c.text("cqc_location", LABELS["cqc_location"], max_len=200)
    c.text("authority_name", LABELS["authority_name"], max_len=200)
    c.email("authority_email", "The nominated person's email")
    c.text("footer_text", LABELS["footer_text"], max_len=MAX_FOOTER * 2)
    footer = c.values.get("footer_text")
    if footer is not None:
        lines = [ln.strip() for ln in footer.splitlines() if ln.strip()]
        if len(footer) > MAX_FOOTER:
            c.error("footer_text", f"Footer text is too long ({MAX_FOOTER} characters at most).")
        elif len(lines) > MAX_FOOTER_LINES:
            c.error("footer_text", f"Footer text fits {MAX_FOOTER_LINES} lines at most.")
        else:
            c.values["footer_text"] = "\n".join(lines)
    if "address_lines" in data or not partial:
        raw = data.get("address_lines")
        if isinstance(raw, str) and len(raw) > MAX_ADDRESS_LINES * (MAX_ADDRESS_LINE + 2):
            c.error("address_lines", "The postal address is too long.")
        else:
            address = _lines(raw)
            if address is None:
                c.error("address_lines", "Postal address must be text, one line per line.")
            elif len(address) > MAX_ADDRESS_LINES:
                c.error("address_lines", f"Postal address fits {MAX_ADDRESS_LINES} lines at most "
                                         "(the postcode has its own field).")
            elif any(len(ln) > MAX_ADDRESS_LINE for ln in address):
                c.error("address_lines", f"Each address line is {MAX_ADDRESS_LINE} characters at most.")
            elif any("\x00" in ln for ln in address):
                c.error("address_lines", "Postal address contains a character that cannot be stored.")
            else:
                c.values["address_lines"] = tuple(address)
    for k in unknown:
        c.errors[k] = "This is not a field of the unit profile."
    return c.values, c.errors


def _stored(field: str, value: Any) -> str:
    if field == "address_lines":
        return "\n".join(value or ())
    return "" if value is None else str(value)


def read_profile(s: Session) -> UnitProfile:
    """The profile inside a session the caller already holds (documents made in a write)."""
    rows = {r.key: r.value for r in s.scalars(select(Setting).where(Setting.key.in_([*KEYS.values(), LOGO_KEY])))}
    values: dict[str, Any] = {f: rows.get(k, "") for f, k in KEYS.items()}
    values["address_lines"] = tuple(ln for ln in values["address_lines"].splitlines() if ln)
    logo = None
    if rows.get(LOGO_KEY):
        try:
            logo = base64.b64decode(rows[LOGO_KEY], validate=True)
        except (binascii.Error, ValueError):
            logo = None  # a damaged row prints no logo rather than failing every letter
    return UnitProfile(**values, logo=logo)


class UnitProfileService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    def get(self) -> UnitProfile:
        # Open: the letterhead every signed-in user prints on; the unit's public details, no personal data.
        with self._book._read() as s:
            return read_profile(s)

    @typed_inputs
    def validate(self, changes: Mapping[str, Any]) -> dict[str, str]:
        # Open: checks the form's own values and reads nothing.
        return validate_profile(changes)[1]

    @typed_inputs(requires=Permission.EDIT_UNIT_PROFILE)
    def update(self, changes: Mapping[str, Any]) -> UnitProfile:
        """Change some fields (those absent stay as they are). Audited with the fields changed."""
        values, errors = validate_profile(changes)
        if errors:
            raise ValidationError(errors)
        with self._book._write() as s:
            current = read_profile(s)
            empty = {"address_lines": ()}
            cleaned = {f: empty.get(f, "") if values.get(f) is None else values[f] for f in changes}
            changed = sorted(f for f, v in cleaned.items() if v != getattr(current, f))
            for f in changed:
                set_setting(s, KEYS[f], _stored(f, cleaned[f]))
            if changed:
                self._book._record(s, "unit_profile.update", "unit", None, detail={"fields": changed})
            profile = replace(current, **{f: cleaned[f] for f in changed})  # type: ignore[arg-type]
        if "unit_name" in changed:  # after the commit: the sign-in window reads it from the vault
            remember_unit_name(self._book._vault, profile.unit_name)
        return profile

    @typed_inputs(requires=Permission.EDIT_UNIT_PROFILE)
    def set_logo(self, data: bytes | None) -> UnitProfile:
        """A PNG or JPEG file's bytes (checked, scaled, stored as PNG), or None to remove the logo."""
        png = None if data is None else prepare_logo(data)
        with self._book._write() as s:
            set_setting(s, LOGO_KEY, base64.b64encode(png).decode("ascii") if png else "")
            detail: dict[str, Any] = {"removed": True}
            if png is not None:
                w, h = logo_size(png)
                detail = {"width": w, "height": h, "bytes": len(png)}
            self._book._record(s, "unit_profile.logo", "unit", None, detail=detail)
            return read_profile(s)
