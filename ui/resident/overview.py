"""The Overview tab: the resident's record as an edit form (identity, minimum data set, contacts,
substances), the current admission, and consents. Every field validates on the spot with the
core's own rules; Save (Ctrl+S) sends only what changed, in one transaction."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from keyworker.clock import format_date, local_today
from keyworker.errors import ValidationError
from keyworker.residents import ResidentRecord, validate_resident
from keyworker.security.permissions import Permission
from ui.errors import show_error
from ui.forms import BusyBar, FormBinder
from ui.forms.lists import SubstanceListEdit
from ui.resident.consents import ConsentsPanel
from ui.resident.fields import build_resident_fields, record_values

if TYPE_CHECKING:
    from ui.context import AppContext


def _align(boxes: list[QGroupBox]) -> int:
    forms = [b.layout() for b in boxes if isinstance(b.layout(), QFormLayout)]
    labels = [f.itemAt(r, QFormLayout.ItemRole.LabelRole).widget() for f in forms for r in range(f.rowCount())
              if f.itemAt(r, QFormLayout.ItemRole.LabelRole) is not None
              and f.itemAt(r, QFormLayout.ItemRole.LabelRole).widget() is not None]
    if not labels:
        return 0
    width = max(w.sizeHint().width() for w in labels)
    for w in labels:
        w.setMinimumWidth(width)
    return width


WIDE_LAYOUT_MIN = 1150  # px of the tab: below it the record is one column (1024 px screens)


def _column(widgets: list[QWidget]) -> QWidget:
    w = QWidget()
    v = QVBoxLayout(w)
    v.setContentsMargins(0, 0, 0, 0)
    for x in widgets:
        v.addWidget(x)
    v.addStretch(1)
    return w


class OverviewTab(QWidget):
    def __init__(self, ctx: AppContext, resident_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.resident_id = resident_id
        self.record: ResidentRecord | None = None
        self.pending_record: ResidentRecord | None = None  # newer data that arrived while editing
        self.today = local_today(ctx.book.clock)
        self.can_edit = ctx.book.actor.can(Permission.EDIT_RESIDENTS)
        self._saving = False
        self._after_save: list[Callable[[], None]] = []  # `then`s that asked while a save was running
        self.setObjectName("overviewTab")

        self.binder = FormBinder(self._validate, self)
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        content = QWidget()
        self._grid = QGridLayout(content)
        boxes = build_resident_fields(self.binder, today=self.today)
        self.consents = ConsentsPanel(ctx, resident_id)
        self.admission_box = QGroupBox("Admission")
        self.admission_form = QFormLayout(self.admission_box)
        # Identity and data set | admission and contacts; substances and consents below, full width
        # (their lists need it). Narrower than WIDE_LAYOUT_MIN, everything is one column.
        self._parts = [_column(boxes[:2]), _column([self.admission_box, boxes[2]]),
                       _column([boxes[3], self.consents])]
        self._wide: bool | None = None
        self._arrange(True)
        scroll.setWidget(content)
        v.addWidget(scroll, 1)

        self.busy = BusyBar(self)
        v.addWidget(self.busy)
        bar = QHBoxLayout()
        self.status = QLabel()
        self.status.setObjectName("saveStatus")
        self.status.setWordWrap(True)
        bar.addWidget(self.status, 1)
        self.revert_button = QPushButton("&Undo my changes")
        self.revert_button.setAccessibleName("Undo my changes")
        self.revert_button.setToolTip("Put back the saved record (Ctrl+Z undoes typing within a field)")
        self.save_button = QPushButton("&Save changes")
        self.save_button.setAccessibleName("Save changes")
        self.save_button.setToolTip("Ctrl+S")
        bar.addWidget(self.revert_button)
        bar.addWidget(self.save_button)
        v.addLayout(bar)
        self.revert_button.clicked.connect(self.revert)
        self.save_button.clicked.connect(lambda: self.save())
        for sig in (self.binder.changed, self.binder.dirty_changed, self.binder.validity_changed):
            sig.connect(self._update_buttons)
        self._update_buttons()
        # One label width: the fields line up in every arrangement (the admission rows come later).
        self._label_width = _align([*boxes, self.admission_box])
        if not self.can_edit:
            # Read-only, not greyed out: night staff read this record, so it keeps full contrast.
            for f in self.binder.fields.values():
                if isinstance(f.editor, QLineEdit | QPlainTextEdit):
                    f.editor.setReadOnly(True)
                elif isinstance(f.editor, SubstanceListEdit):
                    f.editor.set_read_only(True)
                else:
                    f.editor.setEnabled(False)
            content.setStyleSheet("QComboBox:disabled, QDateEdit:disabled { color: palette(text); }")
            self.save_button.hide()
            self.revert_button.hide()
            self.status.setText("Your role can read this record but not change it.")

    def _arrange(self, wide: bool) -> None:
        if wide == self._wide:
            return
        self._wide = wide
        g = self._grid
        left, right, bottom = self._parts
        for part in self._parts:
            g.removeWidget(part)
        if wide:
            g.addWidget(left, 0, 0)
            g.addWidget(right, 0, 1)
            g.addWidget(bottom, 1, 0, 1, 2)
            g.setColumnStretch(0, 3)
            g.setColumnStretch(1, 2)
        else:
            for row, part in enumerate(self._parts):
                g.addWidget(part, row, 0)
            g.setColumnStretch(0, 1)
            g.setColumnStretch(1, 0)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        self._arrange(event.size().width() >= WIDE_LAYOUT_MIN)
        super().resizeEvent(event)

    # -- record -----------------------------------------------------------------------------
    def _admitted_on(self) -> date | None:
        if self.record is None or not self.record.admissions:
            return None
        return self.record.admissions[0].admitted_on

    def set_record(self, record: ResidentRecord) -> None:
        if self.binder.is_dirty() and self.record is not None:
            self.pending_record = record  # never overwrite what the user is typing
            return
        self.record = record
        self.pending_record = None
        self.binder.load(record_values(record))
        self._show_admission(record)
        self._update_buttons()

    def refresh(self) -> None:
        """The record itself comes from the window (set_record); the consents are read here."""
        self.consents.refresh()

    def _show_admission(self, record: ResidentRecord) -> None:
        f = self.admission_form
        while f.rowCount():
            f.removeRow(0)
        adm = record.current_admission
        if adm is None:
            f.addRow(QLabel("Not currently admitted."))
            return
        rows = [("Reference", record.reference), ("Admitted", format_date(adm.admitted_on)),
                ("Week", adm.week_label or "Not started"), ("Setting", adm.setting_label),
                ("Strand", adm.strand_label),
                ("Planned length", f"{adm.planned_weeks} weeks (to {format_date(adm.planned_end_on)})"),
                ("Key worker", adm.key_worker_name),
                ("Attendance", "Part-time" + (f": {adm.part_time_notes}" if adm.part_time_notes else "")
                 if adm.part_time else "Full-time")]
        for label, text in rows:
            value = QLabel(text)
            value.setWordWrap(True)
            value.setAccessibleName(label)
            name = QLabel(label)
            name.setMinimumWidth(self._label_width)  # in line with the fields of the other boxes
            f.addRow(name, value)

    # -- validation and saving --------------------------------------------------------------
    def _validate(self, values: dict[str, Any]) -> dict[str, str]:
        if self.record is None:
            return {}
        return validate_resident(values, admitted_on=self._admitted_on(), today=self.today, partial=True,
                                 current_dob=self.record.date_of_birth)[1]

    def is_dirty(self) -> bool:
        return self.binder.is_dirty()

    def changes(self) -> dict[str, Any]:
        base = self.binder._baseline  # noqa: SLF001
        return {k: v for k, v in self.binder.values().items() if base.get(k) != v}

    def save(self, then: Callable[[], None] | None = None) -> None:
        """Save what changed; `then()` runs once it is saved (never if the save fails). Asked again
        while a save runs (Ctrl+S, then closing the window), `then` waits for that save."""
        if self._saving:
            if then is not None:
                self._after_save.append(then)
            return
        if not self.can_edit or self.ctx.state.locked:
            return
        self.binder.reveal_all()
        if not self.binder.is_valid():
            self.binder.focus_first_error()
            return
        changes = self.changes()
        if not changes:
            if then:
                then()
            return
        book, rid = self.ctx.book, self.resident_id
        self._set_saving(True)

        def done(record: ResidentRecord) -> None:
            self._set_saving(False)
            self.record = record
            self.binder.load(record_values(record))
            self._show_admission(record)
            self.status.setText("Saved.")
            publish = getattr(self.window(), "publish", None)
            if callable(publish):
                publish("residents", record)
            else:
                self.ctx.state.data_changed.emit("residents")
            waiting, self._after_save = self._after_save, []
            for after in ([then] if then else []) + waiting:
                after()

        def failed(exc: BaseException) -> None:
            self._after_save.clear()
            self._set_saving(False)
            if isinstance(exc, ValidationError):
                self.binder.apply_errors(exc.fields)
            else:
                show_error(self, exc)

        self.ctx.tasks.run(lambda: book.residents.update(rid, changes), done, failed)

    def _set_saving(self, saving: bool) -> None:
        self._saving = saving
        if saving:
            self.busy.start()
            self.status.setText("Saving…")
            self.save_button.setEnabled(False)
        else:
            self.busy.stop()
            self._update_buttons()

    def revert(self) -> None:
        record = self.pending_record or self.record
        if record is not None:
            self.binder.load(record_values(record))
            self.record, self.pending_record = record, None
            self._show_admission(record)
        self._update_buttons()

    def _update_buttons(self, *_a: Any) -> None:
        dirty = self.binder.is_dirty()
        self.revert_button.setEnabled(dirty)
        self.save_button.setEnabled(dirty and self.binder.is_valid() and not self._saving)
        if self.can_edit and not dirty and not self._saving and self.status.text() != "Saved.":
            self.status.setText("")
        elif dirty:
            self.status.setText(self.binder.missing_summary() or "Unsaved changes.")
