"""The NDTMS monthly return on a small hand-built unit: every field and code is written down here
in advance and the CSV is parsed back. March 2026; the clock stands on 2 April 2026."""
from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from keyworker.casebook import Casebook
from keyworker.clock import LONDON, FixedClock
from keyworker.db.care_plans import CarePlan
from keyworker.db.caseload import Admission, Consent, Referral, Resident
from keyworker.db.discharges import Discharge
from keyworker.db.outbox import OutboxItem
from keyworker.db.top import Top, TopSubstance
from keyworker.errors import PermissionDenied, ValidationError
from keyworker.returns import mapping as mapping_mod
from keyworker.returns.mapping import MappingError
from keyworker.returns.ndtms import quality_csv, return_csv
from tests.fixtures.caseload import last_audit
from tests.unit.care_helpers import account_id

MONTH = "2026-03"
TOP_ZERO: dict[str, Any] = dict(tobacco_days=0, injecting_days=0, shared_needles=False, shared_other_equipment=False,
                                shoplifting_days=0, drug_selling_days=0, vehicle_theft=False, property_theft=False,
                                fraud=False, assault=False, psychological_health=10, physical_health=10,
                                quality_of_life=10, paid_work_days=0, education_days=0,
                                acute_housing_problem=False, eviction_risk=False)


def _at(y: int, m: int, d: int, h: int = 12) -> datetime:
    return datetime(y, m, d, h, tzinfo=LONDON)


def person(book: Casebook, n: int, given: str, family: str, *, admitted: date, setting: str = "24h_residential",
           discharged: date | None = None, consent: bool | None = True, ethnicity: str | None =
           "White: English, Welsh, Scottish, Northern Irish or British", **res: Any) -> tuple[str, str]:
    worker = account_id(book, "worker")
    values: dict[str, Any] = dict(
        date_of_birth=date(1988, 3, 14), sex="Female", ethnicity=ethnicity, nationality="British",
        sexual_orientation="Heterosexual or straight", pregnancy="Not pregnant", postcode="PR1 2HE",
        district="Preston", primary_substance="Alcohol", primary_route="Oral")
    values.update(res)
    with book._write() as s:
        r = Resident(reference=f"R-{n:05d}", reference_no=n, given_name=given, family_name=family,
                     search_text=f"{given} {family}".lower(), key_worker_id=worker, **values)
        s.add(r)
        s.flush()
        got, decided = admitted - timedelta(days=13), admitted - timedelta(days=10)
        ref = Referral(received_at=_at(got.year, got.month, got.day, 10), given_name=given, family_name=family,
                       referrer_name="Priya Shah", category="routine", status="admitted",
                       decision_due_on=got + timedelta(days=7),
                       decided_at=_at(decided.year, decided.month, decided.day, 15), resident_id=r.id)
        s.add(ref)
        s.flush()
        a = Admission(resident_id=r.id, referral_id=ref.id, admitted_on=admitted, setting=setting, strand="level_1",
                      planned_weeks=12, key_worker_id=worker, part_time=False, discharged_on=discharged,
                      discharge_type="unplanned" if discharged else None)
        s.add(a)
        s.flush()
        s.add(CarePlan(resident_id=r.id, admission_id=a.id, status="complete",
                       completed_at=_at(admitted.year, admitted.month, admitted.day + 1)))
        if consent is not None:
            s.add(Consent(resident_id=r.id, kind="ndtms", given=consent, recorded_on=admitted))
        if discharged:
            s.add(Discharge(admission_id=a.id, resident_id=r.id, path="unplanned", type="self_discharge",
                            ends_stay=True, occurred_at=_at(discharged.year, discharged.month, discharged.day),
                            state="confirmed", summary_due_at=_at(discharged.year, discharged.month, discharged.day)))
        return r.id, a.id


def top(book: Casebook, resident_id: str, admission_id: str, stage: str, on: date, days: dict[str, int],
        **over: Any) -> None:
    with book._write() as s:
        t = Top(resident_id=resident_id, admission_id=admission_id, stage=stage, interview_on=on,
                completed_by=account_id(book, "worker"), **{**TOP_ZERO, **over})
        s.add(t)
        s.flush()
        for sub, n in days.items():
            s.add(TopSubstance(top_id=t.id, substance=sub, total_days=n))


