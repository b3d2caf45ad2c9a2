"""The delivery worker against real receivers on loopback (tests/fixtures/outbox_servers.py): what a
person sees on the Outbox page after each run — delivered with a receipt, waiting to be tried again
(and when), or quarantined with the server's words — and what the receivers hold."""
from __future__ import annotations

import json
import random
import socket
import threading
from datetime import timedelta

import pytest
import trustme
from sqlalchemy import select

from keyworker.audit_words import sentence
from keyworker.db.foundation import AuditEntry
from keyworker.db.outbox import OutboxAttempt, OutboxDestination, OutboxItem
from keyworker.outbox.worker import DeliveryWorker
from tests.fixtures.outbox_servers import (SFTP_PASSWORD, TOKEN, SmtpHandler, SmtpServer, add_destination,
                                           queue_items)


def item(book, key: str) -> OutboxItem:
    with book._read() as s:
        return s.scalar(select(OutboxItem).where(OutboxItem.idempotency_key == key))


def attempts(book, key: str) -> list[str]:
    with book._read() as s:
        i = s.scalar(select(OutboxItem.id).where(OutboxItem.idempotency_key == key))
        return list(s.scalars(select(OutboxAttempt.outcome).where(OutboxAttempt.item_id == i)
                              .order_by(OutboxAttempt.created_at, OutboxAttempt.started_at)))


def destination(book, dest_id: str) -> OutboxDestination:
    with book._read() as s:
        return s.get(OutboxDestination, dest_id)


def audited(book, action: str) -> list[AuditEntry]:
    with book._read() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def https_dest(book, server, path: str = "/inbox", timeout: float = 5.0) -> str:
    return add_destination(book, "https", server.settings(path, timeout), TOKEN, name="Authority API")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_item_is_delivered_with_its_receipt_and_the_receiver_holds_one_copy(worker_book, https_server, clock):
    dest = https_dest(worker_book, https_server)
    [key] = queue_items(worker_book, dest)
    report = DeliveryWorker(worker_book).run_once()
    assert (report.delivered, report.retrying, report.quarantined) == (1, 0, 0)
    i = item(worker_book, key)
    assert i.status == "delivered" and i.receipt == https_server.receiver.receipts[key]
    assert i.delivered_at == clock.now() and i.attempts == 1 and i.lease_until is None
    assert https_server.receiver.held(key) == 1
    assert https_server.receiver.stored[key].startswith(b"%PDF-1.4 a small letter")
    assert attempts(worker_book, key) == ["delivered"]
    assert destination(worker_book, dest).last_reached_at == clock.now()
    [entry] = audited(worker_book, "outbox.deliver")
    assert entry.entity_id == i.id
    assert TOKEN not in str(entry.detail) and "PDF" not in str(entry.detail)
    assert "Sent, and the receiver confirmed it" in sentence("outbox.deliver", json.loads(entry.detail), "Sam Worker")
    # Nothing is due any more: a second run sends nothing.
    assert DeliveryWorker(worker_book).run_once().delivered == 0
    assert https_server.receiver.posts_by_key[key] == 1


def test_a_500_is_tried_again_later_with_growing_backoff_then_delivered(worker_book, https_server, clock):
    dest = https_dest(worker_book, https_server)
    [key] = queue_items(worker_book, dest)
    https_server.receiver.script += ["500", "500"]
    worker = DeliveryWorker(worker_book, base_delay=30, rng=random.Random(7))
    expected = random.Random(7)
    start = clock.now()

    report = worker.run_once()
    assert report.retrying == 1
    first = item(worker_book, key)
    assert first.status == "pending" and "database is down" in first.last_error and "500" in first.last_error
    wait1 = (first.next_attempt_at - start).total_seconds()
    assert 0 <= wait1 <= 30 and wait1 == pytest.approx(expected.uniform(0, 30))

    assert worker.run_once().retrying == 0  # not due yet: nothing is sent early
    clock.set(first.next_attempt_at)
    assert worker.run_once().retrying == 1
    second = item(worker_book, key)
    wait2 = (second.next_attempt_at - first.next_attempt_at).total_seconds()
    assert 0 <= wait2 <= 60 and wait2 == pytest.approx(expected.uniform(0, 60))  # the ceiling doubled

    clock.set(second.next_attempt_at)
    assert worker.run_once().delivered == 1
    done = item(worker_book, key)
    assert done.status == "delivered" and done.attempts == 3 and done.last_error is None
    assert attempts(worker_book, key) == ["transient", "transient", "delivered"]
    assert len(audited(worker_book, "outbox.retry_scheduled")) == 2
    assert https_server.receiver.held(key) == 1


