"""The unit profile: what every letter is printed on. Validation beside each field, audited
changes, a logo checked by its content and scaled, job titles, the referrer's address, and the
letter layout (letterhead, footer, DRAFT mark) read back from real PDFs."""
from __future__ import annotations

import io
import json
from datetime import date, datetime
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from keyworker.casebook import Casebook
from keyworker.db.foundation import AuditEntry
from keyworker.documents import layout
from keyworker.errors import PermissionDenied, ValidationError
from keyworker.unit_logo import MAX_HEIGHT_PX, MAX_WIDTH_PX
from keyworker.unit_profile import UnitProfile
from tests.fixtures.caseload import referral_input
from tests.conftest import JOB_TITLES, UNIT_PROFILE

NOW = datetime(2026, 12, 1, 10, 0)


def _image(fmt: str, size: tuple[int, int] = (400, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "#336699").save(out, format=fmt)
    return out.getvalue()


def _audit(book: Casebook, action: str) -> list[dict]:
    with book._read() as s:
        return [json.loads(e.detail) for e in s.scalars(select(AuditEntry).where(AuditEntry.action == action))]


def _pages_text(pdf: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]


# -- the profile --------------------------------------------------------------------------------
def test_every_role_reads_the_test_units_profile(book_factory) -> None:  # type: ignore[no-untyped-def]
    for user in ("admin", "manager", "worker", "nights"):
        profile = book_factory(user).unit_profile.get()
        assert profile.unit_name == "Test Unit"
        assert profile.address_block == ("Test House", "1 Example Street", "Preston", "PR1 2AB")
        assert profile.phone == "01772 123456" and profile.secure_email == "test.unit@nhs.net"
        assert profile.logo is not None and profile.logo.startswith(b"\x89PNG")
        assert profile.missing() == []


def test_a_senior_changes_the_profile_and_the_audit_names_the_fields(manager_book: Casebook) -> None:
    updated = manager_book.unit_profile.update({"phone": "01254 987654", "postcode": "bb1 2xy",
                                               "address_lines": "Ribble House\n  2 Mill Lane \n\nBlackburn"})
    assert updated.phone == "01254 987654"
    assert updated.postcode == "BB1 2XY"
    assert updated.address_lines == ("Ribble House", "2 Mill Lane", "Blackburn")
    assert manager_book.unit_profile.get() == updated
    assert _audit(manager_book, "unit_profile.update")[-1] == {"fields": ["address_lines", "phone", "postcode"]}
    # The unit name is the one row the older documents read through settings.
    manager_book.unit_profile.update({"unit_name": "Ribble House"})
    assert manager_book.settings.get("unit_name") == "Ribble House"


def test_bad_values_are_refused_field_by_field_and_nothing_is_written(admin_book: Casebook) -> None:
    before = admin_book.unit_profile.get()
    with pytest.raises(ValidationError) as e:
        admin_book.unit_profile.update({"phone": "12345", "secure_email": "unit at nhs", "postcode": "XYZ",
                                        "unit_name": "", "address_lines": "\n".join(f"line {i}" for i in range(7)),
                                        "footer_text": "x" * 401, "colour": "red"})
    fields = e.value.fields
    assert set(fields) == {"phone", "secure_email", "postcode", "unit_name", "address_lines", "footer_text",
                           "colour"}
    assert "UK number" in fields["phone"] and "Unit name is required" in fields["unit_name"]
    assert admin_book.unit_profile.get() == before
    assert admin_book.unit_profile.validate({"phone": "+44 1772 123456"}) == {}
    assert "phone" in admin_book.unit_profile.validate({"phone": "+1 212 555 0100"})


def test_clearing_fields_makes_the_profile_say_what_a_letter_lacks(admin_book: Casebook) -> None:
    cleared = admin_book.unit_profile.update({"phone": "", "secure_email": None, "address_lines": ""})
    assert cleared.phone == "" and cleared.address_lines == ()
    assert cleared.missing() == ["postal address with postcode", "phone", "secure email"]
    assert UnitProfile().missing() == ["unit name", "postal address with postcode", "phone", "secure email"]


def test_key_workers_and_nights_cannot_change_the_profile(book_factory) -> None:  # type: ignore[no-untyped-def]
    for user in ("worker", "nights"):
        book = book_factory(user)
        with pytest.raises(PermissionDenied):
            book.unit_profile.update({"phone": "01772 000000"})
        with pytest.raises(PermissionDenied):
            book.unit_profile.set_logo(_image("PNG"))


# -- the logo -----------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_png_or_jpeg_logo_is_stored_as_png(admin_book: Casebook, fmt: str) -> None:
    profile = admin_book.unit_profile.set_logo(_image(fmt))
    assert profile.logo is not None
    with Image.open(io.BytesIO(profile.logo)) as im:
        assert im.format == "PNG" and im.size == (400, 200)
    assert _audit(admin_book, "unit_profile.logo")[-1] == {"width": 400, "height": 200, "bytes": len(profile.logo)}


def test_a_huge_logo_is_scaled_to_the_letterhead_keeping_its_shape(admin_book: Casebook) -> None:
    profile = admin_book.unit_profile.set_logo(_image("JPEG", (6000, 2000)))
    assert profile.logo is not None
    with Image.open(io.BytesIO(profile.logo)) as im:
        w, h = im.size
    assert w <= MAX_WIDTH_PX and h <= MAX_HEIGHT_PX
    assert (w, h) == (MAX_WIDTH_PX, MAX_WIDTH_PX // 3)


def test_a_text_file_named_like_an_image_is_refused_plainly(admin_book: Casebook, tmp_path: Path) -> None:
    fake = tmp_path / "logo.png"
    fake.write_text("this is not a picture\n")
    before = admin_book.unit_profile.get().logo
    with pytest.raises(ValidationError) as e:
        admin_book.unit_profile.set_logo(fake.read_bytes())
    assert "PNG or JPEG" in e.value.fields["logo"]
    gif = io.BytesIO()
    Image.new("RGB", (100, 100)).save(gif, format="GIF")
    with pytest.raises(ValidationError, match="PNG or JPEG"):
        admin_book.unit_profile.set_logo(gif.getvalue())
    truncated = _image("PNG")[:60]
    with pytest.raises(ValidationError, match="damaged"):
        admin_book.unit_profile.set_logo(truncated)
    assert admin_book.unit_profile.get().logo == before


def test_an_image_claiming_too_many_pixels_is_refused_before_decoding(admin_book: Casebook) -> None:
    # A 1-bit 20000 x 20000 PNG compresses to a few kilobytes but would decode to 400 megapixels.
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, format="PNG")
    assert len(out.getvalue()) < 200_000
    with pytest.raises(ValidationError, match="too large"):
        admin_book.unit_profile.set_logo(out.getvalue())


def test_the_logo_can_be_removed(admin_book: Casebook) -> None:
    assert admin_book.unit_profile.set_logo(None).logo is None
    assert _audit(admin_book, "unit_profile.logo")[-1] == {"removed": True}


# -- job titles and the referrer's address --------------------------------------------------------
def test_each_test_account_has_its_job_title(admin_book: Casebook) -> None:
    titles = {a.username: a.job_title for a in admin_book.accounts.list()}
    assert titles == JOB_TITLES


def test_job_titles_are_set_by_the_administrator_and_audited(admin_book: Casebook, worker_book: Casebook) -> None:
    worker = next(a for a in admin_book.accounts.list() if a.username == "worker")
    info = admin_book.accounts.set_job_title(worker.id, "  Senior   Recovery Worker ")
    assert info.job_title == "Senior Recovery Worker"
    assert admin_book.accounts.get(worker.id).job_title == "Senior Recovery Worker"
    assert _audit(admin_book, "account.job_title")[-1] == {"job_title": "Senior Recovery Worker"}
    with pytest.raises(ValidationError) as e:
        admin_book.accounts.set_job_title(worker.id, "x" * 101)
    assert "job_title" in e.value.fields
    with pytest.raises(PermissionDenied):
        worker_book.accounts.set_job_title(worker.id, "Boss")
    assert admin_book.accounts.set_job_title(worker.id, "").job_title is None


def test_the_referrers_address_and_reference_are_recorded_and_corrected(worker_book: Casebook) -> None:
    r = worker_book.referrals.record(referral_input(
        referrer_address="Children and Family Wellbeing\n County Hall\nPreston\nPR1 8XJ\n",
        referrer_reference="SW/2026/0412"))
    assert r.referrer_address == "Children and Family Wellbeing\nCounty Hall\nPreston\nPR1 8XJ"
    assert r.referrer_reference == "SW/2026/0412"
    again = worker_book.referrals.get(r.id)
    assert (again.referrer_address, again.referrer_reference) == (r.referrer_address, "SW/2026/0412")
    fixed = worker_book.referrals.update(r.id, {"referrer_reference": "SW/2026/0413"})
    assert fixed.referrer_reference == "SW/2026/0413"
    with pytest.raises(ValidationError) as e:
        worker_book.referrals.update(r.id, {"referrer_address": "\n".join("line" for _ in range(9)),
                                            "referrer_reference": "R" * 65})
    assert set(e.value.fields) == {"referrer_address", "referrer_reference"}


# -- the layout ---------------------------------------------------------------------------------
def _letter(profile: UnitProfile, *, draft: bool = False, paragraphs: int = 3) -> bytes:
    story = [*layout.letterhead(profile),
             layout.addressee(["Ms Alex Referrer", "Social Worker", "Lancashire County Council", "County Hall",
                               "Preston", "PR1 8XJ"]),
             layout.spacer(6),
             layout.references("RF-2026-0042", "SW/2026/0412", dated=date(2026, 12, 1)),
             layout.spacer(6),
             layout.para("Dear Ms Referrer,")]
    story += [layout.para("We have considered the referral you sent us. " * 12) for _ in range(paragraphs)]
    story.append(layout.signatory("Morgan Manager", "Registered Manager", profile.unit_name))
    return layout.render(story, title="Referral decision", generated_at=NOW, profile=profile, draft=draft)


def test_a_letter_on_the_letterhead_carries_the_units_address_phone_email_and_footer(
        admin_book: Casebook, tmp_path: Path) -> None:
    pdf = _letter(admin_book.unit_profile.get(), paragraphs=2)
    (tmp_path / "letter.pdf").write_bytes(pdf)
    pages = _pages_text(pdf)
    assert len(pages) == 1
    text = pages[0]
    for expected in ("Test House", "1 Example Street", "Preston", "PR1 2AB", "Tel: 01772 123456",
                     "Secure email: test.unit@nhs.net", "Our reference", "RF-2026-0042", "Your reference",
                     "SW/2026/0412", "1 December 2026", "Registered Manager", "Test Recovery Services Ltd",
                     "CQC registered location: 1-000000001", "Registered in England no. 00000000"):
        assert expected in text, expected
    assert "DRAFT" not in text


def test_a_draft_carries_draft_on_every_page(admin_book: Casebook) -> None:
    pages = _pages_text(_letter(admin_book.unit_profile.get(), draft=True, paragraphs=14))
    assert len(pages) >= 3
    assert all("DRAFT" in p for p in pages)
    final = _pages_text(_letter(admin_book.unit_profile.get(), draft=False, paragraphs=14))
    assert not any("DRAFT" in p for p in final)


def test_the_unit_footer_is_on_every_page_and_pushes_the_body_up(admin_book: Casebook) -> None:
    pages = _pages_text(_letter(admin_book.unit_profile.get(), paragraphs=14))
    assert len(pages) >= 3
    assert all("CQC registered location: 1-000000001" in p for p in pages)


def test_todays_callers_render_as_before_without_a_profile() -> None:
    pdf = layout.render([layout.para("Hello")], title="Report", unit_name="Old Unit", generated_at=NOW)
    text = _pages_text(pdf)[0]
    assert "Old Unit" in text and "Hello" in text and "CQC" not in text


def test_the_demo_unit_has_a_full_letterhead_and_job_titles(tmp_path: Path) -> None:
    from keyworker.demo import DEMO_PASSWORD, create_demo
    from keyworker.security.vault import FAST_KDF

    path = tmp_path / "demo.kwdb"
    create_demo(path, 0, 7, DEMO_PASSWORD, kdf=FAST_KDF)
    book = Casebook.open(path, "worker", DEMO_PASSWORD, kdf=FAST_KDF)
    try:
        profile = book.unit_profile.get()
        titles = {a.username: a.job_title for a in book.accounts.list()}
    finally:
        book.close()
    assert profile.missing() == [] and profile.logo is not None
    assert profile.postcode.startswith("PR") and profile.secure_email.endswith("nhs.net")
    assert titles == {"admin": "Systems Administrator", "manager": "Registered Manager",
                      "worker": "Recovery Worker", "nights": "Night Support Worker"}
