"""The risk assessment form: the first assessment of a stay, or a review (a new version, with why).

Each risk area gets a rating and evidence (the area's hint as placeholder). The overall level starts
at the suggested one (the highest rating) and follows the ratings until the user picks a level; a
lower level asks why. The review date follows the level (4 weeks; 1 week when high) until the user
sets one; a later date asks why. The core's own rules (keyworker.risk.validate) check the form as
it is typed, and a refusal on save is shown at the field it names; nothing typed is lost."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from keyworker import risk_domains as rd
from keyworker.clock import format_date, local_today
from keyworker.errors import ValidationError
from keyworker.risk import Contingency, DomainRating, RiskInput, RiskView, validate
from ui.context import AppContext
from ui.forms.dialog import FormDialog
from ui.forms.widgets import ChoiceCombo, UkDateEdit
from ui.risk.actions_edit import ActionsEdit
from ui.risk.words import SYMBOLS

RATING_CHOICES = [(level, f"{SYMBOLS[level]} {label}") for level, label in rd.LEVELS.items()]


def _text_edit(name: str, placeholder: str = "", height: int = 60) -> QPlainTextEdit:
    ed = QPlainTextEdit()
    ed.setAccessibleName(name)
    ed.setPlaceholderText(placeholder)
    ed.setTabChangesFocus(True)  # Tab moves on, as in every other field
    ed.setMinimumHeight(height)
    ed.setMaximumHeight(height + 40)
    return ed


def _labelled(text: str, editor: QWidget, box: QWidget) -> QVBoxLayout:
    """A label above its field (long labels would push every form's fields to the right)."""
    lay = QVBoxLayout()
    lay.setSpacing(2)
    label = QLabel(text)
    label.setBuddy(editor)
    label.setWordWrap(True)
    lay.addWidget(label)
    lay.addWidget(box)
    lay.addStretch(1)  # a short field stays at the top, beside its taller neighbour's top
    return lay


class RiskFormDialog(FormDialog):
    data_area = "risk"
    min_width = 720

    def __init__(self, parent: QWidget | None, ctx: AppContext, admission_id: str,
                 current: RiskView | None = None) -> None:
        revising = current is not None
        super().__init__(parent, ctx, "Review the risk assessment" if revising else "Record risk assessment",
                         save_text="&Save new version" if revising else "&Save assessment")
        self.admission_id = admission_id
        self.current = current
        self.today: date = local_today(ctx.book.clock)
        self._overall_chosen = False  # the user picked a level: it no longer follows the ratings
        self._review_chosen = False  # the user set a date: it no longer follows the level
        self._auto = False  # a change the form makes itself, not the user
        b = self.binder

        if revising:
            top = QFormLayout()
            self.content_layout.addLayout(top)
            self.reason = QLineEdit()
            self.reason.setPlaceholderText("e.g. Incident on the unit; relapse on leave; planned review")
            b.row(top, "reason", "Why the assessment is changing", self.reason, required=True)

        self.ratings: dict[str, ChoiceCombo] = {}
        self.evidence: dict[str, QPlainTextEdit] = {}
        for d in rd.DOMAINS:
            box = QGroupBox(d.label)
            box.setObjectName(f"domain_{d.key}")
            row = QHBoxLayout(box)
            combo = ChoiceCombo(RATING_CHOICES, blank="Choose a rating")
            combo.setMinimumWidth(combo.fontMetrics().horizontalAdvance("Choose a rating") + 48)
            ev = _text_edit(f"{d.label}: evidence", d.hint, height=52)
            row.addLayout(_labelled("Rating *", combo, b.add(f"rating.{d.key}", combo, f"{d.label}: rating",
                                                           required=True)))
            row.addLayout(_labelled("Evidence *", ev, b.add(f"domains.{d.key}", ev, f"{d.label}: evidence",
                                                             required=True)), 1)
            combo.value_changed.connect(self._ratings_changed)
            self.ratings[d.key], self.evidence[d.key] = combo, ev
            self.content_layout.addWidget(box)

        overall_box = QGroupBox("Overall level")
        self.overall_form = QFormLayout(overall_box)
        self.overall = ChoiceCombo(RATING_CHOICES, blank=None)
        self.overall.setCurrentIndex(0)
        b.row(self.overall_form, "overall_level", "Overall level", self.overall, required=True)
        self.suggested = QLabel()
        self.suggested.setObjectName("muted")
        self.suggested.setWordWrap(True)
        self.overall_form.addRow("", self.suggested)
        self.overall_reason = _text_edit("Why the overall level is lower than the highest rating")
        b.row(self.overall_form, "overall_reason", "Why it is lower", self.overall_reason)
        self.overall.value_changed.connect(self._overall_changed)
        self.content_layout.addWidget(overall_box)

        plan_box = QGroupBox("Risk management plan")
        plan_form = QFormLayout(plan_box)
        self.actions = ActionsEdit(self.today)
        b.add("actions", self.actions, "Risk management plan")
        plan_form.addRow(b.fields["actions"].box)
        self.content_layout.addWidget(plan_box)

        cont_box = QGroupBox("Contingency plan for an unplanned discharge")
        cont_lay = QVBoxLayout(cont_box)
        self.contingency: dict[str, QPlainTextEdit] = {}
        for key, label in rd.CONTINGENCY_FIELDS.items():
            ed = _text_edit(label, height=44)
            cont_lay.addLayout(_labelled(label, ed, b.add(f"contingency.{key}", ed, label)))
            self.contingency[key] = ed
        self.content_layout.addWidget(cont_box)

        review_box = QGroupBox("Review")
        self.review_form = QFormLayout(review_box)
        self.review_on = UkDateEdit(rd.default_review_on(self.today, rd.LOW))
        b.row(self.review_form, "review_on", "Next review by", self.review_on, required=True)
        self.review_hint = QLabel()
        self.review_hint.setObjectName("muted")
        self.review_hint.setWordWrap(True)
        self.review_form.addRow("", self.review_hint)
        self.review_reason = QLineEdit()
        b.row(self.review_form, "review_reason", "Why the review can wait", self.review_reason)
        self.review_on.dateChanged.connect(self._review_changed)
        self.content_layout.addWidget(review_box)

        if current is not None:
            self._load(current)
        self._update()
        self.finish_setup(require_change=False)
        # Enter saves: made default once it is inside this dialog (before, it had no dialog to be
        # the default of), and the plan's own buttons never take that over.
        self.save_button.setDefault(True)

    # -- live rules ---------------------------------------------------------------------------
    def suggested_level(self) -> str:
        return rd.suggested_level([c.value() or "" for c in self.ratings.values()])

    def _ratings_changed(self) -> None:
        if not self._overall_chosen:
            self._set(lambda: self.overall.set_value(self.suggested_level()))
        self._update()

    def _overall_changed(self) -> None:
        if not self._auto:
            self._overall_chosen = True
        self._update()

    def _review_changed(self) -> None:
        if not self._auto:
            self._review_chosen = True
        self._update()

    def _set(self, change: Callable[[], None]) -> None:
        self._auto = True
        try:
            change()
        finally:
            self._auto = False

    def default_review_on(self) -> date:
        return rd.default_review_on(self.today, self.overall.value() or self.suggested_level())

    def _update(self) -> None:
        suggested, level = self.suggested_level(), self.overall.value() or rd.LOW
        lower = rd.rank(level) < rd.rank(suggested)
        self.suggested.setText(f"Suggested: {rd.LEVELS[suggested]} — the highest rating."
                               + (" A lower level needs a reason." if lower else ""))
        self.overall_form.setRowVisible(self.binder.fields["overall_reason"].box, lower)
        default = self.default_review_on()
        if not self._review_chosen:
            self._set(lambda: self.review_on.set_value(default))
        weeks = "1 week" if level == rd.HIGH else "4 weeks"
        self.review_hint.setText(f"Usually by {format_date(default)} ({weeks}). A later date needs a reason.")
        later = (self.review_on.value() or default) > default
        self.review_form.setRowVisible(self.binder.fields["review_reason"].box, later)
        self.binder.revalidate()

    # -- loading a version to review ----------------------------------------------------------------
    def _load(self, view: RiskView) -> None:
        values: dict[str, Any] = {}
        for d in view.domains:
            values[f"rating.{d.key}"] = d.rating
            values[f"domains.{d.key}"] = d.evidence
        values["overall_level"] = view.overall_level
        values["overall_reason"] = view.overall_reason or None
        values["actions"] = list(view.actions)
        for key in rd.CONTINGENCY_FIELDS:
            values[f"contingency.{key}"] = getattr(view.contingency, key) or None
        self._set(lambda: self.binder.load(values))
        # a level set apart from the ratings stays as set; one equal to them follows them
        self._overall_chosen = view.overall_level != view.suggested_level
        self._update()
        self.binder.mark_saved()

    # -- the core's rules -----------------------------------------------------------------------------
    def risk_input(self, values: dict[str, Any]) -> RiskInput:
        return RiskInput(
            domains=[DomainRating(d.key, values.get(f"rating.{d.key}") or "", values.get(f"domains.{d.key}") or "")
                     for d in rd.DOMAINS],
            overall_level=values.get("overall_level") or "",
            contingency=Contingency(**{k: values.get(f"contingency.{k}") or "" for k in rd.CONTINGENCY_FIELDS}),
            actions=list(values.get("actions") or []),
            overall_reason=values.get("overall_reason") or "",
            review_on=values.get("review_on"),
            review_reason=values.get("review_reason") or "",
        )

    def placed(self, errors: dict[str, str], values: dict[str, Any]) -> dict[str, str]:
        """The core's messages at the fields they name: a missing rating at its rating, an action's
        problem at the plan."""
        out: dict[str, str] = {}
        for key, msg in errors.items():
            if key.startswith("domains.") and not values.get("rating." + key.removeprefix("domains.")):
                out["rating." + key.removeprefix("domains.")] = msg
            elif key.startswith("actions."):
                out["actions"] = f"{out['actions']} {msg}" if "actions" in out else msg
            elif key == "domains" and any(k.startswith("rating.") for k in out):
                continue  # "rate every area" is said at each unrated area
            else:
                out[key] = msg
        return out

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        try:
            validate(self.risk_input(values), self.today)
        except ValidationError as e:
            errors = self.placed(e.fields, values)
        else:
            errors = {}
        if self.current is not None and not (values.get("reason") or "").strip():
            errors["reason"] = "Say why the risk assessment is changing."
        return errors

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        data, risk, aid = self.risk_input(values), self.ctx.book.risk, self.admission_id
        if self.current is None:
            return lambda: risk.record(aid, data)
        reason = values.get("reason") or ""
        return lambda: risk.revise(aid, data, reason)

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValidationError):
            exc = ValidationError(self.placed(exc.fields, self.binder.values()), str(exc))
        super()._failed(exc)