def test_the_backoff_ceiling_is_capped_at_max_delay():
    worker = DeliveryWorker.__new__(DeliveryWorker)
    worker.base_delay, worker.max_delay, worker._rng = 30.0, 3600.0, random.Random(1)
    assert all(worker.backoff_seconds(40) <= 3600 for _ in range(50))
    assert max(worker.backoff_seconds(40) for _ in range(200)) > 1800  # full jitter up to the cap
    assert worker.backoff_seconds(1, retry_after=99999) == 3600


def test_429_retry_after_is_honoured(worker_book, https_server, clock):
    dest = https_dest(worker_book, https_server)
    [key] = queue_items(worker_book, dest)
    https_server.receiver.script.append("429")
    DeliveryWorker(worker_book, base_delay=1, rng=random.Random(3)).run_once()
    i = item(worker_book, key)
    assert i.status == "pending" and i.next_attempt_at == clock.now() + timedelta(seconds=7)
    assert "busy" in i.last_error and "slow down" in i.last_error
    clock.advance(seconds=6)
    assert DeliveryWorker(worker_book).run_once().delivered == 0
    clock.advance(seconds=1)
    assert DeliveryWorker(worker_book).run_once().delivered == 1
    assert destination(worker_book, dest).last_reached_at is not None  # a 429 is still an answer


def test_a_retry_after_far_away_is_capped_at_max_delay(worker_book, https_server, clock):
    dest = https_dest(worker_book, https_server, "/unavailable")
    [key] = queue_items(worker_book, dest)
    DeliveryWorker(worker_book, max_delay=6 * 3600, rng=random.Random(0)).run_once()
    assert item(worker_book, key).next_attempt_at == clock.now() + timedelta(hours=6)


def test_a_timeout_is_tried_again_and_the_destination_shows_offline(worker_book, https_server, clock):
    dest = https_dest(worker_book, https_server, timeout=0.5)
    [key] = queue_items(worker_book, dest)
    https_server.receiver.script.append("slow")
    report = DeliveryWorker(worker_book).run_once()
    assert report.retrying == 1
    i = item(worker_book, key)
    assert i.status == "pending" and "did not answer within 0.5 seconds" in i.last_error
    d = destination(worker_book, dest)
    assert d.last_unreachable_at == clock.now() and d.last_reached_at is None
    assert "did not answer" in d.last_unreachable_error
    clock.advance(hours=1)
    assert DeliveryWorker(worker_book).run_once().delivered == 1
    d = destination(worker_book, dest)
    assert d.last_reached_at == clock.now()  # online again: the latest of the two is "reached"


def test_sftp_dropped_mid_upload_then_delivered_once(worker_book, sftp_server, clock):
    dest = add_destination(worker_book, "sftp", sftp_server.settings(), SFTP_PASSWORD)
    [key] = queue_items(worker_book, dest, payload=b"x" * 200_000)
    sftp_server.script.append("drop_mid_write")
    assert DeliveryWorker(worker_book).run_once().retrying == 1
    assert item(worker_book, key).status == "pending"
    assert sftp_server.held(key) == 0
    clock.advance(hours=1)
    assert DeliveryWorker(worker_book).run_once().delivered == 1
    assert sftp_server.held(key) == 1
    assert not [p for p in (sftp_server.root / "inbox").iterdir() if p.name.endswith(".part")]
    assert item(worker_book, key).receipt == f"/inbox/{key}.pdf"


def _crash_after_sending(monkeypatch, worker: DeliveryWorker) -> None:
    """The transport has sent the item; the process dies before the result is written."""
    def die(*args, **kwargs):
        raise SystemExit("power cut")
    monkeypatch.setattr(worker, "_write_results", die)


