"""The op-log: every change through the services writes its ops in the same transaction, with
only the changed columns for an update, gap-free device_seq, and a payload sealed under the
unit's sync key bound to its op, entity type and entity id."""
from __future__ import annotations

import json
import os
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from keyworker.casebook import Casebook
from keyworker.db.caseload import Resident
from keyworker.db.sync import SyncOp
from keyworker.outcome_star import StarReadingInput
from keyworker.reviews import Attendee, GoalProgress, ReviewInput
from keyworker.sync import codec
from keyworker.sync.keys import Keyring, PayloadUnreadable
from keyworker.sync.oplog import seed_ops
from tests.fixtures.caseload import admit
from tests.unit.care_helpers import full_content


def ops(book: Casebook, after: int = 0) -> list[SyncOp]:
    with book._read() as s:
        return list(s.scalars(select(SyncOp).where(SyncOp.device_seq > after, SyncOp.device_id == book.device_id)
                              .order_by(SyncOp.device_seq)))


def fields(book: Casebook, op: SyncOp) -> dict:
    return codec.unpack(book._sync_keyring().open(op.key_epoch, op.op_id, op.entity_type, op.entity_id,
                                                  op.payload))["f"]


def last_seq(book: Casebook) -> int:
    got = ops(book)
    return got[-1].device_seq if got else 0


def star_scores(value: int) -> dict[str, int]:
    from keyworker import outcome_star_definitions as defs

    return {a.key: value for a in defs.current().areas}


def test_each_kind_of_change_writes_its_ops(manager_book: Casebook, clock) -> None:
    book = manager_book
    start = last_seq(book)
    rec = admit(book, given_name="Lee", family_name="Park", ethnicity="White: Irish")
    got = ops(book, start)
    types = [o.entity_type for o in got]
    assert "residents" in types and "admissions" in types and "referrals" in types
    ins = next(o for o in got if o.entity_type == "residents")
    assert ins.kind == "insert" and ins.base_seq is None and ins.entity_id == rec.id and ins.key_epoch == 1
    assert fields(book, ins)["given_name"] == "Lee" and fields(book, ins)["date_of_birth"] == "1990-03-04"
    # parents before children within one transaction
    assert types.index("residents") < types.index("admissions")

    # demographics: an update carries only what changed
    mark = last_seq(book)
    clock.advance(minutes=5)
    book.residents.update(rec.id, {"postcode": "PR2 9ZZ"})
    (upd,) = ops(book, mark)
    assert upd.kind == "update" and upd.entity_type == "residents"
    assert set(fields(book, upd)) == {"postcode", "search_text", "updated_at"}
    assert fields(book, upd)["postcode"] == "PR2 9ZZ"

    # care plan: draft, complete, then a new version
    from keyworker.db.caseload import Admission
    from tests.unit.care_helpers import assess_risk

    with book._read() as s:
        aid = s.scalar(select(Admission.id).where(Admission.resident_id == rec.id))
    view = book.care_plans.save_draft(aid, full_content())
    assess_risk(book, aid)
    plan = book.care_plans.mark_complete(view.plan_id)
    mark = last_seq(book)
    c = plan.content.copy()
    c.goals[0].status = "in_progress"
    book.care_plans.revise(plan.plan_id, c, "Started 1:1 work")
    got = ops(book, mark)
    v = next(o for o in got if o.entity_type == "care_plan_versions")
    assert v.kind == "insert" and fields(book, v)["parent_version_id"] == plan.version.id
    assert any(o.entity_type == "care_plans" and o.kind == "update" and "current_version_id" in fields(book, o)
               for o in got)

    # a review with goal updates
    mark = last_seq(book)
    book.reviews.record(ReviewInput(
        admission_id=aid, held_on=date(2026, 1, 5), next_review_on=date(2026, 1, 19),
        resident_view="Settling in.", attendees=[Attendee("Resident", "resident"), Attendee("Key worker", "key_worker")],
        goal_progress=[GoalProgress(g.id, "achieved" if i == 0 else g.status, "noted")
                       for i, g in enumerate(book.care_plans.get(admission_id=aid).content.goals)]))
    got = ops(book, mark)
    assert any(o.entity_type == "reviews" and o.kind == "insert" for o in got)

    # risk assessment: a new version
    from keyworker.clock import local_today
    from keyworker.risk import example_input

    mark = last_seq(book)
    book.risk.revise(aid, example_input(local_today(clock), "high"), "Relapse at the weekend")
    got = ops(book, mark)
    assert any(o.entity_type == "risk_assessment_versions" and o.kind == "insert" for o in got)
    assert any(o.entity_type == "risk_assessments" and o.kind == "update" for o in got)

    # Outcome Star reading, with its scores (a child table without the Tracked columns)
    mark = last_seq(book)
    star = book.outcome_star.record(StarReadingInput(resident_id=rec.id, scores=star_scores(4), taken_on=date(2026, 1, 5),
                                                     stage="admission"))
    got = ops(book, mark)
    assert any(o.entity_type == "star_readings" and o.entity_id == star.id for o in got)
    sc = next(o for o in got if o.entity_type == "star_scores")
    assert sc.entity_id == star.id and len(fields(book, sc)["rows"]) == len(star_scores(4))

    # gap-free, and nothing for the outbox (it stays on the laptop)
    seqs = [o.device_seq for o in ops(book)]
    assert seqs == list(range(1, len(seqs) + 1))
    assert not {o.entity_type for o in ops(book)} & {"outbox_items", "outbox_attempts"}


