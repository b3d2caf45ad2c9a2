"""Editors the forms share: a UK date edit, an optional date, a choice combo that keeps
"Prefer not to say" apart from "Not recorded", and a district combo (Lancashire or another
local authority by name)."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, Signal
from PySide6.QtWidgets import QComboBox, QDateEdit, QDateTimeEdit, QWidget

from keyworker.clock import LONDON

UK_DATE = "dd/MM/yyyy"
UK_DATETIME = "dd/MM/yyyy HH:mm"
NOT_RECORDED = "Not recorded"
PREFER_NOT_TO_SAY = "Prefer not to say"
# QDateEdit cannot be empty: its minimum date stands for "no date" and shows as blank text.
_NO_DATE = QDate(1900, 1, 1)


def to_qdate(d: date | None) -> QDate:
    return QDate(d.year, d.month, d.day) if d is not None else QDate()


def from_qdate(q: QDate) -> date | None:
    return date(q.year(), q.month(), q.day()) if q.isValid() else None


class UkDateEdit(QDateEdit):
    """dd/MM/yyyy with a calendar popup. `value()` -> date; `set_value(date)`."""

    def __init__(self, value: date | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDisplayFormat(UK_DATE)
        self.setCalendarPopup(True)
        self.setMinimumDate(QDate(1900, 1, 2))
        self.setMaximumDate(QDate(2100, 12, 31))
        if value is not None:
            self.set_value(value)

    def value(self) -> date | None:
        return from_qdate(self.date())

    def set_value(self, value: date | None) -> None:
        if value is not None:
            self.setDate(to_qdate(value))


class OptionalDateEdit(UkDateEdit):
    """A UK date that may be left blank (shown empty; `value()` is None). Deleting the text or
    choosing the blank minimum clears it."""

    def __init__(self, value: date | None = None, parent: QWidget | None = None, *,
                 default: date | None = None) -> None:
        super().__init__(None, parent)
        self.setMinimumDate(_NO_DATE)
        self.setSpecialValueText(" ")
        self._default = default
        self.set_value(value)

    def value(self) -> date | None:
        d = self.date()
        return None if d == _NO_DATE else from_qdate(d)

    def set_value(self, value: date | None) -> None:
        self.setDate(to_qdate(value) if value is not None else _NO_DATE)

    def mousePressEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        # Opening the calendar on a blank date should start at a sensible month, not 1900.
        if self.value() is None and self._default is not None:
            self.calendarWidget().setSelectedDate(to_qdate(self._default))
        super().mousePressEvent(event)


class UkDateTimeEdit(QDateTimeEdit):
    """dd/MM/yyyy HH:mm in Europe/London; `value()` is a timezone-aware datetime."""

    def __init__(self, value: datetime | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDisplayFormat(UK_DATETIME)
        self.setCalendarPopup(True)
        if value is not None:
            self.set_value(value)

    def value(self) -> datetime:
        d, t = self.date(), self.time()
        return datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), tzinfo=LONDON)

    def set_value(self, value: datetime) -> None:
        local = value.astimezone(LONDON) if value.tzinfo else value.replace(tzinfo=LONDON)
        self.setDateTime(QDateTime(to_qdate(local.date()), QTime(local.hour, local.minute)))


def _compact(combo: QComboBox) -> None:
    """Long options (ethnicity, decline reasons) must not force a wide form: the popup still shows them whole."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(12)
    combo.view().setTextElideMode(Qt.TextElideMode.ElideNone)


class ChoiceCombo(QComboBox):
    """A closed list with a blank first entry. Choices are (code, label) pairs or plain labels.
    With `blank=NOT_RECORDED` the blank is shown as "Not recorded" — distinct from an explicit
    "Prefer not to say" choice, which is stored as such. `value()` -> code or None."""

    value_changed = Signal()

    def __init__(self, choices: Iterable[tuple[str, str] | str] = (), parent: QWidget | None = None, *,
                 blank: str | None = NOT_RECORDED) -> None:
        super().__init__(parent)
        self._blank = blank
        _compact(self)
        self.set_choices(choices)
        self.currentIndexChanged.connect(lambda _i: self.value_changed.emit())

    def set_choices(self, choices: Iterable[tuple[str, str] | str]) -> None:
        current = self.value() if self.count() else None
        self.blockSignals(True)
        self.clear()
        if self._blank is not None:
            self.addItem(self._blank, None)
        for c in choices:
            code, label = (c, c) if isinstance(c, str) else c
            self.addItem(label, code)
        self.blockSignals(False)
        self.set_value(current)

    def value(self) -> str | None:
        data = self.currentData()
        return None if data is None else str(data)

    def set_value(self, value: str | None) -> None:
        if value is None:
            self.setCurrentIndex(0 if self._blank is not None else -1)
            return
        i = self.findData(value)
        if i < 0:  # old data not in today's list: keep it rather than lose it
            self.addItem(value, value)
            i = self.count() - 1
        self.setCurrentIndex(i)

    def codes(self) -> list[str]:
        return [str(self.itemData(i)) for i in range(self.count()) if self.itemData(i) is not None]


class EditableChoice(QComboBox):
    """A list of suggestions where any text is allowed (nationality; district outside Lancashire).
    Empty text is None ("Not recorded")."""

    value_changed = Signal()

    def __init__(self, suggestions: Sequence[str] = (), parent: QWidget | None = None, *,
                 placeholder: str = NOT_RECORDED) -> None:
        super().__init__(parent)
        self.setEditable(True)
        _compact(self)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.addItem("")
        self.addItems(list(suggestions))
        self.lineEdit().setPlaceholderText(placeholder)
        self.setCurrentIndex(0)
        self.currentTextChanged.connect(lambda _t: self.value_changed.emit())
        if self.completer() is not None:
            self.completer().setCaseSensitivity(self.completer().caseSensitivity().CaseInsensitive)

    def value(self) -> str | None:
        t = self.currentText().strip()
        return t or None

    def set_value(self, value: str | None) -> None:
        i = self.findText(value or "")
        if i >= 0:
            self.setCurrentIndex(i)
        else:
            self.setEditText(value or "")
