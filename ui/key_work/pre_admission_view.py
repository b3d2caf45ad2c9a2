"""A pre-admission assessment shown read-only: as HTML (the Key work tab) and as a box the
referral's decision dialog adds under the referral, loaded off the UI thread."""
from __future__ import annotations

import html

from PySide6.QtWidgets import QGroupBox, QTextBrowser, QVBoxLayout, QWidget

from keyworker.clock import format_date, format_datetime
from keyworker.pre_admission import PreAdmissionView
from ui.context import AppContext
from ui.errors import show_error


def pre_admission_html(p: PreAdmissionView) -> str:
    e = html.escape
    parts = [f"<h3>Pre-admission assessment, {format_date(p.assessed_on)}</h3>",
             f"<p>{e(p.method_label)}, by {e(p.assessed_by)} (recorded by {e(p.recorded_by_name or '—')} on "
             f"{format_datetime(p.recorded_at)}).</p>"]
    if p.correction_reason:
        parts.append(f"<p><b>✎ Corrected.</b> Why: {e(p.correction_reason)}</p>")
    for _key, label, notes in p.domains:
        parts.append(f"<p><b>{e(label)}:</b> {e(notes)}</p>")
    parts.append(f"<p><b>Motivation and readiness:</b> {e(p.motivation)}</p>")
    if p.outcomes:
        parts.append(f"<p><b>Potential treatment outcomes:</b> {e(p.outcomes)}</p>")
    if p.checklist_labels:
        parts.append("<p><b>Covered:</b></p><ul>" + "".join(f"<li>✓ {e(x)}</li>" for x in p.checklist_labels) + "</ul>")
    if p.not_done:
        parts.append("<p><b>Not covered:</b></p><ul>" + "".join(f"<li>✗ {e(x)}</li>" for x in p.not_done) + "</ul>")
    if p.safeguarding_concern:
        parts.append(f"<p><b>⚠ Safeguarding concern:</b> {e(p.safeguarding_concern)} — reported to "
                     f"{e(p.safeguarding_reported_to or '—')}.</p>")
    return "".join(parts)


class PreAdmissionSummary(QGroupBox):
    """"Pre-admission assessment" under a referral: the assessment, or that none is recorded."""

    def __init__(self, ctx: AppContext, referral_id: str, parent: QWidget | None = None) -> None:
        super().__init__("Pre-admission assessment", parent)
        self.setObjectName("preAdmissionSummary")
        self.text = QTextBrowser()
        self.text.setAccessibleName("Pre-admission assessment")
        self.text.setMaximumHeight(170)
        self.text.setPlainText("Loading…")
        QVBoxLayout(self).addWidget(self.text)
        self.view: PreAdmissionView | None = None
        book = ctx.book
        ctx.tasks.run(lambda: book.pre_admission.for_referral(referral_id), self._loaded,
                      lambda e: show_error(self, e))

    def _loaded(self, view: PreAdmissionView | None) -> None:
        self.view = view
        if view is None:
            self.text.setPlainText("Not done yet: no pre-admission assessment is recorded for this referral "
                                   "(contract 4.1.3). Record it from the Referrals page.")
        else:
            self.text.setHtml(pre_admission_html(view))
