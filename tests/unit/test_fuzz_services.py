"""Fuzzing every service input (issue 7.13, 7.16): whatever a caller puts in an input dataclass or
an argument, the service answers with a typed KeyworkerError (ValidationError, NotFound ...) or
does its work; never an AttributeError, a TypeError or a driver error.

The input dataclasses are found by introspection, from the annotations of every public method of
every service in `casebook.SERVICES`: a new one is fuzzed as soon as it has a call below, and
`test_every_input_dataclass_has_a_fuzz_target` fails until it does. Values are drawn from each
field's annotation (the domain's vocabulary and real ids mixed in, to reach past the first check),
or of the wrong kind altogether. Real SQLCipher books from the fixtures, a bounded budget."""
from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import shutil
import types
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Union

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyworker import reference_data as ref
from keyworker.casebook import SERVICES, Casebook
from keyworker.caseload_query import SORT_KEYS, CaseloadFilter
from keyworker.clock import LONDON, FixedClock
from keyworker.documents.store import Preview
from keyworker.errors import KeyworkerError
from keyworker.input_types import _parameter_types
from keyworker.plan_sections import AGREEMENT_METHODS, DOMAINS_LIST, GOAL_DOMAINS, GOAL_STATUSES, SECTIONS_BY_KEY
from keyworker import risk_domains
from keyworker.medication import MedicationInput
from keyworker import da_checklist
from keyworker.incidents import INCIDENT_TYPES, IncidentFilter, IncidentInput
from keyworker.key_work_input import ATTENDANCE, OUTCOMES, SESSION_TYPES, Attendance, FollowUp, GoalWork, GroupInput, SessionInput
from keyworker import outcome_star_definitions as star_definitions
from keyworker.outcome_star import StarReadingInput
from keyworker.pre_admission import CHECKLIST as PRE_ADMISSION_CHECKLIST
from keyworker.pre_admission import DOMAINS as PRE_ADMISSION_DOMAINS
from keyworker.pre_admission import METHODS as PRE_ADMISSION_METHODS
from keyworker.pre_admission import DomainNote, PreAdmissionInput
from keyworker.contacts import ContactInput
from keyworker.discharge_plans import Aftercare, DischargePlanInput
from keyworker.discharge_plans import Attendee as PlanAttendee
from keyworker.discharges import UnplannedDischargeInput
from keyworker.top import SubstanceUse, TopInput
from keyworker.surveys import SurveyInput
from keyworker.notes import NoteInput
from keyworker.sharing import ShareRecipient
from keyworker.safeguarding import MARAC_GROUNDS, REFERRAL_KINDS, ChecklistInput, SafeguardingReferralInput
from keyworker.reports.periods import Period
from keyworker.reviews import (
    ATTENDEE_ROLES,
    INVITATION_METHODS,
    Attendee,
    GoalProgress,
    Invitation,
    InvitationLetter,
    ReferrerFollowUp,
    ReviewInput,
)
from keyworker.risk import example_input
from keyworker.security.audit_viewer import AuditFilter
from keyworker.security.vault import vault_path_for
from tests.conftest import open_as
from tests.fixtures.caseload import (
    accepted_referral,
    admission_input,
    admit,
    referral_input,
    resident_input,
    worker_id,
)
from tests.unit import care_helpers
from tests.unit.care_helpers import assess_risk

# Bounded: the whole file runs in well under a minute on the 2-core machine.
FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])


# -- finding the input dataclasses -------------------------------------------------------------
def _dataclasses_in(annotation: Any) -> set[type]:
    found: set[type] = set()
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        found.add(annotation)
    for arg in typing.get_args(annotation):
        found |= _dataclasses_in(arg)
    return found


def service_methods() -> list[tuple[str, str, Callable[..., Any]]]:
    out = []
    for name, target in SERVICES:
        module, cls_name = target.split(":")
        cls = getattr(importlib.import_module(module), cls_name)
        for meth_name, meth in inspect.getmembers(cls, inspect.isfunction):
            if not meth_name.startswith("_") and meth_name != "counts":
                out.append((name, meth_name, meth))
    return out


