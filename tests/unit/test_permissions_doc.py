"""docs/PERMISSIONS.md is the permission table people read; GRANTS is the one the code enforces.
This reads the doc's table so the two cannot drift apart."""
from __future__ import annotations

import re
from pathlib import Path

from keyworker.security.permissions import GRANTS, ROLE_LABELS, Permission, Role

DOC = Path(__file__).resolve().parents[2] / "docs" / "PERMISSIONS.md"


def doc_table() -> dict[Role, set[Permission]]:
    lines = [ln.strip() for ln in DOC.read_text(encoding="utf-8").splitlines() if ln.strip().startswith("|")]
    header, _rule, *rows = [[c.strip() for c in ln.strip("|").split("|")] for ln in lines]
    by_heading = {ROLE_LABELS[r].split(" (")[0]: r for r in Role}
    missing = set(header[1:]) - set(by_heading)
    assert not missing, f"columns that are no role: {missing}"
    roles = [by_heading[h] for h in header[1:]]
    table: dict[Role, set[Permission]] = {r: set() for r in roles}
    for row in rows:
        m = re.match(r"`([a-z_]+)`", row[0])
        assert m, f"a row must start with the permission in backticks: {row[0]!r}"
        permission = Permission(m.group(1))
        for role, cell in zip(roles, row[1:], strict=True):
            assert cell in ("yes", "no"), f"{permission.value} / {role.value}: say yes or no, not {cell!r}"
            if cell == "yes":
                table[role].add(permission)
    assert sorted(m.group(1) for row in rows if (m := re.match(r"`([a-z_]+)`", row[0]))) == sorted(
        p.value for p in Permission), "every permission has exactly one row"
    return table


def test_the_documented_table_is_the_enforced_one() -> None:
    table = doc_table()
    assert set(table) == set(GRANTS), "every role has a column"
    for role, granted in GRANTS.items():
        assert table[role] == set(granted), (
            f"{role.value}: doc says {sorted(p.value for p in table[role])}, "
            f"GRANTS say {sorted(p.value for p in granted)}")
