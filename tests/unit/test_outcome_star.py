"""The Outcome Star (issue 14): the stage bands at every boundary, the shipped definition (names and
bands only, no descriptors), broken definition files each refused naming file, field and problem,
readings validated as a key worker would expect, distance travelled, what is due, who may do what,
and every read audited."""
from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from keyworker import outcome_star_definitions as defs
from keyworker.casebook import Casebook
from keyworker.charts.radar import star_chart, wrap_label
from keyworker.db.discharges import DischargePlan
from keyworker.errors import PermissionDenied, ValidationError
from keyworker.outcome_star import StarReadingInput
from tests.fixtures.caseload import last_audit
from tests.unit.care_helpers import admit

D = defs.current()
KEYS = [a.key for a in D.areas]
ADMITTED = date(2026, 1, 5)  # the clock fixture's Monday


def scores(*values: int) -> dict[str, int]:
    vals = list(values) + [values[-1]] * (len(KEYS) - len(values))
    return dict(zip(KEYS, vals, strict=True))


def reading(rid: str, on: date, *values: int, stage: str = "review", **over) -> StarReadingInput:  # type: ignore[no-untyped-def]
    return StarReadingInput(resident_id=rid, scores=scores(*values), taken_on=on, stage=stage, **over)


# -- definitions ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("score", "stage"), [(1, "Stuck"), (2, "Stuck"), (3, "Accepting help"), (4, "Accepting help"),
                                              (5, "Believing"), (6, "Believing"), (7, "Learning"), (8, "Learning"),
                                              (9, "Self-reliance"), (10, "Self-reliance")])
def test_stage_bands_at_every_boundary(score: int, stage: str) -> None:
    assert D.stage_for(score).name == stage


@pytest.mark.parametrize("score", [0, 11, -1])
def test_a_score_outside_1_to_10_has_no_stage(score: int) -> None:
    with pytest.raises(ValueError):
        D.stage_for(score)


def test_the_default_definition_holds_only_names_and_bands() -> None:
    assert (D.id, D.name) == ("drug_alcohol", "Drug & Alcohol")
    assert [a.name for a in D.areas] == ["Drug use", "Alcohol use", "Physical health", "Meaningful use of time",
                                         "Community", "Emotional health", "Accommodation", "Money", "Offending",
                                         "Family & relationships"]
    assert len(set(KEYS)) == 10
    assert [(s.name, s.low, s.high) for s in D.stages] == [
        ("Stuck", 1, 2), ("Accepting help", 3, 4), ("Believing", 5, 6), ("Learning", 7, 8), ("Self-reliance", 9, 10)]
    assert D.descriptors == {}  # Triangle's scale descriptors are licensed: none shipped
    assert "Triangle" in D.licence
    assert defs.get("drug_alcohol", D.version) == D


def _write(tmp_path: Path, data: object | str, name: str = "star.json") -> Path:
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else json.dumps(data, indent=2), encoding="utf-8")
    return p


def _good() -> dict:  # type: ignore[type-arg]
    return json.loads((defs.DEFAULT_DIR / "drug_alcohol.json").read_text(encoding="utf-8"))


def _broken(**change) -> dict:  # type: ignore[no-untyped-def,type-arg]
    d = _good()
    for k, v in change.items():
        v(d) if callable(v) else d.__setitem__(k, v)
    return d


