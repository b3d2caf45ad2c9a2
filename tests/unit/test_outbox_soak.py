"""Soak: 1,000 items across the three transports, with random faults injected at the receivers
(seeded), two workers on two handles of the same unit file running side by side until nothing is
due. Every item is delivered, each receiver holds exactly one copy per idempotency key and said
"received" exactly once for it, and none is lost. The numbers are printed (run with -s)."""
from __future__ import annotations

import random
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from keyworker.db.outbox import OutboxAttempt, OutboxItem
from keyworker.outbox.worker import DeliveryWorker
from tests.fixtures.outbox_servers import (HTTPS_FAULTS, SFTP_FAULTS, SFTP_PASSWORD, SMTP_FAULTS, TOKEN, Faults,
                                           SmtpHandler, SmtpServer, add_destination, queue_items)

# How the 1,000 are spread: SFTP and SMTP open a connection per item (an SSH handshake, a STARTTLS
# handshake), so fewer of those than HTTPS (one kept connection per run) keep the test well under a
# minute (about 26 s here); all three are present.
SPREAD = {"https": 400, "smtp": 300, "sftp": 300}
FAULT_RATE = 0.2
SEED = 12


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_thousand_items_with_random_faults_are_each_delivered_exactly_once(
        book_factory, https_server, sftp_server, outbox_ca, outbox_ca_file, clock):
    first, second = book_factory("worker"), book_factory("manager")
    smtp = SmtpServer(outbox_ca, outbox_ca_file, SmtpHandler(dedupe=True))
    try:
        https_server.receiver.faults = Faults(FAULT_RATE, SEED, HTTPS_FAULTS)
        sftp_server.faults = Faults(FAULT_RATE, SEED + 1, SFTP_FAULTS)
        smtp.handler.faults = Faults(FAULT_RATE, SEED + 2, SMTP_FAULTS)
        dests = {"https": add_destination(first, "https", https_server.settings(), TOKEN),
                 "sftp": add_destination(first, "sftp", sftp_server.settings(), SFTP_PASSWORD),
                 "smtp": add_destination(first, "smtp", smtp.settings())}
        keys = {t: queue_items(first, dests[t], n, prefix=f"soak-{t}", payload=b"%PDF-1.4 soak")
                for t, n in SPREAD.items()}
        held = {"https": https_server.receiver.held, "sftp": sftp_server.held, "smtp": smtp.handler.held}

        workers = [DeliveryWorker(b, base_delay=30, max_delay=3600, rng=random.Random(SEED + i))
                   for i, b in enumerate((first, second))]
        outcomes: Counter[str] = Counter()
        started = time.perf_counter()
        rounds = 0
        while True:
            rounds += 1
            assert rounds <= 60, "the outbox did not empty"
            errors: list[BaseException] = []

            def work(w: DeliveryWorker) -> None:
                try:
                    r = w.run_once()
                    for name in ("delivered", "retrying", "quarantined", "lease_expired"):
                        outcomes[name] += getattr(r, name)
                except BaseException as e:  # noqa: BLE001 - reported below
                    errors.append(e)

            threads = [threading.Thread(target=work, args=(w,)) for w in workers]
            for t in threads:
                t.start()
            for t in threads:
                t.join(240)
            assert not errors, errors
            with first._read() as s:
                waiting = s.scalar(select(func.count()).select_from(OutboxItem)
                                   .where(OutboxItem.status.in_(("pending", "in_flight"))))
                nxt = s.scalar(select(func.max(OutboxItem.next_attempt_at))
                               .where(OutboxItem.status == "pending"))
                by_status = dict(s.execute(select(OutboxItem.status, func.count())
                                           .group_by(OutboxItem.status)).all())
            print(f"round {rounds}: {by_status}", flush=True)
            if not waiting:
                break
            if nxt is not None and nxt > clock.now():
                clock.set(nxt)  # on to when every waiting item is due: the test waits for no backoff
        elapsed = time.perf_counter() - started

        with first._read() as s:
            statuses = Counter(dict(s.execute(select(OutboxItem.status, func.count()).group_by(OutboxItem.status))
                                    .all()))
            tried = Counter(dict(s.execute(select(OutboxAttempt.outcome, func.count())
                                           .group_by(OutboxAttempt.outcome)).all()))
        total = sum(SPREAD.values())
        assert statuses == {"delivered": total}  # none lost, none quarantined, none left
        for transport, ks in keys.items():
            assert len(set(ks)) == len(ks)
            copies = Counter(held[transport](k) for k in ks)
            assert copies == {1: len(ks)}, (transport, copies)
        # Each receiver said "received" exactly once per key: nothing was sent again after a success.
        assert all(https_server.receiver.accepted[k] == 1 for k in keys["https"])
        assert all(smtp.handler.acked[k] == 1 for k in keys["smtp"])
        assert not [p for p in (sftp_server.root / "inbox").iterdir() if p.name.endswith(".part")]

        faults = {"https": dict(https_server.receiver.faults.injected), "sftp": dict(sftp_server.faults.injected),
                  "smtp": dict(smtp.handler.faults.injected)}
        assert all(sum(f.values()) > 0 for f in faults.values())  # every transport met faults
        print(f"\nsoak: {total} items {SPREAD}, {rounds} rounds, {elapsed:.1f} s; "
              f"attempts {dict(tried)} ({sum(tried.values())} in all); faults injected {faults}; "
              f"SMTP replays dropped by Message-ID {sum(smtp.handler.arrivals.values()) - len(keys['smtp'])}; "
              f"HTTPS replays answered with the first receipt {sum(https_server.receiver.lost_acks.values())}; "
              f"SFTP renamed-then-cut {sum(sftp_server.lost_acks.values())}")
    finally:
        smtp.stop()
