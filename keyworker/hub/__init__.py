"""The unit hub (docs/SYNC.md): the server every enrolled laptop of a unit pushes its sealed ops to
and pulls the unit's ops from. A Starlette JSON API on uvicorn over TLS, on PostgreSQL.

No Qt, no SQLCipher and no unit database here: the hub never holds readable health data, only the
sealed payloads the laptops send. Modules:

  codes.py      the enrolment code format and what is derived from it (shared with the laptops)
  schema.py     role names, the service role's grants, `init` (Alembic upgrade + grants)
  db.py         PostgreSQL connections and the one-line messages for an unreachable server
  store.py      ops: push (gap-free unit_seq under the counter lock), pull, chain heads
  enrol.py      units, bootstrap and enrolment codes, joining, revocation
  auth.py       device tokens (only their SHA-256 is stored) and the hub's audit
  errors.py     `Refused`: a status, plain words, and what to audit
  wire.py       checking the values of a request's JSON
  ratelimit.py  in-memory token buckets per device and per client address
  app.py        the Starlette app: routes under /v1, JSON errors
  cli.py        `main.py hub init | serve | add-unit`
  migrations/   the hub's own Alembic environment (apart from the laptop's migrations/)
"""
from __future__ import annotations