def input_dataclasses() -> set[type]:
    """Dataclasses taken by a service method (not the ones nested inside them)."""
    found: set[type] = set()
    for _svc, _name, meth in service_methods():
        for ann in _parameter_types(inspect.unwrap(meth)).values():
            found |= _dataclasses_in(ann)
    return found


# -- values from annotations -------------------------------------------------------------------
def vocabulary(ids: Mapping[str, str]) -> list[str]:
    words = [*ref.substances(), *ref.routes(), *ref.districts(), *GOAL_STATUSES, *GOAL_DOMAINS, *DOMAINS_LIST,
             *SECTIONS_BY_KEY, *AGREEMENT_METHODS, *ATTENDEE_ROLES, *INVITATION_METHODS,
             *SORT_KEYS, *risk_domains.DOMAIN_KEYS, *risk_domains.LEVELS, *risk_domains.PROMPT_REASONS,
             "regular", "midway", "pre_discharge", "view", "print", "save", "pdf", "csv", "mine", "unit",
             *da_checklist.ANSWERS, *da_checklist.LEVELS, *MARAC_GROUNDS, *PRE_ADMISSION_CHECKLIST,
             *PRE_ADMISSION_DOMAINS, "10:30", "9.05", "24:00"]
    for options in (ref.admission_categories(), ref.settings(), ref.strands(), ref.decline_categories(),
                    ref.consent_kinds(), INCIDENT_TYPES, REFERRAL_KINDS, SESSION_TYPES, OUTCOMES, ATTENDANCE,
                    PRE_ADMISSION_METHODS):
        words += [o.code for o in options] + [o.label for o in options]
    words += ["05/01/2026", "2026-01-05", "0001-01-01", "31/02/2026", "2026-01-05T10:00", "12", "yes", "R-00001",
              "PR1 2AB", "9434765919", "01772 123456", "pat@lancashire.gov.uk", "", " ", "\x00", "\ud800",
              "Cannabis:Smoked; Alcohol", '[["Cannabis", 1]]', "a@" + "." * 3000, "x" * 2500]
    return words + list(ids.values())


_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20),
                    st.binary(max_size=8), st.dates(), st.datetimes(), st.just(object()))
# Anything at all, of any type (built once: strategies are costly to validate).
WILD = st.recursive(_LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=3), st.tuples(inner, inner),
                                                     st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                    max_leaves=6)


def wild() -> st.SearchStrategy[Any]:
    return WILD


def typed(annotation: Any, words: list[str], depth: int = 0, *, strict: bool = False) -> st.SearchStrategy[Any]:
    """Values of the annotated type, or (unless `strict`) a wrong one now and then, at every level."""
    if strict or depth >= 3:
        return _typed(annotation, words, depth, strict)
    return st.one_of(_typed(annotation, words, depth, strict), wild())


