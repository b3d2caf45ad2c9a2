"""The caseload list's read side: which residents, in what order, and what each row shows."""
from __future__ import annotations

from datetime import date

import pytest

from keyworker.casebook import Casebook
from keyworker.caseload_query import (
    DECISION_OVERDUE,
    DISCHARGED,
    NOT_ASSESSED,
    PLAN_INCOMPLETE,
    REVIEW_DUE_TODAY,
    REVIEW_OVERDUE,
    CaseloadFilter,
    caseload_ids,
    caseload_rows,
)
from keyworker.errors import UnitLocked, ValidationError
from tests.caseload_helpers import account_id, add_referral, add_resident, add_review, complete_plan

TODAY = date(2026, 1, 5)  # the clock fixture's Monday


@pytest.fixture
def unit(worker_book: Casebook) -> dict[str, str]:
    b = worker_book
    return {
        "ann": add_resident(b, "Ann", "Baker", admitted_on=date(2025, 12, 1), postcode="PR1 2AB"),
        "bob": add_resident(b, "Bob", "Adams", admitted_on=date(2026, 1, 2), postcode="BB2 7XY", preferred="Bobby"),
        "cat": add_resident(b, "Catherine", "Clarke", admitted_on=date(2025, 11, 20), key_worker="worker2",
                            postcode="LA1 4QQ", setting="day_programme", planned_weeks=26),
        "dan": add_resident(b, "Dan", "Dawson", admitted_on=date(2025, 6, 1), discharged_on=date(2025, 9, 1)),
    }


def names(book: Casebook, ids: list[str]) -> list[str]:
    return [r.name.split(",")[0] for r in book.caseload.rows(ids)]


def test_current_residents_by_family_name(worker_book: Casebook, unit: dict[str, str]) -> None:
    ids = worker_book.caseload.ids(CaseloadFilter())
    assert names(worker_book, ids) == ["Adams", "Baker", "Clarke"]


def test_include_discharged_shows_past_stays(worker_book: Casebook, unit: dict[str, str]) -> None:
    ids = worker_book.caseload.ids(CaseloadFilter(include_discharged=True))
    assert names(worker_book, ids) == ["Adams", "Baker", "Clarke", "Dawson"]
    dan = worker_book.caseload.rows([unit["dan"]])[0]
    assert not dan.current and dan.week is None
    assert dan.week_text == "Discharged 01/09/2025"
    assert [f.code for f in dan.flags] == [DISCHARGED]
    assert dan.next_review_on is None


@pytest.mark.parametrize("text, expected", [
    ("ba", ["Baker"]),            # family name
    ("CATH", ["Clarke"]),         # given name, any case
    ("bobby", ["Adams"]),         # preferred name
    ("r-00002", ["Adams"]),       # reference
    ("00003", ["Clarke"]),        # part of a reference
    ("pr1", ["Baker"]),           # postcode district
    ("bb2 7xy", ["Adams"]),       # whole postcode, two words
    ("ann ke", ["Baker"]),        # every word must match
    ("", ["Adams", "Baker", "Clarke"]),
    ("%", []),                    # LIKE wildcards are plain characters
    ("_", []),
    ("zzz", []),
])
def test_search_on_name_reference_postcode(worker_book: Casebook, unit: dict[str, str], text: str,
                                           expected: list[str]) -> None:
    assert names(worker_book, worker_book.caseload.ids(CaseloadFilter(text=text))) == expected


def test_search_folds_non_ascii_case(worker_book: Casebook) -> None:
    add_resident(worker_book, "Zoë", "Öztürk")
    assert len(worker_book.caseload.ids(CaseloadFilter(text="ÖZT"))) == 1