@pytest.fixture
def unit(book_factory, clock: FixedClock) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 4, 2, 9, 0))
    book = book_factory("manager")
    u = {
        # complete, consented, still resident; a start TOP in February and a review TOP in March
        "ann": person(book, 101, "Ann", "Ashworth", admitted=date(2026, 2, 2),
                      other_substances=json.dumps([{"substance": "Powder cocaine", "route": "Sniffed"}])),
        # declined NDTMS consent
        "ben": person(book, 102, "Ben", "Barton", admitted=date(2026, 3, 2), consent=False, sex="Male",
                      pregnancy="Not applicable", primary_substance="Heroin", primary_route="Injected"),
        # a missing core field (ethnicity), and a family name that starts like a formula
        "cara": person(book, 103, "Cara", "=Cole|' /C calc'!A0", admitted=date(2026, 1, 12), ethnicity=None,
                       preferred_name="@Cara"),
        # discharged in the month: self-discharge (NDTMS reason: dropped out)
        "dan": person(book, 104, "Dan", "Dale", admitted=date(2026, 1, 5), discharged=date(2026, 3, 20), sex="Male",
                      pregnancy="Not applicable"),
        # not in the return: a day programme, a stay ended in February, one starting in April
        "eve": person(book, 105, "Eve", "Evans", admitted=date(2026, 2, 2), setting="day_programme"),
        "fay": person(book, 106, "Fay", "Ford", admitted=date(2026, 1, 5), discharged=date(2026, 2, 20)),
        "gus": person(book, 107, "Gus", "Grey", admitted=date(2026, 4, 1), sex="Male"),
    }
    top(book, *u["ann"], "start", date(2026, 2, 10), {"alcohol": 20, "cocaine": 4}, tobacco_days=28)
    top(book, *u["ann"], "review", date(2026, 3, 16), {"alcohol": 2}, tobacco_days=20, shoplifting_days=1,
        assault=True, psychological_health=14, physical_health=15, quality_of_life=13, paid_work_days=3)
    return u