def _typed(annotation: Any, words: list[str], depth: int, strict: bool = False) -> st.SearchStrategy[Any]:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is Any or annotation is object:
        return wild()
    if annotation is None or annotation is type(None):
        return st.none()
    if origin in (Union, types.UnionType):
        return st.one_of(*[_typed(a, words, depth, strict) for a in args])
    if annotation is str:
        return st.one_of(st.sampled_from(words), st.text(max_size=40))
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        return st.one_of(st.integers(-10, 40), st.integers())
    if annotation is float:
        return st.floats()
    if annotation is datetime:
        return st.one_of(st.datetimes(timezones=st.sampled_from([LONDON, None])),
                         st.datetimes(datetime(2025, 6, 1), datetime(2026, 3, 1), timezones=st.just(LONDON)))
    if annotation is date:
        return st.one_of(st.dates(), st.dates(date(2025, 6, 1), date(2026, 6, 1)),
                         st.sampled_from([date(2025, 11, 3), date(2025, 12, 1), date(2026, 1, 5), date(2026, 1, 12)]))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return st.sampled_from(list(annotation))
    if origin in (list, Sequence, tuple):
        item = args[0] if args else Any
        items = st.lists(typed(item, words, depth + 1, strict=strict), max_size=3)
        return items.map(tuple) if origin is tuple else items
    if origin in (dict, Mapping):
        key, value = args if len(args) == 2 else (Any, Any)
        keys = _typed(key, words, depth + 1, strict) if strict else \
            st.one_of(_typed(key, words, depth + 1), st.integers())  # keys must be hashable
        return st.dictionaries(keys, typed(value, words, depth + 1, strict=strict), max_size=3)
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        hints = typing.get_type_hints(annotation)
        return st.builds(annotation, **{f.name: typed(hints[f.name], words, depth + 1, strict=strict)
                                        for f in dataclasses.fields(annotation) if f.init})
    return wild()


def expect_typed_errors_only(call: Callable[[], Any]) -> None:
    try:
        call()
    except KeyworkerError as e:
        assert str(e).strip(), "an error must say something to the person"
        assert "Traceback" not in str(e)


# -- the unit the fuzzing runs against -----------------------------------------------------------
@pytest.fixture(scope="module")
def unit(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Casebook, dict[str, str]]]:
    """A senior's book (every clinical permission and reports) with a resident admitted through a
    referral, one with a complete plan, an open referral and a stored document. One unit for the
    whole module: what one test writes only gives the next more to trip over."""
    db = tmp_path_factory.mktemp("fuzz") / "unit.kwdb"
    shutil.copy(template_db, db)
    shutil.copy(vault_path_for(template_db), vault_path_for(db))
    book = open_as(db, "manager", FixedClock(datetime(2026, 1, 5, 9, 0)))
    rec = admit(book)
    rid, aid = care_helpers.admit(book, given="Robin", family="Hale", admitted_on=date(2025, 11, 3))
    view = book.care_plans.save_draft(aid, care_helpers.full_content())
    assess_risk(book, aid)
    plan = book.care_plans.mark_complete(view.plan_id)
    course = book.residents.start_medication(rec.id, {"name": "Thiamine", "effective_on": "05/01/2026",
                                                         "route": "oral", "as_directed": True})
    open_ref = book.referrals.record(referral_input())
    # a mid-way review held without the referrer invited: flagged, for ReferrerFollowUp to reach
    flagged = book.reviews.record(ReviewInput(aid, date(2025, 12, 15), date(2025, 12, 29), "Fine",
                                              [Attendee("Robin Hale", "resident")], kind="midway"))
    with book._write() as s:
        doc = book.documents._store(s, kind="test", title="Letter", content=b"%PDF-1.4", resident_id=rec.id)
    incident = book.incidents.record(IncidentInput(rec.id, "05/01/2026 08:00", "violence", "Shouting", domestic_abuse=True))
    checklist = book.safeguarding.record_checklist(ChecklistInput(rec.id, "05/01/2026", {n: "yes" for n in range(1, 25)}))
    sg_referral = book.safeguarding.record_referral(SafeguardingReferralInput(
        rec.id, "marac", "05/01/2026", checklist_id=checklist.id, grounds="visible_high"))
    note = book.notes.write(NoteInput(rec.id, "Settled evening", for_next_shift=True))
    contact = book.contacts.log(ContactInput(rec.id, "agency", "Children's social care", "phone", "Called",
                                             safeguarding=True, safeguarding_reason="Disclosure"))
    frozen = book.discharges.record_unplanned(UnplannedDischargeInput(rec.id, "freeze_police", "05/01/2026 08:30",
                                                                      "Removed by police"))
    from tests.fixtures.follow_ups import discharged  # follow-ups: a completed programme, scheduled

    follow_up = book.follow_ups.for_resident(discharged(book, date(2026, 1, 5), given_name="Fay",
                                                        family_name="Follow"))[0]
    assert rec.current_admission is not None and plan.plan_id is not None and plan.version is not None
    ids = {"resident": rec.id, "admission": rec.current_admission.id, "planned_resident": rid,
           "planned_admission": aid, "plan": plan.plan_id, "version": plan.version.id, "course": course.course_id,
           "referral": open_ref.id, "worker": worker_id(book), "document": doc.id,
           "goal": plan.content.goals[0].id, "review": flagged.id, "incident": incident.id,
           "checklist": checklist.id, "safeguarding_referral": sg_referral.id,
           "note": note.id, "contact": contact.id, "discharge": frozen.id, "follow_up": follow_up.id}
    yield book, ids
    book.close()


