"""Every public door of the facade and of its services, for every role: either it is checked
(roles without the permission get PermissionDenied, roles with it do not) or it is on the open list
with the reason it may be. Found by introspection, so a method added later with no entry in either
table fails here until someone decides which it is."""
from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from keyworker.casebook import SERVICES, Casebook
from keyworker.db.foundation import AuditEntry
from keyworker.errors import PermissionDenied
from keyworker.security.permissions import GRANTS, Permission, Role
from tests.conftest import STAFF, STAFF_PW

P = Permission

# Open to every signed-in user, and why.
OPEN: dict[str, str] = {
    "Casebook.create": "makes a new unit; there is no one to check yet",
    "Casebook.open": "signing in: the password is the check",
    "Casebook.open_with_recovery_key": "the recovery key is the check",
    "Casebook.close": "ends this user's own session",
    "Casebook.require": "the check itself",
    "Casebook.lock": "anyone may lock their own screen",
    "Casebook.unlock": "signing in again: the password is the check",
    "Casebook.verify_password": "re-checks the signed-in user's own password",
    "Casebook.check": "integrity and counts only, for a monitoring script run as any user",
    "accounts.list": "everyone sees who the staff are, to pick a key worker",
    "accounts.get": "the same staff details as list",
    "accounts.change_own_password": "the signed-in user's own password",
    "audit.verify": "whether the chain is intact and its length, as check says",
    "settings.get": "unit configuration (idle lock, unit name), no personal data",
    "referrals.validate": "checks the form's own values, reads nothing",
    "referrals.validate_decline": "checks the form's own values, reads nothing",
    "residents.validate_medication": "checks the form's own values, reads nothing",
    "residents.validate_consent": "checks the form's own values, reads nothing",
    "caseload.filter": "builds a filter, reads nothing",
    "reports.unit_name": "the letterhead's unit name, as settings.get",
    "reports.prepared_by": "the signed-in person's own name, for \"Prepared by\" on a report they make",
    "unit_profile.get": "the letterhead every role prints on: the unit's public details, no personal data",
    "unit_profile.validate": "checks the form's own values, reads nothing",
    "risk.prompt": "a hook inside another area's transaction, which checked its own permission first",
    "outbox.status": "the status bar's counts and online state: numbers and destination names, no resident data",
    "sync.status": "the status bar's sync line: times and counts, no resident data",
    "top.compliance": "checked inside: view_reports for the unit and any key worker, record_key_work for "
                      "one's own caseload only (tests/unit/test_top.py)",
    "outbox.deliver_now": "sends what is already queued, as the signed-in user: it reads outbox items, "
                          "not records, shows no content, and every attempt is audited",
}
# A service's counts(session) is open: numbers only, for check, inside the book's own session.
OPEN_ON_EVERY_SERVICE = {"counts": "numbers only, for check, in the book's own session"}

