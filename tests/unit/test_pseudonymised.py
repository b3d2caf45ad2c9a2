"""The pseudonymised extract (issue 15, 11.4.3): a hand-built unit exported and read back. No name,
postcode, NHS number, full date of birth or reference of any resident is anywhere in the bytes; the
keyed id is stable across extracts and differs in another unit; small cells are suppressed; months,
never dates; formula-leading cells neutralised; queued to an HTTPS or SFTP destination in the same
transaction, refused for email or without a destination; saved files 0600; who may make it."""
from __future__ import annotations

import csv
import io
import json
import os
import stat
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from keyworker.casebook import Casebook
from keyworker.cli import run
from keyworker.db.caseload import Admission, Resident
from keyworker.db.discharges import Discharge
from keyworker.db.foundation import AuditEntry, Setting
from keyworker.db.outbox import OutboxItem
from keyworker.errors import PermissionDenied, ValidationError
from keyworker.outcome_star import StarReadingInput
from keyworker.outbox.destinations import DestinationService  # noqa: F401 - the routes table's owner
from keyworker.returns import pseudonymised as ps
from keyworker.top import TopInput
from tests.fixtures.caseload import admit, last_audit
from tests.fixtures.outbox_servers import add_destination

START, END = date(2026, 1, 1), date(2026, 3, 31)


def nhs(prefix: str) -> str:
    """A valid NHS number (modulus 11) starting with the 9 digits `prefix`."""
    total = sum(int(d) * (10 - i) for i, d in enumerate(prefix))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    assert check != 10, prefix
    return prefix + str(check)


PEOPLE: list[dict[str, Any]] = [
    # name, dob, postcode, district, sex, ethnicity (so every band and district below is known)
    dict(given_name="Araminta", family_name="Quillfeather", date_of_birth=date(2004, 6, 30), postcode="PR1 7QX",
         district="Preston", sex="Female", ethnicity="White: Irish"),
    dict(given_name="Bartholomew", family_name="Zanzibarov", date_of_birth=date(1990, 11, 2), postcode="BB11 3ZZ",
         district="Burnley", sex="Male", ethnicity="Asian or Asian British: Pakistani"),
    dict(given_name="Cordelia", family_name="Vantongeren", date_of_birth=date(1985, 2, 14), postcode="LA1 4XY",
         district="Lancaster", sex="Female", ethnicity="Black or Black British: African"),
    dict(given_name="Desmond", family_name="Ollerenshaw", date_of_birth=date(1970, 8, 9), postcode="M14 5QQ",
         district="Manchester", sex="Male", ethnicity="Prefer not to say"),
    dict(given_name="Eulalia", family_name="Przybylski", date_of_birth=date(1958, 1, 20), postcode="PR2 9JW",
         district="Preston", sex="Female", ethnicity="Mixed: White and Asian"),
    dict(given_name="Fitzwilliam", family_name="Heptonstall", date_of_birth=date(1955, 12, 25), postcode="PR5 6RT",
         district="Preston", sex="Male", ethnicity="White: English, Welsh, Scottish, Northern Irish or British"),
    dict(given_name="Gwendolyn", family_name="Marchbanks", date_of_birth=date(1992, 4, 4), postcode="PR7 1QP",
         district="Preston", sex="Female", ethnicity="White: Roma"),
]
NHS_PREFIXES = ["943476591", "401023213", "450557710", "485777345", "123456788", "987654321", "111111111"]


def build_unit(manager: Casebook) -> list[tuple[str, str]]:
    """The seven residents above admitted on 5 January 2026 (the fixtures' day), with their NHS
    numbers; Araminta injects heroin; Bartholomew is discharged on 20/02/2026 (completed, drug-free),
    with Outcome Star and TOP readings. Returns (resident id, admission id) in PEOPLE's order."""
    out = []
    for i, person in enumerate(PEOPLE):
        number = nhs(NHS_PREFIXES[i])
        person["nhs_number"] = number
        extra: dict[str, Any] = {}
        if i == 0:
            extra = dict(primary_substance="Heroin", primary_route="Injected",
                         other_substances=[{"substance": "Crack cocaine", "route": "Smoked"}])
        if i == 1:
            extra = dict(primary_substance="Alcohol", primary_route="Oral")
        r = admit(manager, referral={"given_name": person["given_name"], "family_name": person["family_name"]},
                  **person, **extra)
        with manager._read() as s:
            aid = s.scalar(select(Admission.id).where(Admission.resident_id == r.id))
        out.append((r.id, str(aid)))
    return out


