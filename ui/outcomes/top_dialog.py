"""The "New TOP" form, laid out like the paper form in our own words: the stage and the interview
date; substance use in the past 28 days as a grid (a 0–7 spin box per substance and week, the
28-day total computed live beside them, the average amount on a using day and its unit); tobacco,
injecting and sharing; crime; health and social functioning (the three 0–20 scales as spin boxes,
days of work and of college or school, housing). Everything is reached with Tab and typed; each
wrong value is said beside its field (the core's own check, keyed by field), and a failed save
keeps everything typed."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from keyworker.clock import local_today
from keyworker.top import (AMOUNT_UNIT_WORDS, SCALES, STAGES, SUBSTANCES, SubstanceUse, TopInput, field_wording,
                           validate_top)
from ui.context import AppContext
from ui.forms import ChoiceCombo, FormDialog, UkDateEdit, to_qdate

NOT_SCORED = -1


def spin(name: str, high: int, accessible: str, *, low: int = 0, width: int = 56) -> QSpinBox:
    box = QSpinBox()
    box.setObjectName(f"field_{name}")
    box.setRange(low, high)
    box.setAccessibleName(accessible)
    box.setMinimumWidth(width)
    box.setMaximumWidth(width + 30)
    box.setAlignment(Qt.AlignmentFlag.AlignRight)
    return box


class TopDialog(FormDialog):
    save_text = "&Save TOP"
    data_area = "top"
    min_width = 900

    def __init__(self, parent: QWidget | None, ctx: AppContext, resident_id: str, *,
                 stage: str | None = None) -> None:
        super().__init__(parent, ctx, "New TOP (Treatment Outcomes Profile)")
        self.setObjectName("topDialog")
        self.resident_id = resident_id
        self.today = local_today(ctx.book.clock)
        b = self.binder
        head = QFormLayout()
        self.stage = ChoiceCombo([(o.code, o.label) for o in STAGES], blank="Choose the stage…")
        if stage:
            self.stage.set_value(stage)
        b.row(head, "stage", "Stage", self.stage, required=True)
        self.interview_on = UkDateEdit(self.today)
        self.interview_on.setMaximumDate(to_qdate(self.today))
        b.row(head, "interview_on", "Interview date", self.interview_on, required=True, hint="dd/mm/yyyy")
        self.content_layout.addLayout(head)

        # -- substance use: the grid ------------------------------------------------------------
        use = QGroupBox("Substance use in the past 28 days (days used in each week, 0 to 7)")
        grid = QGridLayout(use)
        grid.setHorizontalSpacing(8)
        for col, text in enumerate(["", "Week 1", "Week 2", "Week 3", "Week 4", "Total", "Average on a using day",
                                    "Unit"]):
            label = QLabel(f"<b>{text}</b>")
            grid.addWidget(label, 0, col)
        self.weeks: dict[str, list[QSpinBox]] = {}
        self.totals: dict[str, QLabel] = {}
        self.amounts: dict[str, QDoubleSpinBox] = {}
        self.units: dict[str, ChoiceCombo] = {}
        self.other_name = QLineEdit()
        self.other_name.setPlaceholderText("Which substance?")
        self.other_name.setMinimumWidth(130)
        self.other_name.setAccessibleName("Other substance: which")
        for row, sub in enumerate(SUBSTANCES, start=1):
            if sub.code == "other":
                cell = QWidget()
                f = QFormLayout(cell)
                f.setContentsMargins(0, 0, 0, 0)
                f.addRow(QLabel("Other:"), b.add(f"substances.{sub.code}.other_name", self.other_name, "Other substance"))
                grid.addWidget(cell, row, 0, Qt.AlignmentFlag.AlignTop)
            else:
                name = QLabel(sub.label)
                name.setToolTip(field_wording(sub.code))
                name.setMinimumHeight(QSpinBox().sizeHint().height())  # level with its spin boxes
                grid.addWidget(name, row, 0, Qt.AlignmentFlag.AlignTop)
            boxes = []
            for n in range(1, 5):
                box = spin(f"{sub.code}_week{n}", 7, f"{sub.label}, week {n}: days used")
                grid.addWidget(b.add(f"substances.{sub.code}.week{n}", box, f"{sub.label}, week {n}"), row, n,
                               Qt.AlignmentFlag.AlignTop)
                box.valueChanged.connect(lambda _v, code=sub.code: self._update_total(code))
                boxes.append(box)
            self.weeks[sub.code] = boxes
            total = QLabel("0")
            total.setObjectName(f"total_{sub.code}")
            total.setAccessibleName(f"{sub.label}: total days")
            total.setAlignment(Qt.AlignmentFlag.AlignCenter)
            total.setMinimumSize(40, boxes[0].sizeHint().height())
            grid.addWidget(total, row, 5, Qt.AlignmentFlag.AlignTop)
            self.totals[sub.code] = total
            amount = QDoubleSpinBox()
            amount.setObjectName(f"field_{sub.code}_amount")
            amount.setRange(0, 10_000)
            amount.setDecimals(1)
            amount.setSpecialValueText("—")
            amount.setMinimumWidth(90)
            amount.setMaximumWidth(120)
            amount.setAccessibleName(f"{sub.label}: average amount on a using day")
            grid.addWidget(b.add(f"substances.{sub.code}.average_amount", amount, f"{sub.label}, amount",
                                 getter=lambda a=amount: a.value() or None,
                                 setter=lambda v, a=amount: a.setValue(v or 0)), row, 6, Qt.AlignmentFlag.AlignTop)
            self.amounts[sub.code] = amount
            unit = ChoiceCombo(list(AMOUNT_UNIT_WORDS.items()))
            unit.set_value(sub.default_unit)
            unit.setAccessibleName(f"{sub.label}: unit of the amount")
            grid.addWidget(b.add(f"substances.{sub.code}.amount_unit", unit, f"{sub.label}, unit"), row, 7,
                           Qt.AlignmentFlag.AlignTop)
            self.units[sub.code] = unit
        self.content_layout.addWidget(use)

        # -- tobacco, injecting, crime ----------------------------------------------------------
        risk = QGroupBox("Tobacco and injecting (days in the past 28)")
        rf = QFormLayout(risk)
        self.tobacco = spin("tobacco_days", 28, "Tobacco: days")
        b.row(rf, "tobacco_days", "Tobacco", self.tobacco)
        self.injecting = spin("injecting_days", 28, "Injecting: days")
        b.row(rf, "injecting_days", "Injecting", self.injecting)
        self.shared_needles = QCheckBox("Shared &needles or syringes")
        b.row(rf, "shared_needles", "", self.shared_needles)
        self.shared_other = QCheckBox("Shared other injecting &equipment")
        b.row(rf, "shared_other_equipment", "", self.shared_other)
        self.content_layout.addWidget(risk)

        crime = QGroupBox("Crime in the past 28 days")
        cf = QFormLayout(crime)
        self.shoplifting = spin("shoplifting_days", 28, "Shoplifting: days")
        b.row(cf, "shoplifting_days", "Shoplifting (days)", self.shoplifting)
        self.selling = spin("drug_selling_days", 28, "Selling drugs: days")
        b.row(cf, "drug_selling_days", "Selling drugs (days)", self.selling)
        self.crime_boxes: dict[str, QCheckBox] = {}
        for name, text in (("vehicle_theft", "Theft from or of a &vehicle"),
                           ("property_theft", "Other property theft or &burglary"),
                           ("fraud", "&Fraud, forgery or handling stolen goods"),
                           ("assault", "&Assault or violence")):
            box = QCheckBox(text)
            b.row(cf, name, "", box)
            self.crime_boxes[name] = box
        self.content_layout.addWidget(crime)

        # -- health and social functioning ------------------------------------------------------
        health = QGroupBox("Health and social functioning")
        hf = QFormLayout(health)
        self.scales: dict[str, QSpinBox] = {}
        for name, label in SCALES:
            box = spin(name, 20, f"{label}, 0 poor to 20 good", low=NOT_SCORED, width=110)
            box.setSpecialValueText("Not scored")
            box.setValue(NOT_SCORED)
            b.row(hf, name, label, box, required=True, hint="0 (poor) to 20 (good)",
                  getter=lambda bx=box: None if bx.value() == NOT_SCORED else bx.value(),
                  setter=lambda v, bx=box: bx.setValue(NOT_SCORED if v is None else v))
            self.scales[name] = box
        self.paid_work = spin("paid_work_days", 28, "Paid work: days")
        b.row(hf, "paid_work_days", "Paid work (days)", self.paid_work)
        self.education = spin("education_days", 28, "College or school: days")
        b.row(hf, "education_days", "College or school (days)", self.education)
        self.housing = QCheckBox("Acute &housing problem")
        b.row(hf, "acute_housing_problem", "", self.housing)
        self.eviction = QCheckBox("At risk of e&viction")
        b.row(hf, "eviction_risk", "", self.eviction)
        self.content_layout.addWidget(health)
        self._licensed_wording()
        self.finish_setup()

    def _licensed_wording(self) -> None:
        """A unit's licensed TOP wording (resources/licensed/top.json), if installed, under each field."""
        for name, f in self.binder.fields.items():
            wording = field_wording(name)
            if wording and f.box is not None:
                note = QLabel(wording)
                note.setObjectName("licensedWording")
                note.setWordWrap(True)
                note.setStyleSheet("QLabel#licensedWording { color: #52606d; }")
                f.box.layout().insertWidget(1, note)
                f.editor.setToolTip(wording)

    def _update_total(self, code: str) -> None:
        self.totals[code].setText(str(sum(b.value() for b in self.weeks[code])))

    def first_focus(self) -> QWidget | None:
        return self.interview_on if self.stage.value() else self.stage

    def top_input(self, values: dict[str, Any]) -> dict[str, Any]:
        """The form's values as the core's TopInput fields."""
        subs = []
        for sub in SUBSTANCES:
            key = f"substances.{sub.code}"
            subs.append(SubstanceUse(sub.code, [values[f"{key}.week{n}"] for n in range(1, 5)],
                                     average_amount=values[f"{key}.average_amount"],
                                     amount_unit=values[f"{key}.amount_unit"],
                                     other_name=values.get(f"{key}.other_name") or ""))
        plain = {k: v for k, v in values.items() if not k.startswith("substances.")}
        return {**plain, "resident_id": self.resident_id, "substances": subs}

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        _values, _rows, errors = validate_top(self.top_input(values), today=self.today)
        errors.pop("resident_id", None)
        return errors

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        data = TopInput(**self.top_input(values))
        book = self.ctx.book
        return lambda: book.top.record(data)

    def changed_areas(self) -> tuple[str, ...]:
        return ("top",)


__all__ = ["TopDialog"]