CHECKED: dict[str, Permission] = {
    "Casebook.backup": P.BACKUP,
    "accounts.create": P.MANAGE_ACCOUNTS,
    "accounts.set_role": P.MANAGE_ACCOUNTS,
    "accounts.disable": P.MANAGE_ACCOUNTS,
    "accounts.enable": P.MANAGE_ACCOUNTS,
    "accounts.reset_password": P.MANAGE_ACCOUNTS,
    "accounts.remove": P.MANAGE_ACCOUNTS,
    "audit.recent": P.VIEW_AUDIT,
    "audit.search": P.VIEW_AUDIT,
    "audit.export_csv": P.VIEW_AUDIT,
    "audit.last_backup": P.BACKUP,
    "settings.set": P.MANAGE_ACCOUNTS,
    "documents.list": P.VIEW_RESIDENTS,
    "documents.content": P.VIEW_RESIDENTS,
    "documents.keep": P.VIEW_RESIDENTS,
    "documents.delivery": P.VIEW_RESIDENTS,
    "care_plans.get": P.VIEW_RESIDENTS,
    "care_plans.missing_sections": P.VIEW_RESIDENTS,
    "care_plans.versions": P.VIEW_RESIDENTS,
    "care_plans.version_content": P.VIEW_RESIDENTS,
    "care_plans.diff": P.VIEW_RESIDENTS,
    "care_plans.incomplete": P.VIEW_RESIDENTS,
    "care_plans.pdf": P.VIEW_RESIDENTS,
    "care_plans.save_draft": P.EDIT_CARE_PLANS,
    "care_plans.mark_complete": P.EDIT_CARE_PLANS,
    "care_plans.revise": P.EDIT_CARE_PLANS,
    "care_plans.record_agreement": P.EDIT_CARE_PLANS,
    "reviews.due": P.VIEW_RESIDENTS,
    "reviews.my_work": P.VIEW_RESIDENTS,
    "reviews.next_for": P.VIEW_RESIDENTS,
    "reviews.history": P.VIEW_RESIDENTS,
    "reviews.record": P.RECORD_REVIEWS,
    "reviews.preview": P.RECORD_REVIEWS,
    "reviews.invitation_letter": P.RECORD_REVIEWS,
    "reviews.send_invitation": P.RECORD_REVIEWS,
    "reviews.referrer_flags": P.VIEW_RESIDENTS,
    "reviews.put_right_referrer": P.RECORD_REVIEWS,
    "residents.validate": P.EDIT_RESIDENTS,
    "residents.get": P.VIEW_RESIDENTS,
    "residents.find_by_reference": P.VIEW_RESIDENTS,
    "residents.update": P.EDIT_RESIDENTS,
    "residents.assign_key_worker": P.ASSIGN_KEY_WORKERS,
    "residents.medication": P.VIEW_RESIDENTS,
    "residents.start_medication": P.EDIT_RESIDENTS,
    "residents.change_medication": P.EDIT_RESIDENTS,
    "residents.stop_medication": P.EDIT_RESIDENTS,
    "residents.record_consent": P.EDIT_RESIDENTS,
    "residents.consents": P.VIEW_RESIDENTS,
    "residents.summary_pdf": P.VIEW_RESIDENTS,
    "residents.demographics": P.VIEW_REPORTS,
    "referrals.validate_admission": P.ADMIT,
    "referrals.record": P.RECORD_REFERRALS,
    "referrals.update": P.RECORD_REFERRALS,
    "referrals.accept": P.DECIDE_REFERRALS,
    "referrals.decline": P.DECIDE_REFERRALS,
    "referrals.admit": P.ADMIT,
    "referrals.get": P.VIEW_RESIDENTS,
    "referrals.list_open": P.VIEW_RESIDENTS,
    "referrals.list": P.VIEW_RESIDENTS,
    "imports.residents": P.IMPORT,
    "imports.resume": P.IMPORT,
    "imports.runs": P.IMPORT,
    "imports.sample": P.IMPORT,
    "imports.undo": P.IMPORT,
    "caseload.ids": P.VIEW_RESIDENTS,
    "caseload.rows": P.VIEW_RESIDENTS,
    "reports.declines": P.VIEW_REPORTS,
    "reports.send_declines": P.DECIDE_REFERRALS,
    "unit_profile.update": P.EDIT_UNIT_PROFILE,
    "unit_profile.set_logo": P.EDIT_UNIT_PROFILE,
    "first_steps.status": P.EDIT_UNIT_PROFILE,
    "accounts.set_job_title": P.MANAGE_ACCOUNTS,
    "risk.current": P.VIEW_RESIDENTS,
    "risk.version": P.VIEW_RESIDENTS,
    "risk.history": P.VIEW_RESIDENTS,
    "risk.diff": P.VIEW_RESIDENTS,
    "risk.needs_review": P.VIEW_RESIDENTS,
    "risk.pdf": P.VIEW_RESIDENTS,
    "risk.overdue": P.VIEW_RESIDENTS,
    "risk.record": P.RECORD_RISK,
    "risk.revise": P.RECORD_RISK,
    "incidents.record": P.RECORD_INCIDENTS,
    "incidents.get": P.VIEW_RESIDENTS,
    "incidents.for_resident": P.VIEW_RESIDENTS,
    "incidents.unit": P.VIEW_UNIT_INCIDENTS,
    "incidents.recent": P.VIEW_RESIDENTS,
    "safeguarding.record_checklist": P.RECORD_SAFEGUARDING,
    "safeguarding.checklists": P.VIEW_RESIDENTS,
    "safeguarding.status": P.VIEW_RESIDENTS,
    "safeguarding.record_referral": P.RECORD_SAFEGUARDING,
    "safeguarding.record_outcome": P.RECORD_SAFEGUARDING,
    "safeguarding.referrals": P.VIEW_RESIDENTS,
    "safeguarding.marac_due": P.VIEW_RESIDENTS,
    "safeguarding.overview": P.VIEW_RESIDENTS,
    "key_work.record": P.RECORD_KEY_WORK,
    "key_work.correct": P.RECORD_KEY_WORK,
    "key_work.get": P.VIEW_RESIDENTS,
    "key_work.for_resident": P.VIEW_RESIDENTS,
    "key_work.register_candidates": P.RECORD_KEY_WORK,
    "key_work.record_group": P.RECORD_KEY_WORK,
    "key_work.correct_group": P.RECORD_KEY_WORK,
    "key_work.get_group": P.VIEW_RESIDENTS,
    "key_work.groups_for_resident": P.VIEW_RESIDENTS,
    "key_work.summary": P.VIEW_RESIDENTS,
    "key_work.follow_ups_due": P.VIEW_RESIDENTS,
    "pre_admission.record": P.RECORD_KEY_WORK,
    "pre_admission.correct": P.RECORD_KEY_WORK,
    "pre_admission.for_referral": P.VIEW_RESIDENTS,
    "pre_admission.for_resident": P.VIEW_RESIDENTS,
    "pre_admission.history": P.VIEW_RESIDENTS,
    "notes.write": P.WRITE_NOTES,
    "notes.correct": P.WRITE_NOTES,
    "notes.acknowledge": P.WRITE_NOTES,
    "notes.get": P.VIEW_RESIDENTS,
    "notes.history": P.VIEW_RESIDENTS,
    "notes.timeline": P.VIEW_RESIDENTS,
    "notes.timeline_page": P.VIEW_RESIDENTS,
    "notes.handover": P.VIEW_RESIDENTS,
    "notes.open_flags": P.VIEW_RESIDENTS,
    "contacts.log": P.WRITE_NOTES,
    "contacts.correct": P.WRITE_NOTES,
    "contacts.get": P.VIEW_RESIDENTS,
    "contacts.history": P.VIEW_RESIDENTS,
    "contacts.check_consent": P.VIEW_RESIDENTS,
    "sharing.record": P.SHARE_CARE_PLAN,
    "sharing.for_plan": P.VIEW_RESIDENTS,
    "outbox.items": P.VIEW_OUTBOX,
    "sync.conflicts": P.RESOLVE_SYNC_CONFLICTS,
    "sync.conflict_count_for": P.VIEW_RESIDENTS,
    "sync.keep_value": P.RESOLVE_SYNC_CONFLICTS,
    "sync.choose_version": P.MERGE_SYNC_RECORDS,
    "sync.merge_versions": P.MERGE_SYNC_RECORDS,
    "sync.merge_duplicate": P.MERGE_SYNC_RECORDS,
    "sync.not_duplicate": P.MERGE_SYNC_RECORDS,
    "sync.keep_record": P.MERGE_SYNC_RECORDS,
    "sync.laptops": P.MANAGE_LAPTOPS,
    "sync.laptops_not_synced": P.MANAGE_LAPTOPS,
    "sync.rotate_key": P.MANAGE_LAPTOPS,
    "sync.rotate_unit_key": P.MANAGE_LAPTOPS,
    "sync.unit_key_status": P.MANAGE_LAPTOPS,
    "sync.enrolment_code": P.MANAGE_LAPTOPS,
    "sync.revoke": P.MANAGE_LAPTOPS,
    "outbox.attempts": P.VIEW_OUTBOX,
    "outbox.retry_now": P.MANAGE_OUTBOX,
    "outbox.release": P.MANAGE_OUTBOX,
    "outbox.cancel": P.MANAGE_OUTBOX,
    "outbox.protect_with_password": P.MANAGE_OUTBOX,
    "destinations.list": P.MANAGE_DESTINATIONS,
    "destinations.get": P.MANAGE_DESTINATIONS,
    "destinations.find": P.MANAGE_DESTINATIONS,
    "destinations.routes": P.MANAGE_DESTINATIONS,
    "destinations.validate": P.MANAGE_DESTINATIONS,
    "destinations.add": P.MANAGE_DESTINATIONS,
    "destinations.update": P.MANAGE_DESTINATIONS,
    "destinations.enable": P.MANAGE_DESTINATIONS,
    "destinations.disable": P.MANAGE_DESTINATIONS,
    "destinations.set_route": P.MANAGE_DESTINATIONS,
    "destinations.clear_route": P.MANAGE_DESTINATIONS,
    "destinations.test": P.MANAGE_DESTINATIONS,
    "destinations.fetch_sftp_host_key": P.MANAGE_DESTINATIONS,
    "discharges.start": P.VIEW_RESIDENTS,
    "discharges.get": P.VIEW_RESIDENTS,
    "discharges.for_resident": P.VIEW_RESIDENTS,
    "discharges.awaiting_senior": P.VIEW_RESIDENTS,
    "discharges.between": P.VIEW_RESIDENTS,
    "discharges.due_summaries": P.VIEW_RESIDENTS,
    "discharges.checklist": P.VIEW_RESIDENTS,
    "discharges.record_unplanned": P.RECORD_UNPLANNED_DISCHARGE,
    "discharges.confirm_by_password": P.RECORD_UNPLANNED_DISCHARGE,
    "discharges.record_phone_agreement": P.RECORD_UNPLANNED_DISCHARGE,
    "discharges.record_notification": P.RECORD_UNPLANNED_DISCHARGE,
    "discharges.record_summary_sent": P.RECORD_UNPLANNED_DISCHARGE,
    "discharges.complete_summary": P.RECORD_UNPLANNED_DISCHARGE,
    "discharges.confirm": P.CONFIRM_DISCHARGES,
    "discharges.resume": P.CONFIRM_DISCHARGES,
    "discharges.flag_placement_at_risk": P.RECORD_RISK,
    "discharges.clear_placement_risk": P.RECORD_RISK,
    "discharges.placement_risk": P.VIEW_RESIDENTS,
    "discharge_plans.plan": P.VIEW_RESIDENTS,
    "discharge_plans.preview_letter": P.VIEW_RESIDENTS,
    "discharge_plans.save": P.EDIT_CARE_PLANS,
    "discharge_plans.complete": P.EDIT_CARE_PLANS,
    "discharge_plans.sign": P.CONFIRM_DISCHARGES,
    "outcome_star.record": P.RECORD_KEY_WORK,
    "outcome_star.correct": P.RECORD_KEY_WORK,
    "outcome_star.readings": P.VIEW_RESIDENTS,
    "outcome_star.reading": P.VIEW_RESIDENTS,
    "outcome_star.distance": P.VIEW_RESIDENTS,
    "outcome_star.due": P.VIEW_RESIDENTS,
    "outcome_star.unit_due": P.VIEW_RESIDENTS,
    "outcome_star.alerts": P.VIEW_RESIDENTS,
    "returns.ndtms": P.MAKE_NDTMS_RETURN,
    "returns.send_ndtms": P.MAKE_NDTMS_RETURN,
    "returns.ndtms_compliance": P.VIEW_REPORTS,
    "top.record": P.RECORD_KEY_WORK,
    "top.get": P.VIEW_RESIDENTS,
    "top.for_resident": P.VIEW_RESIDENTS,
    "top.due": P.VIEW_RESIDENTS,
    "top.unit_due": P.VIEW_RESIDENTS,
    "top.overdue": P.VIEW_RESIDENTS,
    "follow_ups.due": P.VIEW_RESIDENTS,
    "follow_ups.for_resident": P.VIEW_RESIDENTS,
    "follow_ups.completion": P.VIEW_REPORTS,
    "follow_ups.record_attempt": P.RECORD_KEY_WORK,
    "follow_ups.record_outcome": P.RECORD_KEY_WORK,
    "surveys.record": P.RECORD_KEY_WORK,
    "surveys.for_resident": P.VIEW_RESIDENTS,
    "surveys.due": P.VIEW_RESIDENTS,
    "reports.outcomes": P.VIEW_REPORTS,
    "reports.quarterly": P.VIEW_REPORTS,
    "reports.quarterly_pdf": P.VIEW_REPORTS,
    "reports.quarterly_csv": P.VIEW_REPORTS,
    "reports.send_quarterly": P.DECIDE_REFERRALS,
    "extracts.pseudonymised": P.VIEW_REPORTS,
    "extracts.queue_pseudonymised": P.VIEW_REPORTS,
}

