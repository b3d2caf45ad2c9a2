"""First steps of a new unit (keyworker/first_steps.py), on real encrypted files."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.errors import PermissionDenied
from keyworker.security.permissions import Role
from keyworker.security.vault import FAST_KDF
from tests.caseload_helpers import add_referral, add_resident
from tests.conftest import UNIT_PROFILE


def test_each_step_is_done_once_the_unit_shows_it(tmp_path: Path) -> None:
    book, _ = Casebook.create(tmp_path / "new.kwdb", admin_username="admin", admin_full_name="Ada Admin",
                              password="Quiet-Harbour-Lamp-42", kdf=FAST_KDF,
                              clock=FixedClock(datetime(2026, 1, 5, 9, 0)), unit_name="Ribble House")
    try:
        steps = book.first_steps.status()
        assert (steps.staff_added, steps.profile_set, steps.caseload_started, steps.referral_recorded) == \
            (False, False, False, False)
        book.accounts.create("admin2", "Second Admin", Role.ADMIN, "Orange-Kettle-Sky-77")
        assert not book.first_steps.status().staff_added  # another administrator is not staff
        book.accounts.create("sam", "Sam Worker", Role.KEY_WORKER, "Orange-Kettle-Sky-77")
        book.unit_profile.update(UNIT_PROFILE)
        steps = book.first_steps.status()
        assert steps.staff_added and steps.profile_set and not steps.all_done
        add_resident(book, "Ann", "Baker", key_worker="sam")
        add_referral(book, "Rae", "Referred", due=date(2026, 1, 9))
        assert book.first_steps.status().all_done
    finally:
        book.close()


def test_only_those_who_set_a_unit_up_ask(book_factory) -> None:  # type: ignore[no-untyped-def]
    assert book_factory("manager").first_steps.status().staff_added
    with pytest.raises(PermissionDenied):
        book_factory("worker").first_steps.status()
