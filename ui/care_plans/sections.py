"""The care plan's sections as widgets, built from `keyworker.plan_sections.SECTIONS`. The
completeness panel that lists them is in ui/care_plans/completeness.py."""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from keyworker.care_plans import DomainPlan, MissingSection, PlanContent
from keyworker.plan_sections import (
    DEMOGRAPHIC_FIELDS,
    DOMAINS,
    DOMAINS_LIST,
    FIELDS,
    FROM_RECORD,
    GOALS,
    FieldDef,
    SectionDef,
)
from ui.care_plans.goals import GoalsEditor

DONE_MARK = "✓"
MISSING_MARK = "⚠"


def _text_edit(name: str, hint: str = "") -> QPlainTextEdit:
    ed = QPlainTextEdit()
    ed.setAccessibleName(name)
    ed.setTabChangesFocus(True)
    ed.setPlaceholderText(hint)
    ed.setMinimumHeight(64)
    ed.setMaximumHeight(120)
    return ed


class SectionBox(QGroupBox):
    """One section: heading, the clause it meets, a done/missing line, then its editors."""

    changed = Signal()

    def __init__(self, sec: SectionDef, parent: QWidget | None = None) -> None:
        super().__init__(sec.heading, parent)
        self.sec = sec
        self.setObjectName(f"section_{sec.key}")
        self.setAccessibleName(sec.heading)
        self.outer = QVBoxLayout(self)
        self.state = QLabel()
        self.state.setObjectName("sectionState")
        self.state.setWordWrap(True)
        self.outer.addWidget(self.state)
        hint = QLabel(f"{sec.hint} (Contract {sec.clause}.)")
        hint.setObjectName("muted")
        hint.setWordWrap(True)
        self.outer.addWidget(hint)
        self.body = QWidget()
        self.outer.addWidget(self.body)

    def fill(self, content: PlanContent) -> None:
        raise NotImplementedError

    def collect(self, content: PlanContent) -> None:
        raise NotImplementedError

    def set_read_only(self, ro: bool) -> None:
        for w in self.body.findChildren(QPlainTextEdit) + self.body.findChildren(QLineEdit):
            w.setReadOnly(ro)
        for c in self.body.findChildren(QCheckBox):
            c.setEnabled(not ro)

    def focus_first(self) -> None:
        for w in self.body.findChildren(QWidget):
            if w.focusPolicy() != Qt.FocusPolicy.NoFocus and w.isEnabled() and w.isVisibleTo(self):
                w.setFocus(Qt.FocusReason.OtherFocusReason)
                return
        self.setFocus()

    def set_missing(self, missing: MissingSection | None) -> None:
        if not self.sec.required:
            self.state.setText("Optional section")
        elif missing is None:
            self.state.setText(f"{DONE_MARK} Done")
        else:
            self.state.setText(f"{MISSING_MARK} Not done yet: {missing.message}")
        # The app's stylesheet draws "problem" labels as a boxed warning; the words carry the meaning.
        self.state.setObjectName("problem" if missing is not None else "sectionDone")
        self.state.setAccessibleName(self.state.text())
        self.state.style().unpolish(self.state)
        self.state.style().polish(self.state)
        self.state.updateGeometry()


class FieldsSection(SectionBox):
    """Free-text fields; required ones are marked with an asterisk and say so to screen readers."""

    def __init__(self, sec: SectionDef, parent: QWidget | None = None) -> None:
        super().__init__(sec, parent)
        self.form = QFormLayout(self.body)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.editors: dict[str, QPlainTextEdit | QLineEdit] = {}
        self.add_fields(sec.fields)

    def add_fields(self, fields: Sequence[FieldDef]) -> None:
        for f in fields:
            name = f.label + (" (required)" if f.required else " (optional)")
            ed: QPlainTextEdit | QLineEdit
            if f.multiline:
                ed = _text_edit(name, f.hint)
                ed.textChanged.connect(lambda *_: self.changed.emit())
            else:
                ed = QLineEdit()
                ed.setAccessibleName(name)
                ed.setPlaceholderText(f.hint)
                ed.textChanged.connect(lambda *_: self.changed.emit())
            ed.setObjectName(f"field_{self.sec.key}_{f.key}")
            label = QLabel(f"{f.label} *" if f.required else f.label)
            label.setObjectName("sectionLabel")
            label.setWordWrap(True)
            label.setBuddy(ed)
            self.form.addRow(label, ed)
            self.editors[f.key] = ed

    def fill(self, content: PlanContent) -> None:
        for key, ed in self.editors.items():
            text = content.value(self.sec.key, key)
            if isinstance(ed, QPlainTextEdit):
                ed.setPlainText(text)
            else:
                ed.setText(text)

    def collect(self, content: PlanContent) -> None:
        for key, ed in self.editors.items():
            text = ed.toPlainText() if isinstance(ed, QPlainTextEdit) else ed.text()
            content.set(self.sec.key, key, text.strip())


