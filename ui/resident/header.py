"""The resident record's header: who (name, reference), their key worker, week N of M, the risk
level (text and symbol, never colour alone) and alerts — built-in ones read from the record,
others from the areas that registered a header item (ui.resident.tabs.register_header_item)."""
from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from keyworker.clock import format_date
from keyworker.nhs import format_nhs_number
from keyworker.residents import ResidentRecord
from ui.resident.tabs import HeaderItem, header_sources

log = logging.getLogger("keyworker.ui")

# Text colours chosen for WCAG AA contrast on the light header background; the symbol carries
# the meaning for anyone who cannot tell the colours apart.
SEVERITY_STYLE = {
    "info": ("#1f2933", "#e4edf5", "\u2139"),  # ℹ
    "warning": ("#7a3e00", "#fff1d6", "\u26a0"),  # ⚠
    "danger": ("#8a1c12", "#fde4e1", "\u25b2"),  # ▲
}


def fetch_header_items(book: Any, resident_id: str) -> list[tuple[str, HeaderItem]]:
    """Run every registered header source (on the database thread). A failing source is skipped."""
    out: list[tuple[str, HeaderItem]] = []
    for src in header_sources():
        try:
            got = src.fetch(book, resident_id)
        except Exception as exc:  # noqa: BLE001 - one broken source must not hide the record
            log.error("header item %s failed: %s", src.key, type(exc).__name__)
            continue
        if got is None:
            continue
        for item in got if isinstance(got, list) else [got]:
            out.append((src.key, item))
    return out


def record_alerts(record: ResidentRecord) -> list[HeaderItem]:
    """Alerts the record itself implies."""
    out: list[HeaderItem] = []
    adm = record.current_admission
    if adm is None:
        last = record.admissions[0] if record.admissions else None
        if last is not None and last.discharged_on is not None:
            out.append(HeaderItem(f"Discharged {format_date(last.discharged_on)}", "info"))
        else:
            out.append(HeaderItem("Not currently admitted", "info"))
    else:
        if adm.week_number is None:
            out.append(HeaderItem(f"Admission starts {format_date(adm.admitted_on)}", "info"))
        elif adm.week_number > adm.planned_weeks:
            out.append(HeaderItem(f"Past the planned end ({format_date(adm.planned_end_on)})", "warning"))
        if adm.part_time:
            out.append(HeaderItem("Part-time attendance", "info", tooltip=adm.part_time_notes or ""))
    if record.age_override_reason:
        out.append(HeaderItem("Admitted under 18 (reason recorded)", "warning",
                              tooltip=record.age_override_reason))
    return out


def chip(item: HeaderItem) -> QLabel:
    fg, bg, default_symbol = SEVERITY_STYLE.get(item.severity, SEVERITY_STYLE["info"])
    symbol = item.symbol or default_symbol
    lab = QLabel(f"{symbol} {item.text}")
    lab.setObjectName("alertChip")
    lab.setStyleSheet(f"QLabel#alertChip {{ color: {fg}; background: {bg}; border: 1px solid {fg};"
                      " border-radius: 4px; padding: 2px 8px; }")
    lab.setAccessibleName(f"{item.severity.capitalize()}: {item.text}")
    if item.tooltip:
        lab.setToolTip(item.tooltip)
    return lab


class _Held:
    """A header item kept on its chip (a Qt property holds any Python object through this)."""

    def __init__(self, value: HeaderItem) -> None:
        self.value = value