def parse(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


def rows_by_episode(book: Casebook) -> dict[str, dict[str, str]]:
    return {r["EPISODID"]: r for r in parse(return_csv(book.returns.ndtms(MONTH)))}


BLANK_TOP = {k: "" for k in ("TOPDATE", "TRSTAGE", "ALCUSE", "OPIUSE", "CRAUSE", "COCAUSE", "AMPHUSE", "CANNUSE",
                             "OTDRGUSE", "TOBUSE", "IVDRGUSE", "SHARING", "SHAREOTH", "SHOPTHEF", "DRGSELL",
                             "THEFTVEH", "OTHTHEF", "FRAUD", "ASSAULT", "PSYHSTAT", "PWORK", "EDUCATN", "ACUTHPBM",
                             "HRISK", "PHSTAT", "QUALLIFE")}


def test_every_field_and_code_of_the_hand_built_unit(book_factory, unit) -> None:  # type: ignore[no-untyped-def]
    book = book_factory("manager")
    ret = book.returns.ndtms(MONTH)
    header = list(mapping_mod.load().header)
    assert list(ret.header) == header and header[:4] == ["FINITIAL", "SINITIAL", "DOB", "SEX"]
    rows = rows_by_episode(book)
    assert set(rows) == {unit[k][1] for k in ("ann", "ben", "cara", "dan")}
    assert list(parse(return_csv(ret))[0]) == header  # the header is the mapping's, in its order
    ann = rows[unit["ann"][1]]
    assert ann == {
        "FINITIAL": "A", "SINITIAL": "A", "DOB": "14/03/1988", "SEX": "2", "ETHNIC": "A", "NATION": "GBR",
        "CONSENT": "Y", "PC": "PR1 2HE", "LA": "E07000123", "SEXUAL": "1", "ACCMNEED": "", "PRNTSTAT": "",
        "CHILDWTH": "", "PREGNANT": "N", "EPISODID": unit["ann"][1], "REFLD": "20/01/2026", "TRIAGED": "23/01/2026",
        "CPLANDT": "03/02/2026", "DRUG1": "4000", "DRUG2": "3102", "DRUG3": "", "ROUTE": "4", "INJSTAT": "N",
        "DISD": "", "DISRSN": "", "MODAL": "RESREHAB", "MODST": "02/02/2026", "MODEND": "", "MODEXIT": "",
        # the latest TOP of the month (the review), not February's start TOP
        "TOPDATE": "16/03/2026", "TRSTAGE": "R", "ALCUSE": "2", "OPIUSE": "0", "CRAUSE": "0", "COCAUSE": "0",
        "AMPHUSE": "0", "CANNUSE": "0", "OTDRGUSE": "0", "TOBUSE": "20", "IVDRGUSE": "0", "SHARING": "N",
        "SHAREOTH": "N", "SHOPTHEF": "1", "DRGSELL": "0", "THEFTVEH": "N", "OTHTHEF": "N", "FRAUD": "N",
        "ASSAULT": "Y", "PSYHSTAT": "14", "PWORK": "3", "EDUCATN": "0", "ACUTHPBM": "N", "HRISK": "N",
        "PHSTAT": "15", "QUALLIFE": "13",
    }
    dan = rows[unit["dan"][1]]
    assert (dan["SEX"], dan["PREGNANT"], dan["MODST"]) == ("1", "N", "05/01/2026")
    assert (dan["DISD"], dan["DISRSN"], dan["MODEND"], dan["MODEXIT"]) == ("20/03/2026", "86", "20/03/2026", "82")
    assert {k: dan[k] for k in BLANK_TOP} == BLANK_TOP  # no TOP in the month
    ben = rows[unit["ben"][1]]
    assert (ben["DRUG1"], ben["ROUTE"], ben["INJSTAT"], ben["CONSENT"]) == ("1101", "1", "C", "N")


def test_non_consent_drops_the_identifying_fields(book_factory, unit) -> None:  # type: ignore[no-untyped-def]
    book = book_factory("manager")
    ret = book.returns.ndtms(MONTH)
    ben = rows_by_episode(book)[unit["ben"][1]]
    assert (ben["FINITIAL"], ben["SINITIAL"], ben["DOB"], ben["PC"]) == ("", "", "", "")
    assert (ben["SEX"], ben["LA"], ben["MODST"]) == ("1", "E07000123", "02/03/2026")  # the rest is sent
    body = return_csv(ret)
    assert b"Barton" not in body and b"14/03/1988" in body  # Ann's date of birth; Ben's is withheld
    assert ret.withheld == 1
    assert not [p for p in ret.problems if p.resident_id == unit["ben"][0]]  # withheld is not missing


def test_missing_core_field_named_in_the_data_quality_report(book_factory, unit) -> None:  # type: ignore[no-untyped-def]
    book = book_factory("manager")
    ret = book.returns.ndtms(MONTH)
    assert [(p.reference, p.field, p.kind, p.tab, p.app_field) for p in ret.problems] == [
        ("R-00103", "ETHNIC", "missing", "overview", "ethnicity")]
    p = ret.problems[0]
    assert p.message == "Ethnicity is not recorded." and p.where == "Overview tab: Ethnicity"
    assert rows_by_episode(book)[unit["cara"][1]]["ETHNIC"] == ""
    c = ret.compliance
    assert (c.episodes, c.complete, c.core_pct, c.core_meets) == (4, 3, 75.0, False)
    tc = book.top.compliance(date(2026, 3, 1), date(2026, 3, 31))
    assert (c.top_due, c.top_done) == (tc.due, tc.completed) == (3, 1)  # Ann's review; Ben's start TOP missed
    assert c.top_text == "TOP: 1 of 3 due TOPs completed (33.3%), target 90% — below target"
    report = list(csv.DictReader(io.StringIO(quality_csv(ret).decode("utf-8-sig"))))
    assert [(r["Reference"], r["NDTMS field"], r["Field"], r["Problem"], r["Where to fix it"]) for r in report] == [
        ("R-00103", "ETHNIC", "Ethnicity", "Missing", "Overview tab: Ethnicity")]
    assert book.returns.ndtms_compliance(MONTH) == c


def test_an_invalid_value_and_a_bad_postcode_are_listed(book_factory, unit) -> None:  # type: ignore[no-untyped-def]
    book = book_factory("manager")
    with book._write() as s:
        r = s.get(Resident, unit["ann"][0])
        assert r is not None
        r.nationality, r.postcode = "Latvian", "PR1"
    ret = book.returns.ndtms(MONTH)
    mine = {(p.field, p.kind) for p in ret.problems if p.resident_id == unit["ann"][0]}
    assert mine == {("NATION", "invalid"), ("PC", "invalid")}
    assert any("'Latvian' has no NDTMS code" in p.message for p in ret.problems)


def test_formula_leading_cells_are_neutralised(book_factory, unit) -> None:  # type: ignore[no-untyped-def]
    book = book_factory("manager")
    ret = book.returns.ndtms(MONTH)
    assert rows_by_episode(book)[unit["cara"][1]]["SINITIAL"] == "'="
    report = list(csv.DictReader(io.StringIO(quality_csv(ret).decode("utf-8-sig"))))
    assert report[0]["Name"] == "'@Cara =Cole|' /C calc'!A0"
    # and in the queued copy, residents are named by reference only
    anon = quality_csv(ret, names=False)
    assert b"Cole" not in anon and b"Cara" not in anon and b"R-00103" in anon


def copied_mapping(tmp_path: Path, edit: Any) -> Path:
    data = json.loads(mapping_mod.FILE.read_text(encoding="utf-8"))
    edit(data)
    p = tmp_path / "ndtms_cds_r.json"
    p.write_text(json.dumps(data), encoding="utf-8")
    return p


def test_a_changed_mapping_changes_the_output(book_factory, unit, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    book = book_factory("manager")

    def edit(d: dict[str, Any]) -> None:
        d["code_lists"]["sex"]["Female"] = "+F"  # a corrected code (formula-leading: neutralised)
        d["date_format"] = "%Y-%m-%d"
        fields = d["fields"]
        dob = next(f for f in fields if f["name"] == "DOB")
        fields.remove(dob)
        fields.append({**dob, "name": "BIRTHDATE"})  # renamed and moved to the end
        next(f for f in fields if f["name"] == "ETHNIC")["core"] = False
    book.returns.mapping_path = copied_mapping(tmp_path, edit)
    ret = book.returns.ndtms(MONTH)
    assert ret.header[-1] == "BIRTHDATE" and "DOB" not in ret.header
    ann = rows_by_episode(book)[unit["ann"][1]]
    assert ann["SEX"] == "'+F" and ann["BIRTHDATE"] == "1988-03-14" and ann["MODST"] == "2026-02-02"
    assert ret.problems == () and ret.compliance.core_pct == 100.0


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["fields"][3].update(source="resident.shoe_size"), "field SEX: unknown source 'resident.shoe_size'"),
    (lambda d: d["fields"].append(dict(d["fields"][0])), "field FINITIAL: the field is named twice"),
    (lambda d: d["code_lists"]["sex"].pop("Intersex"), "field SEX: code list 'sex' has no code for 'Intersex'"),
    (lambda d: d["code_lists"].pop("route"), "field ROUTE: code list 'route' is missing"),
    (lambda d: d["code_lists"]["discharge_reason"].pop("incomplete_client_died"),
     "field DISRSN: code list 'discharge_reason' has no code for 'incomplete_client_died'"),
    (lambda d: d["fields"][0].update(core="sometimes"), "field FINITIAL: \"core\" must be"),
])
def test_a_broken_mapping_gives_a_clear_error(tmp_path: Path, edit: Any, message: str) -> None:
    with pytest.raises(MappingError) as e:
        mapping_mod.load(copied_mapping(tmp_path, edit))
    assert str(e.value).startswith("ndtms_cds_r.json") and message in str(e.value)


