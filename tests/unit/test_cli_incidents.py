"""`incidents list`: the unit's incidents for a senior, by dates and type; a key worker is refused
in one line; a bad date is a usage error named by its option, before any password."""
from __future__ import annotations

from pathlib import Path

from keyworker.clock import FixedClock
from keyworker.incidents import IncidentInput
from tests.conftest import STAFF_PW, open_as
from tests.fixtures.caseload import admit
from tests.unit.test_cli import assert_one_line_error, run


def _incidents(tmp_path: Path, db: Path, *args: str, user: str = "manager"):  # type: ignore[no-untyped-def]
    return run(tmp_path, "incidents", "list", "--db", str(db), *args, password=STAFF_PW, user=user)


def test_incidents_list_since_a_date_and_by_type(tmp_path: Path, db_path: Path, clock: FixedClock) -> None:
    book = open_as(db_path, "manager", clock)
    rec = admit(book, given_name="Ana", family_name="Alder")
    book.incidents.record(IncidentInput(rec.id, "01/01/2026 22:00", "violence", "Threat to staff"))
    book.incidents.record(IncidentInput(rec.id, "04/01/2026 23:15", "absconding", "Left at night",
                                        police_involved=True))
    book.close()
    res = _incidents(tmp_path, db_path, "--since", "02/01/2026")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[2].startswith("04/01/2026 23:15  Absconding") and "Ana Alder" in lines[2] and "yes" in lines[2]
    assert lines[-1] == "1 incident."
    res = _incidents(tmp_path, db_path, "--type", "violence")
    assert res.returncode == 0 and "Violence or threat" in res.stdout and "Absconding" not in res.stdout
    assert_one_line_error(_incidents(tmp_path, db_path, "--since", "31/02/2026"), 2, "--since")
    assert_one_line_error(_incidents(tmp_path, db_path, user="worker"), 1)
