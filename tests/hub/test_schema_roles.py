"""The hub's schema and roles: `hub init` is idempotent and sets exactly the service role's grants;
the service role can add ops but never change or delete one."""
from __future__ import annotations

import psycopg
import pytest

from keyworker.hub.schema import GRANTS, SERVICE_ROLE, head_revision, init
from tests.hub.servers import HubDb, HubProcess, first_laptop, scalar
from tests.pg import SERVICE_PW


def service(db: HubDb) -> psycopg.Connection:
    return psycopg.connect(db.service_url, password=SERVICE_PW, autocommit=True)


def grants(db: HubDb) -> dict[str, set[str]]:
    with psycopg.connect(db.owner_url) as conn:
        rows = conn.execute("SELECT table_name, privilege_type FROM information_schema.role_table_grants "
                            "WHERE grantee = %s", (SERVICE_ROLE,)).fetchall()
    out: dict[str, set[str]] = {}
    for table, privilege in rows:
        out.setdefault(table, set()).add(privilege)
    return out


def test_the_service_role_cannot_update_delete_or_truncate_an_op(hub: HubProcess) -> None:
    a = first_laptop(hub, "roles")
    with a.client() as c:
        assert c.post("/v1/push", json={"ops": a.make_ops(3)}).status_code == 200
    with service(hub.db) as conn:
        assert conn.execute("SELECT count(*) FROM ops WHERE unit_id = 'roles'").fetchall() == [(3,)]
        for statement in ("UPDATE ops SET payload = 'x' WHERE unit_id = 'roles'",
                          "DELETE FROM ops WHERE unit_id = 'roles'",
                          "TRUNCATE ops",
                          "UPDATE hub_audit SET detail = ''",
                          "DELETE FROM hub_audit",
                          "DELETE FROM devices",
                          "INSERT INTO units (unit_id) VALUES ('made-by-the-service')",
                          "ALTER TABLE ops DROP CONSTRAINT ops_op_id_key",
                          "CREATE TABLE public.mine (x int)"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    assert scalar(hub.db.owner_url, "SELECT count(*) FROM ops WHERE unit_id = 'roles'") == 3


def test_init_is_idempotent_and_puts_the_grants_back_to_exactly_the_list(hub_db: HubDb) -> None:
    expected = {t: set(p) for t, p in GRANTS.items()}
    assert grants(hub_db) == expected
    with psycopg.connect(hub_db.owner_url, autocommit=True) as conn:
        conn.execute("GRANT DELETE, UPDATE ON ops TO keyworker_hub")  # a hand-made mistake
    assert "DELETE" in grants(hub_db)["ops"]
    assert init(hub_db.owner_url) == head_revision() == init(hub_db.owner_url)
    assert grants(hub_db) == expected
    with service(hub_db) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(head_revision(),)]


def test_init_refuses_to_run_as_the_service_role(hub_db: HubDb) -> None:
    from keyworker.hub.db import HubDatabaseError

    with pytest.raises(HubDatabaseError, match="owner role"):
        init(hub_db.service_url + f"?password={SERVICE_PW}")
