"""Destinations (book.destinations): each transport's settings checked field by field, secrets
sealed (never in the database in plain text, never in the audit trail), kept when not retyped,
routes per kind of document taking the items that were waiting, and Test connection against a
real loopback HTTPS server and a closed port."""
from __future__ import annotations

import json
from pathlib import Path

import asyncssh
import pytest
from sqlalchemy import select, text

from keyworker.casebook import Casebook
from keyworker.db.foundation import AuditEntry
from keyworker.db.outbox import OutboxDestination, OutboxItem
from keyworker.errors import PermissionDenied, ValidationError
from keyworker.outbox.destinations import host_key_fingerprint
from keyworker.outbox.kinds import KINDS, kind_words
from keyworker.outbox.queue import default_destination, enqueue
from keyworker.outbox.secrets import unseal
from tests.fixtures.destination_servers import closed_port, https_receiver
from tests.fixtures.outbox_servers import SFTP_PASSWORD
from tests.fixtures.outbox_servers import SftpServer

TOKEN = "tok-VERY-secret-0123456789abcdef"
SMTP_PW = "mail-Pass-never-shown-42"


def errors_of(fn) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as e:
        fn()
    return e.value.fields


def https(book: Casebook, name: str = "County hub", url: str = "https://hub.example.nhs.uk/letters",
          **settings):  # type: ignore[no-untyped-def]
    return book.destinations.add("https", name, {"url": url, **settings}, TOKEN)


def sftp_key_line() -> str:
    key = asyncssh.generate_private_key("ssh-ed25519")
    return " ".join(key.export_public_key("openssh").decode().split()[:2])


def sftp_settings(**over):  # type: ignore[no-untyped-def]
    return {"host": "drop.example.nhs.uk", "port": 22, "username": "drop", "remote_folder": "/inbox",
            "host_key": sftp_key_line(), "auth": "password", **over}


def smtp_settings(**over):  # type: ignore[no-untyped-def]
    return {"host": "smtp.example.nhs.uk", "port": 587, "security": "starttls",
            "from_address": "unit@example.nhs.uk", "default_recipients": ["referrals@example.nhs.uk"], **over}


def raw_rows(book: Casebook) -> bytes:
    """Everything the destinations table holds, as bytes (inside the encrypted file)."""
    with book._read() as s:
        rows = s.execute(text("SELECT * FROM outbox_destinations")).all()
    return repr(rows).encode()


def audit_text(book: Casebook) -> str:
    with book._read() as s:
        return " ".join(f"{a.action} {a.detail}" for a in s.scalars(select(AuditEntry)))


def wait(book: Casebook, kind: str, subject: str) -> str:
    with book._write() as s:
        return enqueue(book, s, kind=kind, title=f"{kind} {subject}", payload=b"%PDF-1.4 x", filename="x.pdf",
                       subject=subject).id


# -- HTTPS ---------------------------------------------------------------------------------------
def test_add_https_lists_where_it_goes_and_never_the_token(admin_book: Casebook) -> None:
    v = https(admin_book)
    assert (v.name, v.transport, v.transport_label, v.enabled, v.has_secret) == \
        ("County hub", "https", "HTTPS API", True, True)
    assert v.where == "https://hub.example.nhs.uk/letters" and v.state == "Not tried yet" and v.online is None
    [listed] = admin_book.destinations.list()
    assert listed.id == v.id and TOKEN not in repr(listed)
    assert TOKEN.encode() not in raw_rows(admin_book)
    with admin_book._read() as s:
        row = s.get(OutboxDestination, v.id)
        assert unseal(admin_book, v.id, row.secret) == TOKEN
        assert json.loads(row.settings) == {"url": "https://hub.example.nhs.uk/letters", "ca_bundle": None}
    assert TOKEN not in audit_text(admin_book)


@pytest.mark.parametrize(("url", "words"), [
    ("http://hub.example.nhs.uk/letters", "https://"),
    ("https:///letters", "name a server"),
    ("", "required"),
    ("https://user:pw@hub.example.nhs.uk/", "user name or password"),
])
def test_https_address_must_be_https_with_a_host(admin_book: Casebook, url: str, words: str) -> None:
    assert words in errors_of(lambda: https(admin_book, url=url))["url"]
    assert admin_book.destinations.list() == []