def discharge(book: Casebook, admission_id: str, on: date, reason: str = "completed_drug_free") -> None:
    with book._write() as s:
        adm = s.get(Admission, admission_id)
        assert adm is not None
        adm.discharged_on, adm.discharge_type = on, "planned"
        at = datetime(on.year, on.month, on.day, 12).astimezone()
        s.add(Discharge(admission_id=adm.id, resident_id=adm.resident_id, path="planned", type="planned_completed",
                        ends_stay=True, reason_code=reason, occurred_at=at, state="confirmed", summary_due_at=at))


def star_scores(value: int) -> dict[str, int]:
    from keyworker import outcome_star_definitions as defs

    return {a.key: value for a in defs.current().areas}


@pytest.fixture
def unit(manager_book: Casebook, clock) -> tuple[Casebook, list[tuple[str, str]]]:  # type: ignore[no-untyped-def]
    people = build_unit(manager_book)
    rid, aid = people[1]
    manager_book.outcome_star.record(StarReadingInput(resident_id=rid, scores=star_scores(3), taken_on=date(2026, 1, 5),
                                                      stage="admission"))
    manager_book.top.record(TopInput(resident_id=rid, stage="start", interview_on=date(2026, 1, 5),
                                     psychological_health=8, physical_health=10, quality_of_life=6))
    clock.set(datetime(2026, 2, 20, 10, 0))
    manager_book.outcome_star.record(StarReadingInput(resident_id=rid, scores=star_scores(7), taken_on=date(2026, 2, 20),
                                                      stage="review"))
    manager_book.top.record(TopInput(resident_id=rid, stage="exit", interview_on=date(2026, 2, 20),
                                     psychological_health=14, physical_health=15, quality_of_life=16))
    discharge(manager_book, aid, date(2026, 2, 20))
    clock.set(datetime(2026, 4, 2, 10, 0))
    return manager_book, people


def rows_of(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


# -- what is in it and what is not ---------------------------------------------------------------
def test_no_name_postcode_nhs_number_date_of_birth_or_reference_in_the_bytes(unit) -> None:  # type: ignore[no-untyped-def]
    book, people = unit
    ex = book.extracts.pseudonymised(START, END)
    blob = ps.extract_csv(ex) + ps.summary_csv(ex)
    with book._read() as s:
        residents = list(s.scalars(select(Resident)))
    assert len(residents) == len(PEOPLE)
    text = blob.decode("utf-8-sig").casefold()
    for r in residents:
        dob = r.date_of_birth
        for value in (r.given_name, r.family_name, r.postcode, r.postcode.replace(" ", ""), r.nhs_number,
                      f"{r.nhs_number[:3]} {r.nhs_number[3:6]} {r.nhs_number[6:]}", r.reference, r.id,
                      dob.isoformat(), dob.strftime("%d/%m/%Y"), dob.strftime("%d%m%Y"), dob.strftime("%Y%m%d")):
            assert value and value.casefold() not in text, f"found {value!r}"
            assert value.encode() not in blob
    assert "manchester" not in text  # another local authority's name is "Outside Lancashire"


def test_the_rows_read_back_as_built(unit) -> None:  # type: ignore[no-untyped-def]
    book, _ = unit
    rows = rows_of(ps.extract_csv(book.extracts.pseudonymised(START, END)))
    assert len(rows) == 7 and list(rows[0]) == list(ps.COLUMNS)
    bands = sorted(r["Age band at admission"] for r in rows)
    # ages on 05/01/2026: born 30/06/2004 -> 21; 02/11/1990 -> 35; 14/02/1985 -> 40; 09/08/1970 -> 55;
    # 20/01/1958 -> 67 (68 only later that month); 25/12/1955 -> 70; 04/04/1992 -> 33
    assert bands == sorted(["18-24", "35-44", "35-44", "55-64", "65+", "65+", "25-34"])
    by_group = {r["Ethnicity group"] for r in rows}
    assert by_group == {"White", "Asian or Asian British", "Black or Black British", "Prefer not to say",
                        "Mixed or multiple ethnic groups"}
    assert {r["District"] for r in rows} == {"Preston", "Burnley", "Lancaster", "Outside Lancashire"}
    assert {r["Admission month"] for r in rows} == {"2026-01"}
    done = [r for r in rows if r["Discharge month"]]
    assert len(done) == 1
    d = done[0]
    assert (d["Discharge month"], d["Discharge reason NDTMS code"], d["Weeks in treatment"]) == ("2026-02", "80", "6")
    assert d["Discharge reason"] == "Treatment completed: drug-free" and d["Primary substance"] == "Alcohol"
    assert (d["Outcome Star first total"], d["Outcome Star latest total"]) == (str(3 * len(star_scores(1))),
                                                                              str(7 * len(star_scores(1))))
    assert [d["TOP start psychological health"], d["TOP start physical health"], d["TOP start quality of life"],
            d["TOP exit psychological health"], d["TOP exit physical health"], d["TOP exit quality of life"]] == \
        ["8", "10", "6", "14", "15", "16"]
    inj = [r for r in rows if r["Injecting status"] == "Injecting"]
    assert len(inj) == 1 and inj[0]["Primary substance"] == "Heroin" and inj[0]["Other substances"] == "Crack cocaine"
    open_rows = [r for r in rows if not r["Discharge month"]]
    assert {r["Weeks in treatment"] for r in open_rows} == {"12"}  # 05/01 to 31/03
    assert {r["Setting"] for r in rows} == {"24-hour residential"} and {r["Strand"] for r in rows} == {"Level 1"}


def test_months_never_dates(unit) -> None:  # type: ignore[no-untyped-def]
    import re

    book, _ = unit
    text = ps.extract_csv(book.extracts.pseudonymised(START, END)).decode("utf-8-sig")
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)
    assert not re.search(r"\d{1,2}/\d{1,2}/\d{2,4}", text)
    assert re.search(r",2026-01,", text)


