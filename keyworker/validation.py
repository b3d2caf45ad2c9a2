"""Field validation for the caseload forms. Every check returns a message for a person, keyed by
the field name, so the UI can show it beside the field (and validate on the spot, without saving).

`Cleaner` gathers the cleaned values and the messages of one form; the `validate_*` functions in
referrals.py and residents.py use it. Values arrive as typed by a person or read from a CSV:
strings are trimmed, blanks become None, dates may be ISO or UK (31/12/1990).

Every check looks at the type and the length first, and only then at the content, so a value of
the wrong kind gets a message instead of an exception, and no check is worse than linear in the
length of what was typed (a 1 MB "email" is refused as too long before any pattern sees it)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from keyworker import date_ranges
from keyworker import reference_data as ref
from keyworker.clock import LONDON
from keyworker.db.caseload import PREFER_NOT_TO_SAY
from keyworker.input_types import storable

_POSTCODE = re.compile(r"^(GIR0AA|[A-PR-UWYZ][A-HK-Y]?[0-9][0-9A-HJKMNPR-Y]?[0-9][ABD-HJLNP-UW-Z]{2})$")
MAX_EMAIL = 200
_PHONE = re.compile(r"^\+?[0-9 ()\-]{10,20}$")
_PLACE_NAME = re.compile(r"^[A-Za-z][A-Za-z .,'&\-()]{1,79}$")
# Longest text accepted by the fields that are not free text (checked before anything else).
MAX_CHOICE, MAX_DATE, MAX_NUMBER, MAX_POSTCODE, MAX_NHS, MAX_PHONE = 200, 40, 20, 16, 20, 30
MAX_SUBSTANCES_TEXT, MAX_SUBSTANCES = 5000, 50
Day = date  # inside Cleaner, `date` names its method
_PNTS_SPELLINGS = {"prefer not to say", "prefer-not-to-say", "pnts", "not stated", "declined to say"}


def nhs_number_valid(s: str | None) -> bool:
    """Ten digits (spaces or dashes allowed) whose modulus-11 check digit is right."""
    if not s or len(s) > MAX_NHS:
        return False
    digits = re.sub(r"[\s\-]", "", s)
    if not re.fullmatch(r"\d{10}", digits):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def email_valid(s: str) -> bool:
    """name@domain.tld: one @, no spaces, a dot inside the domain. String operations only (the
    regex it replaces backtracked quadratically on a long run of dots)."""
    if len(s) > MAX_EMAIL or any(ch.isspace() for ch in s):
        return False
    local, at, domain = s.partition("@")
    if not at or not local or "@" in domain:
        return False
    dot = domain.find(".", 1)
    return dot != -1 and dot < len(domain) - 1


def normalise_postcode(s: str | None) -> str | None:
    """A UK postcode in its standard form ('pr12ab' -> 'PR1 2AB'), or None if it is not one."""
    if not s or len(s) > MAX_POSTCODE:
        return None
    compact = re.sub(r"\s+", "", s).upper()
    if not _POSTCODE.match(compact):
        return None
    return f"{compact[:-3]} {compact[-3:]}"


def is_prefer_not_to_say(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() in _PNTS_SPELLINGS


class BadDate(ValueError):
    """Text that is not a date. `reason` says why in words ("there is no 31 February 1990") when
    it has the shape of a date whose day or month does not exist; else it is empty."""

    def __init__(self, text: str, reason: str = "") -> None:
        super().__init__(text)
        self.reason = reason


_UK_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def no_such_day(text: str) -> str:
    """Why date-shaped text is no date ("there is no 31 February 1990"), or "" if it is not date-shaped.
    The forms and the importer share it through parse_date."""
    text = text.strip()[:40]
    if m := _ISO_DATE.match(text):
        year, month, day = (int(g) for g in m.groups())
    elif m := _UK_DATE.match(text):
        day, month, year = (int(g) for g in m.groups())
        if len(m.group(3)) == 2:  # as strptime's %y reads it: 69-99 are 1900s
            year += 1900 if year >= 69 else 2000
    else:
        return ""
    if not 1 <= month <= 12:
        return f"there is no month {month} (write the day first: 31/12/1990)"
    if year < 1:
        return ""
    try:
        date(year, month, day)
    except ValueError:
        return f"there is no {day} {_MONTHS[month - 1]} {year}" if day else "there is no day 0"
    return ""


def parse_date(value: Any) -> date:
    """A date from a date, ISO text (1990-12-31) or UK text (31/12/1990). Raises BadDate (a
    ValueError), with the reason when the day or month does not exist."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise BadDate(text, no_such_day(text))