def test_my_caseload(worker_book: Casebook, unit: dict[str, str], book_factory) -> None:  # type: ignore[no-untyped-def]
    mine = worker_book.caseload.ids(worker_book.caseload.filter(mine_only=True))
    assert names(worker_book, mine) == ["Adams", "Baker"]
    other = book_factory("worker2")
    assert names(other, other.caseload.ids(other.caseload.filter(mine_only=True))) == ["Clarke"]
    # mine_only without an actor id means the signed-in user
    assert worker_book.caseload.ids(CaseloadFilter(mine_only=True)) == mine
    everyone = worker_book.caseload.ids(CaseloadFilter(mine_only=True, include_discharged=True,
                                                       actor_id=account_id(worker_book, "worker")))
    assert names(worker_book, everyone) == ["Adams", "Baker", "Dawson"]


def test_row_shows_everything_the_columns_need(worker_book: Casebook, unit: dict[str, str]) -> None:
    cat = worker_book.caseload.rows([unit["cat"]])[0]
    assert cat.name == "Clarke, Catherine"
    assert cat.reference == "R-00003"
    assert cat.key_worker == "Jo Second"
    assert cat.setting == "Non-residential day programme"
    assert cat.admitted_on == date(2025, 11, 20)
    assert (cat.week, cat.planned_weeks) == (7, 26)
    assert cat.week_text == "Week 7 of 26"
    assert cat.risk_level == NOT_ASSESSED
    bob = worker_book.caseload.rows([unit["bob"]])[0]
    assert bob.name == "Adams, Bob (Bobby)"
    assert bob.week == 1


def test_next_review_from_admission_then_latest_current_review(worker_book: Casebook,
                                                               unit: dict[str, str]) -> None:
    b = worker_book
    assert b.caseload.rows([unit["bob"]])[0].next_review_on == date(2026, 1, 16)  # admitted + 14
    first = add_review(b, unit["ann"], date(2025, 12, 10), date(2025, 12, 24))
    add_review(b, unit["ann"], date(2025, 12, 23), date(2026, 1, 6))
    assert b.caseload.rows([unit["ann"]])[0].next_review_on == date(2026, 1, 6)
    # a correction supersedes the review it corrects; the old one no longer counts
    assert first
    latest = add_review(b, unit["cat"], date(2025, 12, 20), date(2026, 1, 3))
    add_review(b, unit["cat"], date(2025, 12, 20), date(2026, 1, 8), supersedes=latest)
    assert b.caseload.rows([unit["cat"]])[0].next_review_on == date(2026, 1, 8)


def test_flags(worker_book: Casebook, unit: dict[str, str]) -> None:
    b = worker_book
    add_review(b, unit["ann"], date(2025, 12, 20), date(2026, 1, 5))   # due today
    complete_plan(b, unit["ann"])
    add_review(b, unit["cat"], date(2025, 12, 10), date(2025, 12, 24))  # overdue since 24/12
    add_referral(b, "Catherine", "Clarke", due=date(2026, 1, 2), resident_id=unit["cat"])
    today_admit = add_resident(b, "Eve", "Evans", admitted_on=TODAY)
    rows = {r.resident_id: r for r in b.caseload.rows([unit["ann"], unit["bob"], unit["cat"], today_admit])}
    assert [f.code for f in rows[unit["ann"]].flags] == [REVIEW_DUE_TODAY]
    assert [f.code for f in rows[unit["bob"]].flags] == [PLAN_INCOMPLETE]  # admitted 02/01, no plan
    assert [f.code for f in rows[unit["cat"]].flags] == [DECISION_OVERDUE, PLAN_INCOMPLETE, REVIEW_OVERDUE]
    assert rows[today_admit].flags == ()  # the plan is due by the end of the admission day
    overdue = rows[unit["cat"]].flags[2]
    assert overdue.text == "Review overdue" and "24/12/2025" in overdue.detail and "12 days" in overdue.detail
    assert rows[unit["cat"]].flags_text == "Decision overdue, Plan incomplete, Review overdue"


