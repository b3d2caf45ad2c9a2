"""NHS numbers as people read and write them: 3-3-4 ("943 476 5919"), the NHS's own grouping.
The one formatting helper, used by the screens and the documents; the database keeps the 10 digits."""
from __future__ import annotations

import re


def format_nhs_number(value: str | None) -> str:
    """'9434765919' -> '943 476 5919'. Anything that is not 10 digits (once spaces and hyphens
    are dropped) comes back as it was, so a half-typed number is never rewritten."""
    if not value:
        return ""
    digits = re.sub(r"[\s\-]", "", value)
    if len(digits) != 10 or not digits.isdigit():
        return value
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