# Arguments where a placeholder would stop the call before its permission check.
ARGS: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
    "settings.set": (("idle_lock_minutes", 5), {}),
    # never a network call from the walk: a host name that is refused before any connection
    "destinations.fetch_sftp_host_key": (("not a host name!",), {}),
}


def public_doors() -> dict[str, Any]:
    """'Casebook.x' and 'service.x' -> the function, for every public callable."""
    out: dict[str, Any] = {}
    classes = [("Casebook", Casebook)]
    for name, target in SERVICES:
        module, cls = target.split(":")
        classes.append((name, getattr(importlib.import_module(module), cls)))
    for prefix, cls in classes:
        for attr, value in inspect.getmembers(cls):
            if attr.startswith("_") or isinstance(value, property) or not callable(value):
                continue
            if prefix != "Casebook" and attr in OPEN_ON_EVERY_SERVICE:
                continue
            out[f"{prefix}.{attr}"] = value
    return out


def test_every_public_door_is_checked_or_deliberately_open() -> None:
    doors = set(public_doors())
    undecided = doors - set(OPEN) - set(CHECKED)
    assert not undecided, f"decide: permission-checked (CHECKED) or open with a reason (OPEN): {sorted(undecided)}"
    assert not set(OPEN) & set(CHECKED)
    stale = (set(OPEN) | set(CHECKED)) - doors
    assert not stale, f"no such public method any more: {sorted(stale)}"