@pytest.mark.parametrize(("data", "words"), [
    (_broken(x=lambda d: d["areas"][3].pop("name")), ["area 4", "\"name\"", "missing"]),
    (_broken(x=lambda d: d["areas"][1].update(key="drug_use")), ["area 2", "\"key\"", "'drug_use' is used twice"]),
    (_broken(x=lambda d: d["stages"][1].update(low=2)), ["stage 2", "Accepting help", "overlaps", "Stuck", "2"]),
    (_broken(x=lambda d: d["stages"].pop()), ["\"stages\"", "cover every score", "9, 10"]),
    (_broken(x=lambda d: d["stages"][0].update(high=12)), ["stage 1", "\"high\"", "1 to 10"]),
    (_broken(x=lambda d: d["stages"][2].update(low=6, high=5)), ["stage 3", "above"]),
    (_broken(areas=[]), ["\"areas\"", "non-empty"]),
    (_broken(x=lambda d: d.pop("version")), ["\"version\"", "missing"]),
    (_broken(descriptors={"money": {"11": "x"}}), ["\"descriptors\"", "'money'", "not a score"]),
    (_broken(descriptors={"cooking": {"1": "x"}}), ["\"descriptors\"", "'cooking'", "not one of the areas"]),
])
def test_a_broken_definition_names_the_file_the_field_and_the_problem(tmp_path: Path, data, words) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(defs.OutcomeStarDefinitionError) as e:
        defs.load_file(_write(tmp_path, data, "unit_star.json"))
    message = str(e.value)
    assert message.startswith("unit_star.json: ")
    for w in words:
        assert w in message, (w, message)


def test_bad_json_gives_its_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(defs.OutcomeStarDefinitionError, match=r"bad\.json: is not valid JSON: .* line 3, column"):
        defs.load_file(_write(tmp_path, '{\n  "id": "x",\n  "name" "y"\n}', "bad.json"))


def test_a_licensed_definition_is_read_beside_the_default(tmp_path: Path) -> None:
    lic = _good()
    lic["version"] = "2"
    lic["descriptors"] = {"money": {"1": "Licensed words"}}
    _write(tmp_path, lic, "licensed.json")
    found = defs.load_all((defs.DEFAULT_DIR, tmp_path))
    assert {(d.id, d.version) for d in found} == {("drug_alcohol", "1"), ("drug_alcohol", "2")}
    two = next(d for d in found if d.version == "2")
    assert two.descriptor("money", 1) == "Licensed words"
    _write(tmp_path, _good(), "again.json")  # the same id and version twice is ambiguous
    with pytest.raises(defs.OutcomeStarDefinitionError, match=r"again\.json: \"version\": .* already defined in drug_alcohol\.json"):
        defs.load_all((defs.DEFAULT_DIR, tmp_path))


# -- readings ------------------------------------------------------------------------------------
def test_a_reading_is_recorded_with_its_definition_and_stages(worker_book: Casebook) -> None:
    rid, aid = admit(worker_book)
    v = worker_book.outcome_star.record(StarReadingInput(
        resident_id=rid, scores=scores(2, 3, 4, 5, 6, 7, 8, 9, 10, 1), taken_on=ADMITTED, stage="admission",
        notes={"money": "Debts with the council", "drug_use": "  "}))
    assert (v.admission_id, v.taken_on, v.stage_label) == (aid, ADMITTED, "Admission")
    assert (v.definition_id, v.definition_version, v.definition_name) == ("drug_alcohol", "1", "Drug & Alcohol")
    assert [a.score for a in v.scores] == [2, 3, 4, 5, 6, 7, 8, 9, 10, 1]
    assert [a.stage for a in v.scores][:3] == ["Stuck", "Accepting help", "Accepting help"]
    assert next(a for a in v.scores if a.key == "money").note == "Debts with the council"
    assert next(a for a in v.scores if a.key == "drug_use").note == ""
    assert v.completed_by == "Sam Worker"
    action, detail = last_audit(worker_book)[0]
    assert action == "outcome_star.record" and detail["stage"] == "admission"
    assert worker_book.outcome_star.reading(v.id) == v
    assert last_audit(worker_book)[0][0] == "outcome_star.view"


def test_every_area_must_be_scored_1_to_10(worker_book: Casebook) -> None:
    rid, _ = admit(worker_book)
    s = scores(5)
    del s["money"]
    s["offending"] = 11
    s["community"] = 0
    with pytest.raises(ValidationError) as e:
        worker_book.outcome_star.record(StarReadingInput(resident_id=rid, scores=s, taken_on=ADMITTED))
    f = e.value.fields
    assert f["scores.money"] == "Money: give a score from 1 to 10."
    assert "from 1 to 10" in f["scores.offending"] and "Community" in f["scores.community"]
    with pytest.raises(ValidationError) as e:
        worker_book.outcome_star.record(StarReadingInput(resident_id=rid, scores={**scores(5), "cooking": 4},
                                                         taken_on=ADMITTED))
    assert "not an area" in e.value.fields["scores.cooking"]


