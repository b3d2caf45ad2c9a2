"""How an incident reads on screen: the list's flag cells and the full details of one incident."""
from __future__ import annotations

import html
from typing import Any

from keyworker.clock import format_datetime


def police_cell(involved: bool) -> str:
    return "✓ Police" if involved else "—"


def safeguarding_cell(referral: bool) -> str:
    return "✓ Referral" if referral else "—"


def _para(title: str, text: str | None) -> str:
    body = html.escape(text).replace("\n", "<br/>") if text else "<i>Not recorded</i>"
    return f"<p><b>{html.escape(title)}:</b><br/>{body}</p>"


def incident_html(x: Any) -> str:
    """Every field of an `IncidentView`, in the order a reader needs them."""
    e = html.escape
    parts = [f"<h3>{e(x.kind_label)} — {e(x.when_text)}</h3>",
             f"<p>Logged by {e(x.recorded_by_name or '—')} on {format_datetime(x.recorded_at)}."
             + (" <b>Domestic abuse.</b>" if x.domestic_abuse else "") + "</p>",
             _para("What happened", x.description), _para("People involved", x.people_involved),
             _para("Actions taken", x.actions_taken)]
    if x.police_involved:
        parts.append(f"<p><b>Police involved</b>: yes"
                     + (f", reference {e(x.police_reference)}" if x.police_reference else ", no reference given")
                     + ".</p>")
    else:
        parts.append("<p><b>Police involved</b>: no.</p>")
    if x.safeguarding_referral:
        parts.append(f"<p><b>Safeguarding referral</b>: made to {e(x.safeguarding_to or '—')}"
                     + (f", reference {e(x.safeguarding_reference)}" if x.safeguarding_reference else "") + ".</p>")
    else:
        parts.append("<p><b>Safeguarding referral</b>: none.</p>")
    return "".join(parts)
