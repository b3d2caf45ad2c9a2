"""`destinations list|add|test|route|host-key`, run as a user runs them: the secret only from a file,
the environment or a prompt (never an argument, never printed), refusals in one line naming the
option, Test connection against a real loopback HTTPS server and a closed port."""
from __future__ import annotations

import json
from pathlib import Path

from keyworker.clock import FixedClock
from keyworker.db.outbox import OutboxDestination
from keyworker.outbox.secrets import unseal
from tests.conftest import STAFF_PW, open_as
from tests.fixtures.destination_servers import closed_port, https_receiver
from tests.unit.test_cli import assert_one_line_error, run

TOKEN = "cli-token-NEVER-printed-0042"


def dest(tmp_path: Path, db: Path, *args: str, secret: str | None = None,
         user: str | None = None):  # type: ignore[no-untyped-def]
    extra = {"KEYWORKER_DESTINATION_SECRET": secret} if secret else {}
    return run(tmp_path, "destinations", *args, "--db", str(db), extra_env=extra,
               **({"password": STAFF_PW, "user": user} if user else {}))


def test_add_https_from_the_environment_then_list(tmp_path: Path, db_path: Path, clock: FixedClock) -> None:
    res = dest(tmp_path, db_path, "add", "https", "--name", "County hub", "--url", "https://hub.example.nhs.uk/in",
               secret=TOKEN)
    assert res.returncode == 0, res.stderr
    assert "Added destination County hub (HTTPS API): https://hub.example.nhs.uk/in (secret stored encrypted)" \
        in res.stdout
    res = dest(tmp_path, db_path, "list")
    assert res.returncode == 0 and "County hub  [HTTPS API]  https://hub.example.nhs.uk/in  Not tried yet" in res.stdout
    res = dest(tmp_path, db_path, "list", "--json")
    [row] = json.loads(res.stdout)
    assert (row["name"], row["has_secret"], row["online"]) == ("County hub", True, None)
    for out in (res.stdout, res.stderr):
        assert TOKEN not in out
    book = open_as(db_path, "admin", clock)
    with book._read() as s:
        d = s.query(OutboxDestination).one()
        assert unseal(book, d.id, d.secret) == TOKEN
    book.close()


def test_the_secret_from_a_file_and_never_as_an_argument(tmp_path: Path, db_path: Path, clock: FixedClock) -> None:
    secret_file = tmp_path / "token.txt"
    secret_file.write_text(TOKEN + "\n")
    res = dest(tmp_path, db_path, "add", "https", "--name", "Hub", "--url", "https://h.example/in",
               "--secret-file", str(secret_file))
    assert res.returncode == 0, res.stderr
    book = open_as(db_path, "admin", clock)
    with book._read() as s:
        d = s.query(OutboxDestination).one()
        assert unseal(book, d.id, d.secret) == TOKEN  # the file's trailing newline is not part of it
    book.close()
    res = dest(tmp_path, db_path, "add", "https", "--name", "Hub 2", "--url", "https://h.example/in", "--secret", TOKEN)
    line = assert_one_line_error(res, 2, "never given as an argument")
    assert TOKEN not in line and TOKEN not in res.stdout


def test_refusals_name_the_option_in_one_line(tmp_path: Path, db_path: Path) -> None:
    res = dest(tmp_path, db_path, "add", "https", "--name", "Hub", "--url", "http://h.example/in", secret=TOKEN)
    assert "--url" in assert_one_line_error(res, 1, "https://")
    res = dest(tmp_path, db_path, "add", "smtp", "--name", "Mail", "--host", "smtp.example", "--security", "plain",
               "--from", "unit@example.nhs.uk")
    assert_one_line_error(res, 1, "--security: Plain (unencrypted) email is not allowed")
    res = dest(tmp_path, db_path, "add", "sftp", "--name", "Drop", "--host", "drop.example", "--username", "drop",
               "--remote-folder", "/in", "--host-key", "ssh-ed25519 AAAAnope")
    line = assert_one_line_error(res, 1, "--host-key")
    assert "KEYWORKER_DESTINATION_SECRET" in line  # no secret and no terminal: says how to give one
    assert_one_line_error(dest(tmp_path, db_path, "add", "smtp", "--name", "M", "--host", "h", "--from", "u@x.uk",
                               "--to-kind", "nonsense"), 2, "KIND=ADDRESS")


def test_route_a_kind_then_clear_it(tmp_path: Path, db_path: Path) -> None:
    assert dest(tmp_path, db_path, "add", "smtp", "--name", "Secure mail", "--host", "smtp.example.nhs.uk",
                "--from", "unit@example.nhs.uk", "--to", "referrals@example.nhs.uk",
                "--to-kind", "declines_report=authority@lancashire.gov.uk").returncode == 0
    res = dest(tmp_path, db_path, "route", "declines_report", "secure MAIL")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "Declined-referrals report will be sent to Secure mail."
    assert "sends: Declined-referrals report" in dest(tmp_path, db_path, "list").stdout
    res = dest(tmp_path, db_path, "route", "declines_report", "--clear")
    assert res.returncode == 0 and "no destination set" in res.stdout
    assert_one_line_error(dest(tmp_path, db_path, "route", "pizza", "Secure mail"), 2, "not a kind of document")
    assert_one_line_error(dest(tmp_path, db_path, "route", "declines_report"), 2, "--clear")
    assert_one_line_error(dest(tmp_path, db_path, "route", "declines_report", "Nowhere"), 1, "no destination called")


def test_test_reaches_loopback_https_and_not_a_closed_port(tmp_path: Path, db_path: Path) -> None:
    with https_receiver(tmp_path / "https") as rx:
        assert dest(tmp_path, db_path, "add", "https", "--name", "Hub", "--url", rx.url, "--ca-bundle", rx.ca_file,
                    secret=TOKEN).returncode == 0
        res = dest(tmp_path, db_path, "test", "Hub")
        assert res.returncode == 0, res.stdout + res.stderr
        assert "Connected to Hub" in res.stdout and TOKEN not in res.stdout
    assert "Online" in dest(tmp_path, db_path, "list").stdout
    assert dest(tmp_path, db_path, "add", "https", "--name", "Closed", "--url",
                f"https://127.0.0.1:{closed_port()}/in", "--timeout", "5", secret=TOKEN).returncode == 0
    res = dest(tmp_path, db_path, "test", "Closed")
    assert res.returncode == 1 and "Closed could not be reached" in res.stdout and "Traceback" not in res.stderr
    listing = dest(tmp_path, db_path, "list").stdout
    assert "Offline" in listing and "last problem:" in listing


def test_a_key_worker_is_refused_and_a_senior_may(tmp_path: Path, db_path: Path) -> None:
    assert_one_line_error(dest(tmp_path, db_path, "list", user="worker"), 1)
    res = dest(tmp_path, db_path, "list", user="manager")
    assert res.returncode == 0 and "No destinations yet" in res.stdout


def test_help_names_every_subcommand_and_how_to_give_a_secret(tmp_path: Path) -> None:
    res = run(tmp_path, "destinations", "--help")
    assert res.returncode == 0 and all(w in res.stdout for w in ("list", "add", "test", "route", "host-key"))
    res = run(tmp_path, "destinations", "add", "sftp", "--help")
    assert res.returncode == 0 and "--secret-file" in res.stdout and "KEYWORKER_DESTINATION_SECRET" in res.stdout
    assert "--secret " not in res.stdout and "--token" not in res.stdout
