"""Consents on the Overview tab: each kind as it stands (given or refused, with named parties,
the date and who recorded it), its history, and a dialog to record a new one."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from keyworker import reference_data as ref
from keyworker.clock import format_date, local_today
from keyworker.medication import ConsentView, validate_consent
from keyworker.security.permissions import Permission
from ui.forms import ChoiceCombo, FormDialog, UkDateEdit
from ui.forms.lists import NameListEdit
from ui.widgets.tables import read_only_table

if TYPE_CHECKING:
    from ui.context import AppContext

COLUMNS = ("Consent", "Answer", "Details")


def answer_text(given: bool) -> str:
    return "\u2714 Given" if given else "\u2716 Refused"  # a mark as well as a word


class ConsentDialog(FormDialog):
    """Record a consent as given or refused today (or on an earlier date)."""

    def __init__(self, parent: QWidget | None, ctx: AppContext, resident_id: str, kind: str | None = None) -> None:
        super().__init__(parent, ctx, "Record consent", save_text="&Record consent")
        self.resident_id = resident_id
        self.today = local_today(ctx.book.clock)
        b = self.binder
        box = QGroupBox("Consent")
        from PySide6.QtWidgets import QFormLayout

        f = QFormLayout(box)
        self.kind = ChoiceCombo([(o.code, o.label) for o in ref.consent_kinds()], blank="Choose…")
        b.row(f, "kind", "&Consent to", self.kind, required=True)
        self.given = ChoiceCombo([("yes", "Given"), ("no", "Refused")], blank="Choose…")
        b.row(f, "given", "&Answer", self.given, required=True)
        self.parties = NameListEdit()
        self.parties_box = b.row(f, "parties", "Named &parties", self.parties,
                                 hint="Who information may be shared with (press Enter after each name).")
        b.row(f, "recorded_on", "&Date", UkDateEdit(self.today), required=True)
        notes = QPlainTextEdit()
        notes.setTabChangesFocus(True)
        notes.setFixedHeight(60)
        b.row(f, "notes", "&Notes", notes)
        self.form = f
        self.content_layout.addWidget(box)
        if kind:
            b.load({"kind": kind})
        self.binder.changed.connect(self._update_parties)
        self._update_parties()
        self.finish_setup()

    def _update_parties(self) -> None:
        self.form.setRowVisible(self.parties_box, self.kind.value() == "information_sharing")

    def _args(self, values: dict[str, Any]) -> tuple[str, Any, list[str], Any, str | None]:
        parties = values["parties"] if values["kind"] == "information_sharing" else []
        return values["kind"], values["given"], parties or [], values["recorded_on"], values["notes"]

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        if values["kind"] is None or values["given"] is None:
            return None  # the required-field messages say it
        return validate_consent(*self._args(values), today=self.today)[1]

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        kind, given, parties, recorded_on, notes = self._args(values)
        book, rid = self.ctx.book, self.resident_id
        return lambda: book.residents.record_consent(rid, kind, given == "yes", parties=parties,
                                                     recorded_on=recorded_on, notes=notes)

    @classmethod
    def ask(cls, parent: QWidget | None, ctx: AppContext, resident_id: str,
            kind: str | None = None) -> ConsentView | None:
        dlg = cls(parent, ctx, resident_id, kind)
        return dlg.result_value if dlg.exec() == FormDialog.DialogCode.Accepted.value else None


class ConsentsPanel(QGroupBox):
    def __init__(self, ctx: AppContext, resident_id: str, parent: QWidget | None = None) -> None:
        super().__init__("Consents", parent)
        self.ctx = ctx
        self.resident_id = resident_id
        self.rows: list[ConsentView] = []
        self.open_dialog: Callable[[QWidget, AppContext, str, str | None], ConsentView | None] = ConsentDialog.ask
        v = QVBoxLayout(self)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setAccessibleName("Consents")
        read_only_table(self.table)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)  # parties, date and who: wraps here
        self.table.setColumnWidth(0, 190)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self._fit)
        header.sectionResized.connect(lambda *_a: self._fit_timer.start())  # rows re-wrap: refit once
        v.addWidget(self.table)
        row = QHBoxLayout()
        self.history = QCheckBox("Show &history")
        self.history.setAccessibleName("Show earlier consents")
        self.record_button = QPushButton("Record c&onsent…")
        self.record_button.setAccessibleName("Record consent")
        row.addWidget(self.history)
        row.addStretch(1)
        row.addWidget(self.record_button)
        v.addLayout(row)
        self.history.toggled.connect(lambda _on: self.refresh())
        self.record_button.clicked.connect(self.record_consent)
        self.table.doubleClicked.connect(lambda _i: self.record_consent())
        self.record_button.setVisible(ctx.book.actor.can(Permission.EDIT_RESIDENTS))
        self.refresh()

    def refresh(self) -> None:
        if self.ctx.state.locked:
            return
        book, rid, history = self.ctx.book, self.resident_id, self.history.isChecked()
        self.ctx.tasks.run(lambda: book.residents.consents(rid, history=history), self._show)

    def _show(self, rows: list[ConsentView]) -> None:
        self.rows = rows
        shown: list[tuple[str, str, str, bool]] = []
        recorded_kinds = {r.kind for r in rows if r.current}
        for r in rows:
            label = r.kind_label + ("" if r.current else " (earlier)")
            details = f"{format_date(r.recorded_on)}, recorded by {r.recorded_by_name or 'unknown'}"
            if r.parties:
                details = f"With: {', '.join(r.parties)}. " + details
            if r.notes:
                details += f". {r.notes}"
            shown.append((label, answer_text(r.given), details, r.current))
        for o in ref.consent_kinds():
            if o.code not in recorded_kinds:
                shown.append((o.label, "Not recorded", "", True))
        self.table.setRowCount(len(shown))
        for i, (label, answer, details, current) in enumerate(shown):
            for j, text in enumerate((label, answer, details)):
                item = QTableWidgetItem(text)
                if not current:
                    item.setForeground(Qt.GlobalColor.darkGray)
                self.table.setItem(i, j, item)
        self._fit()

    def _fit(self, *_a: object) -> None:
        """The table as tall as its rows (whose height follows their wrapped text), up to a
        limit, so the Overview scrolls rather than the table."""
        rows = sum(self.table.rowHeight(i) for i in range(self.table.rowCount()))
        self.table.setFixedHeight(min(320, self.table.horizontalHeader().height() + rows + 4))

    def selected_kind(self) -> str | None:
        row = self.table.currentRow()
        if row < 0:
            return None
        label = self.table.item(row, 0).text().removesuffix(" (earlier)")
        return next((o.code for o in ref.consent_kinds() if o.label == label), None)

    def record_consent(self) -> None:
        if not self.ctx.book.actor.can(Permission.EDIT_RESIDENTS):
            return
        result = self.open_dialog(self, self.ctx, self.resident_id, self.selected_kind())
        if result is not None:
            self.refresh()
