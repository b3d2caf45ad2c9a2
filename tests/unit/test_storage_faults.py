"""Damaged or hostile storage: a missing or corrupt vault, a truncated database, a read-only folder,
a full disk. Each gives one clear message and never damages the existing unit database.

The full disk is made two ways: a file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored, so writes fail
with EFBIG) in a subprocess, which works anywhere; and a real 2 MiB tmpfs (ENOSPC) where mounting
is allowed. A read-only folder for root means a subprocess without capabilities (root bypasses
permission bits otherwise)."""
from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.db.foundation import AuditEntry
from keyworker.errors import DatabaseError, StorageError, VaultError
from keyworker.security.vault import FAST_KDF, vault_path_for
from tests.conftest import ADMIN_PW

ROOT = Path(__file__).resolve().parents[2]


def _files(db_path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (db_path, vault_path_for(db_path)) if p.exists()}


def _open(db_path: Path, clock: FixedClock | None = None) -> Casebook:
    return Casebook.open(db_path, "admin", ADMIN_PW, clock=clock, kdf=FAST_KDF)


def _assert_sound(db_path: Path) -> Casebook:
    """The unit opens with the old password and passes the full integrity and chain checks."""
    book = _open(db_path)
    with book._read() as s:
        assert s.execute(text("PRAGMA integrity_check")).scalars().all() == ["ok"]
    report = book.check()
    assert report["ok"], report
    return book


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()
                  if p.name.startswith((".vault-", ".kw-backup-", ".kw-restore-")) or p.name.endswith(".part"))


# -- the vault ---------------------------------------------------------------------------------
def test_missing_vault(db_path: Path, clock: FixedClock) -> None:
    vault_path_for(db_path).unlink()
    before = _files(db_path)
    with pytest.raises(VaultError, match=r"unit\.kwdb\.vault is missing beside the database"):
        _open(db_path, clock)
    assert _files(db_path) == before


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\xff" * 100, b"{\"format\": \"keyworker-vault\", \"slots\": [", b"[1, 2, 3]",
     b"{\"format\": \"something-else\", \"slots\": []}", b"{\"format\": \"keyworker-vault\", \"version\": 99, \"slots\": []}",
     b"{\"format\": \"keyworker-vault\", \"version\": 1, \"slots\": [{\"kind\": \"account\", \"username\": \"admin\"}]}"],
    ids=["empty", "binary", "cut short", "a list", "other format", "newer version", "slot without key"],
)
def test_corrupt_vault(db_path: Path, clock: FixedClock, content: bytes) -> None:
    vault_path_for(db_path).write_bytes(content)
    before = _files(db_path)
    with pytest.raises(VaultError) as e:
        _open(db_path, clock)
    assert "unit.kwdb.vault" in str(e.value)
    assert _files(db_path) == before


def test_vault_restored_from_its_bytes_opens_again(db_path: Path, clock: FixedClock) -> None:
    good = vault_path_for(db_path).read_bytes()
    vault_path_for(db_path).write_bytes(b"garbage")
    with pytest.raises(VaultError):
        _open(db_path, clock)
    vault_path_for(db_path).write_bytes(good)
    _assert_sound(db_path).close()


# -- the database ------------------------------------------------------------------------------
@pytest.mark.parametrize("keep", [0, 15, 100, 4096, 0.5, -1024, -4096, -8192])
def test_truncated_database(db_path: Path, clock: FixedClock, keep: float) -> None:
    data = db_path.read_bytes()
    n = int(len(data) * keep) if isinstance(keep, float) else (len(data) + keep if keep < 0 else keep)
    db_path.write_bytes(data[:n])
    before = _files(db_path)
    with pytest.raises(DatabaseError) as e:
        _open(db_path, clock)
    assert "unit.kwdb" in str(e.value) and ("damaged" in str(e.value) or "truncated" in str(e.value))
    assert _files(db_path) == before  # a failed open writes nothing over what is left


def test_missing_database(db_path: Path, clock: FixedClock) -> None:
    db_path.unlink()
    with pytest.raises(DatabaseError, match="There is no unit database"):
        _open(db_path, clock)


def test_plain_sqlite_file_is_named_as_such(db_path: Path, clock: FixedClock) -> None:
    import sqlite3

    db_path.unlink()
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseError, match="unencrypted SQLite file"):
        _open(db_path, clock)


