"""The care plan's "Risk assessment and contingency plan" section: what the service copies from the
current risk assessment (plan_sections.FROM_RISK_ASSESSMENT: its summary and contingency plan) is
shown read-only, with "Open the risk assessment" to change it where it lives (the Risk tab); those
fields follow the assessment whenever it changes, typed work in the rest of the plan untouched."""
from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPlainTextEdit, QPushButton

from keyworker.care_plans import PlanContent
from keyworker.plan_sections import FROM_RISK_ASSESSMENT, SectionDef
from ui.care_plans.sections import FieldsSection

NOT_YET = "No risk assessment yet: record one on the Risk tab."


class RiskSection(FieldsSection):
    def __init__(self, sec: SectionDef) -> None:
        super().__init__(sec)
        self.open_risk = QPushButton("Open the risk &assessment")
        self.open_risk.setObjectName("openRiskAssessment")
        self.open_risk.setAccessibleName("Open the risk assessment on the Risk tab")
        row = QHBoxLayout()
        row.addWidget(self.open_risk)
        row.addStretch(1)
        self.form.insertRow(0, "", row)
        for key in self.copied():
            ed = self.editors[key]
            ed.setReadOnly(True)
            ed.setToolTip("From the current risk assessment: change it on the Risk tab.")
            ed.setAccessibleDescription("Read only: from the current risk assessment")
            if isinstance(ed, QPlainTextEdit):
                ed.setPlaceholderText(NOT_YET)

    def copied(self) -> list[str]:
        return [k for k in FROM_RISK_ASSESSMENT if k in self.editors]

    def set_read_only(self, ro: bool) -> None:
        super().set_read_only(ro)
        for key in self.copied():  # never typed here, whoever is signed in
            self.editors[key].setReadOnly(True)

    def follow_risk(self, content: PlanContent) -> None:
        """Show the assessment's current summary and contingency plan, as no change of the user's."""
        for key in self.copied():
            ed = self.editors[key]
            text = content.value(self.sec.key, key)
            ed.blockSignals(True)
            try:
                if isinstance(ed, QLineEdit):
                    ed.setText(text)
                else:
                    ed.setPlainText(text)
            finally:
                ed.blockSignals(False)
