""""New survey…": a satisfaction survey typed by keyboard alone. Date and who answered first (the
resident, or a carer or family member with their name and relationship, asked only then), then
each question as a list that takes the digit typed (1 to 5, or left "Not answered"), then the
comments (Tab moves on, it does not type a tab). Ctrl+S saves; closing with anything typed asks
first, and a refused save keeps everything typed (the dialog base)."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QLineEdit, QPlainTextEdit, QWidget

from keyworker.clock import local_today
from keyworker.surveys import RATING_WORDS, RATINGS, RESPONDENTS, SurveyInput
from ui.forms.dialog import FormDialog
from ui.forms.widgets import ChoiceCombo, UkDateEdit

if TYPE_CHECKING:
    from ui.context import AppContext

NOT_ANSWERED = "Not answered"
CHANGED_AREAS = ("surveys", "outbox")


class SurveyDialog(FormDialog):
    data_area = "surveys"
    min_width = 560

    def __init__(self, parent: QWidget | None, ctx: AppContext, resident_id: str) -> None:
        super().__init__(parent, ctx, "New satisfaction survey", save_text="&Save survey")
        self.resident_id = resident_id
        b = self.binder
        top = QFormLayout()
        self.taken_on = UkDateEdit(local_today(ctx.book.clock))
        b.row(top, "taken_on", "&Date of the survey", self.taken_on, required=True)
        self.respondent = ChoiceCombo([(o.code, o.label) for o in RESPONDENTS], blank=None)
        self.respondent.set_value("resident")
        b.row(top, "respondent", "&Who answered", self.respondent, required=True)
        self.respondent_name = QLineEdit()
        b.row(top, "respondent_name", "&Name of the carer or family member", self.respondent_name)
        self.relationship = QLineEdit()
        self.relationship.setPlaceholderText("For example: mother, partner, friend")
        b.row(top, "relationship", "&Relationship to the resident", self.relationship)
        self.content_layout.addLayout(top)

        box = QGroupBox("Ratings: 1 (not at all) to 5 (very much); type the number")
        form = QFormLayout(box)
        choices = [(str(n), f"{n} – {w}") for n, w in RATING_WORDS.items()]
        self.ratings: dict[str, ChoiceCombo] = {}
        for key, label in RATINGS:
            combo = ChoiceCombo(choices, blank=NOT_ANSWERED)
            combo.setAccessibleName(f"{label}, 1 to 5")
            b.row(form, key, label, combo)
            self.ratings[key] = combo
        self.content_layout.addWidget(box)
        comments_form = QFormLayout()
        self.comments = QPlainTextEdit()
        self.comments.setTabChangesFocus(True)
        self.comments.setMaximumHeight(self.fontMetrics().lineSpacing() * 5 + 16)
        b.row(comments_form, "comments", "&Comments (in their words)", self.comments)
        self.completed_by = QLineEdit(ctx.book.actor.full_name)
        b.row(comments_form, "completed_by", "Taken &by", self.completed_by)
        self.content_layout.addLayout(comments_form)
        note = QLabel("The questions are our own short words; a unit may ask them in its own wording on paper.")
        note.setObjectName("hint")
        note.setWordWrap(True)
        self.content_layout.addWidget(note)
        self.respondent.value_changed.connect(self._respondent_changed)
        self._respondent_changed()
        self.finish_setup()

    def _respondent_changed(self) -> None:
        carer = self.respondent.value() == "carer"
        for w in (self.respondent_name, self.relationship):
            w.setEnabled(carer)

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        errors: dict[str, str] = {}
        if values.get("respondent") == "carer":
            if not values.get("respondent_name"):
                errors["respondent_name"] = "Give the name of the carer or family member who answered."
            if not values.get("relationship"):
                errors["relationship"] = "Say how they are related to the resident (for example: mother, partner)."
        if not any(values.get(k) for k, _l in RATINGS):
            errors["overall"] = "Answer at least one question (1 to 5)."
        return errors

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        carer = values.get("respondent") == "carer"
        data = SurveyInput(
            resident_id=self.resident_id, respondent=values.get("respondent") or "resident",
            taken_on=values["taken_on"],
            respondent_name=(values.get("respondent_name") or "") if carer else "",
            relationship=(values.get("relationship") or "") if carer else "",
            comments=values.get("comments") or "", completed_by=values.get("completed_by") or "",
            **{k: int(values[k]) if values.get(k) else None for k, _l in RATINGS})
        book = self.ctx.book
        return lambda: book.surveys.record(data)

    def changed_areas(self) -> tuple[str, ...]:
        return CHANGED_AREAS
