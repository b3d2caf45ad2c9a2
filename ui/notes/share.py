"""Sharing the care plan once agreed (spec 4.1.5.2), on the care plan tab: "Shared with … on
dd/mm/yyyy" for each recipient, and "Share plan…" to choose the services (the referrer, the
Community Treatment Provider, the GP, another service). Each is checked against the resident's
consents by the core; a refusal is shown beside the service it names."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QCheckBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from keyworker.security.permissions import Permission
from keyworker.sharing import RECIPIENT_KINDS, ShareRecipient, ShareView
from ui.errors import show_error
from ui.forms import FormDialog

if TYPE_CHECKING:
    from ui.context import AppContext


class ShareDialog(FormDialog):
    data_area = "care_plans"

    def __init__(self, parent: QWidget | None, ctx: AppContext, version_id: str, version_number: int) -> None:
        super().__init__(parent, ctx, f"Share care plan version {version_number}", save_text="&Share")
        self.version_id = version_id
        box = QGroupBox("Share with")
        f = QFormLayout(box)
        intro = QLabel("Tick each service and name it. The resident's consent to sharing information with "
                       "each one is checked before anything is recorded.")
        intro.setWordWrap(True)
        f.addRow(intro)
        self.rows: list[tuple[str, QCheckBox, QLineEdit]] = []
        for n, kind in enumerate(RECIPIENT_KINDS, 1):
            tick = QCheckBox(kind.label)
            name = QLineEdit()
            name.setAccessibleName(f"{kind.label}: name")
            name.setPlaceholderText("Name of the service or person")
            f.addRow(tick, self.binder.add(f"recipients.{n}.name", name, f"{kind.label}: name"))
            tick.toggled.connect(lambda _on: self.binder.revalidate())
            self.rows.append((kind.code, tick, name))
        self.content_layout.addWidget(box)
        self.finish_setup()

    def recipients(self) -> list[ShareRecipient]:
        return [ShareRecipient(code, name.text().strip()) for code, tick, name in self.rows if tick.isChecked()]

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        errors = {}
        for n, (_code, tick, name) in enumerate(self.rows, 1):
            if tick.isChecked() and not name.text().strip():
                errors[f"recipients.{n}.name"] = "Name the service the plan goes to."
        return errors

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        chosen = self.recipients()
        # The core numbers recipients in the order given: map its fields back to the rows ticked.
        self._ticked = [n for n, (_c, tick, _name) in enumerate(self.rows, 1) if tick.isChecked()]
        book, vid = self.ctx.book, self.version_id
        return lambda: book.sharing.record(vid, chosen)

    def _failed(self, exc: BaseException) -> None:
        from keyworker.errors import ValidationError

        if isinstance(exc, ValidationError) and hasattr(self, "_ticked"):
            mapped = {}
            for key, message in exc.fields.items():
                parts = key.split(".")
                if len(parts) == 3 and parts[0] == "recipients" and parts[1].isdigit() \
                        and 0 < int(parts[1]) <= len(self._ticked):
                    row = self._ticked[int(parts[1]) - 1]
                    mapped[f"recipients.{row}.name"] = message
                else:
                    mapped[key] = message
            exc = ValidationError(mapped)
        super()._failed(exc)


class SharePanel(QWidget):
    """One line on the care plan tab: who the agreed plan was shared with, and Share plan…"""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.view: Any = None
        self.shares: list[ShareView] = []
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel("")
        self.label.setObjectName("planSharing")
        self.label.setWordWrap(True)
        self.button = QPushButton("S&hare plan…")
        self.button.setAccessibleName("Share the agreed plan with services")
        self.button.setVisible(ctx.book.actor.can(Permission.SHARE_CARE_PLAN))
        self.button.clicked.connect(self.share)
        row.addWidget(self.label, 1)
        row.addWidget(self.button)
        self.hide()

    def _agreed_current(self) -> bool:
        v = self.view
        a = getattr(v, "agreement", None)
        return bool(v is not None and v.complete and a is not None and a.method != "declined" and v.version
                    and a.version_number == v.version.number)

    def set_view(self, view: Any) -> None:
        self.view = view
        if view is None or not view.plan_id or not view.complete:
            self.hide()
            return
        self.show()
        book, plan_id = self.ctx.book, view.plan_id
        self.ctx.tasks.run(lambda: book.sharing.for_plan(plan_id), self._loaded, lambda e: self._error(e))

    def _error(self, exc: BaseException) -> None:
        show_error(self, exc)

    def _loaded(self, shares: list[ShareView]) -> None:
        self.shares = shares
        if shares:
            self.label.setText("; ".join(s.text for s in shares) + ".")
        elif self._agreed_current():
            self.label.setText("Not shared with any service yet.")
        else:
            self.label.setText("The plan can be shared with services once the resident has agreed this version.")
        self.button.setEnabled(self._agreed_current())

    def share(self) -> None:
        v = self.view
        if v is None or not self._agreed_current() or v.version is None:
            return
        dlg = ShareDialog(self, self.ctx, v.version.id, v.version.number)
        if dlg.exec() == FormDialog.DialogCode.Accepted.value:
            self.set_view(v)
