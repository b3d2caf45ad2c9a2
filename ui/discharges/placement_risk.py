"""The "Placement at risk" box of the resident's Discharge tab (Annex 3 step 12): raise the flag
with its reason (the referrer and the Community Treatment Provider are sent a letter through the
outbox, book.discharges.flag_placement_at_risk), see it while it stands, and clear it with a note
(clear_placement_risk). Raising and clearing need Permission.RECORD_RISK; the button is hidden for
anyone without it (out of hours)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from keyworker.clock import format_datetime
from keyworker.discharges import PlacementRiskView
from keyworker.security.permissions import Permission
from ui.context import AppContext
from ui.errors import show_error
from ui.forms import FormDialog


class PlacementRiskDialog(FormDialog):
    """One required text: why the placement is at risk (raise) or why it no longer is (clear)."""

    def __init__(self, parent: QWidget | None, ctx: AppContext, *, clearing: bool,
                 run: Callable[[str], Any]) -> None:
        title = "No longer at risk" if clearing else "Placement at risk"
        super().__init__(parent, ctx, title, save_text="&Clear the flag" if clearing else "&Flag and send letters")
        self.setObjectName("placementRiskDialog")
        self.run, self.key = run, "note" if clearing else "reason"
        intro = QLabel("Say why the placement is no longer at risk. The flag is cleared and kept as history."
                       if clearing else
                       "Say why this placement is at risk of breaking down. The referrer and the Community "
                       "Treatment Provider named on the referral will be sent a letter (queued in the outbox).")
        intro.setObjectName("placementRiskIntro")
        intro.setWordWrap(True)
        self.content_layout.addWidget(intro)
        form = QFormLayout()
        self.text = QPlainTextEdit()
        self.text.setObjectName(f"field_{self.key}")
        self.text.setTabChangesFocus(True)
        self.text.setFixedHeight(96)
        self.text.setPlaceholderText("e.g. Settled after the review with the referrer" if clearing else
                                     "e.g. Using on home leave twice; talking of leaving")
        self.binder.row(form, self.key, "Why it is no longer at risk" if clearing else "Why the placement is at risk",
                        self.text, required=True)
        self.content_layout.addLayout(form)
        self.finish_setup()

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        return {} if (values.get(self.key) or "").strip() else {self.key: "This is required."}

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        run, value = self.run, values[self.key]
        return lambda: run(value)

    def changed_areas(self) -> tuple[str, ...]:
        return ("residents", "outbox")


class PlacementRiskBox(QGroupBox):
    """Shows the open flag of the current stay, or offers to raise one."""

    def __init__(self, ctx: AppContext, resident_id: str, parent: QWidget | None = None) -> None:
        super().__init__("Placement at risk", parent)
        self.ctx, self.resident_id = ctx, resident_id
        self.setObjectName("placementRiskBox")
        self.flag: PlacementRiskView | None = None
        self.dialog: PlacementRiskDialog | None = None
        self._can = ctx.book.actor.can(Permission.RECORD_RISK)
        self.in_unit = True  # the current stay is open (set_record says otherwise once the record is read)
        self.text = QLabel()
        self.text.setObjectName("placementRiskText")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard
                                          | Qt.TextInteractionFlag.TextSelectableByMouse)
        self.raise_button = QPushButton("Placement &at risk…")
        self.raise_button.setObjectName("placementRiskRaise")
        self.raise_button.setToolTip("Flag this placement as at risk of breaking down; the referrer and the CTP "
                                     "are sent a letter")
        self.raise_button.clicked.connect(self.raise_flag)
        self.clear_button = QPushButton("No &longer at risk…")
        self.clear_button.setObjectName("placementRiskClear")
        self.clear_button.clicked.connect(self.clear_flag)
        row = QHBoxLayout()
        row.addWidget(self.text, 1)
        row.addWidget(self.raise_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.clear_button, 0, Qt.AlignmentFlag.AlignTop)
        QVBoxLayout(self).addLayout(row)
        self._show(None)  # the tab's refresh() loads it (its refresh_areas include "residents")

    def set_record(self, record: Any) -> None:
        """The record window's ResidentRecord: a flag belongs to an open stay."""
        self.in_unit = any(a.is_current for a in record.admissions)
        self._show(self.flag)

    def refresh(self) -> None:
        if self.ctx.state.locked:
            return
        book, rid = self.ctx.book, self.resident_id
        self.ctx.tasks.run(lambda: book.discharges.placement_risk(rid), self._show, lambda e: show_error(self, e))

    def _show(self, flag: PlacementRiskView | None) -> None:
        self.flag = flag
        if flag is None:
            self.text.setText("This placement is not flagged as at risk." if self.in_unit else
                              "Not in the unit: a placement at risk belongs to a current stay.")
        else:
            letters = (f"{flag.letters} letter{'s' * (flag.letters != 1)} queued in the outbox"
                       if flag.letters else "No letters were queued")
            by = f" by {flag.raised_by_name}" if flag.raised_by_name else ""
            lines = [f"<b>At risk since {format_datetime(flag.raised_at)}</b>{by}.", _html(flag.reason),
                     letters + "."] + [f"⚠ {_html(w)}" for w in flag.warnings]
            self.text.setText("<br>".join(lines))
        self.raise_button.setVisible(self._can and flag is None and self.in_unit)
        self.clear_button.setVisible(self._can and flag is not None)

    def _open(self, clearing: bool, run: Callable[[str], Any]) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = PlacementRiskDialog(self, self.ctx, clearing=clearing, run=run)
        self.dialog.accepted.connect(self.refresh)
        self.dialog.open()

    def raise_flag(self) -> None:
        if not self._can or self.flag is not None:
            return
        book, rid = self.ctx.book, self.resident_id
        self._open(False, lambda reason: book.discharges.flag_placement_at_risk(rid, reason))

    def clear_flag(self) -> None:
        if not self._can or self.flag is None:
            return
        book, rid = self.ctx.book, self.resident_id
        self._open(True, lambda note: book.discharges.clear_placement_risk(rid, note))


def _html(text: str) -> str:
    from html import escape

    return escape(text).replace("\n", "<br>")


__all__ = ["PlacementRiskBox", "PlacementRiskDialog"]