def test_an_episode_outside_the_period_is_left_out(unit) -> None:  # type: ignore[no-untyped-def]
    book, _ = unit
    assert len(book.extracts.pseudonymised(date(2026, 3, 1), date(2026, 3, 31)).rows) == 6  # one left in February
    assert book.extracts.pseudonymised(date(2025, 1, 1), date(2025, 12, 31)).rows == ()


# -- the id ------------------------------------------------------------------------------------
def test_the_same_resident_keeps_the_same_id_across_extracts(unit) -> None:  # type: ignore[no-untyped-def]
    book, _ = unit
    first = {r.age_band + r.district + r.sex: r.pseudo_id for r in book.extracts.pseudonymised(START, END).rows}
    second = {r.age_band + r.district + r.sex: r.pseudo_id
              for r in book.extracts.pseudonymised(date(2026, 2, 1), date(2026, 3, 31)).rows}
    assert first == second and len(set(first.values())) == 7
    assert all(v.startswith("P-") and len(v) == 22 for v in first.values())


def test_the_secret_is_stored_sealed_and_another_unit_gives_other_ids(unit, tmp_path: Path, clock) -> None:  # type: ignore[no-untyped-def]
    book, people = unit
    ids = {r.pseudo_id for r in book.extracts.pseudonymised(START, END).rows}
    with book._read() as s:
        sealed = s.get(Setting, ps.SECRET_SETTING)
        assert sealed is not None
        secret = ps.unit_secret(book, s, create=False)
    assert secret is not None and len(secret) == 32 and secret.hex() not in sealed.value
    assert ps.pseudo_id(secret, people[0][0]) in ids
    # Another unit: the same resident id under another secret is another pseudonym.
    other, _ = Casebook.create(tmp_path / "other.kwdb", admin_username="admin", admin_full_name="Ada Admin",
                               password="Other-Unit-Lantern-42", clock=clock,
                               kdf=__import__("tests.conftest", fromlist=["FAST_KDF"]).FAST_KDF)
    try:
        with other._write() as s:
            other_secret = ps.unit_secret(other, s, create=True)
        assert other_secret is not None and other_secret != secret
        assert ps.pseudo_id(other_secret, people[0][0]) not in ids
    finally:
        other.close()