@pytest.mark.parametrize("transport", ["https", "sftp", "smtp"])
def test_a_crash_after_sending_is_replayed_after_the_lease_and_not_duplicated(
        transport, worker_book, https_server, sftp_server, outbox_ca, outbox_ca_file, clock, monkeypatch):
    smtp = SmtpServer(outbox_ca, outbox_ca_file, SmtpHandler(dedupe=True))
    try:
        if transport == "https":
            dest, held = https_dest(worker_book, https_server), https_server.receiver.held
        elif transport == "sftp":
            dest, held = add_destination(worker_book, "sftp", sftp_server.settings(), SFTP_PASSWORD), sftp_server.held
        else:
            dest, held = add_destination(worker_book, "smtp", smtp.settings()), smtp.handler.held
        [key] = queue_items(worker_book, dest)
        crashing = DeliveryWorker(worker_book, lease_seconds=120)
        _crash_after_sending(monkeypatch, crashing)
        with pytest.raises(SystemExit):
            crashing.run_once()
        assert held(key) == 1  # the receiver has it ...
        left = item(worker_book, key)
        assert left.status == "in_flight" and left.lease_until == clock.now() + timedelta(seconds=120)

        # ... and until the lease runs out nobody sends it again.
        assert DeliveryWorker(worker_book).run_once().delivered == 0
        clock.advance(seconds=121)
        report = DeliveryWorker(worker_book).run_once()
        assert (report.lease_expired, report.delivered) == (1, 1)
        assert item(worker_book, key).status == "delivered"
        assert held(key) == 1  # the replay carried the same key: still exactly one copy
        assert attempts(worker_book, key) == ["lease_expired", "delivered"]
        assert len(audited(worker_book, "outbox.lease_expired")) == 1
        if transport == "smtp":
            assert smtp.handler.arrivals[key] == 2 and len(smtp.handler.messages) == 1
    finally:
        smtp.stop()


def test_a_permanent_refusal_is_quarantined_with_the_servers_words(worker_book, https_server, clock):
    dest = https_dest(worker_book, https_server)
    [key] = queue_items(worker_book, dest)
    https_server.receiver.script.append("403")
    report = DeliveryWorker(worker_book).run_once()
    assert report.quarantined == 1
    i = item(worker_book, key)
    assert i.status == "quarantined"
    assert "this service does not take letters for that unit" in i.last_error and "403" in i.last_error
    assert report.items[0].words == i.last_error
    clock.advance(days=2)
    assert DeliveryWorker(worker_book).run_once().quarantined == 0  # it waits for a person, not retried
    assert https_server.receiver.posts_by_key[key] == 1
    assert destination(worker_book, dest).last_reached_at is not None
    [entry] = audited(worker_book, "outbox.quarantine")
    assert "this service does not take letters" in json.loads(entry.detail)["message"]


def test_a_wrong_certificate_is_quarantined_and_says_why(worker_book, https_server, tmp_path, clock):
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    dest = add_destination(worker_book, "https", {**https_server.settings(), "ca_bundle": str(other)}, TOKEN)
    [key] = queue_items(worker_book, dest)
    assert DeliveryWorker(worker_book).run_once().quarantined == 1
    i = item(worker_book, key)
    assert i.status == "quarantined" and "certificate was not trusted" in i.last_error
    assert "not issued by a certificate authority this destination trusts" in i.last_error
    assert TOKEN not in i.last_error
    assert https_server.receiver.held(key) == 0
    d = destination(worker_book, dest)
    assert d.last_unreachable_at == clock.now() and "certificate" in d.last_unreachable_error


def test_a_changed_sftp_host_key_is_quarantined(worker_book, sftp_server):
    import asyncssh

    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode()
    dest = add_destination(worker_book, "sftp", sftp_server.settings(host_key=other), SFTP_PASSWORD)
    [key] = queue_items(worker_book, dest)
    assert DeliveryWorker(worker_book).run_once().quarantined == 1
    i = item(worker_book, key)
    assert i.status == "quarantined" and "identity has changed" in i.last_error
    assert sftp_server.held(key) == 0 and SFTP_PASSWORD not in i.last_error


def test_an_item_with_no_destination_is_skipped_and_stays_pending(worker_book, https_server):
    [key] = queue_items(worker_book, None)
    report = DeliveryWorker(worker_book).run_once()
    assert report.skipped == 1 and report.delivered == 0 and not report.changed
    assert report.items[0].words == "no destination set"
    i = item(worker_book, key)
    assert i.status == "pending" and i.attempts == 0 and attempts(worker_book, key) == []