def test_the_date_is_within_the_stay_and_not_in_the_future(worker_book: Casebook, clock) -> None:  # type: ignore[no-untyped-def]
    rid, _ = admit(worker_book, admitted_on=ADMITTED)
    with pytest.raises(ValidationError) as e:
        worker_book.outcome_star.record(reading(rid, ADMITTED - timedelta(days=1), 5))
    assert "was not staying with the unit on 04/01/2026" in e.value.fields["taken_on"]
    with pytest.raises(ValidationError) as e:
        worker_book.outcome_star.record(reading(rid, ADMITTED + timedelta(days=1), 5))
    assert "taken_on" in e.value.fields  # tomorrow: in the future


def test_admission_and_discharge_readings_follow_the_stay(worker_book: Casebook, clock) -> None:  # type: ignore[no-untyped-def]
    rid, aid = admit(worker_book)
    clock.advance(minutes=60 * 24 * 60)  # two months on
    star = worker_book.outcome_star
    with pytest.raises(ValidationError, match="first 4 weeks"):
        star.record(reading(rid, ADMITTED + timedelta(days=40), 3, stage="admission"))
    star.record(reading(rid, ADMITTED + timedelta(days=3), 3, stage="admission"))
    with pytest.raises(ValidationError, match="already has its admission reading"):
        star.record(reading(rid, ADMITTED + timedelta(days=4), 3, stage="admission"))
    with pytest.raises(ValidationError, match="discharge is planned"):
        star.record(reading(rid, ADMITTED + timedelta(days=50), 6, stage="discharge"))
    with worker_book._write() as s:
        s.add(DischargePlan(admission_id=aid, resident_id=rid))
    star.record(reading(rid, ADMITTED + timedelta(days=50), 6, stage="discharge"))
    with pytest.raises(ValidationError, match="already has its discharge reading"):
        star.record(reading(rid, ADMITTED + timedelta(days=51), 6, stage="discharge"))


def test_distance_travelled_first_to_latest_and_between_any_two(worker_book: Casebook, clock) -> None:  # type: ignore[no-untyped-def]
    rid, _ = admit(worker_book)
    clock.advance(minutes=60 * 24 * 60)
    star = worker_book.outcome_star
    assert star.distance(rid) is None
    first = star.record(reading(rid, ADMITTED, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, stage="admission"))
    assert star.distance(rid) is None  # one reading: nothing travelled yet
    mid = star.record(reading(rid, ADMITTED + timedelta(days=28), 4, 3, 3, 5, 6, 7, 8, 9, 10, 2))
    last = star.record(reading(rid, ADMITTED + timedelta(days=56), 7, 3, 2, 6, 6, 7, 8, 9, 10, 2))
    d = star.distance(rid)
    assert d is not None and (d.first.id, d.latest.id) == (first.id, last.id)
    drug, alcohol, physical = d.areas[:3]
    assert (drug.name, drug.first, drug.latest, drug.change, drug.change_text) == ("Drug use", 2, 7, 5, "+5")
    assert drug.stage_text == "Stuck → Learning"
    assert (alcohol.change_text, alcohol.stage_text) == ("no change", "Accepting help")
    assert (physical.change, physical.stage_text) == (-2, "Accepting help → Stuck")
    assert d.total_change == 5 + 0 - 2 + 1 + 1 and d.improved == 3
    d2 = star.distance(rid, from_id=mid.id)
    assert d2 is not None and (d2.first.id, d2.latest.id) == (mid.id, last.id) and d2.areas[0].change == 3
    d3 = star.distance(rid, from_id=first.id, to_id=mid.id)
    assert d3 is not None and d3.areas[0].change == 2
    with pytest.raises(ValidationError):
        star.distance(rid, from_id="not-a-reading")
    assert [r.id for r in star.readings(rid)] == [last.id, mid.id, first.id]  # newest first
    assert last_audit(worker_book)[0][0] == "outcome_star.history"