# -- subprocesses: read-only folders and file-size limits -------------------------------------
def _drop_capabilities() -> None:
    """In the child before exec: as root, give up every capability, so permission bits apply."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in range(64):
        libc.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP: exec then grants root nothing


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYWORKER_")}
    env.update(KEYWORKER_PASSWORD=ADMIN_PW, KEYWORKER_DEVICE_ID="0196a000-0000-7000-8000-0000000000f1",
               HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(tmp_path / "home" / "d"),
               XDG_CONFIG_HOME=str(tmp_path / "home" / "c"), PYTHONPATH=str(ROOT))
    return env


def _cli_unprivileged(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], env=_env(tmp_path), cwd=str(ROOT),
                          preexec_fn=_drop_capabilities, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def _one_line(res: subprocess.CompletedProcess[str], contains: str) -> None:
    assert res.returncode == 1, (res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    assert contains in lines[0], lines[0]


@pytest.fixture
def read_only_unit(db_path: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    folder = db_path.parent
    os.chmod(folder, 0o555)
    try:
        probe = subprocess.run([sys.executable, "-c", f"import os; print(os.access({str(folder)!r}, os.W_OK))"],
                               preexec_fn=_drop_capabilities, capture_output=True, text=True, timeout=30)
        if probe.stdout.strip() != "False":
            pytest.skip("cannot make a folder read-only for this user here")
        yield db_path
    finally:
        os.chmod(folder, 0o755)


def test_read_only_folder(read_only_unit: Path, tmp_path: Path, template_db: Path) -> None:
    db_path = read_only_unit
    before = _files(db_path)
    _one_line(_cli_unprivileged(tmp_path, "check", "--db", str(db_path)), "read-only")
    _one_line(_cli_unprivileged(tmp_path, "init", "--admin", "boss", "--db", str(db_path.parent / "new.kwdb")),
              "read-only")
    # a backup into a read-only folder, from a unit in a writable one
    writable = tmp_path.parent / f"{tmp_path.name}-rw"
    writable.mkdir()
    try:
        shutil.copy(template_db, writable / "unit.kwdb")
        shutil.copy(vault_path_for(template_db), vault_path_for(writable / "unit.kwdb"))
        _one_line(_cli_unprivileged(tmp_path, "backup", "--out", str(db_path.parent / "x.kwbackup"), "--db",
                                    str(writable / "unit.kwdb")), "read-only")
        backup = writable / "ok.kwbackup"
        res = _cli_unprivileged(tmp_path, "backup", "--out", str(backup), "--db", str(writable / "unit.kwdb"))
        assert res.returncode == 0, res.stderr
        _one_line(_cli_unprivileged(tmp_path, "restore", "--from", str(backup), "--db", str(db_path)), "read-only")
    finally:
        shutil.rmtree(writable)
    assert _files(db_path) == before
    assert sorted(p.name for p in db_path.parent.iterdir()) == ["unit.kwdb", "unit.kwdb.vault"]


FULL_DISK_CHILD = r"""
import json, os, resource, signal, sys
from pathlib import Path
from keyworker.casebook import Casebook
from keyworker.errors import KeyworkerError
from keyworker.security.vault import FAST_KDF

db = Path(sys.argv[1]); pw = os.environ["KEYWORKER_PASSWORD"]
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)

def limit(n):
    resource.setrlimit(resource.RLIMIT_FSIZE, (n, hard))

def attempt(name, fn):
    try:
        fn()
        out[name] = ["ok", ""]
    except KeyworkerError as e:
        out[name] = [type(e).__name__, str(e)]

out = {}
book = Casebook.open(db, "admin", pw, kdf=FAST_KDF)
limit(2048)  # nothing new can be written, but the open files can still be read
attempt("change_password", lambda: book.accounts.change_own_password(pw, "Violet-Canal-Ledger-63"))
attempt("backup", lambda: book.backup(db.with_name("full.kwbackup")))
attempt("create", lambda: Casebook.create(db.with_name("new.kwdb"), admin_username="boss",
        admin_full_name="Bea Boss", password=pw, kdf=FAST_KDF))
biggest = max(p.stat().st_size for p in db.parent.iterdir() if p.is_file())
limit(biggest + 256 * 1024)
committed = []
def fill():
    for i in range(400):
        with book._write() as s:
            book._record(s, "fill", "unit", None, detail={"i": i, "pad": os.urandom(16 * 1024).hex()})
        committed.append(i)
