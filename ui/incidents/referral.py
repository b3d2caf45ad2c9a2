"""Recording a safeguarding referral (children's, adults', or MARAC) with what raised it — an
incident, a domestic abuse checklist or the risk assessment, chosen from the resident's own — and,
when it comes back, its outcome."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QPlainTextEdit, QWidget

from keyworker.clock import format_date, local_today
from keyworker.safeguarding import GROUND_OPTIONS, REFERRAL_KINDS, SafeguardingReferralInput, validate_referral
from ui.context import AppContext
from ui.forms import ChoiceCombo, FormDialog, UkDateEdit, to_qdate

LINK_FIELDS = {"incident": "incident_id", "checklist": "checklist_id", "risk": "risk_assessment_id"}


def split_link(link: str | None) -> dict[str, str | None]:
    """"incident:<id>" -> {"incident_id": id, ...}: the core's three link fields."""
    out: dict[str, str | None] = dict.fromkeys(LINK_FIELDS.values())
    if link and ":" in link:
        kind, _, ident = link.partition(":")
        if kind in LINK_FIELDS:
            out[LINK_FIELDS[kind]] = ident
    return out


class ReferralDialog(FormDialog):
    save_text = "&Record referral"
    data_area = "safeguarding"
    min_width = 720  # "Raised by" names an incident or checklist in full

    def __init__(self, parent: QWidget | None, ctx: AppContext, resident_id: str,
                 links: list[tuple[str, str]], *, kind: str | None = None, grounds: str | None = None,
                 link: str | None = None) -> None:
        super().__init__(parent, ctx, "Record a MARAC referral" if kind == "marac" else "Record a safeguarding referral")
        self.setObjectName("referralDialog")
        self.resident_id = resident_id
        self.today = local_today(ctx.book.clock)
        b = self.binder
        form = QFormLayout()
        self.kind = ChoiceCombo([(o.code, o.label) for o in REFERRAL_KINDS], blank="Choose…")
        b.row(form, "kind", "Referral to", self.kind, required=True)
        self.referred_on = UkDateEdit(self.today)
        self.referred_on.setMaximumDate(to_qdate(self.today))
        b.row(form, "referred_on", "Date referred", self.referred_on, required=True)
        self.agency = QLineEdit()
        b.row(form, "agency", "Agency", self.agency)
        self.made_by = QLineEdit()
        self.made_by.setPlaceholderText(f"{ctx.book.actor.full_name}, unless someone else made it")
        b.row(form, "made_by", "Made by", self.made_by)
        self.reference = QLineEdit()
        b.row(form, "reference", "Their reference", self.reference)
        self.link = ChoiceCombo(links, blank="Nothing recorded here")
        b.row(form, "link", "Raised by", self.link, hint="The incident, checklist or risk assessment that led to it.")
        self.grounds = ChoiceCombo([(o.code, o.label[:1].upper() + o.label[1:]) for o in GROUND_OPTIONS],
                                   blank="Choose…")
        b.row(form, "grounds", "Grounds for MARAC", self.grounds)
        self.outcome = QPlainTextEdit()
        self.outcome.setTabChangesFocus(True)
        self.outcome.setFixedHeight(60)
        self.outcome.setPlaceholderText("If already known; otherwise record it when it comes back")
        b.row(form, "outcome", "Outcome", self.outcome)
        self.content_layout.addLayout(form)
        self.kind.value_changed.connect(self._kind_changed)
        if kind:
            self.kind.set_value(kind)
        if grounds:
            self.grounds.set_value(grounds)
        if link:
            self.link.set_value(link)
        self._kind_changed()
        self.finish_setup()

    def first_focus(self) -> QWidget | None:
        # Opened for a MARAC referral the type is known: start at the date.
        return self.referred_on if self.kind.value() else self.kind

    def _kind_changed(self) -> None:
        marac = self.kind.value() == "marac"
        self.grounds.setEnabled(marac)
        if not marac:
            self.grounds.set_value(None)
        self.agency.setPlaceholderText("MARAC (you may leave it blank)" if marac
                                       else "e.g. Lancashire adult safeguarding")

    def values_for_core(self, values: dict[str, Any]) -> dict[str, Any]:
        v = dict(values)
        v.update(split_link(v.pop("link", None)))
        v["resident_id"] = self.resident_id
        return v

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        _clean, errors = validate_referral(self.values_for_core(values), today=self.today)
        errors.pop("resident_id", None)
        for field in LINK_FIELDS.values():  # said at the one "Raised by" field
            if field in errors:
                errors["link"] = errors.pop(field)
        return errors

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        data = SafeguardingReferralInput(**self.values_for_core(values))
        sg = self.ctx.book.safeguarding
        return lambda: sg.record_referral(data)


class OutcomeDialog(FormDialog):
    save_text = "&Record outcome"
    data_area = "safeguarding"

    def __init__(self, parent: QWidget | None, ctx: AppContext, referral: Any) -> None:
        super().__init__(parent, ctx, f"Outcome of the {referral.kind_label} referral")
        self.setObjectName("outcomeDialog")
        self.referral = referral
        about = QLabel(f"Referred on {format_date(referral.referred_on)} to {referral.agency}"
                       + (f", reference {referral.reference}" if referral.reference else "") + ".")
        about.setWordWrap(True)
        self.content_layout.addWidget(about)
        form = QFormLayout()
        self.outcome = QPlainTextEdit()
        self.outcome.setTabChangesFocus(True)
        self.outcome.setFixedHeight(110)
        b = self.binder
        b.row(form, "outcome", "Outcome", self.outcome, required=True)
        self.content_layout.addLayout(form)
        if referral.outcome:
            b.load({"outcome": referral.outcome})
        self.finish_setup(require_change=bool(referral.outcome))

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        sg, rid, outcome = self.ctx.book.safeguarding, self.referral.id, values["outcome"]
        return lambda: sg.record_outcome(rid, outcome)