def test_what_is_due_admission_missing_then_every_4_weeks(worker_book: Casebook, clock) -> None:  # type: ignore[no-untyped-def]
    rid, aid = admit(worker_book)
    star = worker_book.outcome_star
    due = star.due(rid)
    assert due.admission_missing and due.message == "The admission reading has not been recorded yet."
    assert last_audit(worker_book)[0][0] == "outcome_star.due"
    star.record(reading(rid, ADMITTED, 3, stage="admission"))
    due = star.due(rid)
    assert not due.admission_missing and due.next_due_on == ADMITTED + timedelta(days=28) and not due.overdue
    assert due.message == "Next reading suggested by 02/02/2026 (every 4 weeks)."
    clock.advance(minutes=60 * 24 * 29)
    due = star.due(rid)
    assert due.overdue and "overdue" in due.message and "05/01/2026" in due.message
    with worker_book._write() as s:
        s.add(DischargePlan(admission_id=aid, resident_id=rid))
    assert star.due(rid).discharge_due


def test_counts_for_check(worker_book: Casebook) -> None:
    rid, _ = admit(worker_book)
    with worker_book._read() as s:
        assert worker_book.outcome_star.counts(s) == {"star_readings": 0}
    worker_book.outcome_star.record(reading(rid, ADMITTED, 4, stage="admission"))
    with worker_book._read() as s:
        assert worker_book.outcome_star.counts(s) == {"star_readings": 1}


def test_nights_read_readings_but_do_not_record_them(worker_book: Casebook, book_factory) -> None:  # type: ignore[no-untyped-def]
    rid, _ = admit(worker_book)
    worker_book.outcome_star.record(reading(rid, ADMITTED, 4, stage="admission"))
    nights = book_factory("nights")
    assert len(nights.outcome_star.readings(rid)) == 1
    with pytest.raises(PermissionDenied):
        nights.outcome_star.record(reading(rid, ADMITTED, 5))
    admin = book_factory("admin")
    with pytest.raises(PermissionDenied):
        admin.outcome_star.readings(rid)


# -- the chart -----------------------------------------------------------------------------------
def test_long_area_names_wrap_onto_two_lines() -> None:
    assert wrap_label("Meaningful use of time") == ["Meaningful", "use of time"]
    assert wrap_label("Family & relationships") == ["Family &", "relationships"]
    assert wrap_label("Money") == ["Money"]


def test_the_chart_keeps_every_label_inside_and_off_the_plot(worker_book: Casebook) -> None:
    from keyworker.charts import Line, Polygon, Text
    from keyworker.charts.radar import LABEL_SIZE, text_width

    rid, _ = admit(worker_book)
    a = worker_book.outcome_star.record(reading(rid, ADMITTED, 10, stage="admission"))
    for w, h in ((420, 360), (340, 290)):
        d = star_chart(D, a, a, width=w, height=h)
        ring = next(s for s in d.shapes if isinstance(s, Line))  # the first ring drawn is ring 1..; the outer is 10th
        outer = [s for s in d.shapes if isinstance(s, Line)][9]
        xs, ys = [p[0] for p in outer.points], [p[1] for p in outer.points]
        labels = [t for t in d.shapes if isinstance(t, Text) and t.size == LABEL_SIZE and t.at[1] > 40]
        assert len(labels) >= 10 and ring
        for t in labels:
            width = text_width(t.text, t.size)
            left = {"start": t.at[0], "middle": t.at[0] - width / 2, "end": t.at[0] - width}[t.anchor]
            assert 0 <= left and left + width <= w and t.at[1] <= h, t
            inside_x = min(xs) < left + width / 2 < max(xs)
            inside_y = min(ys) < t.at[1] - t.size / 2 < max(ys)
            centre_r = ((left + width / 2 - w / 2) ** 2 + (t.at[1] - (38 + (h - 38) / 2)) ** 2) ** 0.5
            assert not (inside_x and inside_y) or centre_r > (max(xs) - min(xs)) / 2 * 0.95, t
        assert any(isinstance(s, Polygon) and s.fill for s in d.shapes)
        assert any(isinstance(s, Line) and s.dashed for s in d.shapes)
        assert "05/01/2026" in d.title


