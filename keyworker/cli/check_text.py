"""`check` without --json: the report in lines a person reads ("Residents: 12"). A count an area
adds to `counts()` gets its words here; one without them is still shown, its key made readable."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from keyworker.clock import format_datetime
from keyworker.security.permissions import Role

LABELS = {
    "residents": "Residents",
    "current_residents": "Current residents",
    "referrals_open": "Open referrals",
    "referrals_decision_overdue": "Referrals past their decision date",
    "care_plans_incomplete": "Care plans not complete",
    "reviews_due_7d": "Reviews due in the next 7 days",
    "reviews_overdue": "Reviews overdue",
    "risk_reviews_overdue": "Risk reviews overdue",
    "incidents_30d": "Incidents in the last 30 days",
    "sessions_7d": "Key-work sessions and groups in the last 7 days",
    "dna_rate_30d_pct": "Sessions not attended in the last 30 days (%)",
    "handover_flags_open": "Notes for the next shift not yet acknowledged",
    "outbox_waiting": "Letters and returns waiting to be sent",
    "outbox_oldest_minutes": "Minutes the oldest has waited",
    "outbox_quarantined": "Refused by the receiver, waiting for a person",
    "star_readings": "Outcome Star readings",
    "tops_due": "TOPs due and not yet done",
    "top_compliance_pct": "TOP compliance (%; the target is 90)",
    "surveys_12m": "Satisfaction surveys in the last 12 months",
}


def words(key: str) -> str:
    return LABELS.get(key) or key.replace("_", " ").capitalize()


def value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{words(str(k)).lower()} {value_text(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list | tuple):
        return ", ".join(map(value_text, value)) or "none"
    return str(value)


def accounts_lines(accounts: dict[str, Any]) -> list[str]:
    roles = [f"{n} {Role(role).label.lower() if role in Role._value2member_map_ else role}"
             for role, n in accounts.get("by_role", {}).items()]
    line = f"Accounts: {accounts.get('active', 0)} active, {accounts.get('disabled', 0)} disabled"
    lines = [line + (f" ({', '.join(roles)})" if roles else "")]
    if accounts.get("without_key_slot"):
        lines.append("  Accounts that cannot sign in (no key in the vault): "
                     + ", ".join(map(str, accounts["without_key_slot"])))
    return lines


def walk_text(chain: dict[str, Any]) -> str:
    """How much of the trail this check walked, in words: "1,204 entries, all checked"."""
    entries = f"{chain['entries']:,} entries"
    if chain.get("audit_walk") == "incremental":
        added = chain.get("walked", 0)
        since = (f"checked the {added:,} added since the last check" if added != 1
                 else "checked the 1 added since the last check")
        return f"{entries}; {since}; `check --full` re-checks all"
    note = chain.get("walk_note")
    return f"{entries}, all checked" + (f": {note}" if note and note != "asked for" else "")


def hub_text(hub: dict[str, Any]) -> str:
    """`audit_chain.hub` in one line: matches, differs, or not compared and why."""
    if hub.get("ok") is None:
        return f"Against the unit hub: not compared: {hub.get('reason')}; checked by this laptop's own anchors only"
    if not hub["ok"]:
        return f"Against the unit hub: DIFFERS: {hub['problem']}"
    at = hub.get("at")
    seen = f", seen {format_datetime(datetime.fromisoformat(at))}" if at else ""
    return f"Against the unit hub: the audit trail matches what the hub last saw (entry {hub['seq']:,}{seen})"


def check_lines(report: dict[str, Any]) -> list[str]:
    chain = report["audit_chain"]
    integrity = report.get("integrity", "not checked this time (--no-integrity)")
    lines = [f"Database integrity: {integrity}",
             f"Audit chain: {'intact' if chain['ok'] else 'BROKEN: ' + str(chain['problem'])} "
             f"({walk_text(chain)})"]
    against = chain.get("against")
    hub = chain.get("hub")
    said_below = {part["problem"] for part in (against, hub) if part and part.get("problem")}
    for problem in chain["problems"][1:]:
        if problem not in said_below:
            lines.append(f"  also: {problem}")
    if against:
        verdict = (f"the audit trail still holds its entries up to {against['seq']}" if against["ok"]
                   else "DIFFERS: " + against["problem"])
        lines.append(f"Against backup {against['backup']}: {verdict}")
    if hub:
        lines.append(hub_text(hub))
    for key, value in report.items():
        if key in ("ok", "integrity", "audit_chain"):
            continue
        if key == "accounts" and isinstance(value, dict):
            lines += accounts_lines(value)
        else:
            lines.append(f"{words(key)}: {value_text(value)}")
    lines.append("OK" if report["ok"] else "PROBLEMS FOUND")
    return lines
