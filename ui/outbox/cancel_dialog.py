"""Cancel an outbox item, with the reason in a few words (a senior; audited with the reason)."""
from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QPlainTextEdit, QWidget

from keyworker.outbox.service import MIN_REASON_CHARS, OutboxItemView
from ui.context import AppContext
from ui.widgets.form import TaskDialog


class CancelItemDialog(TaskDialog):
    area = "outbox"

    def __init__(self, ctx: AppContext, item: OutboxItemView, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Cancel sending", parent, ok_text="Ca&ncel sending")
        self.setObjectName("cancelOutboxItemDialog")
        self.item = item
        self.buttons.button(self.buttons.StandardButton.Cancel).setText("&Keep it")
        self.buttons.button(self.buttons.StandardButton.Cancel).setAccessibleName("Keep it")
        what = QLabel(f"<b>{_escape(item.title)}</b><br>to {_escape(item.recipient)}")
        what.setWordWrap(True)
        note = QLabel("It will not be sent. It stays in the outbox as cancelled, with your reason, "
                      "and the cancellation is recorded in the audit trail.")
        note.setWordWrap(True)
        self.body.insertWidget(0, what)
        self.body.insertWidget(1, note)
        label = QLabel("&Why is it cancelled?")
        self.reason = QPlainTextEdit()
        self.reason.setObjectName("cancelReason")
        self.reason.setAccessibleName("Why is it cancelled?")
        self.reason.setPlaceholderText("For example: sent by post instead, or the referrer has left")
        self.reason.setTabChangesFocus(True)
        self.reason.setMinimumSize(420, 90)
        label.setBuddy(self.reason)
        self.form.addRow(label)
        self.form.addRow(self.reason)
        self.reason.setFocus()

    def check(self) -> str | None:
        words = " ".join(self.reason.toPlainText().split())
        if len(words) < MIN_REASON_CHARS or len(words.split()) < 2:
            return "Say in a few words why this item is cancelled."
        return None

    def work(self) -> Any:
        book, item_id, reason = self.ctx.book, self.item.id, self.reason.toPlainText()
        return book.outbox.cancel(item_id, reason)


def _escape(text: str) -> str:
    import html

    return html.escape(text)