def test_an_item_for_a_turned_off_destination_is_skipped(worker_book, https_server):
    dest = add_destination(worker_book, "https", https_server.settings(), TOKEN, enabled=False)
    [key] = queue_items(worker_book, dest)
    report = DeliveryWorker(worker_book).run_once()
    assert report.skipped == 1 and report.items[0].words == "destination turned off"
    assert item(worker_book, key).status == "pending" and https_server.receiver.posts_by_key[key] == 0


def test_one_destination_down_does_not_block_another(worker_book, https_server, clock):
    down = add_destination(worker_book, "https", {"url": f"https://127.0.0.1:{closed_port()}/inbox", "timeout": 2},
                           TOKEN, name="Down")
    up = https_dest(worker_book, https_server)
    down_keys = queue_items(worker_book, down, 3, prefix="down")
    up_keys = queue_items(worker_book, up, 2, prefix="up")
    report = DeliveryWorker(worker_book).run_once()
    assert report.delivered == 2 and report.retrying == 1 and report.skipped == 2
    assert all(item(worker_book, k).status == "delivered" for k in up_keys)
    states = [item(worker_book, k) for k in down_keys]
    assert [s.status for s in states] == ["pending"] * 3
    assert [s.attempts for s in states] == [1, 0, 0]  # one timeout for the destination, not one per item
    assert "Could not connect" in states[0].last_error
    assert destination(worker_book, down).last_unreachable_at == clock.now()
    assert destination(worker_book, up).last_reached_at == clock.now()


def test_bad_settings_or_a_secret_that_does_not_open_quarantine_in_words_and_the_rest_go_on(
        worker_book, https_server):
    plain = add_destination(worker_book, "https", {"url": "http://127.0.0.1/inbox"}, TOKEN, name="Plain")
    broken = add_destination(worker_book, "https", https_server.settings(), TOKEN, name="Broken secret")
    with worker_book._write() as s:
        s.get(OutboxDestination, broken).secret = b"\x01" + b"0" * 40
    good = https_dest(worker_book, https_server)
    [k_plain] = queue_items(worker_book, plain, prefix="plain")
    [k_broken] = queue_items(worker_book, broken, prefix="broken")
    [k_good] = queue_items(worker_book, good, prefix="good")
    report = DeliveryWorker(worker_book).run_once()
    assert report.quarantined == 2 and report.delivered == 1
    assert "settings are not usable" in item(worker_book, k_plain).last_error
    assert "https://" in item(worker_book, k_plain).last_error
    assert "could not be opened" in item(worker_book, k_broken).last_error
    assert item(worker_book, k_good).status == "delivered"
    for k in (k_plain, k_broken):
        assert "Traceback" not in item(worker_book, k).last_error


def test_a_bug_in_a_transport_quarantines_in_plain_words(worker_book, https_server, monkeypatch):
    from keyworker.outbox import https as https_module

    dest = https_dest(worker_book, https_server)
    [key] = queue_items(worker_book, dest)

    def broken(self, delivery):
        raise KeyError("internal detail")
    monkeypatch.setattr(https_module.HttpsTransport, "deliver", broken)
    assert DeliveryWorker(worker_book).run_once().quarantined == 1
    words = item(worker_book, key).last_error
    assert "Something went wrong inside Keyworker" in words and "KeyError" not in words


