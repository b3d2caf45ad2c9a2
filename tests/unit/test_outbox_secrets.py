"""keyworker/outbox/secrets.py and factory.py: a sealed secret opens only for its own destination
and its own unit, a damaged one says so in words, and each transport is built from its row's
settings JSON (an email destination picking the recipients for the kind of document)."""
from __future__ import annotations

import json
from pathlib import Path

import asyncssh
import pytest

from keyworker.casebook import Casebook
from keyworker.db.outbox import OutboxDestination
from keyworker.outbox.factory import TRANSPORT_LABELS, TRANSPORTS, recipients_for, settings_of, transport_for
from keyworker.outbox.https import HttpsTransport
from keyworker.outbox.secrets import SecretUnreadable, seal, unseal
from keyworker.outbox.sftp import SftpTransport
from keyworker.outbox.smtp import SmtpTransport
from keyworker.security.vault import FAST_KDF

SECRET = "bearer-0123456789-never-plain"


def test_round_trip_and_nothing_stored_opens_as_empty(admin_book: Casebook) -> None:
    sealed = seal(admin_book, "dest-1", SECRET)
    assert SECRET.encode() not in sealed
    assert unseal(admin_book, "dest-1", sealed) == SECRET
    assert seal(admin_book, "dest-1", SECRET) != sealed  # a fresh nonce each time
    assert unseal(admin_book, "dest-1", None) == "" and unseal(admin_book, "dest-1", b"") == ""


def test_a_secret_sealed_for_one_destination_does_not_open_for_another(admin_book: Casebook) -> None:
    sealed = seal(admin_book, "dest-1", SECRET)
    with pytest.raises(SecretUnreadable) as e:
        unseal(admin_book, "dest-2", sealed)
    assert "enter it again" in str(e.value) and SECRET not in str(e.value)


@pytest.mark.parametrize("damage", [
    lambda b: b[:-1] + bytes([b[-1] ^ 1]),  # one bit of the tag
    lambda b: b[:20],  # cut short
    lambda b: b"\x02" + b[1:],  # an unknown version
    lambda b: b[:1] + bytes(12) + b[13:],  # another nonce
])
def test_a_damaged_secret_is_unreadable_in_words(admin_book: Casebook, damage) -> None:  # type: ignore[no-untyped-def]
    sealed = seal(admin_book, "dest-1", SECRET)
    with pytest.raises(SecretUnreadable) as e:
        unseal(admin_book, "dest-1", damage(sealed))
    assert "enter it again" in str(e.value)


def test_another_units_key_does_not_open_it(admin_book: Casebook, tmp_path: Path) -> None:
    other, _ = Casebook.create(tmp_path / "other.kwdb", admin_username="admin", admin_full_name="Other Admin",
                               password="Quartz-Meadow-Lantern-91", kdf=FAST_KDF, unit_name="Other Unit")
    try:
        sealed = seal(admin_book, "dest-1", SECRET)
        with pytest.raises(SecretUnreadable) as e:
            unseal(other, "dest-1", sealed)
        assert "this unit's key" in str(e.value)
    finally:
        other.close()


def row(book: Casebook, transport: str, settings: dict, secret: str | None, id_: str = "dest-1") -> OutboxDestination:
    return OutboxDestination(id=id_, name="X", transport=transport, settings=json.dumps(settings),
                             secret=seal(book, id_, secret) if secret else None, enabled=True)


def test_transport_for_builds_each_transport_from_its_settings(admin_book: Casebook) -> None:
    assert TRANSPORTS == ("https", "sftp", "smtp") and set(TRANSPORT_LABELS) == set(TRANSPORTS)
    h = transport_for(admin_book, row(admin_book, "https", {"url": "https://hub.example/in", "ca_bundle": None,
                                                          "timeout": 12}, SECRET))
    assert isinstance(h, HttpsTransport)
    assert (h._settings.url, h._settings.ca_bundle, h._settings.timeout, h._token) == \
        ("https://hub.example/in", None, 12.0, SECRET)
    key = " ".join(asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode().split()[:2])
    f = transport_for(admin_book, row(admin_book, "sftp", {"host": "drop.example", "port": 2222, "username": "u",
                                                         "remote_folder": "/in", "host_key": key,
                                                         "auth": "password"}, "pw"))
    assert isinstance(f, SftpTransport)
    assert (f._settings.host, f._settings.port, f._settings.username, f._settings.remote_folder,
            f._settings.auth, f._secret) == ("drop.example", 2222, "u", "/in", "password", "pw")
    smtp = {"host": "smtp.example", "port": 465, "security": "tls", "username": "unit", "from_address": "u@x.nhs.uk",
            "sender_name": "Unit", "default_recipients": ["all@x.nhs.uk"],
            "recipients_by_kind": {"declines_report": ["authority@lancs.gov.uk"]}}
    m = transport_for(admin_book, row(admin_book, "smtp", smtp, "mailpw"), kind="declines_report")
    assert isinstance(m, SmtpTransport)
    assert (m.settings.host, m.settings.port, m.settings.security, m.settings.username, m._password) == \
        ("smtp.example", 465, "tls", "unit", "mailpw")
    assert m.settings.default_recipients == ("authority@lancs.gov.uk",)
    other = transport_for(admin_book, row(admin_book, "smtp", smtp, "mailpw"), kind="decline_letter")
    assert isinstance(other, SmtpTransport) and other.settings.default_recipients == ("all@x.nhs.uk",)


def test_recipients_for_a_kind_else_the_default() -> None:
    s = {"default_recipients": ["a@x.uk"], "recipients_by_kind": {"review_invitation": ["b@x.uk", "c@x.uk"]}}
    assert recipients_for(s, "review_invitation") == ("b@x.uk", "c@x.uk")
    assert recipients_for(s, "decline_letter") == ("a@x.uk",) and recipients_for(s, None) == ("a@x.uk",)
    assert recipients_for({}, "decline_letter") == ()
    assert recipients_for({"default_recipients": ["a@x.uk"], "recipients_by_kind": ["odd"]}, "decline_letter") \
        == ("a@x.uk",)


def test_bad_settings_and_secrets_are_refused_not_crashes(admin_book: Casebook) -> None:
    with pytest.raises(ValueError):
        transport_for(admin_book, row(admin_book, "https", {"url": "http://plain.example/in"}, SECRET))
    with pytest.raises(ValueError):
        transport_for(admin_book, row(admin_book, "carrier_pigeon", {}, None))
    with pytest.raises(SecretUnreadable):
        broken = row(admin_book, "https", {"url": "https://hub.example/in"}, SECRET)
        broken.id = "another-id"
        transport_for(admin_book, broken)
    assert settings_of(OutboxDestination(settings="not json")) == {}
    assert settings_of(OutboxDestination(settings="[1, 2]")) == {}
