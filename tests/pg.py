"""A real PostgreSQL cluster for tests: `initdb` and `pg_ctl` in a temporary folder, listening on
a free loopback port, with password (SCRAM) sign-in. initdb refuses to run as root, so as root
(CI) the binaries run as the `postgres` user that the Debian package creates, via runuser.

The hub's roles are made here as a PostgreSQL administrator would make them; `hub init` does the
rest. Used by tests/hub/ and, through it, by whoever needs a hub."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql

SUPERUSER_PW = "pg-test-superuser"
OWNER_PW = "hub-owner-test-pw"
SERVICE_PW = "hub-service-test-pw"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def find_bindir() -> Path | None:
    """The folder holding initdb: on PATH, else the newest /usr/lib/postgresql/N/bin (Debian)."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(os.path.realpath(on_path)).parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


class PostgresCluster:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        # Not under pytest's tmp folder: that is 0700 root's, and the server may run as postgres.
        self.root = Path(tempfile.mkdtemp(prefix="kw-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        pwfile = self.root / "pw"
        pwfile.write_text(SUPERUSER_PW + "\n")
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        try:
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=scram-sha-256",
                      f"--pwfile={pwfile}", "-E", "UTF8", "--no-locale", "--no-sync")
            # Durability is not under test (the hub process is killed, never PostgreSQL): fsync off.
            opts = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off "
                    "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100")
            self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-t", "60",
                      "-o", opts, "start")
        except subprocess.CalledProcessError as e:
            raise RuntimeError(f"PostgreSQL did not start: {e.stderr or e.stdout}\n{self.log_tail()}") from None
        with self.connect() as conn:
            for role, pw in (("keyworker_hub_owner", OWNER_PW), ("keyworker_hub", SERVICE_PW)):
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(role), sql.Literal(pw)))

    def log_tail(self) -> str:
        log = self.root / "log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""

    def stop(self) -> None:
        try:
            if self.data.exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, user: str, db: str, password: str | None = None) -> str:
        auth = f"{user}:{password}" if password else user
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{db}"

    def connect(self, db: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.url("postgres", db, SUPERUSER_PW), autocommit=True)

    def create_hub_database(self, name: str) -> tuple[str, str]:
        """A fresh database owned by the owner role. Returns (owner URL, service URL without password:
        the service's password goes in PGPASSWORD, as docs/SYNC.md advises)."""
        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER keyworker_hub_owner").format(sql.Identifier(name)))
        return self.url("keyworker_hub_owner", name, OWNER_PW), self.url("keyworker_hub", name)