def _placeholder_call(book: Casebook, door: str, fn: Any, tmp_path: Path) -> None:
    owner, attr = door.split(".")
    target = book if owner == "Casebook" else getattr(book, owner)
    if door in ARGS:
        args, kwargs = ARGS[door]
    else:
        args, kwargs = (), {}
        sig = inspect.signature(fn)
        for p in list(sig.parameters.values())[1:]:  # past self
            if p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            value: Any = str(tmp_path / "out.kwbackup") if door == "Casebook.backup" else "0000-placeholder"
            if p.kind == p.KEYWORD_ONLY:
                kwargs[p.name] = value
            else:
                args += (value,)
    getattr(target, attr)(*args, **kwargs)


def _audit_entries(book: Casebook) -> int:
    with book._read() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)


USERS = {Role.ADMIN: "admin", **{role: username for username, _name, role in STAFF}}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_meets_a_closed_door_exactly_where_it_lacks_the_permission(
        role: Role, book_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert role in USERS, f"add a {role.value} account to tests/conftest.py STAFF"
    book = book_factory(USERS[role])
    assert book.actor.role == role
    wrong: list[str] = []
    for door, fn in sorted(public_doors().items()):
        if door not in CHECKED:
            continue
        allowed = CHECKED[door] in GRANTS[role]
        before = _audit_entries(book)
        try:
            _placeholder_call(book, door, fn, tmp_path)
            denied = False
        except PermissionDenied:
            denied = True
        except Exception:  # noqa: BLE001 - past the check, a placeholder argument fails: that is fine
            denied = False
        if denied == allowed:
            wrong.append(f"{door}: {'refused' if denied else 'let through'} "
                         f"although {role.value} {'has' if allowed else 'lacks'} {CHECKED[door].value}")
        elif denied and _audit_entries(book) != before:
            wrong.append(f"{door}: refused {role.value} but wrote to the unit first")
    assert not wrong, "\n".join(wrong)
