"""The filter row the incident lists share: from and to dates (both included) and the type."""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from keyworker.incidents import INCIDENT_TYPES, IncidentFilter
from ui.forms import ChoiceCombo, OptionalDateEdit


class IncidentFilterBar(QWidget):
    changed = Signal()

    def __init__(self, date_from: date | None = None, date_to: date | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.date_from = OptionalDateEdit(date_from, default=date_to)
        self.date_from.setObjectName("filterFrom")
        self.date_from.setAccessibleName("From date")
        self.date_to = OptionalDateEdit(date_to, default=date_to)
        self.date_to.setObjectName("filterTo")
        self.date_to.setAccessibleName("To date")
        self.kind = ChoiceCombo([(o.code, o.label) for o in INCIDENT_TYPES], blank="All types")
        self.kind.setObjectName("filterType")
        self.kind.setAccessibleName("Type of incident")
        for text, w in (("&From", self.date_from), ("&To", self.date_to), ("T&ype", self.kind)):
            lab = QLabel(text)
            lab.setBuddy(w)
            # Never squeezed: a narrow window cut "To" to "Tc" and ran "Type" under its combo.
            lab.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
            lab.setFixedWidth(lab.fontMetrics().horizontalAdvance(text.replace("&", "")) + 8)
            w.setMinimumWidth(w.sizeHint().width())
            row.addWidget(lab)
            row.addSpacing(4)  # the date edit's frame is drawn a little outside it
            row.addWidget(w)
            row.addSpacing(10)
        self.date_from.dateChanged.connect(lambda _d: self.changed.emit())
        self.date_to.dateChanged.connect(lambda _d: self.changed.emit())
        self.kind.value_changed.connect(self.changed.emit)

    def value(self) -> IncidentFilter:
        kind = self.kind.value()
        return IncidentFilter(self.date_from.value(), self.date_to.value(), (kind,) if kind else ())
