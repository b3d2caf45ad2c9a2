"""What the letters the unit posts or emails share, beyond their layout: our reference for a
referral, dates as a letter writes them, whom to contact (from the unit profile), the notice a
review meeting needs, and the warning when the profile lacks what a letter must carry."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from keyworker.unit_profile import UnitProfile

# The referrer and family need time to arrange to come (4.1.5.5).
MEETING_NOTICE_DAYS = 7


def referral_reference(referral_id: str) -> str:
    """Our reference for a referral in letters. A referral has no resident number until it is
    admitted (and a declined one never is), so it is the tail of its row id: random, stable,
    and short enough to read out on the phone."""
    return "REF-" + referral_id.replace("-", "")[-8:].upper()


def letter_date(d: date) -> str:
    """A date as a letter writes it: 1 December 2026 (as layout.references dates the letter)."""
    return f"{d.day} {d:%B %Y}"


def contact_sentence(profile: UnitProfile) -> str:
    """Whom to contact, from the profile; only what is recorded."""
    ways = [f"phone {profile.phone}" if profile.phone else "",
            f"email {profile.secure_email}" if profile.secure_email else ""]
    ways = [w for w in ways if w]
    unit = profile.unit_name or "the unit"
    if not ways:
        return f"Please contact {unit} if you would like to discuss this."
    return f"Please contact {unit}: {' or '.join(ways)}."


def unit_address(profile: UnitProfile) -> str:
    """The unit's postal address on one line (the meeting place by default; the letterhead
    already names the unit)."""
    street = ", ".join(p for p in profile.address_lines if p)
    return " ".join(p for p in (street, profile.postcode) if p)


def incomplete_profile_warning(missing: list[str] | tuple[str, ...]) -> str:
    """The warning shown before a letter is kept while the unit profile lacks something."""
    if not missing:
        return ""
    return (f"The unit profile has no {', '.join(missing)}: the letter will go out without "
            "them. An administrator or senior can add them under Administration → Unit.")


def notice_warning(meeting_on: date, today: date) -> str:
    """A warning when a review meeting is less than a week away: the referrer and family need
    notice to arrange to come. Empty when there is enough notice."""
    days = (meeting_on - today).days
    if days >= MEETING_NOTICE_DAYS:
        return ""
    when = "today" if days == 0 else "tomorrow" if days == 1 else f"only {days} days away"
    return (f"The meeting is {when}: the referrer and family should have at least {MEETING_NOTICE_DAYS} "
            "days' notice. Telephone them as well as sending the letter, or choose a later date.")