def test_a_rolled_back_write_leaves_no_op_and_no_gap(manager_book: Casebook) -> None:
    book = manager_book
    rec = admit(book)
    before = last_seq(book)
    with pytest.raises(RuntimeError):
        with book._write() as s:
            r = s.get(Resident, rec.id)
            r.postcode = "PR9 9XX"
            s.flush()
            assert last_seq_in(s, book) == before + 1  # the op is there, in the transaction
            raise RuntimeError("power cut")
    assert last_seq(book) == before
    book.residents.update(rec.id, {"postcode": "PR3 1AA"})
    assert [o.device_seq for o in ops(book, before)] == [before + 1]


def last_seq_in(s, book: Casebook) -> int:  # type: ignore[no-untyped-def]
    return max(o.device_seq for o in s.scalars(select(SyncOp).where(SyncOp.device_id == book.device_id)))


def test_a_sign_in_alone_makes_no_op(book_factory) -> None:  # type: ignore[no-untyped-def]
    book = book_factory("manager")
    before = last_seq(book)
    book.lock()
    book.unlock("manager", "Orange-Kettle-Sky-77")
    assert last_seq(book) == before


def test_the_payload_opens_only_with_its_key_and_its_op(manager_book: Casebook) -> None:
    book = manager_book
    rec = admit(book)
    op = next(o for o in ops(book) if o.entity_type == "residents" and o.entity_id == rec.id)
    ring = book._sync_keyring()
    assert codec.unpack(ring.open(op.key_epoch, op.op_id, op.entity_type, op.entity_id, op.payload))["f"]["id"] == rec.id
    assert b"Jane" not in op.payload  # sealed, even inside the encrypted database
    with pytest.raises(PayloadUnreadable):
        ring.open(op.key_epoch, op.op_id, op.entity_type, "0196a000-0000-7000-8000-000000000000", op.payload)
    with pytest.raises(PayloadUnreadable):
        ring.open(op.key_epoch, op.op_id, "admissions", op.entity_id, op.payload)
    with pytest.raises(PayloadUnreadable):
        ring.open(op.key_epoch, "0196a000-0000-7000-8000-000000000001", op.entity_type, op.entity_id, op.payload)
    with pytest.raises(PayloadUnreadable):
        Keyring({1: os.urandom(32)}).open(op.key_epoch, op.op_id, op.entity_type, op.entity_id, op.payload)
    with pytest.raises(PayloadUnreadable):  # the payload names its epoch; a laptop without it cannot open it
        Keyring({2: ring.keys[1]}).open(None, op.op_id, op.entity_type, op.entity_id, op.payload)
    tampered = op.payload[:-1] + bytes([op.payload[-1] ^ 1])
    with pytest.raises(PayloadUnreadable):
        ring.open(op.key_epoch, op.op_id, op.entity_type, op.entity_id, tampered)


def test_the_sync_key_lives_wrapped_in_the_vault(manager_book: Casebook) -> None:
    book = manager_book
    admit(book)
    entries = book._vault.sync_keys()
    assert [e["epoch"] for e in entries] == [1]
    key = book._sync_keyring().keys[1]
    assert key.hex() not in book._vault.to_json() and codec.encode(key) not in book._vault.to_json()


def test_seed_ops_covers_rows_written_without_the_orm(manager_book: Casebook) -> None:
    from keyworker.imports.bulk import insert_rows
    from keyworker.ids import new_id

    book = manager_book
    rid = new_id()
    now = book.clock.now()
    with book._write() as s:
        insert_rows(s, Resident, [dict(id=rid, created_at=now, updated_at=now, created_by=None,
                                       device_id=book.device_id, archived=False, reference="R-77777",
                                       reference_no=77777, given_name="Bulk", family_name="Row",
                                       search_text="bulk row", date_of_birth=date(1980, 1, 1) + timedelta(days=1))])
    assert not [o for o in ops(book) if o.entity_id == rid]
    with book._write() as s:
        n = seed_ops(s)
    assert n >= 1
    seeded = [o for o in ops(book) if o.entity_id == rid]
    assert len(seeded) == 1 and seeded[0].kind == "insert" and fields(book, seeded[0])["reference_no"] == 77777
    with book._write() as s:
        assert seed_ops(s) == 0  # once


def test_record_rows_gives_a_bulk_write_its_ops(manager_book: Casebook) -> None:
    from sqlalchemy import update

    book = manager_book
    rec = admit(book)
    before = last_seq(book)
    with book._write() as s:
        s.connection().execute(update(Resident.__table__).where(Resident.id == rec.id).values(gp_practice="Bulk GP"))
        from keyworker.sync.oplog import record_rows

        assert record_rows(s, "residents", [rec.id], ["gp_practice"]) == 1
    (op,) = ops(book, before)
    assert op.kind == "update" and fields(book, op) == {"gp_practice": "Bulk GP"}