class ResidentHeader(QFrame):
    risk_activated = Signal()  # the risk level was clicked: the window opens the Risk tab
    alert_activated = Signal(object)  # a chip whose item has `open` was clicked: the window runs it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("residentHeader")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("QFrame#residentHeader { background: #f5f7fa; border: 1px solid #cbd2d9;"
                           " border-radius: 6px; }")
        self.setAccessibleName("Resident summary")
        v = QVBoxLayout(self)
        v.setContentsMargins(14, 10, 14, 10)
        v.setSpacing(6)
        top = QHBoxLayout()
        self.name = QLabel("Loading…")
        self.name.setObjectName("residentName")
        font = self.name.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.name.setFont(font)
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reference = QLabel()
        self.reference.setObjectName("residentReference")
        self.reference.setStyleSheet("QLabel#residentReference { color: #0b5d7a; font-weight: bold;"
                                     " border: 1px solid #0b5d7a; border-radius: 4px; padding: 1px 6px; }")
        self.reference.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.risk = QLabel()
        self.risk.setObjectName("riskLevel")
        self.risk.installEventFilter(self)
        top.addWidget(self.name)
        top.addWidget(self.reference)
        top.addStretch(1)
        top.addWidget(self.risk)
        v.addLayout(top)
        self.details = QLabel()
        self.details.setObjectName("residentDetails")
        self.details.setWordWrap(True)
        v.addWidget(self.details)
        self.alerts_row = QHBoxLayout()
        self.alerts_row.setSpacing(6)
        v.addLayout(self.alerts_row)
        self._items: list[tuple[str, HeaderItem]] = []
        self._record: ResidentRecord | None = None
        self._show_risk()

    def set_items(self, items: list[tuple[str, HeaderItem]]) -> None:
        self._items = items
        self._show_risk()
        self._show_alerts()

    def set_record(self, record: ResidentRecord) -> None:
        self._record = record
        name = record.display_name
        if record.preferred_name and record.preferred_name != record.given_name:
            name += f"  ({record.full_name})"
        self.name.setText(name)
        self.name.setAccessibleName(f"Name: {name}")
        self.reference.setText(record.reference)
        self.reference.setAccessibleName(f"Reference {record.reference}")
        parts = [f"Key worker: {record.key_worker_name or 'none named'}"]
        adm = record.current_admission
        if adm is not None:
            if adm.week_label:
                parts.append(adm.week_label)
            parts += [adm.setting_label, adm.strand_label, f"Admitted {format_date(adm.admitted_on)}"]
        parts.append(f"Born {format_date(record.date_of_birth)} (age {record.age})")
        if record.nhs_number:
            parts.append(f"NHS {format_nhs_number(record.nhs_number)}")
        # Lines break between the parts, never inside one ("NHS 943 476 5919" stays whole).
        self.details.setText("  ·  ".join(p.replace(" ", "\u00a0") for p in parts))
        self._show_alerts()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if obj is self.risk and event.type() == QEvent.Type.MouseButtonRelease and self._risk_item() is not None:
            self.risk_activated.emit()
            return True
        item = obj.property("header_item") if isinstance(obj, QLabel) else None
        if item is not None and event.type() == QEvent.Type.MouseButtonRelease:
            self.alert_activated.emit(item.value)
            return True
        return super().eventFilter(obj, event)

    def _risk_item(self) -> HeaderItem | None:
        """The risk area's first item fills the slot; any more of its items are alerts."""
        return next((item for key, item in self._items if key == "risk"), None)

    def _show_risk(self) -> None:
        risk = self._risk_item()
        self.risk.setCursor(Qt.CursorShape.PointingHandCursor if risk is not None else Qt.CursorShape.ArrowCursor)
        if risk is None:
            risk = HeaderItem("Risk: not yet assessed", "info", "\u25cb")  # ○
        fg, bg, default_symbol = SEVERITY_STYLE.get(risk.severity, SEVERITY_STYLE["info"])
        self.risk.setText(f"{risk.symbol or default_symbol} {risk.text}")
        self.risk.setStyleSheet(f"QLabel#riskLevel {{ color: {fg}; background: {bg}; border: 1px solid {fg};"
                                " border-radius: 4px; padding: 2px 8px; font-weight: bold; }")
        self.risk.setAccessibleName(risk.text)
        self.risk.setToolTip(risk.tooltip)

    def alerts(self) -> list[HeaderItem]:
        items = record_alerts(self._record) if self._record is not None else []
        slot = self._risk_item()
        return items + [item for _key, item in self._items if item is not slot]

    def _show_alerts(self) -> None:
        while self.alerts_row.count():
            w = self.alerts_row.takeAt(0).widget()
            if w is not None:
                w.hide()  # out of the layout now; deleted later, but never drawn loose over the header
                w.deleteLater()
        for item in self.alerts():
            lab = chip(item)
            if item.open is not None:
                lab.setProperty("header_item", _Held(item))
                lab.setCursor(Qt.CursorShape.PointingHandCursor)
                lab.installEventFilter(self)
            self.alerts_row.addWidget(lab)
        self.alerts_row.addStretch(1)

    def alert_texts(self) -> list[str]:
        return [a.text for a in self.alerts()]
