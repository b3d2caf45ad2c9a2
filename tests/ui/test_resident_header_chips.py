"""Alerts replaced in the record's header leave nothing behind: the old chips are hidden at once
(not only deleted later), so none is drawn loose over the resident's name."""
from __future__ import annotations

from PySide6.QtWidgets import QApplication, QLabel

from ui.resident.header import ResidentHeader
from ui.resident.tabs import HeaderItem


def test_replaced_alerts_are_not_left_visible(qtbot) -> None:  # type: ignore[no-untyped-def]
    header = ResidentHeader()
    qtbot.addWidget(header)
    header.show()
    header.set_items([("top", HeaderItem("Start TOP overdue", "warning"))])
    header.set_items([("top", HeaderItem("Start TOP overdue", "warning")),
                      ("risk_review", HeaderItem("Risk review overdue", "warning"))])
    # processEvents lays the new chips out but leaves deferred deletions alone, as a busy window
    # does for a while: the old chips still exist then, and must not be visible.
    QApplication.processEvents()
    shown = [w.text() for w in header.findChildren(QLabel, "alertChip") if w.isVisible()]
    assert sorted(shown) == ["⚠ Risk review overdue", "⚠ Start TOP overdue"]