class GoalsSection(FieldsSection):
    """The overall aims (fields) and then the list of goals."""

    def __init__(self, sec: SectionDef, parent: QWidget | None = None) -> None:
        super().__init__(sec, parent)
        self.goals = GoalsEditor()
        self.goals.changed.connect(lambda *_: self.changed.emit())
        self.form.addRow(self.goals)

    def fill(self, content: PlanContent) -> None:
        super().fill(content)
        self.goals.set_value(content.goals)

    def collect(self, content: PlanContent) -> None:
        super().collect(content)
        content.goals = self.goals.value()

    def set_read_only(self, ro: bool) -> None:
        super().set_read_only(ro)
        self.goals.setReadOnly(ro)


class DomainsSection(SectionBox):
    """One row per non-substance domain: needs, interventions, or "no needs identified"."""

    def __init__(self, sec: SectionDef, parent: QWidget | None = None) -> None:
        super().__init__(sec, parent)
        grid = QGridLayout(self.body)
        grid.setContentsMargins(0, 0, 0, 0)
        for c, text in enumerate(["Domain", "Needs", "Interventions", ""]):
            head = QLabel(f"<b>{text}</b>")
            grid.addWidget(head, 0, c)
        self.rows: dict[str, tuple[QPlainTextEdit, QPlainTextEdit, QCheckBox]] = {}
        for r, (key, label) in enumerate(DOMAINS_LIST.items(), 1):
            needs = _text_edit(f"{label}: needs")
            needs.setObjectName(f"domain_{key}_needs")
            interventions = _text_edit(f"{label}: interventions")
            interventions.setObjectName(f"domain_{key}_interventions")
            none = QCheckBox("No needs identified")
            none.setObjectName(f"domain_{key}_none")
            none.setAccessibleName(f"{label}: no needs identified")
            for w in (needs, interventions):
                w.setMinimumHeight(48)
                w.setMaximumHeight(90)
                w.textChanged.connect(lambda *_: self.changed.emit())
            none.toggled.connect(lambda *_: self.changed.emit())
            name = QLabel(label)
            name.setWordWrap(True)
            name.setBuddy(needs)
            name.setObjectName("sectionLabel")
            grid.addWidget(name, r, 0)
            grid.addWidget(needs, r, 1)
            grid.addWidget(interventions, r, 2)
            grid.addWidget(none, r, 3)
            self.rows[key] = (needs, interventions, none)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)

    def fill(self, content: PlanContent) -> None:
        for key, (needs, interventions, none) in self.rows.items():
            d = content.domains.get(key) or DomainPlan()
            needs.setPlainText(d.needs)
            interventions.setPlainText(d.interventions)
            none.setChecked(d.no_needs_identified)

    def collect(self, content: PlanContent) -> None:
        for key, (needs, interventions, none) in self.rows.items():
            d = DomainPlan(needs.toPlainText().strip(), interventions.toPlainText().strip(), none.isChecked())
            if d.needs or d.interventions or d.no_needs_identified or key in content.domains:
                content.domains[key] = d


class RecordSection(SectionBox):
    """Read-only: copied from the resident's record (or the admission) into each version."""

    def __init__(self, sec: SectionDef, parent: QWidget | None = None) -> None:
        super().__init__(sec, parent)
        self.form = QFormLayout(self.body)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.values: dict[str, QLabel] = {}
        rows = ([("name", "Key worker", True)] if sec.key == "key_worker" else list(DEMOGRAPHIC_FIELDS))
        for attr, label, required in rows:
            value = QLabel()
            value.setObjectName(f"record_{sec.key}_{attr}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)
            value.setWordWrap(True)
            name = QLabel(f"{label}{' *' if required else ''}")
            name.setObjectName("sectionLabel")
            name.setWordWrap(True)
            self.form.addRow(name, value)
            self.values[attr] = value
        note = QLabel("From the resident's record — change it there (Overview tab)." if sec.key == "demographics"
                      else "The key worker named on the admission.")
        note.setObjectName("muted")
        self.form.addRow(note)

    def fill(self, content: PlanContent) -> None:
        for attr, label in self.values.items():
            text = content.value(self.sec.key, attr)
            label.setText(text or "— not recorded")
            label.setAccessibleName(text or "not recorded")

    def collect(self, content: PlanContent) -> None:
        """The service fills these from the record; nothing typed here."""

    def focus_first(self) -> None:
        first = next(iter(self.values.values()), None)
        (first or self).setFocus()


LABEL_CHARS = 26  # the label column: about this many characters, longer labels wrap


def align_labels(boxes: Sequence[SectionBox]) -> int:
    """One label column for every section, so the fields start at the same place all down the plan
    (each QFormLayout would otherwise size its own). Returns the width used."""
    labels = [lab for b in boxes for lab in b.body.findChildren(QLabel, "sectionLabel")]
    if not labels:
        return 0
    cap = labels[0].fontMetrics().averageCharWidth() * LABEL_CHARS
    width = min(cap, max(lab.fontMetrics().horizontalAdvance(lab.text()) for lab in labels))
    for lab in labels:
        lab.setFixedWidth(width)
    return width


def build_section(sec: SectionDef) -> SectionBox:
    kinds = {FIELDS: FieldsSection, GOALS: GoalsSection, DOMAINS: DomainsSection, FROM_RECORD: RecordSection}
    return kinds[sec.kind](sec)