# Each input dataclass: the service calls that take it.
FuzzCall = Callable[[Casebook, dict[str, str], Any], Any]


def _admit_new(book: Casebook, ids: dict[str, str], admission: Any = None, resident: Any = None) -> Any:
    """Admit through a new accepted referral, when the forms pass (a refused admission is the same
    check as validate_admission, without the two extra transactions)."""
    if book.referrals.validate_admission(ids["referral"], admission or admission_input(ids["worker"]),
                                         resident or resident_input()):
        return None
    r = accepted_referral(book)
    return book.referrals.admit(r.id, admission if admission is not None else admission_input(ids["worker"]),
                                resident if resident is not None else resident_input())


def _editable(v: Any) -> dict[str, Any]:
    from keyworker.residents import EDITABLE_FIELDS

    return {k: getattr(v, k) for k in EDITABLE_FIELDS if hasattr(v, k)}


FUZZ_CALLS: dict[str, list[FuzzCall]] = {
    "ReferralInput": [lambda b, i, v: b.referrals.validate(v), lambda b, i, v: b.referrals.record(v),
                      lambda b, i, v: b.referrals.update(i["referral"], dataclasses.asdict(v))],
    "AdmissionInput": [lambda b, i, v: b.referrals.validate_admission(i["referral"], v),
                       lambda b, i, v: _admit_new(b, i, admission=v)],
    "ResidentInput": [lambda b, i, v: b.residents.validate(v), lambda b, i, v: _admit_new(b, i, resident=v),
                      lambda b, i, v: b.residents.update(i["resident"], _editable(v))],
    "MedicationInput": [lambda b, i, v: b.residents.start_medication(i["resident"], v),
                        lambda b, i, v: b.residents.change_medication(i["course"], v)],
    "ReviewInput": [lambda b, i, v: b.reviews.preview(v), lambda b, i, v: b.reviews.record(v)],
    "ReferrerFollowUp": [lambda b, i, v: b.reviews.put_right_referrer(v)],
    "PlanContent": [lambda b, i, v: b.care_plans.save_draft(i["admission"], v),
                    lambda b, i, v: b.care_plans.revise(i["plan"], v, "Fuzzed change")],
    "CaseloadFilter": [lambda b, i, v: b.caseload.ids(v)],
    "Period": [lambda b, i, v: b.reports.declines(v), lambda b, i, v: b.reports.send_declines(v),
               lambda b, i, v: b.reports.quarterly(v), lambda b, i, v: b.reports.quarterly_csv(v),
               lambda b, i, v: b.reports.send_quarterly(v)],
    "Preview": [lambda b, i, v: b.documents.keep(v), lambda b, i, v: b.documents.keep(v, "save")],
    "RiskInput": [lambda b, i, v: b.risk.record(i["admission"], v),
                  lambda b, i, v: b.risk.revise(i["planned_admission"], v, "Fuzzed change")],
    "AuditFilter": [lambda b, i, v: b.audit.search(v), lambda b, i, v: b.audit.search(v, before=5, limit=3),
                    lambda b, i, v: b.audit.export_csv(v)],
    "IncidentInput": [lambda b, i, v: b.incidents.record(v)],
    "IncidentFilter": [lambda b, i, v: b.incidents.unit(v), lambda b, i, v: b.incidents.for_resident(i["resident"], v)],
    "ChecklistInput": [lambda b, i, v: b.safeguarding.record_checklist(v)],
    "SafeguardingReferralInput": [lambda b, i, v: b.safeguarding.record_referral(v)],
    "SessionInput": [lambda b, i, v: b.key_work.record(v)],
    "GroupInput": [lambda b, i, v: b.key_work.record_group(v)],
    "PreAdmissionInput": [lambda b, i, v: b.pre_admission.record(v)],
    "NoteInput": [lambda b, i, v: b.notes.write(v), lambda b, i, v: b.notes.correct(i["note"], v, "Fuzzed")],
    "ContactInput": [lambda b, i, v: b.contacts.log(v), lambda b, i, v: b.contacts.correct(i["contact"], v, "Fuzzed")],
    "ShareRecipient": [lambda b, i, v: b.sharing.record(i["version"], [v])],
    "InvitationLetter": [lambda b, i, v: b.reviews.send_invitation(v)],
    "UnplannedDischargeInput": [lambda b, i, v: b.discharges.record_unplanned(v)],
    "DischargePlanInput": [lambda b, i, v: b.discharge_plans.save(v)],
    "StarReadingInput": [lambda b, i, v: b.outcome_star.record(v)],
    "TopInput": [lambda b, i, v: b.top.record(v)],
    "SurveyInput": [lambda b, i, v: b.surveys.record(v)],
}
# Fields set to a real id half of the time, so a call gets past "does not exist".
REAL_IDS = {"admission_id": "planned_admission", "key_worker_id": "worker", "goal_id": "goal", "actor_id": "worker",
            "supersedes_id": None, "review_id": "review", "resident_id": "resident", "incident_id": "incident",
            "checklist_id": "checklist", "referral_id": "referral"}