def test_a_broken_installed_definition_is_named_when_recording(worker_book: Casebook, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    rid, _ = admit(worker_book)
    _write(tmp_path, '{"id": "drug_alcohol", "version": "2", "name": "x", "areas": []}', "unit_star.json")
    monkeypatch.setattr(defs, "LICENSED_DIR", tmp_path)
    monkeypatch.setattr(defs, "load_all", lambda dirs=(defs.DEFAULT_DIR, tmp_path): _orig_load_all(dirs))
    defs.definitions.cache_clear()
    try:
        with pytest.raises(ValidationError) as e:
            worker_book.outcome_star.record(reading(rid, ADMITTED, 5, stage="admission"))
        assert "unit_star.json" in e.value.fields["definition_id"] and "\"areas\"" in e.value.fields["definition_id"]
    finally:
        monkeypatch.undo()
        defs.definitions.cache_clear()


_orig_load_all = defs.load_all


def test_check_json_reports_star_readings(tmp_path: Path, db_path: Path, worker_book: Casebook) -> None:
    from tests.unit.test_cli import run

    rid, _ = admit(worker_book)
    worker_book.outcome_star.record(reading(rid, ADMITTED, 4, stage="admission"))
    worker_book.close()
    res = run(tmp_path, "check", "--json", "--db", str(db_path))
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["star_readings"] == 1
    assert "Outcome Star readings: 1" in run(tmp_path, "check", "--db", str(db_path)).stdout


def test_a_correction_supersedes_and_keeps_the_original(worker_book: Casebook, clock) -> None:  # type: ignore[no-untyped-def]
    rid, _ = admit(worker_book)
    clock.advance(minutes=60 * 24 * 40)
    star = worker_book.outcome_star
    first = star.record(reading(rid, ADMITTED, 2, stage="admission"))
    later = star.record(reading(rid, ADMITTED + timedelta(days=28), 5))
    with pytest.raises(ValidationError, match="Say why"):
        star.correct(later.id, reading(rid, ADMITTED + timedelta(days=28), 6), "  ")
    fixed = star.correct(later.id, reading(rid, ADMITTED + timedelta(days=28), 6), "Typed 5 for 6")
    assert (fixed.supersedes_id, fixed.correction_reason) == (later.id, "Typed 5 for 6")
    assert last_audit(worker_book)[0] == ("outcome_star.correct", {
        "taken_on": "2026-02-02", "stage": "review", "definition": "Drug & Alcohol", "version": "1",
        "supersedes": later.id})
    assert [r.id for r in star.readings(rid)] == [fixed.id, first.id]  # only the correction counts
    history = star.readings(rid, include_superseded=True)
    assert [r.id for r in history] == [fixed.id, later.id, first.id] and history[1].superseded
    d = star.distance(rid)
    assert d is not None and d.latest.id == fixed.id and d.areas[0].change == 4
    with pytest.raises(ValidationError, match="already been corrected"):
        star.correct(later.id, reading(rid, ADMITTED + timedelta(days=28), 7), "Again")
    # the admission reading corrected in place: its own rule does not count itself
    star.correct(first.id, reading(rid, ADMITTED, 3, stage="admission"), "Wrong score")
    with worker_book._read() as s:
        assert star.counts(s) == {"star_readings": 2}
    other, _ = admit(worker_book, given="Robin")
    with pytest.raises(ValidationError, match="same resident"):
        star.correct(fixed.id, reading(other, ADMITTED + timedelta(days=28), 6), "Wrong person")