# -- small cells and formulas ------------------------------------------------------------------
def test_small_cells_are_suppressed_in_the_summary(unit) -> None:  # type: ignore[no-untyped-def]
    book, _ = unit
    ex = book.extracts.pseudonymised(START, END)
    district = dict(ex.by_district)
    assert district["Preston"] == "<5"  # four Preston residents: under 5
    assert district["Burnley"] == "<5" and district["Chorley"] == "0" and district["Outside Lancashire"] == "<5"
    assert set(dict(ex.by_age_band).values()) <= {"0", "<5"}
    assert ps.suppress(__import__("collections").Counter({"a": 5, "b": 4, "c": 1, "d": 0}), ("a", "b", "c", "d")) \
        == (("a", "5"), ("b", "<5"), ("c", "<5"), ("d", "0"))
    rows = rows_of(ps.summary_csv(ex))
    assert all(r["Residents"] in {"0", "<5"} for r in rows)
    assert {r["Table"] for r in rows} == {"Residents by district", "Residents by age band at admission"}


def test_formula_leading_cells_are_neutralised(unit) -> None:  # type: ignore[no-untyped-def]
    book, people = unit
    with book._write() as s:
        r = s.get(Resident, people[2][0])
        assert r is not None
        r.primary_substance = "=HYPERLINK(\"http://x\")"
        r.other_substances = json.dumps([{"substance": "\u200b+cmd|calc", "route": "Oral"}])
    rows = rows_of(ps.extract_csv(book.extracts.pseudonymised(START, END)))
    cells = [v for row in rows for v in row.values()]
    assert "'=HYPERLINK(\"http://x\")" in cells and "'\u200b+cmd|calc" in cells
    from keyworker.text import starts_like_formula

    assert not any(starts_like_formula(c) for c in cells)


# -- sending -----------------------------------------------------------------------------------
def _route(book: Casebook, transport: str) -> str:
    settings = {"https": {"url": "https://127.0.0.1:8443/in"},
                "sftp": {"host": "127.0.0.1", "port": 2222, "username": "unit", "remote_folder": "in",
                         "host_key": "ssh-ed25519 AAAA"},
                "smtp": {"host": "127.0.0.1", "port": 2525, "security": "starttls",
                         "from_address": "unit@example.nhs.uk", "default_recipients": []}}[transport]
    dest = add_destination(book, transport, settings, "not-a-real-secret", name=f"Authority {transport}")
    book.destinations.set_route(ps.KIND, dest)
    return dest


def _items(book: Casebook) -> list[OutboxItem]:
    with book._read() as s:
        out = list(s.scalars(select(OutboxItem).where(OutboxItem.kind == ps.KIND)))
        s.expunge_all()
        return out


@pytest.mark.parametrize("transport", ["https", "sftp"])
def test_queued_to_an_https_or_sftp_destination(unit, transport: str) -> None:  # type: ignore[no-untyped-def]
    book, _ = unit
    dest = _route(book, transport)
    sent = book.extracts.queue_pseudonymised(START, END)
    assert (sent.rows, sent.transport, sent.created, len(sent.item_ids)) == (7, transport, True, 2)
    items = _items(book)
    assert {i.destination_id for i in items} == {dest} and {i.mime_type for i in items} == {"text/csv"}
    assert {i.filename for i in items} == {"pseudonymised-extract-2026Q1.csv", "pseudonymised-extract-2026Q1-summary.csv"}
    line = next(i for i in items if not i.filename.endswith("summary.csv"))
    assert len(rows_of(line.payload)) == 7
    # one transaction: the items and the audit entry were written together
    with book._read() as s:
        entries = [a for a, in s.execute(select(AuditEntry.action).order_by(AuditEntry.seq.desc()).limit(3))]
    assert entries == ["extract.pseudonymised_queue", "outbox.enqueue", "outbox.enqueue"]
    again = book.extracts.queue_pseudonymised(START, END)
    assert again.created is False and set(again.item_ids) == set(sent.item_ids) and len(_items(book)) == 2


