"""The Medication tab: what the resident takes now (medicine, dose, how often, how it is taken), what
was stopped, and every start / change / stop event as history, so a night worker can read what
someone takes. Starting, changing and stopping are each a dialog; nothing is overwritten."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from keyworker.clock import format_date, format_datetime, local_today
from keyworker.documents.store import Preview
from keyworker.medication import ROUTES, MedicationCourse, MedicationSummary, how_taken, validate_medication
from keyworker.security.permissions import Permission
from keyworker.validation import Cleaner
from ui.documents import show_pdf
from ui.errors import show_error
from ui.forms import ChoiceCombo, FormDialog, UkDateEdit
from ui.widgets.tables import read_only_table

if TYPE_CHECKING:
    from ui.context import AppContext

EVENT_LABELS = {"start": "Started", "change": "Changed", "stop": "Stopped"}


def _line(placeholder: str = "", max_len: int = 200) -> QLineEdit:
    e = QLineEdit()
    e.setMaxLength(max_len)
    e.setPlaceholderText(placeholder)
    return e


def _notes() -> QPlainTextEdit:
    t = QPlainTextEdit()
    t.setTabChangesFocus(True)
    t.setFixedHeight(60)
    return t


class MedicationDialog(FormDialog):
    """Start a medicine (`course=None`) or change the dose, frequency, route or prescriber of one.
    "As directed" stands in place of a dose and frequency (and greys them out)."""

    def __init__(self, parent: QWidget | None, ctx: AppContext, resident_id: str,
                 course: MedicationCourse | None = None) -> None:
        title = "Start medication" if course is None else f"Change {course.name}"
        super().__init__(parent, ctx, title, save_text="&Start" if course is None else "&Save change")
        self.resident_id = resident_id
        self.course = course
        self.today = local_today(ctx.book.clock)
        b = self.binder
        box = QGroupBox("Medicine" if course is None else f"{course.name} — from the date below")
        f = QFormLayout(box)
        b.row(f, "name", "&Medicine", _line("e.g. Buprenorphine"), required=course is None)
        self.route = ChoiceCombo([(o.code, o.label) for o in ROUTES], blank="Choose how it is taken")
        b.row(f, "route", "&Route", self.route, required=course is None)
        self.as_directed = QCheckBox("&As directed (no fixed dose or frequency)")
        b.row(f, "as_directed", "", self.as_directed)
        self.dose = _line("e.g. 8 mg", 100)
        self.frequency = _line("e.g. once daily", 100)
        b.row(f, "dose", "&Dose", self.dose)  # or "as directed": the core says which is missing
        b.row(f, "frequency", "How &often", self.frequency)
        self.as_directed.toggled.connect(self._directed)
        date_edit = UkDateEdit(self.today)
        b.row(f, "effective_on", "Start date" if course is None else "Date of the change", date_edit, required=True)
        b.row(f, "prescriber", "&Prescriber", _line("e.g. Dr A Patel, Fishergate Surgery"))
        b.row(f, "notes", "&Notes", _notes())
        self.content_layout.addWidget(box)
        if course is not None:
            b.load({"name": course.name, "dose": course.dose, "frequency": course.frequency,
                    "prescriber": course.prescriber, "route": course.route,
                    "as_directed": bool(course.as_directed)})
        self._directed(self.as_directed.isChecked())
        self.finish_setup(require_change=course is not None)
        self._changing = course is not None

    def first_focus(self) -> QWidget | None:
        # A new medicine starts at its name; a change at the dose, which is what usually changes.
        return self.dose if self._changing else self.binder.fields["name"].editor

    def _directed(self, on: bool) -> None:
        # Ticked: nothing to type in dose and frequency (the core refuses both at once).
        for e in (self.dose, self.frequency):
            if on:
                e.clear()
            e.setEnabled(not on)

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        errors = validate_medication(values, today=self.today, name_required=self.course is None)[1]
        on = values.get("effective_on")
        if self.course is not None and on is not None and on < self.course.started_on:
            errors.setdefault("effective_on",
                              f"The change cannot be before the start ({format_date(self.course.started_on)}).")
        return errors

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        book = self.ctx.book
        if self.course is None:
            rid = self.resident_id
            return lambda: book.residents.start_medication(rid, values)
        cid = self.course.course_id
        return lambda: book.residents.change_medication(cid, values)

    @classmethod
    def ask(cls, parent: QWidget | None, ctx: AppContext, resident_id: str,
            course: MedicationCourse | None = None) -> MedicationCourse | None:
        dlg = cls(parent, ctx, resident_id, course)
        return dlg.result_value if dlg.exec() == FormDialog.DialogCode.Accepted.value else None


class StopMedicationDialog(FormDialog):
    def __init__(self, parent: QWidget | None, ctx: AppContext, course: MedicationCourse) -> None:
        super().__init__(parent, ctx, f"Stop {course.name}", save_text="&Stop medicine")
        self.course = course
        self.today = local_today(ctx.book.clock)
        box = QGroupBox(f"{course.name} ({course.how_taken}), started {format_date(course.started_on)}")
        f = QFormLayout(box)
        self.binder.row(f, "effective_on", "&Date stopped", UkDateEdit(self.today), required=True)
        self.binder.row(f, "notes", "&Why / notes", _notes())
        self.content_layout.addWidget(box)
        self.finish_setup()

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        c = Cleaner(values)
        c.date("effective_on", "Date stopped", required=True, not_after=self.today,
               not_before=self.course.started_on)
        c.text("notes", "Notes", max_len=2000)
        return c.errors

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        book, cid = self.ctx.book, self.course.course_id
        on, notes = values["effective_on"], values["notes"]
        return lambda: book.residents.stop_medication(cid, on, notes)

    @classmethod
    def ask(cls, parent: QWidget | None, ctx: AppContext, course: MedicationCourse) -> MedicationCourse | None:
        dlg = cls(parent, ctx, course)
        return dlg.result_value if dlg.exec() == FormDialog.DialogCode.Accepted.value else None


def _table(headers: Sequence[str], name: str) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(list(headers))
    t.setAccessibleName(name)
    read_only_table(t)
    h = t.horizontalHeader()
    h.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    h.setStretchLastSection(True)
    return t


def _fill(t: QTableWidget, rows: list[Sequence[str]]) -> None:
    t.setRowCount(len(rows))
    for i, row in enumerate(rows):
        for j, text in enumerate(row):
            t.setItem(i, j, QTableWidgetItem(text or ""))


class MedicationTab(QWidget):
    refresh_areas = ("medication",)

    def __init__(self, ctx: AppContext, resident_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.resident_id = resident_id
        self.summary: MedicationSummary | None = None
        self.start_dialog: Callable[..., MedicationCourse | None] = MedicationDialog.ask
        self.stop_dialog: Callable[..., MedicationCourse | None] = StopMedicationDialog.ask
        self.setObjectName("medicationTab")
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 0, 0)
        from ui.sync.banner import SyncBanner  # "As of last sync HH:MM" when this laptop is behind (issue 17)

        self.sync_banner = SyncBanner(ctx)
        v.addWidget(self.sync_banner)
        split = QSplitter(Qt.Orientation.Vertical)
        current = QWidget()
        cv = QVBoxLayout(current)
        cv.setContentsMargins(0, 0, 0, 0)
        title = QLabel("Current medication")
        title.setObjectName("sectionTitle")
        cv.addWidget(title)
        self.current = _table(("Medicine", "Dose", "How often", "How taken", "Since", "Prescriber"),
                              "Current medication")
        cv.addWidget(self.current)
        self.empty = QLabel("No current medication recorded.")
        cv.addWidget(self.empty)
        buttons = QHBoxLayout()
        self.start_button = QPushButton("S&tart medication…")
        self.change_button = QPushButton("C&hange dose, frequency or route…")
        self.stop_button = QPushButton("Sto&p…")
        # Everyone who reads the record may print the summary (night staff at handover).
        self.print_button = QPushButton("Print s&ummary…")
        self.print_button.setToolTip("One page: who they are, whom to call and what they take now")
        for b in (self.start_button, self.change_button, self.stop_button):
            b.setAccessibleName(b.text().replace("&", "").rstrip("…"))
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.print_button.setAccessibleName("Print resident summary")
        buttons.addWidget(self.print_button)
        cv.addLayout(buttons)
        split.addWidget(current)
        hist = QWidget()
        hv = QVBoxLayout(hist)
        hv.setContentsMargins(0, 0, 0, 0)
        htitle = QLabel("History (every start, change and stop)")
        htitle.setObjectName("sectionTitle")
        hv.addWidget(htitle)
        self.history = _table(("Date", "Event", "Medicine", "How taken", "Prescriber", "Notes",
                               "Recorded"), "Medication history")
        self.history.horizontalHeader().setStretchLastSection(False)
        self.history.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        hv.addWidget(self.history)
        split.addWidget(hist)
        v.addWidget(split)
        can_edit = ctx.book.actor.can(Permission.EDIT_RESIDENTS)
        for b in (self.start_button, self.change_button, self.stop_button):
            b.setVisible(can_edit)
        self.start_button.clicked.connect(self.start)
        self.change_button.clicked.connect(self.change)
        self.stop_button.clicked.connect(self.stop)
        self.print_button.clicked.connect(self.print_summary)
        self.viewer: Callable[..., Any] = show_pdf
        self.pdf_dialog: Any = None
        self.current.itemSelectionChanged.connect(self._update_buttons)
        self.current.doubleClicked.connect(lambda _i: self.change())
        self.refresh()

    def refresh(self) -> None:
        if self.ctx.state.locked:
            return
        book, rid = self.ctx.book, self.resident_id
        self.ctx.tasks.run(lambda: book.residents.medication(rid), self._show)

    def _show(self, summary: MedicationSummary) -> None:
        self.summary = summary
        _fill(self.current, [(c.name, c.dose_text, c.frequency_text, c.route_label, format_date(c.started_on),
                              c.prescriber or "") for c in summary.current])
        self.current.setVisible(bool(summary.current))
        self.empty.setVisible(not summary.current)
        _fill(self.history, [(format_date(e.effective_on), EVENT_LABELS.get(e.event, e.event), e.name,
                              how_taken(e.dose, e.frequency, e.route, e.as_directed), e.prescriber or "",
                              e.notes or "", format_datetime(e.recorded_at)) for e in summary.history])
        if summary.current and self.current.currentRow() < 0:
            self.current.selectRow(0)
        self._update_buttons()

    def print_summary(self) -> None:
        book, rid = self.ctx.book, self.resident_id

        def show(preview: Preview) -> None:  # filed in Documents only when printed or saved
            self.pdf_dialog = self.viewer(self.window(), self.ctx, preview.title, preview)

        self.ctx.tasks.run(lambda: book.residents.summary_pdf(rid), show, lambda exc: show_error(self, exc))

    def selected_course(self) -> MedicationCourse | None:
        row = self.current.currentRow()
        if self.summary is None or not 0 <= row < len(self.summary.current):
            return None
        return self.summary.current[row]

    def _update_buttons(self) -> None:
        has = self.selected_course() is not None
        self.change_button.setEnabled(has)
        self.stop_button.setEnabled(has)

    def _after(self, result: MedicationCourse | None) -> None:
        if result is not None:
            self.refresh()

    def start(self) -> None:
        self._after(self.start_dialog(self, self.ctx, self.resident_id))

    def change(self) -> None:
        course = self.selected_course()
        if course is not None:
            self._after(self.start_dialog(self, self.ctx, self.resident_id, course))

    def stop(self) -> None:
        course = self.selected_course()
        if course is not None:
            self._after(self.stop_dialog(self, self.ctx, course))
