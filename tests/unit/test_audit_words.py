"""The audit trail in people's words (keyworker/audit_words.py): every action the code records has
words, and a care-plan agreement reads as a sentence with the version and the person's full name."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from keyworker import audit_words as aw
from tests.unit.care_helpers import admit, assess_risk, full_content

ROOT = Path(__file__).resolve().parents[2] / "keyworker"
# _record(s, "x" ...), AuditItem("x" ...), action="x" and action = "x" if ... else "y".
PATTERNS = (
    re.compile(r"_record\(\s*\w+,\s*\"([a-z_.]+)\""),
    re.compile(r"AuditItem\(\s*\"([a-z_.]+)\""),
    re.compile(r"action=\"([a-z_.]+)\""),
    re.compile(r"action = \"([a-z_.]+)\"(?: if .* else \"([a-z_.]+)\")?"),
    re.compile(r"\"(review\.correct)\" if old else \"(review\.record)\""),
)


ARGPARSE_ACTIONS = {"store_true", "store_false", "version", "count", "append", "help"}  # action="..." in the CLI


def recorded_actions() -> set[str]:
    found: set[str] = set()
    for path in ROOT.rglob("*.py"):
        if path.relative_to(ROOT).parts[0] == "hub":
            continue  # the hub's actions go to its own hub_audit table, not a laptop's audit chain
        text = path.read_text()
        for p in PATTERNS:
            for m in p.finditer(text):
                found.update(g for g in m.groups() if g and g not in ARGPARSE_ACTIONS)
        if "f\"document.{purpose}\"" in text:
            found.update(f"document.{p}" for p in ("view", "print", "save", "send"))
    return found


def test_every_recorded_action_has_words() -> None:
    actions = recorded_actions()
    assert {"care_plan.agreement", "sign_in", "backup", "import.residents", "referral.decline"} <= actions
    missing = sorted(a for a in actions if a not in aw.ACTIONS)
    assert missing == []


def test_no_internal_names_in_the_words() -> None:
    odd = {"kind": "care_plan", "fields": ["nhs_number", "key_worker_id"], "sections": ["risk_contingency"],
           "version": 2, "held_on": "2026-11-12", "method": "signed_paper", "category": "routine"}
    for action in aw.ACTIONS:
        for detail in ({}, odd):
            w = aw.describe(action, detail)
            text = f"{w.what} {w.details}"
            assert "_" not in text, (action, text)
            assert "Kind:" not in text and w.what[:1].isupper(), (action, text)


def test_review_and_document_sentences() -> None:
    assert aw.describe("review.record", {"kind": "regular", "held_on": "2026-11-12"}).what \
        == "Review on 12/11/2026 recorded"
    assert aw.describe("document.print", {"kind": "discharge_letter"}).what == "Discharge letter printed"
    assert aw.describe("resident.update", {"fields": ["nhs_number", "given_name"]}).details \
        == "Changed: NHS number, given name"
    # an action the map does not know still reads as words
    assert aw.describe("outbox.send_now", {}).what == "Outbox: send now"


def test_care_plan_agreement_reads_as_a_sentence_with_full_name(worker_book) -> None:  # type: ignore[no-untyped-def]
    _, aid = admit(worker_book)
    plan = worker_book.care_plans.save_draft(aid, full_content())
    assess_risk(worker_book, aid)
    worker_book.care_plans.mark_complete(plan.plan_id)
    worker_book.care_plans.record_agreement(plan.plan_id, date(2026, 1, 5), "signed_paper")
    row = next(r for r in worker_book.audit.recent(resident_id=plan.resident_id)
               if r.action == "care_plan.agreement")
    assert row.actor_full_name == "Sam Worker"
    who = aw.actor_words(row.actor_full_name, row.actor_name)
    assert aw.sentence(row.action, row.detail, who) \
        == "Care plan version 1 agreed by Sam Worker (Signed paper copy on 05/01/2026)."
