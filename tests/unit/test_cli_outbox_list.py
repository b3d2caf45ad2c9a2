"""`outbox list [--json] [--status S]`, run as a user runs it: the items in words, the JSON for a
script without payloads or secrets, the administrator refused in one line."""
from __future__ import annotations

import json
from pathlib import Path

from keyworker.clock import FixedClock
from tests.conftest import STAFF_PW, open_as
from tests.fixtures.caseload import admit
from tests.fixtures.outbox_items import add_destination, add_item, pdf_bytes
from tests.unit.test_cli import assert_one_line_error, run

SECRET = "sekret-token-never-shown"


def _outbox(tmp_path: Path, db: Path, *args: str, user: str = "worker"):  # type: ignore[no-untyped-def]
    return run(tmp_path, "outbox", "list", "--db", str(db), *args, password=STAFF_PW, user=user)


def _fill(db_path: Path, clock: FixedClock) -> str:
    book = open_as(db_path, "manager", clock)
    try:
        rec = admit(book, given_name="Ana", family_name="Alder")
        dest = add_destination(book, "Council secure email", secret=SECRET)
        add_item(book, "Review invitation", kind="review_invitation", resident_id=rec.id, destination_id=dest,
                 payload=pdf_bytes("PAYLOAD-MARKER"))
        add_item(book, "Refused letter", status="quarantined", destination_id=dest,
                 attempts=[("permanent", "550 mailbox unavailable")], last_error="550 mailbox unavailable")
        return rec.reference
    finally:
        book.close()


def test_outbox_list_in_words_and_by_status(tmp_path: Path, db_path: Path, clock: FixedClock) -> None:
    ref = _fill(db_path, clock)
    res = _outbox(tmp_path, db_path)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "Review invitation" in out and ref in out and "Council secure email" in out
    assert "Needs attention" in out and "550 mailbox unavailable" in out and "Alder" not in out
    assert out.splitlines()[-1] == "3 items."  # and the acceptance confirmation queued at accept
    res = _outbox(tmp_path, db_path, "--status", "quarantined")
    assert res.returncode == 0 and "Refused letter" in res.stdout and "Review invitation —" not in res.stdout
    res = _outbox(tmp_path, db_path, "--status", "delivered")
    assert res.returncode == 0 and res.stdout.strip() == "No items."


def test_outbox_list_json_has_no_payload_and_no_secret(tmp_path: Path, db_path: Path, clock: FixedClock) -> None:
    ref = _fill(db_path, clock)
    res = _outbox(tmp_path, db_path, "--json", user="manager")
    assert res.returncode == 0, res.stderr
    items = json.loads(res.stdout)
    assert len(items) == 3
    inv = next(i for i in items if i["kind"] == "review_invitation")
    assert inv["status_words"] == "Waiting" and inv["reference"] == ref and inv["attempts"] == 0
    assert inv["destination"] == "Council secure email" and inv["next_attempt_at"].startswith("2026-01-05")
    assert not {"payload", "sha256", "secret", "idempotency_key"} & set(inv)
    assert SECRET not in res.stdout and "PAYLOAD-MARKER" not in res.stdout and "%PDF" not in res.stdout


def test_outbox_list_refusals_are_one_line(tmp_path: Path, db_path: Path) -> None:
    assert_one_line_error(run(tmp_path, "outbox", "list", "--db", str(db_path), user="admin"), 1)
    assert_one_line_error(_outbox(tmp_path, db_path, "--status", "lost"), 2, "--status")
    empty = _outbox(tmp_path, db_path)
    assert empty.returncode == 0 and empty.stdout.strip() == "Nothing is waiting to be sent."
