"""`book.incidents.recent(hours)`: every resident's incidents of the last hours, for night staff's
"Incidents tonight" (they read each resident's incidents anyway); audited; 1 to 48 hours only."""
from __future__ import annotations

from datetime import datetime

import pytest

from keyworker.casebook import Casebook
from keyworker.clock import LONDON, FixedClock
from keyworker.errors import ValidationError
from keyworker.incidents import IncidentInput
from tests.fixtures.caseload import admit, last_audit


def test_recent_lists_the_last_hours_for_night_staff(manager_book: Casebook, book_factory,  # type: ignore[no-untyped-def]
                                                     clock: FixedClock) -> None:
    a = admit(manager_book)
    clock.set(datetime(2026, 1, 6, 2, 0, tzinfo=LONDON))
    manager_book.incidents.record(IncidentInput(a.id, "05/01/2026 13:59", "other", "Afternoon"))
    manager_book.incidents.record(IncidentInput(a.id, "05/01/2026 14:00", "violence", "Evening shift"))
    manager_book.incidents.record(IncidentInput(a.id, "06/01/2026 01:30", "absconding", "Left at night"))
    nights = book_factory("nights")
    assert [r.kind for r in nights.incidents.recent(12)] == ["absconding", "violence"]
    assert last_audit(nights)[0] == ("incident.list", {"hours": 12, "rows": 2})
    assert [r.kind for r in nights.incidents.recent(1)] == ["absconding"]
    for bad in (0, 49):
        with pytest.raises(ValidationError):
            nights.incidents.recent(bad)
