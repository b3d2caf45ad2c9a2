"""End-to-end sync: a real PostgreSQL cluster (tests/pg.py), `main.py hub serve` in its own process
with a trustme certificate (tests/hub/servers.py), and real SQLCipher laptops enrolled through
keyworker/sync/enrol.py. One cluster, and one hub per module (the `hub` fixture in tests/conftest.py);
each test has a unit of its own."""