def test_every_input_dataclass_has_a_fuzz_target() -> None:
    found = {cls.__name__ for cls in input_dataclasses()}
    assert found, "no input dataclasses found: the introspection is broken"
    assert found <= set(FUZZ_CALLS), f"add a fuzz call for: {sorted(found - set(FUZZ_CALLS))}"
    assert {"ReferralInput", "AdmissionInput", "ResidentInput", "MedicationInput", "ReviewInput",
            "PlanContent"} <= found


# A valid value of each input, for the third kind of example: valid but for one fuzzed field.
SEEDS: dict[str, Callable[[dict[str, str]], Any]] = {
    "ReferralInput": lambda ids: referral_input(),
    "AdmissionInput": lambda ids: admission_input(ids["worker"]),
    "ResidentInput": lambda ids: resident_input(),
    "MedicationInput": lambda ids: MedicationInput("Thiamine", "05/01/2026", "100 mg", "once daily", route="oral"),
    "ReviewInput": lambda ids: ReviewInput(
        admission_id=ids["planned_admission"], held_on=date(2026, 1, 5), next_review_on=date(2026, 1, 19),
        resident_view="Settled; wants more gym time.", attendees=[Attendee("Robin Hale", "resident")],
        goal_progress=[GoalProgress(ids["goal"], "in_progress")]),
    "PlanContent": lambda ids: care_helpers.full_content(),
    "ReferrerFollowUp": lambda ids: ReferrerFollowUp(ids["review"], "informed", date(2026, 1, 5), "email"),
    "CaseloadFilter": lambda ids: CaseloadFilter(),
    "Period": lambda ids: Period(date(2025, 10, 1), date(2025, 12, 31)),
    "Preview": lambda ids: Preview("care_plan", "Care plan v1", b"%PDF-1.4", ids["resident"], None, None, "0" * 64),
    "RiskInput": lambda ids: example_input(date(2026, 1, 5), "medium"),
    "AuditFilter": lambda ids: AuditFilter(resident="Robin Hale", actions=("sign_in",), date_from=date(2026, 1, 5)),
    "IncidentInput": lambda ids: IncidentInput(ids["resident"], "05/01/2026 08:30", "self_harm", "Cut her arm",
                                               police_involved=True, police_reference="LC-1"),
    "IncidentFilter": lambda ids: IncidentFilter("01/01/2026", "05/01/2026", ("violence",)),
    "ChecklistInput": lambda ids: ChecklistInput(ids["resident"], "05/01/2026", {n: "no" for n in range(1, 25)},
                                                 "medium", "Threats since"),
    "SafeguardingReferralInput": lambda ids: SafeguardingReferralInput(
        ids["resident"], "adults", "05/01/2026", "Lancashire adult social care", incident_id=ids["incident"]),
    "SessionInput": lambda ids: SessionInput(
        ids["planned_resident"], "05/01/2026", "10:30", 45, "psychosocial", "attended", intervention="Relapse prevention",
        notes="Triggers at weekends", goals=[GoalWork(ids["goal"], "Going well")],
        follow_ups=[FollowUp("Ring GP", "Sam Worker", date(2026, 1, 9))]),
    "GroupInput": lambda ids: GroupInput("Relapse prevention", "05/01/2026", "14:00", 90, "Sam Worker",
                                         [Attendance(ids["resident"], "attended"),
                                          Attendance(ids["planned_resident"], "did_not_attend", "Asleep")]),
    "PreAdmissionInput": lambda ids: PreAdmissionInput(
        ids["referral"], "05/01/2026", "video", [DomainNote("physical", "Liver function tests due")],
        "Wants to stop; ready", checklist=["service_model_person", "intro_visit"]),
    "NoteInput": lambda ids: NoteInput(ids["resident"], "Quiet night", "handover", "05/01/2026 08:00", True),
    "ContactInput": lambda ids: ContactInput(ids["resident"], "gp", "Dr Shah", "phone", "Asked about bloods",
                                             "05/01/2026 08:30", "in", True, "Concern raised"),
    "ShareRecipient": lambda ids: ShareRecipient("ctp", "Inspire Preston"),
    "InvitationLetter": lambda ids: InvitationLetter(
        Preview("review_invitation", "Invitation to the referrer", b"%PDF-1.4", ids["resident"], None,
                ids["planned_admission"], "0" * 64), Invitation("Priya Shah", "referrer", date(2026, 1, 5))),
    "StarReadingInput": lambda ids: StarReadingInput(
        ids["resident"], {a.key: 5 for a in star_definitions.current().areas}, "05/01/2026", "admission",
        notes={"money": "Debts"}),
    "UnplannedDischargeInput": lambda ids: UnplannedDischargeInput(
        ids["planned_resident"], "absconded", "05/01/2026 08:30", "Went over the fence", night_reason="Would not wait",
        overdose_risk=True, harm_reduction_advice=True, homelessness_risk=True, council_name="Preston City Council"),
    "DischargePlanInput": lambda ids: DischargePlanInput(
        ids["planned_resident"], "05/01/2026", (PlanAttendee("Robin Hale", "Resident"),), True, "06/01/2026",
        "community", reason_code="completed_drug_free", aftercare=Aftercare(("SMART Recovery",), gp="Fishergate")),
    "TopInput": lambda ids: TopInput(ids["resident"], "review", "05/01/2026", 8, 10, 6,
                                     substances=[SubstanceUse("alcohol", [7, 6, 7, 5], average_amount=24),
                                                 SubstanceUse("other", total_days=2, other_name="Ketamine")],
                                     tobacco_days=28, injecting_days=2, shared_needles=True),
    "SurveyInput": lambda ids: SurveyInput(ids["resident"], "carer", "05/01/2026", "Mary Doe", "Mother", 4, 5,
                                           None, 4, 5, "Kind staff"),
}


