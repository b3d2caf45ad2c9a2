"""Validation wiring for forms: every field shows its own message in a label beside it, as the
user types or leaves it, using the core's own validate functions. A fresh form shows no message:
Save is pressable, and pressing it shows every message at once; Save stays disabled while a
message is shown. The form knows whether anything was changed (to ask before closing)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from keyworker.errors import ValidationError
from ui.forms.widgets import ChoiceCombo, EditableChoice, UkDateEdit, UkDateTimeEdit

# A validate function takes the form's values and returns {field: message}, or raises the core's
# ValidationError (whose .fields is the same map). Either way the binder gets a dict.
Validator = Callable[[dict[str, Any]], "dict[str, str] | None"]
ERROR_MARK = "\u26a0 "  # a warning sign as well as colour: the message must not rely on red alone


class ErrorLabel(QLabel):
    """The message under a field: hidden when there is none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fieldError")
        self.setWordWrap(True)
        self.setStyleSheet("QLabel#fieldError { color: #b42318; }")
        self.hide()

    def set_message(self, message: str | None) -> None:
        if message:
            self.setText(ERROR_MARK + message)
            self.show()
        else:
            self.clear()
            self.hide()

    def message(self) -> str:
        return self.text().removeprefix(ERROR_MARK)


class FieldBox(QWidget):
    """An editor with its error label under it (the field column of a form row)."""

    def __init__(self, editor: QWidget, hint: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.setAlignment(Qt.AlignmentFlag.AlignTop)
        box.addWidget(editor)
        if hint:
            h = QLabel(hint)
            h.setObjectName("fieldHint")
            h.setWordWrap(True)
            h.setStyleSheet("QLabel#fieldHint { color: #52606d; }")
            box.addWidget(h)
        self.error = ErrorLabel(self)
        box.addWidget(self.error)


class FieldLabel(QLabel):
    """A form label as tall as its single-line editor, its text centred on the editor's line
    (the error message and hint under the editor do not pull it down)."""

    def __init__(self, text: str, buddy: QWidget) -> None:
        super().__init__(text)
        self.setBuddy(buddy)
        self._single_line = not isinstance(buddy, (QPlainTextEdit, QTextEdit)) and not hasattr(buddy, "add_row") \
            and not hasattr(buddy, "add_current")
        if self._single_line:
            self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            # Fixed height: the form must not stretch the label over the message under the field.
            self.setSizePolicy(self.sizePolicy().horizontalPolicy(), QSizePolicy.Policy.Fixed)

    def _line_height(self, h: int) -> int:
        buddy = self.buddy()
        return max(h, buddy.sizeHint().height()) if self._single_line and buddy is not None else h

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        s = super().sizeHint()
        return QSize(s.width(), self._line_height(s.height()))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        s = super().minimumSizeHint()
        return QSize(s.width(), self._line_height(s.height()))


@dataclass
class _Field:
    name: str
    editor: QWidget
    box: FieldBox | None
    label: str
    required: bool
    get: Callable[[], Any]
    set: Callable[[Any], None]
    counts_as_change: bool = True


def _accessors(w: QWidget) -> tuple[Callable[[], Any], Callable[[Any], None]]:
    if isinstance(w, (ChoiceCombo, EditableChoice, UkDateEdit, UkDateTimeEdit)):
        return w.value, w.set_value
    if isinstance(w, QLineEdit):
        return (lambda: w.text().strip() or None), (lambda v: w.setText("" if v is None else str(v)))
    if isinstance(w, (QPlainTextEdit, QTextEdit)):
        return (lambda: w.toPlainText().strip() or None), (lambda v: w.setPlainText("" if v is None else str(v)))
    if isinstance(w, QCheckBox):
        return w.isChecked, (lambda v: w.setChecked(bool(v)))
    if isinstance(w, QAbstractSpinBox) and hasattr(w, "value"):
        return w.value, (lambda v: w.setValue(v) if v is not None else None)  # type: ignore[attr-defined]
    if isinstance(w, QComboBox):
        return (lambda: w.currentData()), (lambda v: w.setCurrentIndex(max(0, w.findData(v))))
    if hasattr(w, "value") and hasattr(w, "set_value"):
        return w.value, w.set_value  # type: ignore[attr-defined]
    raise TypeError(f"No form accessors for {type(w).__name__}")


def _change_signals(w: QWidget) -> list[Any]:
    if isinstance(w, (ChoiceCombo, EditableChoice)):
        return [w.value_changed]
    if isinstance(w, QLineEdit):
        return [w.textChanged]
    if isinstance(w, (QPlainTextEdit, QTextEdit)):
        return [w.textChanged]
    if isinstance(w, QAbstractButton):
        return [w.toggled]
    if isinstance(w, QDateTimeEdit):  # QDateEdit too
        return [w.dateTimeChanged]
    if isinstance(w, QAbstractSpinBox) and hasattr(w, "valueChanged"):
        return [w.valueChanged]  # type: ignore[attr-defined]
    if isinstance(w, QComboBox):
        return [w.currentIndexChanged]
    sig = getattr(w, "value_changed", None)
    return [sig] if sig is not None else []


class FormBinder(QObject):
    """Binds editors to field names and to a validate function.

    `add(name, editor, ...)` returns the FieldBox to put in a layout (or use `row()` to add a
    labelled row to a QFormLayout). Messages appear for a field once the user has changed or left
    it, and for every field after `reveal_all()` (e.g. when Save is pressed)."""

    changed = Signal()  # any value changed by the user
    loaded = Signal()  # values were set from a saved record
    validity_changed = Signal(bool)
    dirty_changed = Signal(bool)
    shown_changed = Signal()  # the messages shown may have changed (a field left, Save tried)

    def __init__(self, validate: Validator | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._validate = validate
        self.fields: dict[str, _Field] = {}
        self._touched: set[str] = set()
        self._reveal = False
        self._errors: dict[str, str] = {}
        self._baseline: dict[str, Any] = {}
        self._valid = True
        self._dirty = False
        self._loading = False
        self._extra_errors: dict[str, str] = {}
        self.form_error: ErrorLabel | None = None  # for messages that belong to no one field

    # -- building ---------------------------------------------------------------------------
    def add(self, name: str, editor: QWidget, label: str = "", *, required: bool = False,
            hint: str | None = None, getter: Callable[[], Any] | None = None,
            setter: Callable[[Any], None] | None = None, boxed: bool = True,
            counts_as_change: bool = True) -> FieldBox:
        get, set_ = _accessors(editor) if getter is None or setter is None else (getter, setter)
        box = FieldBox(editor, hint) if boxed else None
        editor.setObjectName(editor.objectName() or f"field_{name}")
        if label and not editor.accessibleName():
            editor.setAccessibleName(label.replace("&", "").rstrip(":").rstrip(" *"))
        # counts_as_change=False: a choice that alone is no typed work to lose (e.g. accept/decline)
        self.fields[name] = _Field(name, editor, box, label, required, get, set_, counts_as_change)
        for sig in _change_signals(editor):
            sig.connect(lambda *_a, n=name: self._on_change(n))
        editor.installEventFilter(self)
        self._baseline[name] = get()
        return box  # type: ignore[return-value]

    def row(self, form: QFormLayout, name: str, label: str, editor: QWidget, **kw: Any) -> FieldBox:
        """Add a labelled row; a required field's label ends with an asterisk (and says so to screen readers)."""
        box = self.add(name, editor, label, **kw)
        text = f"{label} *" if kw.get("required") else label
        lab = FieldLabel(text, editor)
        if kw.get("required"):
            editor.setAccessibleName(f"{editor.accessibleName()} (required)")
        form.addRow(lab, box)
        return box

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.FocusOut:
            for f in self.fields.values():
                if f.editor is obj:
                    self._touched.add(f.name)
                    self.revalidate()
                    break
        return False

    # -- values -----------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        return {n: f.get() for n, f in self.fields.items()}

    def value(self, name: str) -> Any:
        return self.fields[name].get()

    def load(self, values: dict[str, Any]) -> None:
        """Set fields from a saved record; the result is the new 'unchanged' state."""
        self._loading = True
        try:
            for n, v in values.items():
                if n in self.fields:
                    self.fields[n].set(v)
        finally:
            self._loading = False
        self.mark_saved()
        self.loaded.emit()

    def mark_saved(self) -> None:
        self._baseline = self.values()
        self._touched.clear()
        self._reveal = False
        self._extra_errors.clear()
        self.revalidate()

    def is_dirty(self) -> bool:
        return self._dirty

    # -- validation -------------------------------------------------------------------------
    def _on_change(self, name: str) -> None:
        if self._loading:
            return
        self._touched.add(name)
        self._extra_errors.pop(name, None)
        self._extra_errors.pop("", None)  # a refusal of the whole form is answered by any change
        self.revalidate()
        self.changed.emit()

    def set_validator(self, validate: Validator | None) -> None:
        self._validate = validate
        self.revalidate()

    def compute_errors(self) -> dict[str, str]:
        values = self.values()
        errors: dict[str, str] = {}
        if self._validate is not None:
            try:
                errors.update(self._validate(values) or {})
            except ValidationError as e:
                errors.update(e.fields)
        for n, f in self.fields.items():  # the core's own message wins; this is a fallback
            if f.required and (values[n] is None or values[n] == "" or values[n] == []):
                errors.setdefault(n, f"{(f.label.replace('&', '') or n).rstrip(':* ')} is required.")
        for k, v in self._extra_errors.items():
            errors.setdefault(k, v)
        return errors

    def revalidate(self) -> None:
        self._errors = self.compute_errors()
        shown_general: list[str] = []
        for n, f in self.fields.items():
            msg = self._errors.get(n) if (self._reveal or n in self._touched) else None
            if f.box is not None:
                f.box.error.set_message(msg)
            f.editor.setAccessibleDescription(msg or "")
            f.editor.setProperty("invalid", bool(msg))
            f.editor.style().unpolish(f.editor)
            f.editor.style().polish(f.editor)
        for k, v in self._errors.items():
            if k not in self.fields and self._reveal:
                shown_general.append(v)
        if self.form_error is not None:
            self.form_error.set_message(" ".join(shown_general) or None)
        valid = not self._errors
        if valid != self._valid:
            self._valid = valid
            self.validity_changed.emit(valid)
        current = self.values()
        dirty = any(current[n] != self._baseline.get(n) for n, f in self.fields.items() if f.counts_as_change)
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirty_changed.emit(dirty)
        self.shown_changed.emit()

    def reveal_all(self) -> None:
        self._reveal = True
        self.revalidate()

    def is_valid(self) -> bool:
        return not self._errors

    def errors(self) -> dict[str, str]:
        return dict(self._errors)

    def shown_error(self, name: str) -> str:
        """The message now shown under a field ('' when none): what the user reads."""
        f = self.fields[name]
        return f.box.error.message() if f.box is not None and not f.box.error.isHidden() else ""

    def apply_errors(self, fields: dict[str, str]) -> None:
        """Show errors the core raised on save (e.g. a rule needing the database)."""
        self._extra_errors = dict(fields)
        self._reveal = True
        self.revalidate()
        self.focus_first_error()

    def focus_first_error(self) -> None:
        for n, f in self.fields.items():
            if n in self._errors:
                f.editor.setFocus()
                return

    def shown_errors(self) -> dict[str, str]:
        """The errors the user can see: of fields changed or left, and all of them once Save was
        tried. A fresh form has none, however many required fields are still empty."""
        if self._reveal:
            return dict(self._errors)
        return {n: m for n, m in self._errors.items() if n in self._touched}

    def missing_summary(self, *, shown_only: bool = False) -> str:
        """'Fix 2 fields to save: Given name, Date of birth' — beside Save. With `shown_only`, for the
        messages shown only (a form whose Save is pressable until then, see `bind_save`)."""
        errors = self.shown_errors() if shown_only else self._errors
        names = [self.fields[n].label.replace("&", "").rstrip(":* ") or n for n in errors if n in self.fields]
        if not errors:
            return ""
        if not names:
            return "Check the form before saving."
        return f"Fix {len(names)} field{'s' if len(names) != 1 else ''} to save: {', '.join(names)}"

    def save_allowed(self, *, require_change: bool = False) -> bool:
        """Save may be pressed unless a message is shown (or, if `require_change`, nothing changed).
        Pressing it on a form with hidden errors shows them all (`reveal_all`) and saves nothing."""
        return not self.shown_errors() and (self.is_dirty() or not require_change)

    def bind_save(self, button: QAbstractButton, status: QLabel | None = None, *,
                  require_change: bool = False) -> None:
        """Keep `button` enabled only while no message is shown (and the form changed, if
        `require_change`)."""

        def update(*_a: Any) -> None:
            button.setEnabled(self.save_allowed(require_change=require_change))
            if status is not None:
                status.setText(self.missing_summary(shown_only=True))

        self.validity_changed.connect(update)
        self.dirty_changed.connect(update)
        self.changed.connect(update)
        self.shown_changed.connect(update)
        update()