def test_sorting(worker_book: Casebook, unit: dict[str, str]) -> None:
    b = worker_book
    complete_plan(b, unit["ann"])
    complete_plan(b, unit["bob"])
    add_review(b, unit["ann"], date(2025, 12, 20), date(2026, 1, 20))

    def order(key: str, descending: bool = False) -> list[str]:
        return names(b, b.caseload.ids(CaseloadFilter(sort_key=key, descending=descending)))

    assert order("name", descending=True) == ["Clarke", "Baker", "Adams"]
    assert order("reference") == ["Baker", "Adams", "Clarke"]
    assert order("reference", descending=True) == ["Clarke", "Adams", "Baker"]
    assert order("admitted") == ["Clarke", "Baker", "Adams"]
    assert order("week") == ["Adams", "Baker", "Clarke"]  # week 1 first
    assert order("key_worker") == ["Clarke", "Adams", "Baker"]  # Jo Second, then Sam Worker by name
    assert order("setting") == ["Adams", "Baker", "Clarke"]  # 24h_residential < day_programme
    # Clarke: admitted 20/11, no review -> due 04/12; Adams 16/01; Baker 20/01
    assert order("next_review") == ["Clarke", "Adams", "Baker"]
    assert order("flags") == ["Clarke", "Adams", "Baker"]  # most flags first
    assert order("risk") == ["Adams", "Baker", "Clarke"]  # all "Not assessed": by name (tests/unit/test_risk.py rates them)
    with pytest.raises(ValidationError, match="sort"):  # a typed error for a person, not a ValueError
        b.caseload.ids(CaseloadFilter(sort_key="nhs_number"))


def test_sort_with_discharged_puts_them_after_current(worker_book: Casebook, unit: dict[str, str]) -> None:
    ids = worker_book.caseload.ids(CaseloadFilter(include_discharged=True, sort_key="next_review"))
    assert names(worker_book, ids)[-1] == "Dawson"
    ids = worker_book.caseload.ids(CaseloadFilter(include_discharged=True, sort_key="key_worker"))
    assert names(worker_book, ids) == ["Clarke", "Adams", "Baker", "Dawson"]


def test_rows_keep_the_order_asked_and_skip_unknown_ids(worker_book: Casebook, unit: dict[str, str]) -> None:
    rows = worker_book.caseload.rows([unit["cat"], "no-such-id", unit["ann"]])
    assert [r.resident_id for r in rows] == [unit["cat"], unit["ann"]]
    assert worker_book.caseload.rows([]) == []


def test_functions_take_a_session_or_a_book(worker_book: Casebook, unit: dict[str, str]) -> None:
    via_book = caseload_ids(worker_book, CaseloadFilter())
    with worker_book._read() as s:
        assert caseload_ids(s, CaseloadFilter(), today=TODAY) == via_book
        assert [r.resident_id for r in caseload_rows(s, via_book, today=TODAY)] == via_book


def test_listing_is_not_an_audited_record_read(worker_book: Casebook, unit: dict[str, str],
                                               manager_book: Casebook) -> None:
    before = len(manager_book.audit.recent(1000))
    worker_book.caseload.rows(worker_book.caseload.ids(CaseloadFilter(text="a")))
    assert len(manager_book.audit.recent(1000)) == before


def test_locked_unit_lists_nothing(worker_book: Casebook, unit: dict[str, str]) -> None:
    worker_book.lock()
    with pytest.raises(UnitLocked):
        worker_book.caseload.ids(CaseloadFilter())


def test_search_reads_the_covering_index_not_the_table(worker_book: Casebook, unit: dict[str, str]) -> None:
    """The keystroke budget (< 30 ms at 20,000 residents) rests on this plan: the search walks the
    caseload index in name order instead of decrypting every resident's table page."""
    from keyworker.caseload_query import caseload_ids

    statements: list[str] = []
    me = account_id(worker_book, "worker")
    with worker_book._read() as s:
        raw = s.connection().connection.driver_connection
        raw.set_trace_callback(statements.append)
        caseload_ids(s, CaseloadFilter(text="a", actor_id=me))
        raw.set_trace_callback(None)
        search = next(sql for sql in statements if "search_text" in sql)
        plan = " | ".join(str(row[-1]) for row in raw.execute("EXPLAIN QUERY PLAN " + search))
    # Index only (no resident table page is decrypted) and already in name order (no sort step).
    assert "SCAN r USING COVERING INDEX ix_residents_caseload" in plan, plan
    assert "TEMP B-TREE" not in plan, plan
