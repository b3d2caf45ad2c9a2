"""The audit trail in people's words: the one map from every audit action to what a person reads
("Care plan version 3 agreed", "Review on 12/11/2026 recorded"), used by the resident's History tab
and the audit viewer. No Qt; no health data beyond what the entry already holds.

`describe(action, detail)` gives the event and its details as two strings; `sentence(action, detail,
actor)` one sentence with who did it. An action this map does not know still reads as words
(area and verb, underscores gone), so a new area is never shown as an internal name."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from keyworker.clock import format_date, format_datetime, to_local

Detail = Mapping[str, Any]


@dataclass(frozen=True)
class Words:
    what: str  # the event, a short sentence without a full stop: "Care plan version 3 agreed"
    details: str = ""  # what else the entry says, in words ("" when nothing)


# Field keys as a person knows them (records, referrals, the unit profile, accounts).
FIELD_WORDS: dict[str, str] = {
    "given_name": "given name", "family_name": "family name", "preferred_name": "preferred name",
    "date_of_birth": "date of birth", "age_override_reason": "reason to admit under 18",
    "nhs_number": "NHS number", "sex": "sex", "gender_identity": "gender identity", "ethnicity": "ethnicity",
    "religion": "religion or belief", "sexual_orientation": "sexual orientation", "disability": "disability",
    "pregnancy": "pregnancy or maternity", "marital_status": "marital or civil partnership status",
    "nationality": "nationality", "postcode": "postcode", "district": "district", "gp_practice": "GP practice",
    "next_of_kin_name": "next of kin's name", "next_of_kin_relationship": "next of kin's relationship",
    "next_of_kin_phone": "next of kin's phone", "next_of_kin_address": "next of kin's address",
    "primary_substance": "main substance", "primary_route": "route of use", "other_substances": "other substances",
    "external_id": "other system's reference", "key_worker_id": "key worker", "admitted_on": "admission date",
    "setting": "setting", "strand": "strand", "planned_weeks": "planned length", "part_time": "part-time",
    "part_time_notes": "part-time arrangements",
    "received_at": "date received", "referrer_name": "referrer's name",
    "referrer_organisation": "referrer's organisation", "referrer_email": "referrer's email",
    "referrer_phone": "referrer's phone", "referrer_address": "referrer's address",
    "referrer_reference": "referrer's reference", "community_treatment_provider": "community treatment provider",
    "category": "category", "assessment_summary": "assessment summary",
    "unit_name": "unit name", "address_lines": "postal address", "phone": "phone", "secure_email": "secure email",
    "provider_name": "provider", "cqc_location": "CQC location", "footer_text": "footer text",
    "authority_name": "Authority's nominated person", "authority_email": "nominated person's email",
    "job_title": "job title", "full_name": "full name", "email": "email", "role": "role",
}

DOCUMENT_WORDS: dict[str, str] = {
    "care_plan": "Care plan", "care_plan_copy": "Resident's copy of the care plan",
    "decline_letter": "Decline letter", "review_invitation": "Review invitation letter",
    "discharge_letter": "Discharge letter", "discharge_summary": "Discharge summary",
    "resident_summary": "Resident summary", "risk_assessment": "Risk assessment",
    "declines_report": "Declined-referrals report", "acceptance_confirmation": "Acceptance confirmation letter",
}
DOCUMENT_VERBS = {"create": "filed", "preview": "made to look at", "view": "opened", "print": "printed",
                  "save": "saved to a file", "send": "queued to be sent"}

REVIEW_KINDS = {"regular": "Review", "midway": "Mid-way review", "pre_discharge": "Pre-discharge planning meeting"}
ROLE_WORDS = {"key_worker": "key worker", "senior": "senior (manager)", "out_of_hours": "out-of-hours",
              "admin": "administrator"}
INVITEE_WORDS = {"family": "a family member", "carer": "a carer", "referrer": "the referrer",
                 "advocate": "an advocate", "other": "someone else"}
AGREEMENT_WORDS = {"signed_paper": "signed paper copy", "verbal": "agreed verbally", "declined": "declined to sign"}
OUTPUT_WORDS = {"screen": "on screen", "csv": "as a CSV file", "pdf": "as a PDF"}

# Views and lists: left out of the History tab unless asked for.
VIEW_SUFFIXES = (".view", ".history", ".list", ".diff", ".preview")


def is_view(action: str) -> bool:
    return action.endswith(VIEW_SUFFIXES)


# -- small helpers -------------------------------------------------------------------------------
def _words(key: str) -> str:
    return FIELD_WORDS.get(key) or key.replace("_", " ")


def _fields(detail: Detail, key: str = "fields") -> str:
    v = detail.get(key)
    if not isinstance(v, list | tuple) or not v:
        return ""
    return ", ".join(_words(str(k)) for k in v)


def _section_words(keys: Any) -> str:
    if not isinstance(keys, list | tuple) or not keys:
        return ""
    try:
        from keyworker.plan_sections import SECTIONS_BY_KEY
    except ImportError:  # pragma: no cover - the plan's sections always exist
        SECTIONS_BY_KEY = {}
    return ", ".join(SECTIONS_BY_KEY[k].heading if k in SECTIONS_BY_KEY else _words(str(k)) for k in keys)


def _day(value: Any) -> str:
    """An ISO date or date-time from a detail, as dd/mm/yyyy; anything else as it is."""
    if isinstance(value, date | datetime):
        return format_date(value)
    if isinstance(value, str) and value:
        try:
            if "T" in value or " " in value:
                return format_datetime(to_local(datetime.fromisoformat(value)))
            return format_date(date.fromisoformat(value))
        except ValueError:
            return value
    return ""


def _label(options: Callable[[], Any], code: Any) -> str:
    try:
        for o in options():
            if o.code == code:
                return str(o.label)
    except Exception:  # noqa: BLE001 - reference data missing: fall back to the code in words
        pass
    return str(code).replace("_", " ") if code else ""


def _consent_kind(code: Any) -> str:
    from keyworker import reference_data as ref
    return _label(ref.consent_kinds, code)


def _decline_category(code: Any) -> str:
    from keyworker import reference_data as ref
    return _label(ref.decline_categories, code)


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _version(detail: Detail) -> str:
    v = detail.get("version")
    return f" version {v}" if isinstance(v, int) else ""


def _late(detail: Detail) -> str:
    w = detail.get("within_deadline")
    return "" if w is None else ("within the 5 working days" if w else "after the 5 working days")


# -- one formatter per action --------------------------------------------------------------------
Formatter = Callable[[Detail], Words]


def _fixed(what: str) -> Formatter:
    return lambda _d: Words(what)


def _resident_update(d: Detail) -> Words:
    f = _fields(d)
    return Words("Record changed", f"Changed: {f}" if f else "")


def _resident_create(d: Detail) -> Words:
    ref = d.get("reference")
    imported = "from the spreadsheet import" if d.get("import_id") or d.get("row") else ""
    return Words(f"Record {ref} created" if ref else "Record created", imported)


def _admission_create(d: Detail) -> Words:
    return Words("Admitted", "from the spreadsheet import" if d.get("import_id") or d.get("row") else "")


def _admission_update(d: Detail) -> Words:
    f = d.get("fields")
    if f == ["key_worker_id"]:
        return Words("Key worker changed")
    fs = _fields(d)
    return Words("Admission changed", f"Changed: {fs}" if fs else "")


def _consent_record(d: Detail) -> Words:
    kind = _consent_kind(d.get("kind")) or "consent"
    given = d.get("given")
    verb = "given" if given else ("refused" if given is False else "recorded")
    return Words(f"Consent {verb}: {kind}")


def _plan_create(d: Detail) -> Words:
    s = _section_words(d.get("sections"))
    return Words("Care plan started as a draft", f"Sections: {s}" if s else "")


def _plan_draft(d: Detail) -> Words:
    s = _section_words(d.get("sections"))
    return Words(f"Care plan{_version(d)} draft saved", f"Sections changed: {s}" if s else "")


def _plan_complete(d: Detail) -> Words:
    on_day = d.get("on_admission_day")
    note = "" if on_day is None else ("on the day of admission" if on_day else "after the day of admission")
    return Words(f"Care plan{_version(d)} marked complete", note)


def _plan_revise(d: Detail) -> Words:
    s = _section_words(d.get("sections"))
    at_review = "made at a review" if d.get("review_id") else ""
    return Words(f"Care plan{_version(d)} made", _join(f"Sections changed: {s}" if s else "", at_review))


def _plan_agreement(d: Detail) -> Words:
    method = d.get("method")
    on = _day(d.get("agreed_on"))
    what = (f"Resident declined to sign the care plan{_version(d)}" if method == "declined"
            else f"Care plan{_version(d)} agreed")
    how = AGREEMENT_WORDS.get(str(method), "") if method != "declined" else ""
    return Words(what, " ".join(p for p in (how, f"on {on}" if on else "") if p))



def _risk_saved(verb: str) -> Formatter:
    def fmt(d: Detail) -> Words:
        answered = d.get("answered")
        parts = d.get("parts")
        return Words(f"Risk assessment{_version(d)} {verb}",
                     _join(f"Changed: {_risk_parts(parts)}" if isinstance(parts, list | tuple) and parts else "",
                           f"answers {answered} request{'s' * (answered != 1)} for a review"
                           if isinstance(answered, int) and answered else ""))
    return fmt


def _risk_parts(keys: Any) -> str:
    from keyworker.risk_domains import DOMAINS_BY_KEY
    words = {"overall_level": "overall level", "overall_reason": "reason for the overall level",
             "actions": "risk management plan", "contingency": "contingency plan", "review_on": "review date"}
    return ", ".join(DOMAINS_BY_KEY[k].label if k in DOMAINS_BY_KEY else words.get(str(k), _words(str(k)))
                     for k in keys)


def _risk_view(d: Detail) -> Words:
    if d.get("part") == "prompts":
        return Words("Reasons for a new risk assessment looked at")
    return Words(f"Risk assessment{_version(d)} looked at" if d.get("version") is not None
                 else "Risk assessment looked at (none recorded yet)")


def _risk_diff(d: Detail) -> Words:
    v = d.get("versions")
    if isinstance(v, list | tuple) and len(v) == 2:
        return Words(f"Risk assessment versions {v[0]} and {v[1]} compared")
    return Words("Risk assessment versions compared")


def _risk_prompt(d: Detail) -> Words:
    from keyworker.risk_domains import PROMPT_REASONS
    why = PROMPT_REASONS.get(str(d.get("reason")), "")
    return Words("New risk assessment asked for", why)

def _plan_view(d: Detail) -> Words:
    return Words(f"Care plan{_version(d)} looked at")


def _plan_diff(d: Detail) -> Words:
    v = d.get("versions")
    if isinstance(v, list | tuple) and len(v) == 2:
        return Words(f"Care plan versions {v[0]} and {v[1]} compared")
    return Words("Care plan versions compared")


def _referrer_followup(d: Detail) -> Words:
    on = _day(d.get("on"))
    done = {"invited": "had been invited", "informed": "told the outcome"}.get(str(d.get("action")), "")
    return Words("Referrer's missing invitation put right",
                 " ".join(p for p in (f"Referrer {done}" if done else "", f"on {on}" if on else "") if p))


def _review(verb: str) -> Formatter:
    def f(d: Detail) -> Words:
        kind = REVIEW_KINDS.get(str(d.get("kind")), "Review")
        on = _day(d.get("held_on"))
        what = f"{kind} on {on} {verb}" if on else f"{kind} {verb}"
        goals = d.get("goals_updated")
        pv = d.get("plan_version")
        w = d.get("warnings")
        return Words(what, _join(
            f"{goals} goal{'s' if goals != 1 else ''} updated" if isinstance(goals, int) and goals else "",
            f"care plan version {pv} made" if isinstance(pv, int) else "",
            f"{w} warning{'s' if w != 1 else ''} when saved" if isinstance(w, int) and w else ""))
    return f


def _review_invite(d: Detail) -> Words:
    kind = REVIEW_KINDS.get(str(d.get("kind")), "review").lower()
    if kind.startswith("pre-"):
        kind = "pre-discharge planning meeting"
    who = INVITEE_WORDS.get(str(d.get("role")), "someone")
    on = _day(d.get("meeting_on"))
    return Words(f"Invitation to {who} made for the {kind}" + (f" on {on}" if on else ""))


def _medication(verb: str) -> Formatter:
    def f(d: Detail) -> Words:
        name = d.get("name")
        return Words(f"Medication {verb}" + (f": {name}" if isinstance(name, str) and name else ""))
    return f


def _document(verb: str) -> Formatter:
    def f(d: Detail) -> Words:
        kind = DOCUMENT_WORDS.get(str(d.get("kind")), "Document") if d.get("kind") else "Document"
        title = d.get("title")
        return Words(f"{kind} {DOCUMENT_VERBS[verb]}", title if isinstance(title, str) else "")
    return f


def _outbox_enqueue(d: Detail) -> Words:
    title = str(d["title"]) if isinstance(d.get("title"), str) else ""
    waits = "" if d.get("destination", True) else " (no destination set yet)"
    return Words(f"Queued to send{waits}", title)


def _outbox_action(what: str) -> Formatter:
    def f(d: Detail) -> Words:
        title = str(d["title"]) if isinstance(d.get("title"), str) else ""
        reason = f"Reason: {d['reason']}" if isinstance(d.get("reason"), str) and d.get("reason") else ""
        return Words(what, _join(title, reason))
    return f


def _outbox_list(d: Detail) -> Words:
    rows = d.get("rows")
    return Words("Outbox looked at", f"{rows} item{'s' if rows != 1 else ''} shown" if isinstance(rows, int) else "")
def _destination(verb: str) -> Formatter:
    def f(d: Detail) -> Words:
        from keyworker.outbox.factory import TRANSPORT_LABELS

        name = d.get("name")
        what = f"Destination {name} {verb}" if isinstance(name, str) and name else f"Destination {verb}"
        parts = []
        if isinstance(d.get("transport"), str):
            parts.append(TRANSPORT_LABELS.get(d["transport"], "another kind"))
        fields = d.get("fields")
        if isinstance(fields, list) and fields:
            labels = [DESTINATION_FIELD_WORDS.get(str(x), "another setting") for x in fields]
            parts.append("changed: " + ", ".join(dict.fromkeys(labels)))
        if d.get("secret") == "replaced":
            parts.append("new secret stored")
        elif d.get("secret") is True:
            parts.append("secret stored encrypted")
        return Words(what, "; ".join(parts))
    return f


DESTINATION_FIELD_WORDS = {
    "name": "name", "url": "address", "ca_bundle": "CA certificate file", "timeout": "time limit",
    "host": "server", "port": "port", "username": "user name", "remote_folder": "remote folder",
    "host_key": "pinned host key", "auth": "how it signs in", "security": "security",
    "from_address": "from address", "sender_name": "sender's name", "default_recipients": "default recipients",
    "recipients_by_kind": "recipients per kind of document",
}


def _destination_test(d: Detail) -> Words:
    name = d.get("name")
    what = f"Connection to {name} tested" if isinstance(name, str) and name else "Connection to a destination tested"
    if d.get("ok"):
        return Words(what, "it answered")
    if d.get("reachable"):
        return Words(what, "it answered but refused")
    return Words(what, "it could not be reached") if "reachable" in d else Words(what)


def _route_set(d: Detail) -> Words:
    from keyworker.outbox.kinds import kind_words

    kind = kind_words(str(d["kind"])) if isinstance(d.get("kind"), str) else "A kind of document"
    dest = d.get("destination")
    n = d.get("assigned")
    waiting = f"{n} waiting item{'s' if n != 1 else ''} sent there too" if isinstance(n, int) and n else ""
    return Words(f"{kind} to be sent to {dest}" if isinstance(dest, str) and dest else f"Default destination set: {kind}",
                 waiting)


def _route_clear(d: Detail) -> Words:
    from keyworker.outbox.kinds import kind_words

    kind = kind_words(str(d["kind"])) if isinstance(d.get("kind"), str) else "a kind of document"
    return Words(f"Default destination cleared: {kind}", "new ones wait until one is set")


def _outbox_attempt(what: str) -> Formatter:
    """Delivery attempts (keyworker/outbox/worker.py): the item's title, where, and the server's words."""
    def f(d: Detail) -> Words:
        title = str(d["title"]) if isinstance(d.get("title"), str) else ""
        where = f"to {d['destination']}" if isinstance(d.get("destination"), str) else ""
        said = str(d["message"]) if isinstance(d.get("message"), str) else ""
        return Words(what, _join(title, where, said))
    return f


def _referral_create(d: Detail) -> Words:
    cat = d.get("category")
    imported = "from the spreadsheet import" if d.get("import_id") or d.get("row") else ""
    return Words("Referral recorded", _join(f"{str(cat).capitalize()} referral" if cat else "", imported))


def _referral_update(d: Detail) -> Words:
    f = _fields(d)
    return Words("Referral corrected", f"Changed: {f}" if f else "")


def _referral_accept(d: Detail) -> Words:
    return Words("Referral accepted", _late(d))


def _referral_decline(d: Detail) -> Words:
    return Words("Referral declined", _join(_decline_category(d.get("category")), _late(d)))


def _account(what: str) -> Formatter:
    def f(d: Detail) -> Words:
        name = d.get("username")
        return Words(what.format(name=name) if name else what.replace(" {name}", "").replace(" for", ""))
    return f


def _account_role(d: Detail) -> Words:
    old, new = ROLE_WORDS.get(str(d.get("from")), ""), ROLE_WORDS.get(str(d.get("to")), "")
    return Words("Role changed", f"From {old} to {new}" if old and new else "")


def _account_create(d: Detail) -> Words:
    name, role = d.get("username"), ROLE_WORDS.get(str(d.get("role")), "")
    return Words(f"Account {name} created" if name else "Account created", f"Role: {role}" if role else "")


def _job_title(d: Detail) -> Words:
    t = d.get("job_title")
    return Words("Job title changed", f"Now: {t}" if t else "Removed")


def _failed_sign_in(d: Detail) -> Words:
    name, at = d.get("username"), _day(d.get("at"))
    return Words(f"Failed sign-in as {name}" if name else "Failed sign-in", f"at {at}" if at else "")


def _failed_unknown(d: Detail) -> Words:
    n = d.get("count")
    span = _join(f"first {_day(d.get('first'))}" if d.get("first") else "",
                 f"last {_day(d.get('last'))}" if d.get("last") else "")
    return Words(f"{n} failed sign-ins under names that are not accounts" if n else
                 "Failed sign-ins under names that are not accounts", span)


def _sign_in(d: Detail) -> Words:
    return Words("Signed in with the recovery key" if d.get("recovery") else "Signed in")


def _backup(d: Detail) -> Words:
    f = d.get("file")
    return Words("Backup made", f"File: {f}" if f else "")


def _restore(what: str) -> Formatter:
    def f(d: Detail) -> Words:
        b, made = d.get("backup"), _day(d.get("backup_created_at"))
        by = d.get("restored_by")
        return Words(what, _join(f"From {b}" if b else "", f"made {made}" if made else "",
                                 f"by {by}" if by and "{" not in str(by) else ""))
    return f


def _check(d: Detail) -> Words:
    ok = d.get("ok")
    found = "" if ok is None else ("all well" if ok else "problems found")
    hub = {"matches": "the audit trail matches the unit hub's",
           "differs": "the audit trail differs from the unit hub's",
           "not compared": "not compared with the unit hub"}.get(str(d.get("hub")), "")
    return Words("Unit checked", "; ".join(w for w in (found, hub) if w))


def _sync_apply(d: Detail) -> Words:
    def n(key: str, one: str, many: str) -> str:
        v = d.get(key)
        return f"{v} {one if v == 1 else many}" if isinstance(v, int) and v else ""
    return Words("Changes from other laptops applied", _join(
        n("applied", "change", "changes"), n("residents", "resident", "residents"),
        n("conflicts", "conflict to look at", "conflicts to look at"), n("quarantined", "held back", "held back")))


def _migrate(d: Detail) -> Words:
    b = d.get("backup")
    return Words("Database upgraded for this version of Keyworker", f"Backup kept first: {b}" if b else "")


def _setting(d: Detail) -> Words:
    key = d.get("key")
    if key == "demo":
        return Words("Marked as a demo unit")
    return Words("Setting changed", f"{_words(str(key)).capitalize()}: {d.get('value')}" if key else "")


def _profile_update(d: Detail) -> Words:
    f = _fields(d)
    return Words("Unit profile changed", f"Changed: {f}" if f else "")


def _logo(d: Detail) -> Words:
    return Words("Unit logo removed" if d.get("removed") else "Unit logo changed")


def _import(what: str) -> Formatter:
    def f(d: Detail) -> Words:
        file, rows = d.get("file"), d.get("rows")
        res, refs = d.get("residents"), d.get("referrals")
        return Words(what + (f" ({file})" if file else ""), _join(
            f"{rows} rows" if isinstance(rows, int) else "",
            f"{res} resident{'s' if res != 1 else ''}" if isinstance(res, int) else "",
            f"{refs} referral{'s' if refs != 1 else ''}" if isinstance(refs, int) else "",
            "valid rows only" if d.get("valid_only") else ""))
    return f


def _report_declines(d: Detail) -> Words:
    frm, to, rows = _day(d.get("from")), _day(d.get("to")), d.get("rows")
    out = OUTPUT_WORDS.get(str(d.get("output")), "")
    return Words("Declined-referrals report made", _join(
        f"{frm} to {to}" if frm and to else "", f"{rows} referrals" if isinstance(rows, int) else "", out))


def _extract_pseudonymised(d: Detail) -> Words:
    frm, to, rows = _day(d.get("from")), _day(d.get("to")), d.get("rows")
    out = OUTPUT_WORDS.get(str(d.get("output")), "")
    return Words("Pseudonymised extract made", _join(
        f"{frm} to {to}" if frm and to else "", f"{rows} episodes" if isinstance(rows, int) else "", out))


def _extract_pseudonymised_queue(d: Detail) -> Words:
    frm, to, rows = _day(d.get("from")), _day(d.get("to")), d.get("rows")
    dest = d.get("destination")
    return Words("Pseudonymised extract queued to send to the Authority", _join(
        f"{frm} to {to}" if frm and to else "", f"{rows} episodes" if isinstance(rows, int) else "",
        f"to {dest}" if isinstance(dest, str) and dest else "",
        "already queued, nothing added" if d.get("new") is False else ""))
def _returns_ndtms(title: str) -> Callable[[Detail], Words]:
    def f(d: Detail) -> Words:
        rows, problems = d.get("rows"), d.get("problems")
        out = OUTPUT_WORDS.get(str(d.get("output")), "")
        return Words(title, _join(str(d.get("month") or ""),
                                  f"{rows} episodes" if isinstance(rows, int) else "",
                                  f"{problems} data-quality problems" if isinstance(problems, int) else "", out))
    return f


def _report_declines_send(d: Detail) -> Words:
    frm, to, rows = _day(d.get("from")), _day(d.get("to")), d.get("rows")
    return Words("Declined-referrals report sent to the Authority's nominated person", _join(
        f"{frm} to {to}" if frm and to else "", f"{rows} referrals" if isinstance(rows, int) else ""))


def _report_outcomes(d: Detail) -> Words:
    frm, to = _day(d.get("from")), _day(d.get("to"))
    out = OUTPUT_WORDS.get(str(d.get("output")), "")
    n = d.get("residents")
    return Words("Quarterly outcomes report made", _join(
        f"{frm} to {to}" if frm and to else "",
        f"{n} resident{'' if n == 1 else 's'} with Outcome Star readings" if isinstance(n, int) else "", out))


def _report_quarterly(d: Detail) -> Words:
    frm, to = _day(d.get("from")), _day(d.get("to"))
    out = OUTPUT_WORDS.get(str(d.get("output")), "")
    n = d.get("residents")
    return Words("Quarterly contract report made", _join(
        f"{frm} to {to}" if frm and to else "",
        f"{n} resident{'' if n == 1 else 's'} in treatment" if isinstance(n, int) else "", out))


def _report_quarterly_send(d: Detail) -> Words:
    frm, to = _day(d.get("from")), _day(d.get("to"))
    return Words("Quarterly contract report sent to the Authority's nominated person",
                 f"{frm} to {to}" if frm and to else "")


FILTER_WORDS = {"person": "person", "resident": "resident", "action": "action", "dates": "dates"}


def _audit(what: str) -> Formatter:
    def f(d: Detail) -> Words:
        used = [FILTER_WORDS[k] for k in d.get("filters") or () if k in FILTER_WORDS]
        frm, to, rows = _day(d.get("from")), _day(d.get("to")), d.get("rows")
        return Words(what, _join(f"{rows} entr{'y' if rows == 1 else 'ies'}" if isinstance(rows, int) else "",
                                 f"filtered by {', '.join(used)}" if used else "",
                                 _join(f"from {frm}" if frm else "", f"to {to}" if to else "").replace("; ", " ")))
    return f


def _incident_record(d: Detail) -> Words:
    from keyworker.incidents import TYPE_LABELS

    kind = TYPE_LABELS.get(str(d.get("kind")), "")
    on = _day(d.get("occurred_at"))
    return Words("Incident logged" + (f": {kind.lower()}" if kind else ""), f"On {on}" if on else "")


def _incident_list(d: Detail) -> Words:
    from keyworker.incidents import TYPE_LABELS

    kinds = [TYPE_LABELS[k].lower() for k in d.get("kinds") or () if k in TYPE_LABELS]
    start, end = _day(d.get("from")), _day(d.get("to"))
    return Words("Unit's incidents looked at", _join(f"from {start}" if start else "", f"to {end}" if end else "",
                                                     ", ".join(kinds)))


_PLAN_FIELD_WORDS = {"meeting_on": "meeting date", "attendees": "who attended", "referrer_invited": "referrer invited",
                     "planned_date": "planned date", "route": "route", "reason_code": "discharge reason",
                     "aftercare": "aftercare", "goals_achieved": "goals achieved",
                     "recommendations": "recommendations", "medication_on_discharge": "medication on discharge"}


def _discharge_plan_save(d: Detail) -> Words:
    changed = d.get("fields")
    names = [_PLAN_FIELD_WORDS.get(str(f), str(f).replace("_", " ")) for f in changed] \
        if isinstance(changed, list) else []
    return Words("Discharge plan saved", _join(f"Changed: {', '.join(names)}" if names else "",
                                               "" if d.get("referrer_invited", True) else "referrer not invited"))


def _discharge_plan_complete(d: Detail) -> Words:
    on = _day(d.get("discharged_on"))
    n = d.get("follow_ups")
    return Words("Planned discharge completed by the key worker",
                 _join(f"on {on}" if on else "", "awaiting a senior's signature",
                       f"{n} follow-ups scheduled" if isinstance(n, int) and n else ""))


def _discharge_record(d: Detail) -> Words:
    from keyworker.discharges import TYPE_LABELS

    kind = TYPE_LABELS.get(str(d.get("type")), "")
    on = _day(d.get("occurred_at"))
    what = "Treatment frozen" if d.get("freeze") else "Unplanned discharge recorded"
    return Words(what + (f": {kind.lower()}" if kind else ""),
                 _join(f"on {on}" if on else "", "at night" if d.get("night") else ""))


def _discharge_confirm(d: Detail) -> Words:
    from keyworker.discharges import SECOND_HOW_LABELS

    how = SECOND_HOW_LABELS.get(str(d.get("how")), "")
    senior = d.get("senior")
    return Words("Unplanned discharge confirmed by a senior",
                 _join(str(senior) if isinstance(senior, str) else "", how))


def _discharge_notification(d: Detail) -> Words:
    from keyworker.discharges import METHOD_LABELS, PARTY_LABELS

    party = PARTY_LABELS.get(str(d.get("party")), "")
    method = METHOD_LABELS.get(str(d.get("method")), "")
    return Words("Discharge notification recorded" + (f": {party}" if party else ""), method.lower())


def _discharge_phone(d: Detail) -> Words:
    senior = d.get("senior")
    at = d.get("agreed_at")
    when = format_datetime(datetime.fromisoformat(at)) if isinstance(at, str) else ""
    return Words("Senior's phone agreement to a discharge recorded",
                 _join(str(senior) if isinstance(senior, str) else "", f"at {when}" if when else ""))


def _discharge_refused(d: Detail) -> Words:
    reason = d.get("reason")
    return Words("Senior confirmation of a discharge refused", str(reason) if isinstance(reason, str) else "")


def _follow_up_attempt(d: Detail) -> Words:
    from keyworker.follow_ups import METHOD_LABELS

    months = d.get("months")
    which = f"{months}-month follow-up" if isinstance(months, int) else "Follow-up"
    method = METHOD_LABELS.get(str(d.get("method")), "")
    return Words(f"{which}: a try at reaching the person recorded",
                 _join(method.lower(), "reached" if d.get("reached") else "not reached"))


def _follow_up_outcome(d: Detail) -> Words:
    from keyworker.follow_ups import OUTCOME_LABELS, STATUS_LABELS

    months = d.get("months")
    which = f"{months}-month follow-up" if isinstance(months, int) else "Follow-up"
    status = STATUS_LABELS.get(str(d.get("status")), "")
    return Words(f"{which} recorded" + (f" as {status.lower()}" if status else ""),
                 OUTCOME_LABELS.get(str(d.get("outcome")), "").lower())


def _checklist_record(d: Detail) -> Words:
    on = _day(d.get("completed_on"))
    return Words("Domestic abuse risk checklist recorded" + (f" on {on}" if on else ""),
                 "level raised by professional judgement" if d.get("raised") else "")


def _session_saved(verb: str) -> Formatter:
    def f(d: Detail) -> Words:
        from keyworker.key_work_input import OUTCOME_LABELS, TYPE_LABELS

        kind, outcome = TYPE_LABELS.get(str(d.get("kind")), ""), OUTCOME_LABELS.get(str(d.get("outcome")), "")
        on = _day(d.get("held_on"))
        goals = d.get("goals")
        return Words(f"Key-work session {verb}" + (f": {kind.lower()}" if kind else ""),
                     _join(f"on {on}" if on else "", outcome.lower(),
                           f"{goals} care plan goal{'s' if goals != 1 else ''} worked on" if isinstance(goals, int) and goals else ""))
    return f


def _group_saved(verb: str) -> Formatter:
    def f(d: Detail) -> Words:
        on, n, came = _day(d.get("held_on")), d.get("register"), d.get("attended")
        return Words(f"Group session {verb}" + (f" on {on}" if on else ""),
                     f"{came} of {n} on the register attended" if isinstance(n, int) and isinstance(came, int) else "")
    return f


def _pre_admission(verb: str) -> Formatter:
    def f(d: Detail) -> Words:
        on = _day(d.get("assessed_on"))
        return Words(f"Pre-admission assessment {verb}", f"assessed on {on}" if on else "")
    return f
def _note_write(d: Detail) -> Words:
    from keyworker.notes import CATEGORY_LABELS

    kind = CATEGORY_LABELS.get(str(d.get("category")), "")
    return Words("Case note written" + (f": {kind.lower()}" if kind else ""),
                 "flagged for the next shift" if d.get("for_next_shift") else "")


def _contact_log(d: Detail) -> Words:
    from keyworker.contact_consent import PARTY_LABELS
    from keyworker.contacts import METHOD_LABELS

    who = PARTY_LABELS.get(str(d.get("party_kind")), "")
    how = METHOD_LABELS.get(str(d.get("method")), "")
    return Words("Contact logged" + (f" with {who.lower()}" if who else ""),
                 _join(how.lower(), "safeguarding contact without consent" if d.get("safeguarding") else ""))


def _plan_share(d: Detail) -> Words:
    who = d.get("recipients")
    names = ", ".join(str(w) for w in who) if isinstance(who, list | tuple) else ""
    return Words(f"Care plan{_version(d)} shared", f"With {names}" if names else "")


def _safeguarding_kind(code: Any) -> str:
    from keyworker.safeguarding import KIND_LABELS

    return KIND_LABELS.get(str(code), "Safeguarding")


def _safeguarding_referral(d: Detail) -> Words:
    on = _day(d.get("referred_on"))
    return Words(f"{_safeguarding_kind(d.get('kind'))} referral recorded" + (f" (made on {on})" if on else ""))


def _safeguarding_outcome(d: Detail) -> Words:
    kind = _safeguarding_kind(d.get("kind"))
    kind = kind if kind == "MARAC" else kind.lower()
    return Words(f"Outcome of {'an' if kind[0] in 'aeiou' else 'a'} {kind} referral recorded")


def _demo(d: Detail) -> Words:
    n = d.get("residents")
    return Words("Demo records added", f"{n} residents" if isinstance(n, int) else "")


def _star_saved(verb: str) -> Formatter:
    def f(d: Detail) -> Words:
        w = _star_record(d)
        return Words(w.what.replace("recorded", verb), w.details)
    return f


def _star_record(d: Detail) -> Words:
    stage = {"admission": "at admission", "review": "during the stay", "discharge": "at discharge"}.get(
        str(d.get("stage")), "")
    on = _day(d.get("taken_on"))
    star = str(d.get("definition") or "")
    return Words("Outcome Star reading recorded" + (f" on {on}" if on else ""),
                 _join(stage, f"{star} Star, version {d.get('version')}" if star and d.get("version") else ""))
_TOP_STAGES = {"start": "Start", "review": "Review", "exit": "Exit",
               "post_treatment_exit": "Post-treatment exit"}


def _iso_day(value: Any) -> str:
    try:
        return format_date(date.fromisoformat(str(value)))
    except ValueError:
        return ""


ACTIONS: dict[str, Formatter] = {
    # the unit
    "unit.create": _fixed("Unit created"),
    "unit.migrate": _migrate,
    "unit.restore": _restore("Unit restored from a backup"),
    "unit.restore.finished": _restore("Interrupted restore finished"),
    "unit.restore.rolled_back": _restore("Interrupted restore undone; the unit is as it was"),
    "backup": _backup,
    "check": _check,
    "sync.apply": _sync_apply,
    "sync.bootstrap": lambda d: Words("Unit brought to the unit hub (this is its first laptop)"),
    "sync.join": lambda d: Words("Laptop joined the unit hub"),
    "sync.enrol_code": lambda d: Words("Enrolment code made for a new laptop"),
    "sync.revoke": lambda d: Words("Laptop removed from the unit hub"),
    "sync.snapshot_published": lambda d: Words(
        "A sealed copy of the unit sent to the hub for new laptops",
        f"{d.get('rows', 0):,} rows as of change {d.get('unit_seq')}"),
    "sync.snapshot_loaded": lambda d: Words(
        "The unit copied to this laptop from the hub",
        f"{d.get('rows', 0):,} rows as of change {d.get('unit_seq')}"),
    "sync.rotate_key": lambda d: Words(
        "The unit's sync key rotated",
        f"Key {d.get('epoch')} given to the {d.get('laptops')} laptops still enrolled"
        + (f"; {d.get('codes_expired')} unused enrolment codes stopped working" if d.get("codes_expired") else "")),
    "sync.rotate_unit_key": lambda d: Words(
        "The unit's database key rotated",
        f"Key generation {d.get('generation')} given to the {d.get('laptops')} laptops still enrolled"
        + (f"; {d.get('codes_expired')} unused enrolment codes stopped working" if d.get("codes_expired") else "")),
    "unit.rekey": lambda d: Words(
        "This laptop's database re-keyed to the unit's new key",
        f"From key generation {d.get('from')} to {d.get('to')}"
        + ("; finished after an interruption" if d.get("finished") else "")),
    "unit.rekey_failed": lambda d: Words(
        "This laptop could not re-key its database; it opened with the key it had",
        str(d.get("reason") or "")),
    "unit_key.slot_rewrapped": lambda d: Words(
        ("The recovery key" if d.get("recovery") else "A password") + " moved to the unit's new database key",
        f"Key generation {d.get('was')} to {d.get('generation')}"),
    # resolving what two laptops changed differently (keyworker/sync/service.py)
    "sync.conflicts.list": lambda d: Words("Sync conflicts looked at", f"{d.get('count', 0)} shown"),
    "sync.conflict.keep_value": lambda d: Words(
        f"Sync conflict resolved: {_words(str(d.get('field') or 'a value'))} chosen",
        "Kept the " + ("earlier" if d.get("kept") == "a" else "later") + " of the two values"),
    "sync.fork.choose": lambda d: Words(f"Two versions from two laptops: one kept as version {d.get('version')}"),
    "sync.fork.merge": lambda d: Words(f"Two versions from two laptops merged into version {d.get('version')}"),
    "sync.duplicate.merge": lambda d: Words(
        "Two records of one person merged",
        f"The other record ({d.get('archived_reference') or 'its reference'}) was archived and what it held moved here"),
    "sync.duplicate.not_same": lambda d: Words("Two records kept apart: not the same person"),
    "sync.twice.keep": lambda d: Words(
        "One of two records made for one stay on different laptops kept",
        f"{len(d.get('fields') or [])} field(s) differed; the other one's values were set aside"),
    "setting.change": _setting,
    "unit_profile.update": _profile_update,
    "unit_profile.logo": _logo,
    "demo.populate": _demo,
    "demo.care_plans": _fixed("Demo care plans added"),
    "demo.risk": _fixed("Demo risk assessments added"),
    "demo.incidents": _fixed("Demo incidents and safeguarding records added"),
    "demo.key_work": _fixed("Demo key-work sessions, groups and pre-admission assessments added"),
    "demo.notes": _fixed("Demo case notes and contacts added"),
    "demo.discharges": _fixed("Demo discharges, discharge plans and follow-ups added"),
    "vault.repair": _fixed("Key store tidied after an interruption"),
    # signing in
    "sign_in": _sign_in,
    "unlock": _fixed("Unlocked"),
    "lock": _fixed("Locked"),
    "sign_in.failed": _failed_sign_in,
    "sign_in.failed_unknown_names": _failed_unknown,
    # accounts
    "account.create": _account_create,
    "account.role": _account_role,
    "account.job_title": _job_title,
    "account.disable": _account("Account {name} disabled"),
    "account.enable": _account("Account {name} enabled again"),
    "account.reset_password": _account("Password reset for {name}"),
    "account.change_password": _fixed("Own password changed"),
    "account.remove": _account("Account {name} removed"),
    # import and reports
    "import.start": _import("Spreadsheet import started"),
    "import.residents": _import("Spreadsheet import finished"),
    "import.undo": _import("Spreadsheet import undone"),
    "report.declines": _report_declines,
    "report.declines_send": _report_declines_send,
    "extract.pseudonymised": _extract_pseudonymised,
    "extract.pseudonymised_queue": _extract_pseudonymised_queue,
    "returns.ndtms": _returns_ndtms("NDTMS monthly return made"),
    "returns.ndtms_send": _returns_ndtms("NDTMS monthly return queued to send, with its data-quality report"),
    "audit.view": _audit("Audit trail looked at"),
    "audit.export": _audit("Audit trail exported as a CSV file"),
    # referrals and admission
    "referral.create": _referral_create,
    "referral.update": _referral_update,
    "referral.correct": _referral_update,
    "referral.accept": _referral_accept,
    "referral.decline": _referral_decline,
    "referral.view": _fixed("Referral opened"),
    "resident.create": _resident_create,
    "resident.update": _resident_update,
    "resident.view": _fixed("Record opened"),
    "admission.create": _admission_create,
    "admission.update": _admission_update,
    # medication and consents
    "medication.view": _fixed("Medication looked at"),
    "medication.start": _medication("started"),
    "medication.change": _medication("changed"),
    "medication.stop": _medication("stopped"),
    "consent.view": _fixed("Consents looked at"),
    "consent.record": _consent_record,
    # care plans
    "care_plan.view": _plan_view,
    "care_plan.history": _fixed("Care plan versions looked at"),
    "care_plan.diff": _plan_diff,
    "care_plan.create": _plan_create,
    "care_plan.save_draft": _plan_draft,
    "care_plan.complete": _plan_complete,
    "care_plan.revise": _plan_revise,
    "care_plan.agreement": _plan_agreement,
    # reviews
    "review.record": _review("recorded"),
    "review.correct": _review("corrected"),
    "review.view": _fixed("Review looked at"),
    "review.history": _fixed("Reviews looked at"),
    "review.invite": _review_invite,
    "review.referrer_followup": _referrer_followup,
    # risk assessments
    "risk.view": _risk_view,
    "risk.history": _fixed("Risk assessment versions looked at"),
    "risk.diff": _risk_diff,
    "risk.record": _risk_saved("recorded"),
    "risk.revise": _risk_saved("made"),
    "risk.prompt": _risk_prompt,
    # incidents and safeguarding
    "incident.record": _incident_record,
    "incident.view": _fixed("Incident opened"),
    "incident.history": _fixed("Incidents looked at"),
    "incident.list": _incident_list,
    "da_checklist.record": _checklist_record,
    "da_checklist.history": _fixed("Domestic abuse risk checklists looked at"),
    "safeguarding.view": _fixed("Domestic abuse and MARAC status looked at"),
    "safeguarding.history": _fixed("Safeguarding referrals looked at"),
    "safeguarding.referral": _safeguarding_referral,
    "safeguarding.outcome": _safeguarding_outcome,
    # daily key work: sessions, groups, pre-admission assessments
    "key_work.record": _session_saved("recorded"),
    "key_work.correct": _session_saved("corrected"),
    "key_work.view": _fixed("Key-work session opened"),
    "key_work.history": _fixed("Key-work sessions looked at"),
    "key_work.groups": _fixed("Group sessions attended looked at"),
    "key_work.summary": _fixed("Summary of interventions looked at"),
    "key_work.group_record": _group_saved("recorded"),
    "key_work.group_correct": _group_saved("corrected"),
    "key_work.group_view": _fixed("Group session and its register opened"),
    "pre_admission.record": _pre_admission("recorded"),
    "pre_admission.correct": _pre_admission("corrected"),
    "pre_admission.view": _fixed("Pre-admission assessment looked at"),
    "pre_admission.history": _fixed("Pre-admission assessment versions looked at"),
    # daily key work: case notes, handover, contacts, sharing the plan
    "note.write": _note_write,
    "note.correct": _fixed("Case note corrected (the original stays in the history)"),
    "note.acknowledge": _fixed("Note for the next shift acknowledged"),
    "note.view": _fixed("Case note opened"),
    "note.history": _fixed("Case note's versions looked at"),
    "notes.history": _fixed("Notes looked at"),
    "notes.handover": _fixed("Handover looked at"),
    "contact.log": _contact_log,
    "contact.correct": _fixed("Contact corrected (the original stays in the history)"),
    "contact.view": _fixed("Contact opened"),
    "contact.history": _fixed("Contact's versions looked at"),
    "care_plan.share": _plan_share,
    # discharges (issue 13)
    "discharge.start": _fixed("Unplanned discharge form opened"),
    "discharge.view": _fixed("Discharge opened"),
    "discharge.history": _fixed("Discharges looked at"),
    "discharge.checklist": _fixed("Discharge notification checklist looked at"),
    "discharge.record_unplanned": _discharge_record,
    "discharge.confirm": _discharge_confirm,
    "discharge.confirm_refused": _discharge_refused,
    "discharge.phone_agreement": _discharge_phone,
    "discharge.notification": _discharge_notification,
    "discharge.summary_sent": lambda d: Words("Complete discharge summary recorded as sent",
                                              "after the 24 hours" if d.get("late") else ""),
    "discharge.resume": _fixed("Frozen stay resumed after reassessment"),
    "discharge_plan.view": _fixed("Discharge plan looked at"),
    "discharge_plan.preview": _fixed("Discharge letter looked at"),
    "discharge_plan.save": _discharge_plan_save,
    "discharge_plan.complete": _discharge_plan_complete,
    "discharge_plan.sign": lambda d: Words("Discharge letter signed by a senior and sent",
                                           (f"{d['letters']} letter{'' if d['letters'] == 1 else 's'} queued for "
                                            "the resident, the referrer, the Community Treatment Provider "
                                            "and the Authority")
                                           if isinstance(d.get("letters"), int) else ""),
    "discharge.complete_summary": lambda d: Words(
        "Complete discharge summary made", ", ".join(x for x in (
            (f"sent to {d['recipients']} recipient{'' if d['recipients'] == 1 else 's'}"
             if isinstance(d.get("recipients"), int) else ""),
            "after the 24 hours" if d.get("late") else "") if x)),
    "placement_risk.flag": lambda d: Words("Placement flagged as at risk of breaking down",
                                           (f"{d['letters']} letter{'' if d['letters'] == 1 else 's'} queued "
                                            "for the referrer and the Community Treatment Provider")
                                           if isinstance(d.get("letters"), int) else ""),
    "placement_risk.clear": _fixed("Placement no longer at risk"),
    # the Outcome Star (issue 14)
    "outcome_star.record": _star_record,
    "outcome_star.correct": _star_saved("corrected"),
    "outcome_star.history": _fixed("Outcome Star readings looked at"),
    "outcome_star.view": _fixed("Outcome Star reading opened"),
    "outcome_star.distance": _fixed("Outcome Star distance travelled looked at"),
    "outcome_star.due": _fixed("Outcome Star readings due looked at"),
    # the Treatment Outcomes Profile (issue 14)
    "top.record": lambda d: Words(f"{_TOP_STAGES.get(str(d.get('stage')), 'TOP')} TOP recorded",
                                  f"interview on {_iso_day(d.get('interview_on'))}" if d.get("interview_on") else ""),
    "top.view": _fixed("TOP opened"),
    "top.history": _fixed("TOPs looked at"),
    "top.due": _fixed("Due TOPs looked at"),
    # follow-ups after a completed programme (issue 13)
    "follow_up.history": _fixed("Follow-ups looked at"),
    "follow_up.attempt": _follow_up_attempt,
    "follow_up.outcome": _follow_up_outcome,
    # satisfaction surveys and the quarterly outcomes report (issue 14)
    "survey.record": lambda d: Words("Satisfaction survey recorded",
                                     "from a carer or family member" if d.get("respondent") == "carer"
                                     else "from the resident"),
    "survey.history": _fixed("Satisfaction surveys looked at"),
    "survey.due": _fixed("Satisfaction surveys due looked at"),
    "report.outcomes": _report_outcomes,
    # the quarterly contract report (issue 15)
    "report.quarterly": _report_quarterly,
    "report.quarterly_send": _report_quarterly_send,
    # the outbox (issue 12 adds delivery words as it adds the actions)
    "outbox.enqueue": _outbox_enqueue,
    "outbox.list": _outbox_list,
    "outbox.history": _fixed("Outbox item's delivery attempts looked at"),
    "outbox.retry_now": _outbox_action("Outbox item to be sent again now"),
    "outbox.release": _outbox_action("Outbox item released from quarantine"),
    "outbox.cancel": _outbox_action("Outbox item cancelled"),
    "outbox.password_protect": _outbox_action("Outbox letter protected with a password"),
    "outbox.destination_add": _destination("added"),
    "outbox.destination_update": _destination("changed"),
    "outbox.destination_disable": _destination("turned off"),
    "outbox.destination_enable": _destination("turned on again"),
    "outbox.destination_test": _destination_test,
    "outbox.route_set": _route_set,
    "outbox.route_clear": _route_clear,
    "outbox.deliver": _outbox_attempt("Sent, and the receiver confirmed it"),
    "outbox.retry_scheduled": _outbox_attempt("Could not be sent this time; it will be tried again"),
    "outbox.quarantine": _outbox_attempt("Refused, so it waits for a senior (quarantine)"),
    "outbox.lease_expired": _outbox_attempt("An interrupted send found; it will be sent again"),
    # documents
    **{f"document.{verb}": _document(verb) for verb in DOCUMENT_VERBS},
    "document.list": _fixed("Documents and their delivery looked at"),
}


def _fallback(action: str) -> Words:
    area, _, verb = action.partition(".")
    area_words = area.replace("_", " ").strip().capitalize() or "Something"
    return Words(f"{area_words}: {verb.replace('_', ' ').replace('.', ', ')}" if verb else area_words)


def describe(action: str, detail: Detail | None = None) -> Words:
    """The event and its details in words. Never raises: an odd detail gives fewer details."""
    d: Detail = detail if isinstance(detail, Mapping) else {}
    fmt = ACTIONS.get(action)
    if fmt is None:
        return _fallback(action)
    try:
        w = fmt(d)
    except Exception:  # noqa: BLE001 - an old or odd entry: the event still reads
        w = fmt({}) if d else _fallback(action)
    return Words(w.what, w.details[:1].upper() + w.details[1:])


def sentence(action: str, detail: Detail | None = None, actor: str | None = None) -> str:
    """One sentence: "Care plan version 3 agreed by Jane Smith (signed paper copy; on 12/11/2026)."."""
    w = describe(action, detail)
    by = f" by {actor}" if actor else ""
    extra = f" ({w.details})" if w.details else ""
    return f"{w.what}{by}{extra}."


def actor_words(full_name: str | None, username: str | None) -> str:
    """Who did it, as a person reads it: the full name, else the user name."""
    if username == "recovery":
        return "Recovery key"
    return (full_name or "").strip() or (username or "").strip() or "Unknown"
