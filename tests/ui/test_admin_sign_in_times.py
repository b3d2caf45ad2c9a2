"""'Last signed in' on the Staff accounts tab: the administrator looking at it is signed in now,
also straight after creating the unit (which signs them in), and again after unlocking."""
from __future__ import annotations

from keyworker.casebook import Casebook
from keyworker.security.vault import FAST_KDF
from tests.conftest import ADMIN_PW
from tests.ui.conftest import make_ctx
from ui.admin.page import LAST_SIGNED_IN, AdminPage


def cell(page: AdminPage, username: str) -> str:
    row = [a.username for a in page.accounts].index(username)
    return page.table.item(row, LAST_SIGNED_IN).text()


def test_first_administrator_of_a_new_unit_is_signed_in_now(qtbot, new_db, clock, tasks) -> None:  # type: ignore[no-untyped-def]
    book, _ = Casebook.create(new_db, admin_username="first", admin_full_name="First Admin", password=ADMIN_PW,
                              kdf=FAST_KDF, clock=clock)
    try:
        page = AdminPage(make_ctx(book, tasks))
        qtbot.addWidget(page)
        assert cell(page, "first") == "Now (since 09:00)"  # not "never"
        assert book.accounts.get(book.actor.id).last_sign_in_at == clock.now()
    finally:
        book.close()


def test_own_row_says_now_others_their_last_time(qtbot, book_factory, clock, tasks) -> None:  # type: ignore[no-untyped-def]
    clock.advance(days=1, hours=2)  # Tuesday 11:00: the worker signs in
    book_factory("worker")
    clock.advance(hours=3)  # 14:00: the administrator signs in
    page = AdminPage(make_ctx(book_factory("admin"), tasks))
    qtbot.addWidget(page)
    assert cell(page, "admin") == "Now (since 14:00)"
    assert "06/01/2026 14:00" in page.table.item([a.username for a in page.accounts].index("admin"),
                                                 LAST_SIGNED_IN).toolTip()
    assert cell(page, "worker") == "06/01/2026 11:00"
    assert cell(page, "nights") == "never"


def test_unlocking_starts_the_session_again(qtbot, admin_window, clock) -> None:  # type: ignore[no-untyped-def]
    page = admin_window.show_page("admin")
    assert cell(page, "admin") == "Now (since 09:00)"
    admin_window.lock.lock_now()
    clock.advance(hours=1, minutes=5)
    admin_window.lock.unlock("admin", ADMIN_PW)
    assert cell(page, "admin") == "Now (since 10:05)"
