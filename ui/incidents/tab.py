"""The resident's "Incidents" tab: their incidents newest first (when, type, police and
safeguarding flags, who logged it), filtered by dates and type, the chosen one in full, and
"Log incident…" (also Ctrl+Shift+I anywhere in the record window)."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from keyworker.errors import ValidationError
from keyworker.residents import ResidentRecord
from keyworker.security.permissions import Permission
from ui.context import AppContext
from ui.errors import show_error
from ui.incidents.details import incident_html, police_cell, safeguarding_cell
from ui.incidents.filters import IncidentFilterBar
from ui.widgets.tables import list_over_detail, read_only_table

HEADINGS = ["When", "Type", "Police", "Safeguarding", "Logged by"]


class IncidentsTab(QWidget):
    refresh_areas = ("incidents",)

    def __init__(self, ctx: AppContext, resident_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.resident_id = resident_id
        self.admission_id: str | None = None
        self.incidents: list[Any] = []
        self.dialog: Any = None
        self.setObjectName("incidentsTab")
        self.setAccessibleName("Incidents")
        self.filters = IncidentFilterBar()
        self.filters.changed.connect(self.refresh)
        self.log_button = QPushButton("&Log incident…")
        self.log_button.setObjectName("logIncident")
        self.log_button.setAccessibleName("Log an incident")
        self.log_button.setToolTip("Ctrl+Shift+I")
        self.log_button.clicked.connect(self.log_incident)
        can = ctx.book.actor.can(Permission.RECORD_INCIDENTS)
        self.log_button.setEnabled(can)
        if not can:
            self.log_button.setToolTip("Your role reads incidents but does not log them.")
        top = QHBoxLayout()
        top.addWidget(self.filters)
        top.addStretch(1)
        top.addWidget(self.log_button)
        self.status = QLabel()
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        self.status.hide()
        self.problem = QLabel()
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.table = QTableWidget(0, len(HEADINGS))
        self.table.setObjectName("incidentsTable")
        self.table.setAccessibleName("Incidents, newest first")
        self.table.setHorizontalHeaderLabels(HEADINGS)
        read_only_table(self.table)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.currentCellChanged.connect(self._show_detail)
        self.detail, split, self.empty = list_over_detail(self.table, "incidentDetail", "The chosen incident",
                                                          "No incidents recorded.")
        split.setSizes([200, 260])
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.status)
        lay.addWidget(self.problem)
        lay.addWidget(self.empty)
        lay.addWidget(split, 1)
        self.refresh()

    def set_record(self, record: ResidentRecord) -> None:
        self.admission_id = record.current_admission.id if record.current_admission else None

    def refresh(self) -> None:
        if self.ctx.state.locked:
            return
        book, rid, f = self.ctx.book, self.resident_id, self.filters.value()
        self.ctx.tasks.run(lambda: book.incidents.for_resident(rid, f), self._loaded, self._failed)

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValidationError):  # e.g. "To" before "From": said beside the filter, not in a box
            self.problem.setText("⚠ " + " ".join(exc.fields.values()))
            self.problem.show()
            return
        show_error(self, exc)

    def _loaded(self, incidents: list[Any]) -> None:
        self.problem.hide()
        self.incidents = incidents
        self.table.setRowCount(len(incidents))
        for r, x in enumerate(incidents):
            cells = [x.when_text, x.kind_label + (" · domestic abuse" if x.domestic_abuse else ""),
                     police_cell(x.police_involved), safeguarding_cell(x.safeguarding_referral),
                     x.recorded_by_name or "—"]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, x.id)
                self.table.setItem(r, c, item)
        filtered = any((self.filters.date_from.value(), self.filters.date_to.value(), self.filters.kind.value()))
        self.empty.setText("No incidents match these dates and type." if filtered else "No incidents recorded.")
        self.empty.setVisible(not incidents)
        if incidents:
            self.table.setCurrentCell(0, 0)
            self._show_detail(0)
        else:
            self.detail.clear()

    def _show_detail(self, row: int, *_: int) -> None:
        if 0 <= row < len(self.incidents):
            self.detail.setHtml(incident_html(self.incidents[row]))

    def select(self, incident_id: str) -> bool:
        for r, x in enumerate(self.incidents):
            if x.id == incident_id:
                self.table.setCurrentCell(r, 0)
                return True
        return False

    def log_incident(self) -> None:
        from ui.incidents.form import IncidentDialog

        if not self.log_button.isEnabled():
            return
        if self.dialog is not None:
            self.dialog.deleteLater()
        dlg = IncidentDialog(self, self.ctx, self.resident_id, self.admission_id)
        dlg.accepted.connect(lambda: self._logged(dlg.result_value))
        self.dialog = dlg
        dlg.open()

    def _logged(self, result: Any) -> None:
        from ui.incidents.form import risk_prompt_text

        view, prompts = result
        self.status.setText(risk_prompt_text(prompts))
        self.status.show()  # (the dialog's "incidents" change has reloaded the list)
        self.select(view.id)
        self.table.setFocus()


def log_from_window(window: Any) -> None:
    """The record window's "Log incident…" (Ctrl+Shift+I): open the Incidents tab and its dialog."""
    tab = window.show_tab("incidents")
    if isinstance(tab, IncidentsTab):
        tab.log_incident()