def _strategy_for(cls: type, ids: dict[str, str]) -> st.SearchStrategy[Any]:
    """A third well-typed throughout (to reach the content checks and the writes), a third with
    values of any type anywhere, a third valid but for one field (when there is a seed)."""
    words = vocabulary(ids)
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls) if f.init]

    def build(strict: bool) -> st.SearchStrategy[Any]:
        fields = {}
        for f in dataclasses.fields(cls):
            if not f.init:
                continue
            s = typed(hints[f.name], words, 1, strict=strict)
            real = REAL_IDS.get(f.name)
            fields[f.name] = st.one_of(st.just(ids[real]), s) if real else s
        return st.builds(cls, **fields)

    kinds = [build(strict=True), build(strict=False)]
    seed = SEEDS.get(cls.__name__)
    if seed is not None:
        def one_field(name: str) -> st.SearchStrategy[Any]:
            return typed(hints[name], words, 1).map(lambda v: dataclasses.replace(seed(ids), **{name: v}))

        kinds.append(st.sampled_from(names).flatmap(one_field))
    return st.one_of(*kinds)


@pytest.mark.parametrize("cls_name", sorted(FUZZ_CALLS))
def test_fuzzed_input_dataclasses_get_typed_errors_only(unit, cls_name: str) -> None:  # type: ignore[no-untyped-def]
    book, ids = unit
    cls = next((c for c in input_dataclasses() if c.__name__ == cls_name), None)
    assert cls is not None, f"{cls_name} is no longer taken by any service: drop it from FUZZ_CALLS"

    strategy = _strategy_for(cls, ids)

    @FUZZ
    @given(value=strategy)
    def run(value: Any) -> None:
        for call in FUZZ_CALLS[cls_name]:
            expect_typed_errors_only(lambda: call(book, ids, value))

    run()