attempt("fill", fill)
out["committed"] = committed
book.close()
print(json.dumps(out))
"""


def test_full_disk_by_file_size_limit(db_path: Path, tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, "-c", FULL_DISK_CHILD, str(db_path)], env=_env(tmp_path), cwd=str(ROOT),
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    for step in ("change_password", "backup", "create", "fill"):
        kind, message = out[step]
        assert kind == "StorageError", (step, out[step])
        assert "Nothing was saved" in message or "Nothing was changed" in message or "not changed" in message, message
    assert 0 < len(out["committed"]) < 400
    assert _leftovers(db_path.parent) == []
    assert not (db_path.parent / "full.kwbackup").exists() and not (db_path.parent / "new.kwdb").exists()
    assert not vault_path_for(db_path.parent / "new.kwdb").exists()
    # the old password still opens the unit; every committed write is there; nothing half-written
    book = _assert_sound(db_path)
    try:
        with book._read() as s:
            details = s.scalars(select(AuditEntry.detail).where(AuditEntry.action == "fill")).all()
            changes = s.scalars(select(AuditEntry.action).where(AuditEntry.action == "account.change_password")).all()
        assert sorted(json.loads(d)["i"] for d in details) == out["committed"]
        assert changes == []
    finally:
        book.close()


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where)],
                         capture_output=True, timeout=20)
    return res.returncode == 0


def test_full_disk_on_a_small_filesystem(db_path: Path, tmp_path: Path) -> None:
    small = tmp_path / "small"
    if not _mount_tmpfs(small, "2m"):
        pytest.skip("mounting a small tmpfs is not allowed here (the file-size-limit test covers a full disk)")
    try:
        unit = small / "unit.kwdb"
        shutil.copy(db_path, unit)
        shutil.copy(vault_path_for(db_path), vault_path_for(unit))
        filler = small / "filler"
        free = shutil.disk_usage(small).free
        filler.write_bytes(b"\0" * max(free - 400 * 1024, 0))
        book = _open(unit)
        committed: list[int] = []
        with pytest.raises(StorageError, match="disk is full") as e:
            for i in range(400):
                with book._write() as s:
                    book._record(s, "fill", "unit", None, detail={"i": i, "pad": os.urandom(16 * 1024).hex()})
                committed.append(i)
        assert "Traceback" not in str(e.value)
        with pytest.raises(StorageError):
            book.accounts.change_own_password(ADMIN_PW, "Violet-Canal-Ledger-63")
        book.close()
        assert committed
        # while the disk is still full, opening says so (it cannot audit the sign-in) ...
        try:
            _open(unit).close()
        except StorageError:
            pass
        # ... and once space is freed, everything committed is there and intact
        filler.unlink()
        book = _assert_sound(unit)
        try:
            with book._read() as s:
                got = sorted(json.loads(d)["i"] for d in
                             s.scalars(select(AuditEntry.detail).where(AuditEntry.action == "fill")))
            assert got == committed
        finally:
            book.close()
        assert _leftovers(small) == []
    finally:
        subprocess.run(["umount", str(small)], capture_output=True, timeout=20)


@pytest.mark.parametrize("page", [1, 2, "middle", "last"])
def test_a_damaged_page_is_found_not_served(db_path: Path, clock: FixedClock, page: object) -> None:
    """A page altered on disk fails its HMAC: the open or the check says the unit is damaged;
    it never silently returns altered data."""
    data = bytearray(db_path.read_bytes())
    pages = len(data) // 4096
    n = {"middle": pages // 2, "last": pages}.get(page, page)  # type: ignore[call-overload]
    offset = (int(n) - 1) * 4096 + 1000
    data[offset:offset + 8] = bytes(b ^ 0xFF for b in data[offset:offset + 8])
    db_path.write_bytes(bytes(data))
    try:
        book = _open(db_path, clock)
    except DatabaseError as e:
        assert "damaged" in str(e)
        return
    try:
        try:
            report = book.check()
        except DatabaseError as e:
            assert "damaged" in str(e)
            return
        assert report["ok"] is False and report["integrity"] != "ok"
    finally:
        book.close()


@pytest.mark.parametrize(
    ("error", "kind", "words"),
    [
        (OSError(28, "No space left on device"), StorageError, "disk is full"),
        (OSError(122, "Disk quota exceeded"), StorageError, "disk is full"),
        (OSError(27, "File too large"), StorageError, "disk is full"),
        (OSError(30, "Read-only file system"), StorageError, "read-only"),
        (OSError(13, "Permission denied"), StorageError, "read-only"),
        (__import__("sqlcipher3").OperationalError("database or disk is full"), StorageError, "disk is full"),
        (__import__("sqlcipher3").OperationalError("attempt to write a readonly database"), StorageError,
         "read-only"),
        (__import__("sqlcipher3").OperationalError("disk I/O error"), StorageError, "may be full"),
        (__import__("sqlcipher3").DatabaseError("file is not a database"), DatabaseError, "damaged"),
        (__import__("sqlcipher3").DatabaseError("database disk image is malformed"), DatabaseError, "damaged"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_driver_and_os_errors_become_messages_for_a_person(error: Exception, kind: type, words: str) -> None:
    from keyworker.db.engine import translate_db_error

    got = translate_db_error(error, Path("/units/unit.kwdb"))
    assert type(got) is kind and words in str(got), str(got)
