"""The demo unit's letterhead: a made-up address in Lancashire, phone, secure email, a generated
logo, and a job title for each demo account, so demo letters look like the real thing."""
from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

DEMO_PROFILE = {
    "unit_name": "Ribble House (demo unit)",
    "address_lines": ("Ribble House", "14 Weavers Lane", "Longridge", "Preston"),
    "postcode": "PR3 3ZZ",  # made up: the ZZ end is never issued
    "phone": "01772 900123",
    "secure_email": "ribble.house@nhs.net",
    "provider_name": "Ribble Recovery Services Ltd (demo)",
    "cqc_location": "1-000000000",
    "footer_text": "A demonstration unit: every name, address and number in it is made up.",
}
JOB_TITLES = {"admin": "Systems Administrator", "manager": "Registered Manager", "worker": "Recovery Worker",
              "nights": "Night Support Worker"}


def demo_logo() -> bytes:
    """A simple made-up mark: a teal square with a white river line, and the initials RH."""
    from PIL import Image, ImageDraw

    im = Image.new("RGB", (360, 150), "white")
    d = ImageDraw.Draw(im)
    d.rounded_rectangle((0, 0, 149, 149), radius=22, fill="#0b5d7a")
    d.line([(15, 100), (50, 80), (85, 105), (120, 78), (138, 90)], fill="white", width=10)
    d.text((170, 40), "RH", fill="#0b5d7a", font_size=64)
    out = io.BytesIO()
    im.save(out, format="PNG")
    return out.getvalue()


def apply_demo_profile(book: Casebook) -> None:
    book.unit_profile.update(DEMO_PROFILE)
    book.unit_profile.set_logo(demo_logo())
    for account in book.accounts.list():
        title = JOB_TITLES.get(account.username)
        if title:
            book.accounts.set_job_title(account.id, title)