# -- every argument of every hardened service method -------------------------------------------
FUZZED_SERVICES = ("referrals", "residents", "reviews", "care_plans", "documents", "caseload", "reports", "audit",
                   "risk", "incidents", "safeguarding", "notes", "contacts", "sharing", "discharges",
                   "discharge_plans", "follow_ups", "extracts")
ID_ARGS = {"resident_id": "resident", "admission_id": "planned_admission", "plan_id": "plan", "version_id": "version",
           "version_a": "version", "version_b": "version", "course_id": "course", "referral_id": "referral",
           "account_id": "worker", "document_id": "document", "key_worker_id": "worker", "incident_id": "incident",
           "note_id": "note", "contact_id": "contact", "discharge_id": "discharge", "senior_account_id": "worker",
           "follow_up_id": "follow_up"}


def _method_cases() -> list[tuple[str, str]]:
    return [(svc, name) for svc, name, _m in service_methods() if svc in FUZZED_SERVICES]


@pytest.mark.parametrize(("service", "method"), _method_cases())
def test_fuzzed_arguments_get_typed_errors_only(unit, service: str, method: str) -> None:  # type: ignore[no-untyped-def]
    book, ids = unit
    bound = getattr(getattr(book, service), method)
    func = inspect.unwrap(getattr(type(getattr(book, service)), method))
    params = [p for p in inspect.signature(func).parameters.values() if p.name != "self"
              and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)]
    types_of = _parameter_types(func)
    words = vocabulary(ids)

    strategies = {}
    for p in params:
        strategy = typed(types_of.get(p.name, Any), words, 1)
        if p.name in ID_ARGS:
            strategy = st.one_of(st.just(ids[ID_ARGS[p.name]]), strategy)
        strategies[p.name] = strategy

    @settings(FUZZ, max_examples=10)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        args, kwargs = [], {}
        for p in params:
            if p.default is not inspect.Parameter.empty and data.draw(st.booleans(), label=f"omit {p.name}"):
                continue
            value = data.draw(strategies[p.name], label=p.name)
            if p.kind is inspect.Parameter.KEYWORD_ONLY:
                kwargs[p.name] = value
            else:
                args.append(value)
        expect_typed_errors_only(lambda: bound(*args, **kwargs))

    run()