def test_two_workers_at_once_never_send_the_same_item_twice(book_factory, https_server):
    first, second = book_factory("worker"), book_factory("manager")
    dest = https_dest(first, https_server)
    keys = queue_items(first, dest, 40)
    reports: list = []
    gate = threading.Barrier(2)

    def work(book) -> None:
        w = DeliveryWorker(book, lease_seconds=600)
        gate.wait()
        for _ in range(10):
            reports.append(w.run_once(limit=5))

    threads = [threading.Thread(target=work, args=(b,)) for b in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sum(r.delivered for r in reports) == 40
    assert all(https_server.receiver.posts_by_key[k] == 1 for k in keys)
    assert all(item(first, k).status == "delivered" for k in keys)


def test_deliver_now_runs_as_any_signed_in_user(book_factory, https_server):
    admin = book_factory("admin")
    dest = https_dest(admin, https_server)
    queue_items(admin, dest, 2)
    report = book_factory("nights").outbox.deliver_now()
    assert report.delivered == 2
    entries = audited(admin, "outbox.deliver")
    assert {e.actor_name for e in entries} == {"nights"}


def test_deliver_now_refuses_a_limit_below_one(worker_book):
    from keyworker.errors import ValidationError

    with pytest.raises(ValidationError):
        worker_book.outbox.deliver_now(0)
    with pytest.raises(ValidationError):
        worker_book.outbox.deliver_now("5")


def test_cli_outbox_deliver_once(db_path, book_factory, https_server, monkeypatch, capsys):
    from keyworker.cli import run
    from tests.conftest import STAFF_PW

    book = book_factory("worker")
    dest = https_dest(book, https_server)
    keys = queue_items(book, dest, 3)
    queue_items(book, None, 1, prefix="nowhere")
    monkeypatch.setenv("KEYWORKER_PASSWORD", STAFF_PW)
    assert run(["outbox", "deliver", "--once", "--db", str(db_path), "--user", "worker"]) == 0
    out = capsys.readouterr().out
    assert "3 delivered" in out and "1 waiting without a destination" in out
    assert all(item(book, k).status == "delivered" for k in keys)
    assert run(["outbox", "deliver", "--once", "--limit", "0", "--db", str(db_path)]) == 2


def test_cli_outbox_deliver_without_a_unit_cannot_run(tmp_path, monkeypatch, capsys):
    from keyworker.cli import run

    monkeypatch.setenv("KEYWORKER_PASSWORD", "x")
    assert run(["outbox", "deliver", "--once", "--db", str(tmp_path / "none.kwdb")]) == 1
    assert "There is no unit database" in capsys.readouterr().err


def test_an_item_is_only_sent_while_half_its_lease_is_left(worker_book, https_server, monkeypatch):
    """A slow destination: after each letter half the (tiny) lease is gone, so the rest are given
    back and leased afresh; each is still sent once, with one attempt counted."""
    import time

    from keyworker.outbox import https as https_module

    dest = https_dest(worker_book, https_server)
    keys = queue_items(worker_book, dest, 3)
    real = https_module.HttpsTransport.deliver

    def slow(self, delivery):
        time.sleep(0.15)
        return real(self, delivery)
    monkeypatch.setattr(https_module.HttpsTransport, "deliver", slow)
    worker = DeliveryWorker(worker_book, lease_seconds=0.2)
    leases = []
    original = worker._lease
    monkeypatch.setattr(worker, "_lease", lambda *a, **k: leases.append(1) or original(*a, **k))
    report = worker.run_once()
    assert report.delivered == 3 and report.skipped == 0
    assert len(leases) >= 3
    for k in keys:
        assert item(worker_book, k).attempts == 1 and https_server.receiver.posts_by_key[k] == 1


def test_a_stop_request_gives_the_items_back_unsent(worker_book, https_server):
    dest = https_dest(worker_book, https_server)
    keys = queue_items(worker_book, dest, 3)
    stop = threading.Event()
    stop.set()
    report = DeliveryWorker(worker_book, stop=stop).run_once()
    assert report.delivered == 0 and report.skipped == 3
    assert all(o.words == "Not tried in this run: the app was closing or locking" for o in report.items)
    for k in keys:
        i = item(worker_book, k)
        assert (i.status, i.attempts, i.lease_until) == ("pending", 0, None)
        assert https_server.receiver.posts_by_key[k] == 0


def test_run_repeats_until_stopped(worker_book, https_server):
    dest = https_dest(worker_book, https_server)
    [key] = queue_items(worker_book, dest)
    stop = threading.Event()
    reports: list = []

    def on_report(r) -> None:
        reports.append(r)
        if len(reports) == 2:
            stop.set()
    thread = threading.Thread(target=DeliveryWorker(worker_book).run, args=(stop, 0.01, on_report))
    thread.start()
    thread.join(30)
    assert not thread.is_alive()
    assert [r.delivered for r in reports] == [1, 0]
    assert item(worker_book, key).status == "delivered"
