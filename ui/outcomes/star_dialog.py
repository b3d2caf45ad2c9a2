""""New reading…": an Outcome Star reading typed by keyboard alone. The date and when in the stay
come first, then every area on its own row: a score box (type the digits; Tab moves on), the
Journey of Change stage shown live beside it from the definition's bands, and an optional note.
Closing with anything typed asks first (the dialog base's save/discard/cancel)."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QFormLayout, QGridLayout, QGroupBox, QLabel, QLineEdit, QSpinBox, QWidget

from keyworker import outcome_star_definitions as defs
from keyworker.clock import local_today
from keyworker.outcome_star import STAGE_LABELS, StarReadingInput, StarReadingView
from ui.forms.dialog import FormDialog
from ui.forms.widgets import ChoiceCombo, UkDateEdit

if TYPE_CHECKING:
    from ui.context import AppContext

NOT_SCORED = "not scored"
CHANGED_AREAS = ("outcomes", "outbox")


class ScoreBox(QSpinBox):
    """1–10, blank until scored (0 stands for "not scored" and shows as a dash)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(0, 10)
        self.setSpecialValueText("–")
        self.setValue(0)
        self.setMinimumWidth(64)


class StarReadingDialog(FormDialog):
    data_area = "outcomes"
    min_width = 760

    def __init__(self, parent: QWidget | None, ctx: AppContext, resident_id: str,
                 definition: defs.StarDefinition | None = None, stage: str = "review",
                 reading: StarReadingView | None = None) -> None:
        super().__init__(parent, ctx, "Correct Outcome Star reading" if reading else "New Outcome Star reading",
                         save_text="&Save correction" if reading else "&Save reading")
        self.resident_id = resident_id
        self.reading = reading
        if definition is None and reading is not None:
            try:  # a correction keeps the areas the reading was scored on
                definition = defs.get(reading.definition_id, reading.definition_version)
            except KeyError:
                definition = None
        self.definition = definition or defs.current()
        b = self.binder
        top = QFormLayout()
        self.taken_on = UkDateEdit(local_today(ctx.book.clock))
        b.row(top, "taken_on", "&Date of the reading", self.taken_on, required=True)
        self.stage = ChoiceCombo([(code, label) for code, label in STAGE_LABELS.items()])
        self.stage.set_value(stage)
        b.row(top, "stage", "&When in the stay", self.stage, required=True)
        self.completed_by = QLineEdit(ctx.book.actor.full_name)
        b.row(top, "completed_by", "Completed &by", self.completed_by)
        if reading is not None:
            self.reason = QLineEdit()
            b.row(top, "correction_reason", "&Why it is corrected", self.reason, required=True)
        self.content_layout.addLayout(top)

        box = QGroupBox(f"{self.definition.name} Star: score every area from 1 to 10".replace("&", "&&"))
        grid = QGridLayout(box)
        for c, head in enumerate(("Area", "Score", "Stage", "Note (optional)")):
            h = QLabel(f"<b>{head}</b>")
            grid.addWidget(h, 0, c)
        self.scores: dict[str, ScoreBox] = {}
        self.stage_labels: dict[str, QLabel] = {}
        self.notes: dict[str, QLineEdit] = {}
        for r, area in enumerate(self.definition.areas, 1):
            spin = ScoreBox()
            spin.setAccessibleName(f"{area.name} score, 1 to 10")
            label = QLabel(area.name.replace("&", "&&"))  # "&" is a shortcut marker to Qt
            label.setBuddy(spin)
            stage_label = QLabel(NOT_SCORED)
            stage_label.setObjectName("hint")
            stage_label.setMinimumWidth(110)
            note = QLineEdit()
            note.setAccessibleName(f"{area.name} note")
            note.setPlaceholderText("Optional")
            grid.addWidget(label, r, 0)
            grid.addWidget(b.add(f"score_{area.key}", spin, area.name), r, 1)
            grid.addWidget(stage_label, r, 2)
            grid.addWidget(b.add(f"note_{area.key}", note, f"{area.name} note"), r, 3)
            spin.valueChanged.connect(lambda v, k=area.key: self._show_stage(k, v))
            self.scores[area.key], self.stage_labels[area.key], self.notes[area.key] = spin, stage_label, note
        grid.setColumnStretch(3, 1)
        self.content_layout.addWidget(box)
        if not self.definition.descriptors:
            lic = QLabel("The Outcomes Star is Triangle's copyright and is used under their licence. Use the "
                         "Star's own guidance with the resident to choose each score; this form records the "
                         "scores and shows the stage of the Journey of Change for each.")
            lic.setObjectName("hint")
            lic.setWordWrap(True)
            self.content_layout.addWidget(lic)
        if reading is not None:
            b.load({"taken_on": reading.taken_on, "stage": reading.stage, "completed_by": reading.completed_by,
                    **{f"score_{a.key}": a.score for a in reading.scores},
                    **{f"note_{a.key}": a.note or None for a in reading.scores}})
            for a in reading.scores:
                if a.key in self.scores:
                    self._show_stage(a.key, a.score)
        self.finish_setup()

    def _show_stage(self, key: str, value: int) -> None:
        text = self.definition.stage_for(value).name if 1 <= value <= 10 else NOT_SCORED
        descriptor = self.definition.descriptor(key, value) if 1 <= value <= 10 else ""
        self.stage_labels[key].setText(text)
        self.stage_labels[key].setToolTip(descriptor)

    def stage_text(self, key: str) -> str:
        return self.stage_labels[key].text()

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        errors = {f"score_{a.key}": f"{a.name}: give a score from 1 to 10."
                  for a in self.definition.areas if not values.get(f"score_{a.key}")}
        if self.reading is not None and not values.get("correction_reason"):
            errors["correction_reason"] = "Say why this is being corrected: the original stays in the history."
        return errors

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        data = StarReadingInput(
            resident_id=self.resident_id, taken_on=values["taken_on"], stage=values["stage"] or "review",
            scores={a.key: int(values[f"score_{a.key}"]) for a in self.definition.areas},
            notes={a.key: values[f"note_{a.key}"] for a in self.definition.areas if values.get(f"note_{a.key}")},
            completed_by=values.get("completed_by") or "", definition_id=self.definition.id,
            definition_version=self.definition.version)
        book = self.ctx.book
        if self.reading is not None:
            rid, why = self.reading.id, values.get("correction_reason") or ""
            return lambda: book.outcome_star.correct(rid, data, why)
        return lambda: book.outcome_star.record(data)

    def _failed(self, exc: BaseException) -> None:
        from keyworker.errors import ValidationError

        if isinstance(exc, ValidationError):  # the service's "scores.money" is this form's "score_money"
            exc = ValidationError({k.replace("scores.", "score_").replace("notes.", "note_"): v
                                   for k, v in exc.fields.items()})
        super()._failed(exc)

    def changed_areas(self) -> tuple[str, ...]:
        return CHANGED_AREAS


_OPEN: set[QWidget] = set()  # dialogs shown without a parent are kept alive while open


def open_dialogs() -> list[QWidget]:
    import shiboken6

    return [d for d in _OPEN if shiboken6.isValid(d)]


def open_star_dialog(ctx: AppContext, parent: QWidget | None, resident_id: str,
                     stage: str = "review", reading: StarReadingView | None = None) -> StarReadingDialog:
    """"New reading…", or with `reading` "Correct…" (its scores loaded, a reason asked for)."""
    dialog = StarReadingDialog(parent, ctx, resident_id, stage=stage, reading=reading)
    _OPEN.add(dialog)
    dialog.finished.connect(lambda _r: _OPEN.discard(dialog))
    dialog.destroyed.connect(lambda *_a: _OPEN.discard(dialog))
    dialog.setModal(True)
    dialog.show()
    return dialog