def test_https_token_and_ca_bundle_are_checked(admin_book: Casebook, tmp_path: Path) -> None:
    e = errors_of(lambda: admin_book.destinations.add("https", "Hub", {"url": "https://h.example/x"}, None))
    assert e == {"secret": "The bearer token is required."}
    assert "cannot be read" in errors_of(lambda: https(admin_book, ca_bundle=str(tmp_path / "missing.pem")))[
        "ca_bundle"]
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    assert "PEM" in errors_of(lambda: https(admin_book, ca_bundle=str(junk)))["ca_bundle"]
    assert "not a setting" in errors_of(lambda: https(admin_book, colour="red"))["colour"]


def test_names_are_required_and_unique(admin_book: Casebook) -> None:
    https(admin_book)
    assert "already a destination" in errors_of(lambda: https(admin_book, name="county HUB"))["name"]
    assert errors_of(lambda: https(admin_book, name="  "))["name"] == "The name is required."


def test_update_without_a_new_secret_keeps_the_old_one(admin_book: Casebook) -> None:
    v = https(admin_book)
    u = admin_book.destinations.update(v.id, name="Hub (new)", settings={"url": "https://hub2.example.nhs.uk/in"})
    assert (u.name, u.where, u.has_secret) == ("Hub (new)", "https://hub2.example.nhs.uk/in", True)
    with admin_book._read() as s:
        assert unseal(admin_book, v.id, s.get(OutboxDestination, v.id).secret) == TOKEN
    admin_book.destinations.update(v.id, secret="  ")  # blank: kept too
    with admin_book._read() as s:
        assert unseal(admin_book, v.id, s.get(OutboxDestination, v.id).secret) == TOKEN
    admin_book.destinations.update(v.id, secret=" spaced pass ")  # kept exactly as typed
    with admin_book._read() as s:
        assert unseal(admin_book, v.id, s.get(OutboxDestination, v.id).secret) == " spaced pass "
    admin_book.destinations.update(v.id, secret="a-new-token-987")
    with admin_book._read() as s:
        assert unseal(admin_book, v.id, s.get(OutboxDestination, v.id).secret) == "a-new-token-987"
    trail = audit_text(admin_book)
    assert "outbox.destination_update" in trail and "a-new-token-987" not in trail and TOKEN not in trail
    assert "http://x" not in trail
    assert "url must" not in trail
    assert "replaced" in trail and "kept" in trail


# -- SFTP ----------------------------------------------------------------------------------------
def test_sftp_needs_every_field_and_a_pinned_host_key(admin_book: Casebook) -> None:
    e = errors_of(lambda: admin_book.destinations.add("sftp", "Drop", {"auth": "password"}, None))
    assert set(e) == {"host", "username", "remote_folder", "host_key", "secret"}
    assert "host key is required" in e["host_key"]
    e = errors_of(lambda: admin_book.destinations.add("sftp", "Drop", sftp_settings(host_key="ssh-ed25519 AAAAnope",
                                                                                       port=70000), "pw"))
    assert "not a valid OpenSSH public key line" in e["host_key"] and "1 to 65535" in e["port"]
    e = errors_of(lambda: admin_book.destinations.add("sftp", "Drop", sftp_settings(remote_folder="inbox",
                                                                                       auth="telnet"), "pw"))
    assert "starting with /" in e["remote_folder"] and "password or with a key" in e["auth"]


def test_sftp_key_must_be_an_unencrypted_openssh_private_key(admin_book: Casebook) -> None:
    e = errors_of(lambda: admin_book.destinations.add("sftp", "Drop", sftp_settings(auth="key"), "not a key"))
    assert "unencrypted OpenSSH private key" in e["secret"]
    key = asyncssh.generate_private_key("ssh-ed25519").export_private_key("openssh").decode()
    v = admin_book.destinations.add("sftp", "Drop", sftp_settings(auth="key"), key)
    assert v.where == "sftp://drop@drop.example.nhs.uk:22/inbox" and v.has_secret
    assert b"OPENSSH PRIVATE KEY" not in raw_rows(admin_book)
    # Changing how it signs in needs the new kind of secret, not the stored key.
    e = errors_of(lambda: admin_book.destinations.update(v.id, settings={"auth": "password"}))
    assert "enter the password" in e["secret"]


