"""Administration → Unit: administrators and seniors keep the unit profile every letter carries.
Errors show beside the field, the logo is checked when chosen, Save writes it, and typed work is
not lost."""
from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from PySide6.QtWidgets import QLineEdit

from keyworker.casebook import Casebook
from ui.forms.dialog import Unsaved
from tests.conftest import STAFF_PW


def _screen(window):  # type: ignore[no-untyped-def]
    page = window.show_page("admin")
    assert page is not None
    page.tabs.setCurrentWidget(page.unit_screen)
    page.unit_screen.confirm_unsaved = lambda _w: Unsaved.DISCARD  # no modal question when the test ends
    return page, page.unit_screen


def test_a_senior_sees_only_the_unit_tab_and_saves_the_profile(qtbot, main_window_for, db_path, clock) -> None:  # type: ignore[no-untyped-def]
    w = main_window_for("manager")
    page, screen = _screen(w)
    assert not page.tabs.isTabVisible(0) and page.tabs.currentWidget() is screen
    assert screen.edits["phone"].text() == "01772 123456"
    assert "everything they need" in screen.status.text()
    assert not screen.save_button.isEnabled()
    phone = screen.edits["phone"]
    assert isinstance(phone, QLineEdit)
    phone.clear()
    qtbot.keyClicks(phone, "01254 555012")
    screen.edits["address_lines"].setPlainText("Ribble House\n2 Mill Lane\nBlackburn")
    assert screen.save_button.isEnabled()
    screen.save()
    assert "Unit profile saved" in screen.status.text()
    assert not screen.is_dirty()
    book = Casebook.open(db_path, "worker", STAFF_PW, clock=clock)
    try:
        saved = book.unit_profile.get()
    finally:
        book.close()
    assert saved.phone == "01254 555012"
    assert saved.address_lines == ("Ribble House", "2 Mill Lane", "Blackburn")


def test_a_bad_value_is_shown_beside_its_field_and_save_stays_off(qtbot, admin_window) -> None:  # type: ignore[no-untyped-def]
    _page, screen = _screen(admin_window)
    for field, text in (("phone", "12345"), ("secure_email", "unit at nhs"), ("postcode", "NOT A CODE")):
        edit = screen.edits[field]
        edit.clear()
        qtbot.keyClicks(edit, text)
    assert "UK number" in screen.binder.shown_error("phone")
    assert "email address" in screen.binder.shown_error("secure_email")
    assert "not a UK postcode" in screen.binder.shown_error("postcode")
    assert not screen.save_button.isEnabled()
    assert "Fix 3 fields" in screen.status.text()
    screen.edits["unit_name"].clear()
    qtbot.keyClicks(screen.edits["unit_name"], "x")
    screen.edits["unit_name"].clear()
    assert "required" in screen.binder.shown_error("unit_name")


def test_the_logo_is_checked_when_chosen_previewed_and_saved(qtbot, admin_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _page, screen = _screen(admin_window)
    fake = tmp_path / "logo.png"
    fake.write_text("not an image")
    screen.choose_file = lambda: str(fake)
    screen.choose_logo()
    assert "PNG or JPEG" in screen.logo_error.message() and not screen.logo_error.isHidden()
    assert not screen.is_dirty()
    real = tmp_path / "crest.jpg"
    Image.new("RGB", (3000, 1000), "#884400").save(real, format="JPEG")
    screen.choose_file = lambda: str(real)
    screen.choose_logo()
    assert screen.logo_error.isHidden()
    assert not screen.logo_preview.pixmap().isNull()
    assert screen.save_button.isEnabled()
    screen.save()
    logo = admin_window.ctx.book.unit_profile.get().logo
    assert logo is not None
    with Image.open(io.BytesIO(logo)) as im:
        assert im.format == "PNG" and im.size[0] <= 720


def test_a_refusal_from_the_core_on_save_is_shown_beside_the_field(qtbot, admin_window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from keyworker.errors import ValidationError

    _page, screen = _screen(admin_window)
    qtbot.keyClicks(screen.edits["provider_name"], " Ltd")
    book = admin_window.ctx.book

    def refuse(_changes):  # type: ignore[no-untyped-def]
        raise ValidationError({"provider_name": "Provider is not known to the register."})

    monkeypatch.setattr(book.unit_profile, "update", refuse)
    screen.save()
    assert screen.binder.shown_error("provider_name") == "Provider is not known to the register."
    assert screen.is_dirty()


def test_closing_the_window_asks_about_unsaved_profile_changes(qtbot, admin_window) -> None:  # type: ignore[no-untyped-def]
    _page, screen = _screen(admin_window)
    footer = screen.edits["footer_text"]
    footer.setPlainText(footer.toPlainText() + " Thank you.")
    screen.confirm_unsaved = lambda _w: Unsaved.CANCEL
    assert not admin_window.close()
    assert admin_window.isVisible() and screen.is_dirty()
    screen.confirm_unsaved = lambda _w: Unsaved.SAVE
    assert admin_window.close()
    assert admin_window.ctx.book.unit_profile.get().footer_text.endswith("Thank you.")


def test_a_refresh_never_overwrites_typing(qtbot, admin_window) -> None:  # type: ignore[no-untyped-def]
    _page, screen = _screen(admin_window)
    screen.edits["unit_name"].setText("Typing in progress")
    admin_window.ctx.state.data_changed.emit("unit_profile")
    assert screen.edits["unit_name"].text() == "Typing in progress"
    screen.discard()
    assert screen.edits["unit_name"].text() == "Test Unit"


def test_the_administrator_sets_a_job_title(qtbot, admin_window) -> None:  # type: ignore[no-untyped-def]
    page = admin_window.show_page("admin")
    r = [a.username for a in page.accounts].index("worker")
    page.table.selectRow(r)
    assert page.table.item(r, 5).text() == "Recovery Worker"
    dlg = page.change_job_title()
    dlg.title_edit.setText("Senior Recovery Worker")
    dlg.submit()
    assert page.table.item([a.username for a in page.accounts].index("worker"), 5).text() == "Senior Recovery Worker"
