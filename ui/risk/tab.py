"""The resident's "Risk" tab: the current risk assessment as a night worker needs it — the overall
level in words and a symbol, why a review is due, the contingency plan for an unplanned discharge
first, then every risk area with its evidence, the risk management plan and the review date.
Key workers and seniors record and review it; out-of-hours staff read and print it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from keyworker import risk_domains as rd
from keyworker.clock import format_date
from keyworker.documents.store import Preview
from keyworker.errors import NotFound
from keyworker.risk import RiskView
from keyworker.security.permissions import Permission
from ui.context import AppContext
from ui.errors import show_error
from ui.risk.words import assessment_html, level_text

READ_ONLY_TIP = "Your role reads risk assessments but does not record them."
ENDED_TIP = "This stay has ended: its risk assessment can no longer change."
REFRESH_AREAS = ("risk", "incidents", "safeguarding")


@dataclass(frozen=True)
class RiskState:
    view: RiskView | None
    admission_id: str | None  # None: never admitted
    open_stay: bool
    prompts: tuple[str, ...]


def load_state(book: Any, resident_id: str) -> RiskState:
    """One audited read (risk.view): the current assessment, or why there is none."""
    try:
        view = book.risk.current(resident_id=resident_id)
    except NotFound:
        return RiskState(None, None, False, ())
    if view is not None:
        return RiskState(view, view.admission_id, True, tuple(p.text for p in view.prompts))
    return RiskState(None, None, True, ())  # admitted, not yet assessed: the stay is the record's


class RiskTab(QWidget):
    refresh_areas = REFRESH_AREAS

    def __init__(self, ctx: AppContext, resident_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.resident_id = resident_id
        self.state: RiskState | None = None
        self.record: Any = None
        self.dialog: Any = None
        self.pdf_dialog: Any = None
        self.can_record = ctx.book.actor.can(Permission.RECORD_RISK)
        self.setObjectName("riskTab")
        self.setAccessibleName("Risk")

        self.level = QLabel("Loading the risk assessment…")
        self.level.setObjectName("riskOverall")
        font = self.level.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.level.setFont(font)
        self.level.setWordWrap(True)
        self.review = QLabel()
        self.review.setObjectName("riskReview")
        self.review.setWordWrap(True)
        self.record_button = self._button("&Record risk assessment…", "Record the first risk assessment",
                                          self.record_assessment)
        self.revise_button = self._button("Re&view assessment…", "Review the risk assessment and save a new version",
                                          self.revise_assessment)
        self.history_button = self._button("&History…", "Versions of the risk assessment and what changed",
                                           self.show_history)
        self.print_button = self._button("&Print…", "Preview, print or save the risk assessment", self.print_assessment)
        top = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(self.level)
        left.addWidget(self.review)
        top.addLayout(left, 1)
        for b in (self.record_button, self.revise_button, self.history_button, self.print_button):
            top.addWidget(b, 0, Qt.AlignmentFlag.AlignTop)

        self.prompts = QLabel()
        self.prompts.setObjectName("problem")
        self.prompts.setWordWrap(True)
        self.prompts.hide()
        self.empty = QLabel()
        self.empty.setObjectName("emptyState")
        self.empty.setWordWrap(True)
        self.empty.hide()
        self.body = QTextBrowser()
        self.body.setObjectName("riskAssessment")
        self.body.setAccessibleName("The current risk assessment")
        self.body.setOpenLinks(False)
        self.body.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        lay = QVBoxLayout(self)
        from ui.sync.banner import SyncBanner  # "As of last sync HH:MM" when this laptop is behind (issue 17)

        self.sync_banner = SyncBanner(ctx)
        lay.addWidget(self.sync_banner)
        lay.addLayout(top)
        lay.addWidget(self.prompts)
        lay.addWidget(self.empty)
        lay.addWidget(self.body, 1)
        self._set_buttons()
        self.refresh()

    def _button(self, text: str, name: str, slot: Any) -> QPushButton:
        b = QPushButton(text)
        b.setAccessibleName(name)
        b.clicked.connect(slot)
        return b

    def set_record(self, record: Any) -> None:
        """The window's record: which stay is current (to record the first assessment on)."""
        self.record = record
        self._set_buttons()

    def focus_first(self) -> bool:
        for b in (self.record_button, self.revise_button, self.print_button):
            if b.isVisible() and b.isEnabled():
                b.setFocus(Qt.FocusReason.OtherFocusReason)
                return True
        self.body.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    # -- loading ------------------------------------------------------------------------------
    def refresh(self) -> None:
        if self.ctx.state.locked:
            return
        book, rid = self.ctx.book, self.resident_id
        self.ctx.tasks.run(lambda: load_state(book, rid), self.show_state, lambda exc: show_error(self, exc))

    def show_view(self, view: RiskView) -> None:
        """What a save returned: shown without reading it again."""
        self.show_state(RiskState(view, view.admission_id, True, tuple(p.text for p in view.prompts)))

    def show_state(self, state: RiskState) -> None:
        self.state = state
        view = state.view
        if view is None:
            self.level.setText(level_text(None))
            self.review.setText("")
            self.body.hide()
            self.prompts.hide()
            if state.admission_id is None and not state.open_stay:
                self.empty.setText("This resident has no admission yet, so there is no risk assessment.")
            else:
                self.empty.setText("No risk assessment has been recorded for this stay yet. "
                                   + ("Record one now: the care plan cannot be completed without it."
                                      if self.can_record else "A key worker or senior records it."))
            self.empty.show()
        else:
            self.empty.hide()
            self.body.show()
            self.level.setText(f"{level_text(view.overall_level)} risk")
            self.level.setAccessibleName(f"Overall risk: {view.overall_label}")
            review = f"Next review by {format_date(view.review_on)}"
            if view.overdue:
                review = f"\u26a0 Risk review overdue: it was due on {format_date(view.review_on)}"
            self.review.setText(review + f" · version {view.number}, {format_date(view.saved_at)}, "
                                         f"{view.saved_by or 'unknown'}")
            self.review.setAccessibleName(self.review.text())
            if view.overall_level != view.suggested_level:
                self.level.setText(self.level.text() + f" (suggested {rd.level_label(view.suggested_level)})")
            texts = list(state.prompts)
            self.prompts.setText("\n".join(f"\u26a0 {t}" for t in texts))
            self.prompts.setVisible(bool(texts))
            self.body.setHtml(assessment_html(view))
        self._set_buttons()

    def _set_buttons(self) -> None:
        state = self.state
        has = state is not None and state.view is not None
        stay_open = state is not None and state.open_stay and self._stay_open()
        self.record_button.setVisible(not has)
        self.revise_button.setVisible(has)
        self.record_button.setEnabled(self.can_record and stay_open and self._admission_id() is not None)
        self.revise_button.setEnabled(self.can_record and has and stay_open)
        self.history_button.setEnabled(has)
        self.print_button.setEnabled(has)
        tip = READ_ONLY_TIP if not self.can_record else ("" if stay_open or state is None else ENDED_TIP)
        for b in (self.record_button, self.revise_button):
            b.setToolTip(tip)

    def _stay_open(self) -> bool:
        """Is the assessment's stay the current one? (Unknown until the record arrives: the service
        refuses a stay that has ended.)"""
        if self.record is None:
            return True
        adm = getattr(self.record, "current_admission", None)
        view = self.state.view if self.state is not None else None
        return adm is not None and (view is None or adm.id == view.admission_id)

    # -- actions ------------------------------------------------------------------------------
    def record_assessment(self) -> None:
        if self.state is None or not self.record_button.isEnabled():
            return
        self._open_form(None)

    def revise_assessment(self) -> None:
        if self.state is None or self.state.view is None or not self.revise_button.isEnabled():
            return
        self._open_form(self.state.view)

    def _open_form(self, current: RiskView | None) -> None:
        from ui.risk.form import RiskFormDialog

        admission_id = current.admission_id if current else self._admission_id()
        if admission_id is None:
            return
        if self.dialog is not None:
            self.dialog.deleteLater()
        dlg = RiskFormDialog(self, self.ctx, admission_id, current)
        dlg.accepted.connect(lambda: self._saved(dlg.result_value))
        self.dialog = dlg
        dlg.open()

    def _admission_id(self) -> str | None:
        if self.state is not None and self.state.admission_id:
            return self.state.admission_id
        adm = getattr(self.record, "current_admission", None)  # None once discharged
        return getattr(adm, "id", None)

    def _saved(self, view: RiskView | None) -> None:
        if view is not None:
            self.show_view(view)

    def show_history(self) -> None:
        from ui.risk.history import RiskHistoryDialog

        if self.state is None or self.state.view is None:
            return
        dlg = RiskHistoryDialog(self, self.ctx, self.state.view)
        self.dialog = dlg
        dlg.open()

    def print_assessment(self) -> None:
        if self.state is None or self.state.view is None:
            return
        view, risk = self.state.view, self.ctx.book.risk
        title = f"Risk assessment — {view.resident_name} ({view.reference}) — version {view.number}"

        def show(pdf: Preview) -> None:  # filed in Documents only when printed or saved
            from ui.documents import show_pdf

            self.pdf_dialog = show_pdf(self, self.ctx, title, pdf)

        aid = view.admission_id
        self.ctx.tasks.run(lambda: risk.pdf(aid), show, lambda exc: show_error(self, exc))