def test_sftp_host_key_fetched_from_a_real_server_and_test_connects(admin_book: Casebook, tmp_path: Path) -> None:
    (tmp_path / "root" / "inbox").mkdir(parents=True)
    server = SftpServer(tmp_path / "root")
    server.start()
    try:
        line = admin_book.destinations.fetch_sftp_host_key("127.0.0.1", server.port)
        assert line == server.host_key_line
        assert host_key_fingerprint(line).startswith("SHA256:")
        v = admin_book.destinations.add("sftp", "Drop", sftp_settings(host="127.0.0.1", port=server.port,
                                                                      host_key=line), SFTP_PASSWORD)
        result = admin_book.destinations.test(v.id)
        assert result.ok and result.reachable, result.words
        wrong = admin_book.destinations.add("sftp", "Drop 2", sftp_settings(host="127.0.0.1", port=server.port),
                                            SFTP_PASSWORD)
        result = admin_book.destinations.test(wrong.id)
        assert not result.reachable and "identity has changed" in result.words
    finally:
        server.shutdown()
    e = errors_of(lambda: admin_book.destinations.fetch_sftp_host_key("127.0.0.1", closed_port()))
    assert "Could not reach" in e["host"]
    assert "server name" in errors_of(lambda: admin_book.destinations.fetch_sftp_host_key("bad host!"))["host"]


# -- secure email ----------------------------------------------------------------------------------
def test_smtp_refuses_plain_and_checks_addresses(admin_book: Casebook) -> None:
    e = errors_of(lambda: admin_book.destinations.add("smtp", "Mail", smtp_settings(security="plain"), None))
    assert "Plain (unencrypted) email is not allowed" in e["security"] and "STARTTLS or TLS" in e["security"]
    e = errors_of(lambda: admin_book.destinations.add("smtp", "Mail", smtp_settings(
        from_address="unit", default_recipients="ok@example.nhs.uk, nope",
        recipients_by_kind={"decline_letter": ["also wrong"], "pizza": ["a@b.cc"]}), None))
    assert "email address" in e["from_address"] and "nope is not an email address" in e["default_recipients"]
    assert "also wrong" in e["recipients_by_kind.decline_letter"]
    assert "not a kind of document" in e["recipients_by_kind"]
    e = errors_of(lambda: admin_book.destinations.add("smtp", "Mail", smtp_settings(username="unit"), None))
    assert "password is required" in e["secret"]


def test_smtp_recipients_per_kind_and_the_unit_as_sender(admin_book: Casebook) -> None:
    v = admin_book.destinations.add("smtp", "Secure mail", smtp_settings(
        security="tls", port=465, username="unit",
        recipients_by_kind={"declines_report": "authority@lancashire.gov.uk; second@lancashire.gov.uk"}), SMTP_PW)
    assert v.where == "smtp.example.nhs.uk:465 (TLS)"
    assert v.settings["recipients_by_kind"] == {"declines_report": ["authority@lancashire.gov.uk",
                                                                    "second@lancashire.gov.uk"]}
    assert v.settings["sender_name"] == "Test Unit"
    assert SMTP_PW.encode() not in raw_rows(admin_book)
    assert admin_book.destinations.add("smtp", "Other", smtp_settings(), None).where == \
        "smtp.example.nhs.uk:587 (STARTTLS)"


# -- routes ----------------------------------------------------------------------------------------
def test_routes_list_every_kind_in_words(admin_book: Casebook) -> None:
    routes = admin_book.destinations.routes()
    assert [r.kind for r in routes] == list(KINDS)
    assert {r.kind_words for r in routes} >= {"Referral decline letters", "NDTMS monthly return"}
    assert all(r.destination_id is None for r in routes)
    assert kind_words("something_new") == "Something new"


def test_setting_a_route_takes_the_waiting_items_of_that_kind(manager_book: Casebook) -> None:
    first = wait(manager_book, "decline_letter", "a")
    second = wait(manager_book, "decline_letter", "b")
    other = wait(manager_book, "review_invitation", "c")
    v = https(manager_book)
    result = manager_book.destinations.set_route("decline_letter", v.id)
    assert result.assigned == 2 and "2 waiting items will go there too" in result.words
    with manager_book._read() as s:
        assert {s.get(OutboxItem, i).destination_id for i in (first, second)} == {v.id}
        assert s.get(OutboxItem, other).destination_id is None
        assert default_destination(s, "decline_letter") == v.id
    assert manager_book.destinations.get(v.id).kinds == ("decline_letter",)
    # A new item takes the route; clearing it leaves items already routed alone.
    later = wait(manager_book, "decline_letter", "d")
    manager_book.destinations.clear_route("decline_letter")
    newest = wait(manager_book, "decline_letter", "e")
    with manager_book._read() as s:
        assert s.get(OutboxItem, later).destination_id == v.id
        assert s.get(OutboxItem, newest).destination_id is None
    again = manager_book.destinations.set_route("decline_letter", v.id)
    assert again.assigned == 1
    assert [r.destination_name for r in manager_book.destinations.routes() if r.kind == "decline_letter"] == \
        ["County hub"]
    assert "not a kind" in errors_of(lambda: manager_book.destinations.set_route("pizza", v.id))["kind"]
    assert "does not exist" in errors_of(lambda: manager_book.destinations.set_route("decline_letter", "nope"))[
        "destination"]