def test_not_json_names_the_file(tmp_path: Path) -> None:
    p = tmp_path / "ndtms_cds_r.json"
    p.write_text("{not json", encoding="utf-8")
    with pytest.raises(MappingError, match="ndtms_cds_r.json: cannot be read as JSON"):
        mapping_mod.load(p)


def test_the_shipped_mapping_says_its_codes_are_to_be_checked() -> None:
    m = mapping_mod.load()
    assert m.codes_checked is False and "Reference Data" in m.note and "CDS-R" in m.version


def test_permissions_and_audit(book_factory, unit) -> None:  # type: ignore[no-untyped-def]
    for who in ("admin", "worker", "nights"):
        with pytest.raises(PermissionDenied):
            book_factory(who).returns.ndtms(MONTH)
    admin = book_factory("admin")
    assert admin.returns.ndtms_compliance(MONTH).episodes == 4  # numbers only
    with pytest.raises(PermissionDenied):
        book_factory("worker").returns.ndtms_compliance(MONTH)
    manager = book_factory("manager")
    manager.returns.ndtms(MONTH, output="csv")
    action, detail = last_audit(manager)[0]
    assert action == "returns.ndtms" and detail == {"month": MONTH, "rows": 4, "problems": 1, "output": "csv"}
    with pytest.raises(ValidationError) as e:
        manager.returns.ndtms("March")
    assert "month" in e.value.fields


