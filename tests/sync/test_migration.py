"""Migration 0021 on a unit that already has care plans, versions, reviews pointing at them and
risk assessments: nothing is lost, every foreign key still holds, versions may now fork, and the
first laptop to join a hub seeds ops for every row."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.db.engine import raw_connect
from keyworker.security.vault import FAST_KDF
from keyworker.sync.oplog import first_join
from tests.conftest import ADMIN_PW
from tests.unit.test_migrations import DEVICE, make_unit_at

BEFORE = "0020_admissions_open_covering"
ADMIN = "0196a000-0000-7000-8000-00000000a001"


def _fill(conn, table: str, **given: object) -> None:  # type: ignore[no-untyped-def]
    """A row with every NOT NULL column given something of its type (as that version's code wrote)."""
    values: dict[str, object] = {"created_at": "2026-01-05 09:00:00.000000", "updated_at": "2026-01-05 09:00:00.000000",
                                 "device_id": DEVICE, "archived": 0, "created_by": ADMIN}
    for _, name, type_, notnull, default, pk in conn.execute(f"PRAGMA table_info({table})").fetchall():
        if name in values or name in given or not notnull or default is not None:
            continue
        t = type_.upper()
        values[name] = 0 if t.startswith(("INT", "BOOL")) else "2026-01-05" if t == "DATE" else \
            "2026-01-05 09:00:00.000000" if t.startswith("DATETIME") else "[]" if name in (
                "attendees", "invitations", "goal_progress") else "x"
    values.update(given)
    cols = ", ".join(values)
    conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(values))})", list(values.values()))


def test_0021_upgrades_a_unit_with_plans_and_reviews_without_loss(tmp_path: Path, clock: FixedClock) -> None:
    path = tmp_path / "unit.kwdb"
    key = make_unit_at(path, BEFORE, clock)
    conn = raw_connect(path, key)
    ids = {k: f"0196a000-0000-7000-8000-0000000001{i:02d}" for i, k in enumerate(
        ["res", "adm", "plan", "v1", "v2", "rev", "ra", "rv1", "rv2"])}
    _fill(conn, "residents", id=ids["res"], reference="R-00001", reference_no=1, given_name="Old", family_name="Data",
          date_of_birth="1980-02-03")
    _fill(conn, "admissions", id=ids["adm"], resident_id=ids["res"], key_worker_id=ADMIN)
    _fill(conn, "care_plans", id=ids["plan"], resident_id=ids["res"], admission_id=ids["adm"], status="complete",
          current_version_id=ids["v2"])
    _fill(conn, "care_plan_versions", id=ids["v1"], plan_id=ids["plan"], number=1, content="{}", frozen=1)
    _fill(conn, "care_plan_versions", id=ids["v2"], plan_id=ids["plan"], number=2, content='{"v": 2}', frozen=1,
          parent_version_id=ids["v1"])
    _fill(conn, "reviews", id=ids["rev"], resident_id=ids["res"], admission_id=ids["adm"], plan_version_id=ids["v2"])
    _fill(conn, "risk_assessments", id=ids["ra"], resident_id=ids["res"], admission_id=ids["adm"],
          current_version_id=ids["rv2"], overall_level="low")
    _fill(conn, "risk_assessment_versions", id=ids["rv1"], assessment_id=ids["ra"], number=1, content="{}")
    _fill(conn, "risk_assessment_versions", id=ids["rv2"], assessment_id=ids["ra"], number=2, content="{}",
          parent_version_id=ids["rv1"])
    conn.close()

    book = Casebook.open(path, "admin", ADMIN_PW, clock=clock, kdf=FAST_KDF)
    try:
        assert book.check(integrity=True)["ok"]
        with book._write() as s:
            c = s.connection()
            assert c.execute(text("PRAGMA foreign_key_check")).all() == []
            assert c.execute(text("SELECT content, parent_version_id FROM care_plan_versions ORDER BY number")).all() \
                == [("{}", None), ('{"v": 2}', ids["v1"])]
            assert c.execute(text("SELECT plan_version_id FROM reviews")).scalar() == ids["v2"]
            assert c.execute(text("SELECT count(*) FROM risk_assessment_versions")).scalar() == 2
            # a fork's second version N+1 is allowed now
            cols = [r[1] for r in c.execute(text("PRAGMA table_info(care_plan_versions)")).all() if r[1] != "id"]
            c.execute(text(f"INSERT INTO care_plan_versions (id, {', '.join(cols)}) SELECT :id, {', '.join(cols)} "
                           "FROM care_plan_versions WHERE id = :v2"),
                      {"id": "0196a000-0000-7000-8000-000000000199", "v2": ids["v2"]})
            # the foreign keys are on again after the migration
            assert c.execute(text("PRAGMA foreign_keys")).scalar() == 1
            n = first_join(s)
            seeded = dict(c.execute(text("SELECT entity_type, count(*) FROM sync_ops GROUP BY entity_type")).all())
        assert n > 0
        assert seeded["care_plan_versions"] == 3 and seeded["residents"] == 1 and seeded["reviews"] == 1
        assert seeded["risk_assessment_versions"] == 2 and seeded["accounts"] >= 1
    finally:
        book.close()
