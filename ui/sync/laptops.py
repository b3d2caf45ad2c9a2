"""Administration → Laptops (administrators): the laptops enrolled with the unit hub and when
each last synced, Create enrolment code (shown large, in a fixed-width font, with when it expires
and a Copy button), Revoke, whose confirmation says plainly what revoking can and cannot do
to what is already on that laptop, and Rotate the unit's sync key, offered straight after a
revoke and there at any time, whose confirmation says what it protects and what it cannot; and
Rotate the unit's database key (keyworker/sync/unit_key.py), with the accounts still to sign in
since the last one and whether this laptop re-keys its database at its next sign-in.
Every call to the hub runs off the UI thread; a hub that cannot be reached or that refuses is
said in words, never as a traceback."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from keyworker.clock import format_datetime, to_local
from keyworker.errors import KeyworkerError
from keyworker.security.permissions import Permission
from keyworker.sync.service import EnrolmentCode, KeyRotation, Laptop, SyncStatus, UnitKeyRotation, UnitKeyStatus, ago
from ui.context import AppContext
from ui.errors import show_error

COLUMNS = ["Laptop", "Last synced", "Enrolled", "Status"]
NOT_ENROLLED = ("This laptop has not joined a unit hub, so it is the only copy of the unit's records "
                "(apart from backups). Once it joins, the unit's other laptops are listed here.")
REVOKE_WORDS = (
    "From now on the unit hub refuses “{name}”: it can no longer send or receive anything. Changes "
    "made on it and not yet sent stay on it.\n\n"
    "Revoking cannot reach into the laptop. Everything already on it stays there, readable by anyone "
    "who has the laptop and a staff password for this unit: it is protected only by the unit's "
    "encryption and the strength of those passwords. If the laptop was lost or stolen, also reset the "
    "passwords of the accounts used on it (Staff accounts), and tell the unit's information governance lead.")

ROTATE_WORDS = (
    "This makes a new sync key for the unit and gives it to every laptop still enrolled; each one takes it at "
    "its next sync. Changes made from now on are sealed with it, so a removed laptop cannot open them even "
    "if it got hold of them.\n\n"
    "It cannot reach into a removed laptop: everything already on it stays readable there to anyone who has the "
    "laptop and a staff password, as before. Enrolment codes not yet used stop working (make a new one for a "
    "laptop still to join).")
ROTATE_UNIT_WORDS = (
    "This makes a new key for the unit's database and gives it to every laptop still enrolled. Each one takes it "
    "at its next sync and re-keys its database the next time Keyworker is started there and someone signs in "
    "(after an encrypted copy, so nothing can be lost). From then on the key a removed laptop holds no longer "
    "opens the unit's files on the other laptops. Each person's password moves to the new key when they next "
    "sign in; until then their old sign-in still works.\n\n"
    "It cannot reach into a removed laptop: everything already on it stays readable there to anyone who has the "
    "laptop and a staff password, as before. Enrolment codes not yet used stop working (make a new one for a "
    "laptop still to join).")
REKEY_PENDING = ("This laptop holds the unit's new database key and will re-key its database at the next sign-in "
                 "(close Keyworker, start it again and sign in).")
ROTATE_AFTER_REVOKE = "“{name}” was revoked. Rotate the unit's sync key now?\n\n"


def hub_problem(exc: BaseException) -> str:
    """A hub error in words (keyworker/sync/client.py): unreachable, refused, or the app's own."""
    from keyworker.sync.client import HubRefused, HubUnreachable

    if isinstance(exc, HubUnreachable):
        return (f"The unit hub cannot be reached: {exc.message}. Nothing was changed. Check this laptop's "
                "network connection and try again.")
    if isinstance(exc, HubRefused):
        return f"The unit hub refused: {exc.message}."
    if isinstance(exc, KeyworkerError):
        return str(exc)
    return "Something went wrong talking to the unit hub. Nothing was changed; try again, and tell your " \
           "administrator if it happens again."


