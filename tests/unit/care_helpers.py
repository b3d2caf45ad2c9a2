"""Helpers for the care-plan and review tests: residents admitted by inserting rows directly
(independent of the referral workflow) and a plan with every required section filled."""
from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from keyworker.care_plans import DomainPlan, Goal, GoalAction, PlanContent
from keyworker.casebook import Casebook
from keyworker.db.caseload import Admission, Referral, Resident
from keyworker.db.foundation import Account
from keyworker.plan_sections import DOMAINS_LIST

_seq = itertools.count(1)


def account_id(book: Casebook, username: str) -> str:
    with book._read() as s:
        found = s.scalar(select(Account.id).where(Account.username == username))
    assert found is not None
    return found


def admit(book: Casebook, *, admitted_on: date = date(2026, 1, 5), planned_weeks: int = 12,
          key_worker: str = "worker", given: str = "Dana", family: str = "Whitfield",
          sex: str | None = "Female", ethnicity: str | None = "White: British",
          referrer: str | None = "Priya Shah") -> tuple[str, str]:
    """A resident admitted on `admitted_on`; returns (resident_id, admission_id)."""
    worker_id = account_id(book, key_worker)
    with book._write() as s:
        n = (s.scalar(select(func.count()).select_from(Resident)) or 0) + next(_seq) + 1000
        res = Resident(reference=f"R-{n:05d}", given_name=given, family_name=family,
                       search_text=f"{given} {family}".lower(), date_of_birth=date(1988, 3, 14), sex=sex,
                       ethnicity=ethnicity, postcode="PR1 2HE", district="Preston", key_worker_id=worker_id)
        if hasattr(Resident, "reference_no"):
            res.reference_no = n
        s.add(res)
        s.flush()
        ref_id = None
        if referrer:
            ref = Referral(received_at=datetime.combine(admitted_on - timedelta(days=10), datetime.min.time())
                           .astimezone(), given_name=given, family_name=family, date_of_birth=res.date_of_birth,
                           referrer_name=referrer, referrer_organisation="Lancashire County Council Adult Social Care",
                           referrer_email="priya.shah@example.org", category="routine", status="admitted",
                           decision_due_on=admitted_on - timedelta(days=3), resident_id=res.id)
            s.add(ref)
            s.flush()
            ref_id = ref.id
        adm = Admission(resident_id=res.id, referral_id=ref_id, admitted_on=admitted_on, setting="24h_residential",
                        strand="level_1", planned_weeks=planned_weeks, key_worker_id=worker_id, part_time=False)
        s.add(adm)
        s.flush()
        return res.id, adm.id


def full_content(n_goals: int = 2) -> PlanContent:
    """A plan with every required section filled (key worker and demographics come from the record)."""
    c = PlanContent()
    c.set("goals", "aims", "Stay abstinent and rebuild contact with my daughter.")
    c.set("risk_contingency", "naloxone", "Naloxone kit issued at admission; overdose advice given.")
    c.set("risk_contingency", "ctp_referral", "Consents to referral back to Inspire Preston if she leaves early.")
    c.set("risk_contingency", "risk_management", "Daily check-ins; room search policy explained.")
    c.set("confidentiality", "agreement", "Explained limits of confidentiality; agreed.")
    c.set("confidentiality", "share_with", "Referrer, CTP, GP")
    c.set("mutual_aid_relapse", "mutual_aid", "Attend SMART Recovery weekly; introduce to RIO peer mentor.")
    c.set("mutual_aid_relapse", "relapse_prevention", "Relapse prevention group weeks 4-10; personal plan.")
    c.set("follow_ups", "arrangements", "Phone calls at 3 and 6 months by the aftercare worker.")
    c.set("follow_ups", "contact_consent", "Consents; mobile number on file.")
    c.set("induction_conduct", "induction", "Induction completed on admission day by Sam Worker.")
    c.set("induction_conduct", "code_of_conduct", "Read and signed.")
    c.set("induction_conduct", "boundaries", "No visitors in weeks 1-2; staff respond to requests within a day.")
    for key in DOMAINS_LIST:
        c.domains[key] = DomainPlan(needs="Some need", interventions="Weekly session") if key != "offending" \
            else DomainPlan(no_needs_identified=True)
    goals = [("substance_use", "I want to stay off heroin for good."),
             ("housing", "I need my own flat near my mum."),
             ("family", "See my daughter every month.")]
    for domain, text in goals[:n_goals]:
        c.goals.append(Goal(domain=domain, goal=text, status="not_started",
                            actions=[GoalAction("Weekly 1:1 session", "Sam Worker", date(2026, 2, 1))]))
    return c


def assess_risk(book: Casebook, admission_id: str, level: str = "low") -> None:
    """A current risk assessment with a contingency plan, which completing a care plan needs."""
    from keyworker.clock import local_today
    from keyworker.risk import example_input

    book.risk.record(admission_id, example_input(local_today(book.clock), level))