def test_email_and_no_destination_are_refused_and_nothing_is_queued(unit) -> None:  # type: ignore[no-untyped-def]
    book, _ = unit
    with pytest.raises(ValidationError) as e:
        book.extracts.queue_pseudonymised(START, END)
    assert "No destination is set" in e.value.fields["destination"]
    with pytest.raises(ValidationError) as e:
        _route(book, "smtp")  # the route itself is refused
    assert "not sent by email" in e.value.fields["destination"]
    # and a route to email written before that rule (straight into the table) is refused at queueing
    from keyworker.db.outbox import OutboxRoute

    mail = add_destination(book, "smtp", {"host": "127.0.0.1", "port": 2525, "security": "starttls",
                                          "from_address": "unit@example.nhs.uk"}, "pw", name="Old mail route")
    with book._write() as s:
        s.add(OutboxRoute(kind=ps.KIND, destination_id=mail))
    with pytest.raises(ValidationError) as e:
        book.extracts.queue_pseudonymised(START, END)
    assert "not sent by email" in e.value.fields["destination"]
    assert _items(book) == []
    with book._read() as s:
        assert not s.scalar(select(func.count()).select_from(AuditEntry)
                            .where(AuditEntry.action == "extract.pseudonymised_queue"))


def test_a_failure_while_queuing_leaves_nothing_behind(unit, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    book, _ = unit
    _route(book, "https")

    def broken(*_a: Any, **_k: Any) -> bytes:
        raise RuntimeError("disk full")

    monkeypatch.setattr(ps, "summary_csv", broken)
    with pytest.raises(RuntimeError):
        book.extracts.queue_pseudonymised(START, END)
    assert _items(book) == []


# -- who, the audit and the command line -----------------------------------------------------
def test_who_may_make_it(unit, book_factory) -> None:  # type: ignore[no-untyped-def]
    book, _ = unit
    for user in ("worker", "nights"):
        other = book_factory(user)
        with pytest.raises(PermissionDenied):
            other.extracts.pseudonymised(START, END)
        with pytest.raises(PermissionDenied):
            other.extracts.queue_pseudonymised(START, END)
    admin = book_factory("admin")
    assert len(admin.extracts.pseudonymised(START, END).rows) == 7
    action, detail = last_audit(admin)[0]
    assert action == "extract.pseudonymised" and detail == {"from": "2026-01-01", "to": "2026-03-31", "rows": 7,
                                                            "output": "view"}


def test_bad_dates_are_named(manager_book: Casebook) -> None:
    with pytest.raises(ValidationError) as e:
        manager_book.extracts.pseudonymised("31/02/2026", END)
    assert "from" in e.value.fields
    with pytest.raises(ValidationError) as e:
        manager_book.extracts.pseudonymised(END, START)
    assert "to" in e.value.fields


def _cli(db: Path, *args: str, monkeypatch, capsys) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    from tests.conftest import STAFF_PW

    monkeypatch.setenv("KEYWORKER_PASSWORD", STAFF_PW)
    code = run(["export", "pseudonymised", "--db", str(db), "--user", "manager", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_out_writes_owner_only_files_flagged_plaintext(unit, db_path: Path, tmp_path: Path, monkeypatch,
                                                            capsys) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "extract.csv"
    code, out, err = _cli(db_path, "--from", "01/01/2026", "--to", "31/03/2026", "--out", str(target),
                          monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0, err
    summary = tmp_path / "extract-summary.csv"
    for f in (target, summary):
        assert stat.S_IMODE(os.stat(f).st_mode) == 0o600
    assert len(rows_of(target.read_bytes())) == 7
    assert "not encrypted" in out and "7 episodes" in out
    code, out, err = _cli(db_path, "--from", "01/01/2026", "--to", "31/03/2026", "--out", str(target),
                          monkeypatch=monkeypatch, capsys=capsys)
    assert code != 0 and "exists" in err


def test_cli_without_out_queues_or_says_why_not(unit, db_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    book, _ = unit
    code, out, err = _cli(db_path, "--from", "01/01/2026", "--to", "31/03/2026", monkeypatch=monkeypatch,
                          capsys=capsys)
    assert code == 1 and "No destination is set" in err and "Traceback" not in err
    _route(book, "sftp")
    code, out, err = _cli(db_path, "--from", "01/01/2026", "--to", "31/03/2026", monkeypatch=monkeypatch,
                          capsys=capsys)
    assert code == 0, err
    assert "Authority sftp" in out and len(_items(book)) == 2