class CodeDialog(QDialog):
    """The enrolment code, once: large and fixed-width, when it expires, and a Copy button."""

    def __init__(self, code: EnrolmentCode, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("enrolmentCodeDialog")
        self.setWindowTitle("Enrolment code — Keyworker")
        self.code = code
        v = QVBoxLayout(self)
        title = QLabel("Enrolment code for a new laptop")
        title.setObjectName("dialogTitle")
        v.addWidget(title)
        self.code_label = QLabel(code.code)
        self.code_label.setObjectName("recoveryKey")
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(max(font.pointSizeF(), 10) * 1.8)
        font.setBold(True)
        self.code_label.setFont(font)
        self.code_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.code_label.setAccessibleName(f"Enrolment code {' '.join(code.code)}")
        v.addWidget(self.code_label)
        until = to_local(code.expires_at).strftime("%H:%M")
        self.expiry = QLabel(f"Valid until {until} (15 minutes), and only once. It is shown only now.")
        self.expiry.setObjectName("sectionTitle")
        v.addWidget(self.expiry)
        steps = QLabel(
            "Enrol the new laptop with the hub's address, its fingerprint and this code. Read the code out or "
            "type it, never email it: it carries the unit's keys, sealed so that only someone holding it can "
            "open them. On the new laptop, in a terminal:")
        steps.setWordWrap(True)
        v.addWidget(steps)
        self.command = QLabel(f"python main.py sync join --hub {code.hub_url or 'https://…'} --code {code.code} "
                              f"--cert-sha256 {code.fingerprint or '…'} --db <the new unit file>")
        self.command.setObjectName("hint")
        self.command.setWordWrap(True)
        self.command.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.command.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.command.setAccessibleName("The command to type on the new laptop")
        v.addWidget(self.command)
        buttons = QDialogButtonBox()
        self.copy_button = buttons.addButton("&Copy the code", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy)
        done = buttons.addButton("&Done", QDialogButtonBox.ButtonRole.AcceptRole)
        done.setObjectName("primary")
        buttons.accepted.connect(self.accept)
        self.copied = QLabel("")
        self.copied.setObjectName("muted")
        v.addWidget(self.copied)
        v.addWidget(buttons)
        self.setMinimumWidth(620)

    def copy(self) -> None:
        QApplication.clipboard().setText(self.code.code)
        self.copied.setText("Copied. Paste it only where the new laptop asks for it.")


class LaptopsScreen(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.laptops: list[Laptop] = []
        self.status: SyncStatus | None = None
        self.confirm_revoke = _confirm_revoke  # tests answer it
        self.confirm_rotate = _confirm_rotate  # (parent, name of the laptop just revoked or None) -> bool
        self.show_code = lambda code: CodeDialog(code, self).exec()  # tests look at it instead
        self.setObjectName("laptopsScreen")
        self.setAccessibleName("Laptops")
        box = QGroupBox("Laptops of this unit")
        bl = QVBoxLayout(box)
        self.intro = QLabel("Every laptop enrolled with the unit hub holds the whole unit's records and "
                            "syncs whenever it is online.")
        self.intro.setWordWrap(True)
        bl.addWidget(self.intro)
        self.problem = QLabel()
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        bl.addWidget(self.problem)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("laptopsTable")
        self.table.setAccessibleName("Enrolled laptops")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        from ui.widgets.tables import read_only_table

        read_only_table(self.table)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        bl.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.code_button = QPushButton("Create enrolment &code…")
        self.code_button.setObjectName("primary")
        self.code_button.clicked.connect(self.create_code)
        self.revoke_button = QPushButton("Re&voke…")
        self.revoke_button.setToolTip("Stop the chosen laptop sending or receiving anything (a lost or stolen one)")
        self.revoke_button.clicked.connect(self.revoke)
        self.rotate_button = QPushButton("Rotate the unit's s&ync key…")
        self.rotate_button.setToolTip("A new sync key for the laptops still enrolled: a removed laptop cannot open "
                                      "what is written from now on")
        self.rotate_button.clicked.connect(lambda: self.rotate_key())
        self.rotate_unit_button = QPushButton("Rotate the unit's &database key…")
        self.rotate_unit_button.setToolTip("A new database key for the laptops still enrolled: a removed laptop's key "
                                           "no longer opens the unit's files once each laptop has re-keyed")
        self.rotate_unit_button.clicked.connect(self.rotate_unit_key)
        self.confirm_rotate_unit = _confirm_rotate_unit  # (parent) -> bool; tests answer it
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        for b in (self.code_button, self.revoke_button, self.refresh_button):
            row.addWidget(b)
        row.addStretch(1)
        bl.addLayout(row)
        # The keys on a row of their own, under what they are for: five buttons do not fit at 1024.
        keys_row = QHBoxLayout()
        keys_row.addWidget(QLabel("After a laptop is lost or stolen:"))
        for b in (self.rotate_button, self.rotate_unit_button):
            keys_row.addWidget(b)
        keys_row.addStretch(1)
        bl.addLayout(keys_row)
        for b in (self.code_button, self.revoke_button, self.refresh_button, self.rotate_button,
                  self.rotate_unit_button):
            b.setMinimumWidth(b.sizeHint().width())  # never elided
        self.busy = QLabel("")
        self.busy.setObjectName("muted")
        self.busy.setWordWrap(True)
        bl.addWidget(self.busy)
        self.rotated = QLabel("")  # what the last rotation did (busy is cleared by every refresh)
        self.rotated.setObjectName("muted")
        self.rotated.setWordWrap(True)
        self.rotated.hide()
        bl.addWidget(self.rotated)
        self.unit_key = QLabel("")  # this laptop's re-key, and who is still to sign in since a rotation
        self.unit_key.setObjectName("hint")
        self.unit_key.setWordWrap(True)
        self.unit_key.hide()
        bl.addWidget(self.unit_key)
        lay = QVBoxLayout(self)
        lay.addWidget(box, 1)
        self._update_buttons()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.refresh()

    def _say(self, text: str | None) -> None:
        self.problem.setText(text or "")
        self.problem.setVisible(bool(text))

    def refresh(self) -> None:
        if self.ctx.state.locked or not self.ctx.book.actor.can(Permission.MANAGE_LAPTOPS):
            return
        book = self.ctx.book
        self.busy.setText("Asking the unit hub…")
        self.refresh_button.setEnabled(False)

        def got_status(st: SyncStatus) -> None:
            self.status = st
            if not st.enrolled:
                self.busy.setText("")
                self.refresh_button.setEnabled(True)
                self.intro.setText(NOT_ENROLLED)
                self.table.setRowCount(0)
                self.table.hide()
                self._update_buttons()
                return
            self.table.show()
            hub = f" ({st.hub_url})" if st.hub_url else ""
            self.intro.setText(f"Every laptop enrolled with the unit hub{hub} holds the whole unit's records and "
                               "syncs whenever it is online.")
            self.ctx.tasks.run(book.sync.laptops, self.set_laptops, self.failed, pool=True)
            self.ctx.tasks.run(book.sync.unit_key_status, self.set_unit_key, self.failed)

        self.ctx.tasks.run(book.sync.status, got_status, self.failed)

    def set_unit_key(self, st: UnitKeyStatus) -> None:
        lines = []
        notice = getattr(self.ctx.book, "unit_key_notice", None)
        if notice:
            lines.append(notice)
        elif st.rekey_pending:
            lines.append(REKEY_PENDING)
        if st.newest_generation > 1 and st.still_to_sign_in:
            lines.append("Still to sign in since the unit's database key was rotated (their passwords still lead to "
                         "it through the previous key until they do): " + ", ".join(st.still_to_sign_in) + ".")
        elif st.newest_generation > 1:
            lines.append("Everyone has signed in since the unit's database key was rotated.")
        if st.newest_generation > 1 and st.recovery_key_old:
            lines.append("The unit's recovery key moves to the new key the next time it is used.")
        self.unit_key.setText("\n".join(lines))
        self.unit_key.setVisible(bool(lines))

    def set_laptops(self, laptops: list[Laptop]) -> None:
        self.busy.setText("")
        self.refresh_button.setEnabled(True)
        self._say(None)
        now = self.ctx.book.clock.now()
        self.laptops = sorted(laptops, key=lambda lp: (lp.revoked_at is not None, not lp.this_laptop, lp.name.lower()))
        self.table.setRowCount(len(self.laptops))
        for r, lp in enumerate(self.laptops):
            if lp.revoked_at is not None:
                status = f"Removed {format_datetime(lp.revoked_at)}"
            elif lp.this_laptop:
                status = "This laptop"
            elif lp.not_synced_for_days and lp.not_synced_for_days >= 7:
                status = f"⚠ Not synced for {lp.not_synced_for_days} days"
            else:
                status = "Enrolled"
            cells = [lp.name, (ago(lp.last_seen_at, now) if lp.last_seen_at else "Never"),
                     format_datetime(lp.enrolled_at), status]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, lp.device_id)
                if c == 1 and lp.last_seen_at is not None:
                    item.setToolTip(format_datetime(lp.last_seen_at))
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self._update_buttons()

    def failed(self, exc: BaseException) -> None:
        self.busy.setText("")
        self.refresh_button.setEnabled(True)
        self._say(hub_problem(exc))
        self._update_buttons()

    def selected(self) -> Laptop | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        did = self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)
        return next((lp for lp in self.laptops if lp.device_id == did), None)

    def _update_buttons(self) -> None:
        enrolled = bool(self.status and self.status.enrolled)
        lp = self.selected()
        self.code_button.setEnabled(enrolled)
        self.rotate_button.setEnabled(enrolled)
        self.rotate_unit_button.setEnabled(enrolled)
        self.revoke_button.setEnabled(enrolled and lp is not None and not lp.this_laptop and lp.revoked_at is None)
        if lp is not None and lp.this_laptop:
            self.revoke_button.setToolTip("This is the laptop you are using: revoke it from another one.")

    def create_code(self) -> None:
        book = self.ctx.book
        # The code's bundle goes with a fresh sealed copy of the unit (keyworker/sync/snapshot.py):
        # about 15 s for a 20,000-resident unit.
        self.busy.setText("Sending a sealed copy of the unit to the hub for the new laptop, then making its "
                          "code: this can take a minute on a large unit…")
        self.code_button.setEnabled(False)

        def done(code: EnrolmentCode) -> None:
            self.busy.setText("")
            self._say(None)
            self._update_buttons()
            self.show_code(code)

        self.ctx.tasks.run(book.sync.enrolment_code, done, self.failed, pool=True)

    def revoke(self) -> None:
        lp = self.selected()
        if lp is None or lp.this_laptop:
            return
        if not self.confirm_revoke(self, lp):
            return
        book = self.ctx.book
        self.busy.setText(f"Revoking {lp.name}…")

        def done(_at: Any) -> None:
            self.busy.setText(f"{lp.name} was revoked: the hub refuses it from now on.")
            self.refresh()
            self.rotate_key(revoked=lp.name)

        def failed(exc: BaseException) -> None:
            self.failed(exc)

        self.ctx.tasks.run(lambda: book.sync.revoke(lp.device_id), done, failed, pool=True)

    def rotate_key(self, revoked: str | None = None) -> None:
        """Ask, then make the unit's next sync key epoch (a network call and a write: off the UI thread)."""
        if not self.confirm_rotate(self, revoked):
            return
        book = self.ctx.book
        self.busy.setText("Making the unit's new sync key and giving it to the laptops still enrolled…")
        self.rotate_button.setEnabled(False)

        def done(r: KeyRotation) -> None:
            self.busy.setText("")
            self._say(None)
            self._update_buttons()
            codes = (f" {r.codes_expired} unused enrolment code{'s' if r.codes_expired != 1 else ''} stopped working."
                     if r.codes_expired else "")
            self.rotated.setText(f"The unit's sync key was rotated for the {r.laptops} "
                                 f"laptop{'s' if r.laptops != 1 else ''} still enrolled: each takes it at its next "
                                 f"sync, and changes from now on are sealed with it.{codes}")
            self.rotated.show()

        def failed(exc: BaseException) -> None:
            self.failed(exc)
            self.rotated.hide()

        self.ctx.tasks.run(book.sync.rotate_key, done, failed, pool=True)


    def rotate_unit_key(self) -> None:
        """Ask, then make the unit's next database key (a network call and a write: off the UI thread)."""
        if not self.confirm_rotate_unit(self):
            return
        book = self.ctx.book
        self.busy.setText("Making the unit's new database key and giving it to the laptops still enrolled…")
        self.rotate_unit_button.setEnabled(False)

        def done(r: UnitKeyRotation) -> None:
            self.busy.setText("")
            self._say(None)
            self._update_buttons()
            codes = (f" {r.codes_expired} unused enrolment code{'s' if r.codes_expired != 1 else ''} stopped working."
                     if r.codes_expired else "")
            self.rotated.setText(f"The unit's database key was rotated for the {r.laptops} "
                                 f"laptop{'s' if r.laptops != 1 else ''} still enrolled: each takes it at its next "
                                 f"sync and re-keys its database at the next sign-in there.{codes}")
            self.rotated.show()
            self.ctx.tasks.run(book.sync.unit_key_status, self.set_unit_key, self.failed)

        def failed(exc: BaseException) -> None:
            self.failed(exc)
            self.rotated.hide()

        self.ctx.tasks.run(book.sync.rotate_unit_key, done, failed, pool=True)


def _confirm_rotate_unit(parent: QWidget) -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, "Rotate the unit's database key?", ROTATE_UNIT_WORDS, parent=parent)
    yes = box.addButton("Rotate the unit's database key now", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(yes)
    box.exec()
    return box.clickedButton() is yes


def _confirm_rotate(parent: QWidget, revoked: str | None) -> bool:
    words = (ROTATE_AFTER_REVOKE.format(name=revoked) if revoked else "") + ROTATE_WORDS
    box = QMessageBox(QMessageBox.Icon.Question, "Rotate the unit's sync key?", words, parent=parent)
    yes = box.addButton("Rotate the unit's sync key now", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Not now" if revoked else "Cancel", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(yes)
    box.exec()
    return box.clickedButton() is yes


def _confirm_revoke(parent: QWidget, laptop: Laptop) -> bool:
    box = QMessageBox(QMessageBox.Icon.Warning, f"Revoke {laptop.name}?", REVOKE_WORDS.format(name=laptop.name),
                      parent=parent)
    yes = box.addButton("Revoke this laptop", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is yes


__all__ = ["CodeDialog", "LaptopsScreen", "hub_problem", "show_error"]