def parse_datetime(value: Any) -> datetime:
    """An aware datetime; text or naive values are read as Europe/London time. Raises ValueError."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=LONDON)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=LONDON)
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=LONDON)
    except ValueError:
        pass
    for fmt in ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=LONDON)
        except ValueError:
            continue
    raise BadDate(text, no_such_day(text.split()[0] if text.split() else text))


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "y", "yes", "true", "t", "on"):
        return True
    if text in ("0", "n", "no", "false", "f", "off", ""):
        return False
    raise ValueError(text)


def years_between(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class Cleaner:
    """Cleans one form. Each method reads `data[field]`, stores the cleaned value in `values`
    or a message in `errors`. Fields absent from `data` are skipped when `partial` (updates)."""

    def __init__(self, data: Mapping[str, Any], *, partial: bool = False) -> None:
        self.data = data
        self.partial = partial
        self.values: dict[str, Any] = {}
        self.errors: dict[str, str] = {}

    def _take(self, field: str, required: bool, label: str) -> tuple[bool, Any]:
        """(present, raw value). Records 'required' errors; returns present=False to skip."""
        if field not in self.data:
            if self.partial:
                return False, None
            if required:
                self.errors[field] = f"{label} is required."
                return False, None
            self.values[field] = None
            return False, None
        raw = self.data[field]
        if _blank(raw):
            if required:
                self.errors[field] = f"{label} is required."
            else:
                self.values[field] = None
            return False, None
        return True, raw.strip() if isinstance(raw, str) else raw

    def error(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def _short_text(self, field: str, label: str, raw: Any, max_len: int) -> str | None:
        """`raw` as text if it is text of at most `max_len` characters; else a message and None."""
        if not isinstance(raw, str):
            self.error(field, f"{label} must be text.")
            return None
        if len(raw) > max_len:
            self.error(field, f"{label} must be {max_len} characters or fewer.")
            return None
        return raw

    def text(self, field: str, label: str, *, required: bool = False, max_len: int = 200) -> None:
        ok, raw = self._take(field, required, label)
        if not ok:
            return
        value = self._short_text(field, label, raw, max_len)
        if value is None:
            return
        if not storable(value):
            self.error(field, f"{label} contains a character that cannot be stored.")
        else:
            self.values[field] = value

    def choice(
        self, field: str, label: str, options: tuple[ref.Option, ...], *, required: bool = False
    ) -> None:
        ok, raw = self._take(field, required, label)
        if not ok:
            return
        text = self._short_text(field, label, raw, MAX_CHOICE)
        if text is None:
            return
        code = ref.find_code(options, text)
        if code is None:
            self.error(field, f"Choose one of: {', '.join(o.label for o in options)}.")
        else:
            self.values[field] = code

    def listed(self, field: str, label: str, options: Iterable[str], *, required: bool = False) -> None:
        ok, raw = self._take(field, required, label)
        if not ok:
            return
        text = self._short_text(field, label, raw, MAX_CHOICE)
        if text is None:
            return
        wanted = text.lower()
        options = tuple(options)
        for o in options:
            if o.lower() == wanted:
                self.values[field] = o
                return
        # The allowed values, written out: from a spreadsheet there is no list to pick from.
        self.error(field, f"{text[:60]} is not in the list for {label.lower()}. Write one of: {'; '.join(options)}.")

    def demographic(self, field: str, label: str) -> None:
        """A minimum-data-set field: a listed value, 'Prefer not to say' (kept as such), or blank
        (= not recorded, stored as NULL)."""
        ok, raw = self._take(field, False, label)
        if not ok:
            return
        if self._short_text(field, label, raw, MAX_CHOICE) is None:
            return
        if is_prefer_not_to_say(raw):
            self.values[field] = PREFER_NOT_TO_SAY
            return
        if field in ref.FREE_TEXT_DEMOGRAPHICS:
            self.text(field, label, max_len=60)
            return
        self.listed(field, label, ref.demographic_options(field))

    def date(
        self,
        field: str,
        label: str,
        *,
        required: bool = False,
        not_after: date | None = None,
        not_before: date | None = None,
    ) -> None:
        ok, raw = self._take(field, required, label)
        if not ok:
            return
        if not isinstance(raw, date) and self._short_text(field, label, raw, MAX_DATE) is None:
            return
        try:
            value = parse_date(raw)
        except BadDate as e:
            self.error(field, f"{label}: {e.reason}." if e.reason else f"{label} must be a date like 31/12/1990.")
            return
        low = not_before or date_ranges.EARLIEST_RECORD
        high = not_after or date.max
        message = date_ranges.out_of_range(label, value, low, high)
        if message:
            self.error(field, message)
        else:
            self.values[field] = value

    def datetime(
        self, field: str, label: str, *, required: bool = False, not_after: datetime | None = None,
        not_before: Day = date_ranges.EARLIEST_RECORD,
    ) -> None:
        ok, raw = self._take(field, required, label)
        if not ok:
            return
        if not isinstance(raw, date) and self._short_text(field, label, raw, MAX_DATE) is None:
            return
        try:
            value = parse_datetime(raw)
        except (ValueError, OverflowError) as e:
            reason = e.reason if isinstance(e, BadDate) else ""
            self.error(field, f"{label}: {reason}." if reason else f"{label} must be a date and time like 31/12/2025 14:30.")
            return
        if not_after is not None and value > not_after:
            self.error(field, f"{label} cannot be in the future.")
        elif value.astimezone(LONDON).date() < not_before:
            self.error(field, f"{label} cannot be before {not_before:%d/%m/%Y}.")
        else:
            self.values[field] = value

    def integer(self, field: str, label: str, *, required: bool = False, low: int, high: int) -> None:
        ok, raw = self._take(field, required, label)
        if not ok:
            return
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            self.error(field, f"{label} must be a whole number.")
            return
        if isinstance(raw, str) and self._short_text(field, label, raw, MAX_NUMBER) is None:
            return
        try:
            value = int(raw.strip()) if isinstance(raw, str) else raw
        except ValueError:
            self.error(field, f"{label} must be a whole number.")
            return
        if not low <= value <= high:
            self.error(field, f"{label} must be between {low} and {high}.")
        else:
            self.values[field] = value

    def boolean(self, field: str, label: str, *, default: bool = False) -> None:
        if field not in self.data and self.partial:
            return
        raw = self.data.get(field)
        if _blank(raw):
            self.values[field] = default
            return
        if not isinstance(raw, bool | int | str) or (isinstance(raw, str) and len(raw) > MAX_NUMBER):
            self.error(field, f"{label} must be yes or no.")
            return
        try:
            self.values[field] = parse_bool(raw)
        except ValueError:
            self.error(field, f"{label} must be yes or no.")

    def postcode(self, field: str, label: str = "Postcode", *, required: bool = False) -> None:
        ok, raw = self._take(field, required, label)
        if not ok:
            return
        text = self._short_text(field, label, raw, MAX_POSTCODE)
        if text is None:
            return
        value = normalise_postcode(text)
        if value is None:
            self.error(field, f"{raw} is not a UK postcode (for example PR1 2AB).")
        else:
            self.values[field] = value

    def nhs_number(self, field: str = "nhs_number", label: str = "NHS number") -> None:
        ok, raw = self._take(field, False, label)
        if not ok:
            return
        if isinstance(raw, int) and not isinstance(raw, bool):
            raw = str(raw)
        if self._short_text(field, label, raw, MAX_NHS) is None:
            return
        digits = re.sub(r"[\s\-]", "", raw)
        if not re.fullmatch(r"\d{10}", digits):
            self.error(field, f"{label} must be 10 digits.")
        elif not nhs_number_valid(digits):
            self.error(
                field, f"{label} is not valid: its check digit does not match. Check it was typed correctly."
            )
        else:
            self.values[field] = digits

    def phone(self, field: str, label: str, *, required: bool = False) -> None:
        ok, raw = self._take(field, required, label)
        if not ok:
            return
        text = self._short_text(field, label, raw, MAX_PHONE)
        if text is None:
            return
        if not _PHONE.match(text) or sum(ch.isdigit() for ch in text) < 10:
            self.error(field, f"{label} must be a phone number like 01772 123456.")
        else:
            self.values[field] = text

    def email(self, field: str, label: str, *, required: bool = False) -> None:
        ok, raw = self._take(field, required, label)
        if not ok:
            return
        text = self._short_text(field, label, raw, MAX_EMAIL)
        if text is None:
            return
        if not email_valid(text):
            self.error(field, f"{label} must be an email address like name@lancashire.gov.uk.")
        else:
            self.values[field] = text.lower()

    def district(self, field: str = "district", label: str = "District") -> None:
        """One of the 12 Lancashire districts, or another local authority by name."""
        ok, raw = self._take(field, False, label)
        if not ok:
            if field in self.values:
                self.values["district_in_lancashire"] = None
            return
        text = self._short_text(field, label, raw, 80)
        if text is None:
            return
        for d in ref.districts():
            if d.lower() == text.lower():
                self.values[field] = d
                self.values["district_in_lancashire"] = True
                return
        if not _PLACE_NAME.match(text):
            self.error(field, "Choose a Lancashire district, or type the name of another local authority.")
            return
        self.values[field] = text
        self.values["district_in_lancashire"] = False

    def substances(self, field: str = "other_substances", label: str = "Other substances") -> None:
        """A list of {"substance", "route"} (or (substance, route) pairs, or 'Cannabis:Smoked; Alcohol')."""
        ok, raw = self._take(field, False, label)
        if not ok:
            return
        shape = f"{label}: each entry must be a name, with an optional route."
        if isinstance(raw, str):
            if self._short_text(field, label, raw, MAX_SUBSTANCES_TEXT) is None:
                return
            if raw.startswith("["):
                try:
                    raw = json.loads(raw)
                except ValueError:
                    self.error(field, shape)
                    return
            else:
                raw = [part for part in raw.split(";") if part.strip()]
        if not isinstance(raw, list | tuple):
            self.error(field, f"{label} must be a list of substances, each with an optional route.")
            return
        if len(raw) > MAX_SUBSTANCES:
            self.error(field, f"{label}: list at most {MAX_SUBSTANCES} substances.")
            return
        items: list[tuple[str, str | None]] = []
        for item in raw:
            pair = _substance_entry(item)
            if pair is None:
                self.error(field, shape)
                return
            items.append(pair)
        known = {s.lower(): s for s in ref.substances()}
        routes = {r.lower(): r for r in ref.routes()}
        out = []
        for substance, route in items:
            if substance.lower() not in known:
                self.error(field, f"{substance[:60] or 'A blank'} is not in the list of substances. "
                                  f"Write one of: {'; '.join(ref.substances())}.")
                return
            if route is not None and route.lower() not in routes:
                self.error(field, f"{route[:MAX_CHOICE]} is not a route (choose {', '.join(ref.routes())}).")
                return
            out.append({"substance": known[substance.lower()], "route": routes[route.lower()] if route else None})
        self.values[field] = json.dumps(out) if out else None


def _substance_entry(item: Any) -> tuple[str, str | None] | None:
    """(substance, route) from 'Cannabis:Smoked', {"substance", "route"} or a (substance, route)
    pair; None when the entry is not made of names."""
    if isinstance(item, str):
        name, _, route_text = item.partition(":")
        parts: list[Any] = [name, route_text]
    elif isinstance(item, Mapping):
        parts = [item.get("substance"), item.get("route")]
    elif isinstance(item, list | tuple) and 1 <= len(item) <= 2:
        parts = [*item, None][:2]
    else:
        return None
    substance, route = parts
    if not isinstance(substance, str) or not (route is None or isinstance(route, str)):
        return None
    if len(substance) > MAX_CHOICE or (route is not None and len(route) > MAX_CHOICE):
        return None
    return substance.strip(), (route.strip() or None) if route else None