def test_disable_and_enable_keep_everything(admin_book: Casebook) -> None:
    v = https(admin_book)
    assert admin_book.destinations.disable(v.id).enabled is False
    assert admin_book.destinations.list()[0].has_secret
    assert admin_book.destinations.enable(v.id).enabled is True
    trail = audit_text(admin_book)
    assert "outbox.destination_disable" in trail and "outbox.destination_enable" in trail


# -- permissions -----------------------------------------------------------------------------------
def test_a_key_worker_is_refused_and_nothing_is_written(
        worker_book: Casebook, book_factory) -> None:  # type: ignore[no-untyped-def]
    for call in (lambda: worker_book.destinations.list(), lambda: https(worker_book),
                 lambda: worker_book.destinations.routes(),
                 lambda: worker_book.destinations.set_route("decline_letter", "x")):
        with pytest.raises(PermissionDenied):
            call()
    assert book_factory("admin").destinations.list() == []


# -- Test connection ---------------------------------------------------------------------------------
def test_test_reaches_a_loopback_https_server_and_records_online(admin_book: Casebook, tmp_path: Path,
                                                                  clock) -> None:  # type: ignore[no-untyped-def]
    with https_receiver(tmp_path / "https") as rx:
        v = https(admin_book, url=rx.url, ca_bundle=rx.ca_file)
        result = admin_book.destinations.test(v.id)
        assert (result.reachable, result.ok) == (True, True) and "Connected to County hub" in result.words
        assert rx.probes == [f"Bearer {TOKEN}"]
        listed = admin_book.destinations.get(v.id)
        assert (listed.online, listed.state, listed.last_reached_at) == (True, "Online", clock.now())
        # Another CA: the certificate is refused, in words, and the destination is offline.
        clock.advance(minutes=1)
        untrusted = https(admin_book, name="Untrusted", url=rx.url, ca_bundle=rx.other_ca_file)
        result = admin_book.destinations.test(untrusted.id)
        assert not result.reachable and "certificate" in result.words and "not trusted" in result.words
        assert admin_book.destinations.get(untrusted.id).state == "Offline"
    assert "outbox.destination_test" in audit_text(admin_book) and TOKEN not in audit_text(admin_book)


def test_test_of_a_closed_port_is_unreachable_with_words(
        admin_book: Casebook, clock) -> None:  # type: ignore[no-untyped-def]
    v = https(admin_book, url=f"https://127.0.0.1:{closed_port()}/letters", timeout=5)
    result = admin_book.destinations.test(v.id)
    assert not result.reachable and not result.ok
    assert "could not be reached" in result.words and "127.0.0.1" in result.words
    assert "Traceback" not in result.words
    listed = admin_book.destinations.get(v.id)
    assert (listed.online, listed.state) == (False, "Offline")
    assert listed.last_error == result.words and listed.last_unreachable_at == clock.now()


def test_test_does_not_hold_a_session_while_probing(
        admin_book: Casebook, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from keyworker.outbox.https import HttpsTransport

    v = https(admin_book)
    seen: list[int] = []

    def probe(self) -> None:  # type: ignore[no-untyped-def]
        seen.append(admin_book._read_engine.pool.checkedout() + admin_book._engine.pool.checkedout())

    monkeypatch.setattr(HttpsTransport, "probe", probe)
    assert admin_book.destinations.test(v.id).ok
    assert seen == [0]


@pytest.mark.parametrize("kind", ["ndtms_return", "pseudonymised_extract"])
def test_line_level_returns_cannot_be_routed_to_email(admin_book: Casebook, kind: str) -> None:
    mail = admin_book.destinations.add("smtp", "Council mail", smtp_settings(), "pw")
    e = errors_of(lambda: admin_book.destinations.set_route(kind, mail.id))
    assert "not sent by email" in e["destination"]
    assert {r.kind: r.destination_id for r in admin_book.destinations.routes()}.get(kind) is None
    mail_ok = admin_book.destinations.set_route("decline_letter", mail.id)  # a letter may go by email
    assert mail_ok.destination_id == mail.id