def test_queued_to_the_outbox_with_the_data_quality_report(book_factory, unit) -> None:  # type: ignore[no-untyped-def]
    manager = book_factory("manager")
    sent = manager.returns.send_ndtms(MONTH)
    assert sent.created and sent.rows == 4 and sent.problems == 1 and sent.no_destination
    with manager._read() as s:
        items = s.scalars(select(OutboxItem).where(OutboxItem.kind == "ndtms_return")
                          .order_by(OutboxItem.created_at)).all()
        assert [i.title for i in items] == ["NDTMS return 2026-03", "NDTMS data quality 2026-03"]
        assert parse(items[0].payload)[0].keys() == set(mapping_mod.load().header)
        assert b"Cara" not in items[1].payload and b"R-00103" in items[1].payload
    again = manager.returns.send_ndtms(MONTH)
    assert not again.created and again.return_item_id == sent.return_item_id
    with manager._read() as s:
        assert s.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.kind == "ndtms_return")) == 2


def test_an_empty_month(book_factory, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 4, 2, 9, 0))
    ret = book_factory("manager").returns.ndtms(MONTH)
    assert ret.rows == () and ret.compliance.core_pct is None
    assert parse(return_csv(ret)) == [] and return_csv(ret).startswith(b"FINITIAL,SINITIAL,DOB")


def test_the_shipped_mapping_loads_even_when_copied(tmp_path: Path) -> None:
    p = tmp_path / "copy.json"
    shutil.copy(mapping_mod.FILE, p)
    assert mapping_mod.load(p).header == mapping_mod.load().header


def test_the_command_saves_owner_only_or_queues(book_factory, unit, db_path: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import stat

    from tests.conftest import STAFF_PW
    from tests.unit.test_cli import assert_one_line_error, run

    out, quality = tmp_path / "ndtms.csv", tmp_path / "quality.pdf"
    res = run(tmp_path, "export", "ndtms", "--db", str(db_path), "--month", MONTH, "--out", str(out),
              "--quality", str(quality), password=STAFF_PW, user="manager")
    assert res.returncode == 0, res.stderr
    assert "4 episodes, 1 data-quality problems" in res.stdout and "not encrypted" in res.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and stat.S_IMODE(quality.stat().st_mode) == 0o600
    assert {r["EPISODID"] for r in parse(out.read_bytes())} == {unit[k][1] for k in ("ann", "ben", "cara", "dan")}
    assert quality.read_bytes().startswith(b"%PDF")
    res = run(tmp_path, "export", "ndtms", "--db", str(db_path), "--month", MONTH, password=STAFF_PW, user="manager")
    assert res.returncode == 0 and "Queued in the outbox" in res.stdout, res.stderr
    assert_one_line_error(run(tmp_path, "export", "ndtms", "--db", str(db_path), "--month", "March",
                              password=STAFF_PW, user="manager"), 2, "--month")
    assert_one_line_error(run(tmp_path, "export", "ndtms", "--db", str(db_path), "--month", MONTH,
                              "--out", str(tmp_path / "admin.csv")), 1)
    assert not (tmp_path / "admin.csv").exists()
