"""The resident record's fields, built into a FormBinder: used by the admission dialog (a new
resident) and the Overview tab (editing). Field names are those of `keyworker.residents.ResidentInput`,
so the binder's values go to the core as they are."""
from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtWidgets import QFormLayout, QGroupBox, QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget

from keyworker import reference_data as ref
from keyworker.nhs import format_nhs_number
from keyworker.residents import DEMOGRAPHIC_LABELS, MINIMUM_AGE, ResidentRecord
from ui.forms import ChoiceCombo, EditableChoice, FormBinder, OptionalDateEdit
from ui.forms.lists import SubstanceListEdit

PNTS_HINT = "“Prefer not to say” is kept as the person's answer; leave it on “Not recorded” if not asked."


def _form(title: str) -> tuple[QGroupBox, QFormLayout]:
    box = QGroupBox(title)
    form = QFormLayout(box)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
    return box, form


def _line(placeholder: str = "", max_len: int = 200) -> QLineEdit:
    e = QLineEdit()
    e.setMaxLength(max_len)
    if placeholder:
        e.setPlaceholderText(placeholder)
    return e


def _text(height: int = 60) -> QPlainTextEdit:
    t = QPlainTextEdit()
    t.setTabChangesFocus(True)
    t.setFixedHeight(height)
    return t


def build_resident_fields(binder: FormBinder, *, today: date) -> list[QGroupBox]:
    """Add every resident field to `binder`; returns the group boxes to lay out, in order."""
    ident, f = _form("Identity")
    binder.row(f, "given_name", "&Given name", _line(max_len=100), required=True)
    binder.row(f, "family_name", "&Family name", _line(max_len=100), required=True)
    binder.row(f, "preferred_name", "&Preferred name", _line("What they like to be called", 100))
    dob = OptionalDateEdit(default=date(today.year - 35, 1, 1))
    binder.row(f, "date_of_birth", "&Date of birth", dob, required=True,
               hint=f"Only people aged {MINIMUM_AGE} or over on the admission date can be admitted.")
    binder.row(f, "nhs_number", "&NHS number", _line("10 digits, e.g. 943 476 5919 (optional)", 12))

    mds, f = _form("Minimum data set")
    for name, label in DEMOGRAPHIC_LABELS.items():
        options = ref.demographic_options(name)
        editor: QWidget
        if name in ref.FREE_TEXT_DEMOGRAPHICS:
            editor = EditableChoice(options)
        else:
            editor = ChoiceCombo(options)
        binder.row(f, name, label, editor)
    f.addRow("", _hint(PNTS_HINT))

    contact, f = _form("Address, GP and next of kin")
    binder.row(f, "postcode", "Post&code", _line("e.g. PR1 2AB", 10))
    district = EditableChoice(ref.districts(), placeholder="A Lancashire district, or another local authority")
    binder.row(f, "district", "Dis&trict", district)
    binder.row(f, "gp_practice", "GP practice", _line())
    binder.row(f, "next_of_kin_name", "Next of kin", _line())
    binder.row(f, "next_of_kin_relationship", "Relationship", _line(max_len=80))
    binder.row(f, "next_of_kin_phone", "Next of kin's phone", _line("e.g. 01772 123456", 20))
    binder.row(f, "next_of_kin_address", "Next of kin's address", _text())

    subs, f = _form("Substances")
    primary, route = ChoiceCombo(ref.substances()), ChoiceCombo(ref.routes())
    for combo in (primary, route):  # as wide as the longest name: never elided
        combo.setSizeAdjustPolicy(ChoiceCombo.SizeAdjustPolicy.AdjustToContents)
    binder.row(f, "primary_substance", "Primary substance", primary)
    binder.row(f, "primary_route", "Route", route)
    binder.row(f, "other_substances", "Other substances", SubstanceListEdit(ref.substances(), ref.routes()))
    return [ident, mds, contact, subs]


def _hint(text: str) -> QWidget:
    from PySide6.QtWidgets import QLabel

    lab = QLabel(text)
    lab.setObjectName("fieldHint")
    lab.setWordWrap(True)
    lab.setStyleSheet("QLabel#fieldHint { color: #52606d; }")
    return lab


def stack(boxes: list[QGroupBox]) -> QWidget:
    w = QWidget()
    v = QVBoxLayout(w)
    v.setContentsMargins(0, 0, 0, 0)
    for b in boxes:
        v.addWidget(b)
    v.addStretch(1)
    return w


def record_values(record: ResidentRecord) -> dict[str, Any]:
    """The binder's values for a saved record."""
    from keyworker.residents import EDITABLE_FIELDS

    values = {k: getattr(record, k) for k in EDITABLE_FIELDS if hasattr(record, k)}
    values["nhs_number"] = format_nhs_number(record.nhs_number) or None  # shown 3-3-4; saved as digits
    values["other_substances"] = [{"substance": s, "route": r} for s, r in record.other_substances] or None
    return values
