"""Add or change a destination (Administration → Destinations): an HTTPS API, an SFTP drop or secure
email, with the fields of the kind chosen. The secret is a password field; once stored it reads
"stored — leave empty to keep" and is never shown again. For SFTP, "Fetch host key" asks the
server for its key (off the UI thread) and shows its fingerprint for the person to confirm with
the server's owner before it is pinned. Saving runs on the task runner; the core's refusals are
shown beside their fields."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHeaderView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from keyworker.errors import KeyworkerError, ValidationError
from keyworker.outbox.destinations import DestinationView, host_key_fingerprint
from keyworker.outbox.factory import TRANSPORT_LABELS, TRANSPORTS
from keyworker.outbox.kinds import KINDS
from ui.context import AppContext
from ui.errors import describe
from ui.forms.binder import ErrorLabel
from ui.widgets.form import TaskDialog, add_row
from ui.widgets.password import PasswordEdit

STORED = "stored — leave empty to keep"
SECRET_LABELS = {"https": "Bearer &token", "sftp": "Pass&word or key", "smtp": "Pass&word"}
HINTS = {
    "https": "Each letter is sent to this address over HTTPS. Leave the CA file empty to use the "
             "computer's trusted certificates.",
    "sftp": "Each letter is uploaded to the folder. The server's host key is pinned: fetch it and check "
            "its fingerprint with the server's owner before saving.",
    "smtp": "Each letter is emailed as an attachment over an encrypted connection (STARTTLS or TLS; "
            "plain email is never used). A letter to a referrer goes to the referrer's own address.",
}


def _line(name: str, placeholder: str = "", max_len: int = 500) -> QLineEdit:
    e = QLineEdit()
    e.setObjectName(name)
    e.setMaxLength(max_len)
    e.setPlaceholderText(placeholder)
    return e


def _port(default: int) -> QSpinBox:
    p = QSpinBox()
    p.setRange(1, 65535)
    p.setValue(default)
    return p


def confirm_host_key(parent: QWidget, where: str, fingerprint: str) -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, "Confirm the server's key",
                      f"The SFTP server at {where} shows this key:\n\n{fingerprint}\n\n"
                      "Does it match the fingerprint the server's owner gave you? Only a key you have "
                      "checked should be saved.", QMessageBox.StandardButton.Cancel, parent)
    yes = box.addButton("It matches: use this key", QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is yes


class DestinationDialog(TaskDialog):
    area = "outbox"

    def __init__(self, ctx: AppContext, existing: DestinationView | None = None, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Change destination" if existing else "Add destination", parent,
                         ok_text="&Save" if existing else "&Add destination")
        self.setObjectName("destinationDialog")
        self.existing = existing
        # Replaced in tests: (where, fingerprint) -> whether the person confirmed the key.
        self.confirm_key: Callable[[str, str], bool] = lambda where, fp: confirm_host_key(self, where, fp)
        self.errors: dict[str, ErrorLabel] = {}
        self.choose_file: Callable[[], str] = self._ask_for_file  # replaced in tests

        self.transport = QComboBox()
        self.transport.setObjectName("transport")
        for t in TRANSPORTS:
            self.transport.addItem(TRANSPORT_LABELS[t], t)
        self.name_edit = _line("destinationName", "e.g. County referrals hub", 120)
        add_row(self.form, "&Kind", self.transport, "Kind of destination")
        self._row(self.form, "&Name", self.name_edit, "name")
        self.hint = QLabel()
        self.hint.setObjectName("muted")
        self.hint.setWordWrap(True)
        self.form.addRow("", self.hint)

        self.fields: dict[str, dict[str, QWidget]] = {}
        self.rows: dict[str, list[QWidget]] = {}
        for t in TRANSPORTS:
            self._rows(t)
        self.secret = PasswordEdit()
        self.secret.setObjectName("secret")
        self.secret.setMaxLength(20_000)
        self.secret_label = self._row(self.form, SECRET_LABELS["https"], self.secret, "secret")
        self.key_note = QLabel()
        self.key_note.setObjectName("muted")
        self.key_note.setWordWrap(True)
        self.form.addRow("", self.key_note)

        self.transport.currentIndexChanged.connect(self._transport_changed)
        if existing is not None:
            self._fill(existing)
            self.transport.setEnabled(False)  # another kind is another destination
        self._transport_changed()
        self.setMinimumWidth(620)
        self.name_edit.setFocus()

    # -- building ----------------------------------------------------------------------------------
    def _row(self, form: QFormLayout, label: str, editor: QWidget, key: str, transport: str | None = None) -> QLabel:
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        if key == "ca_bundle":  # a file: typed, or chosen
            line = QHBoxLayout()
            line.setContentsMargins(0, 0, 0, 0)
            line.addWidget(editor, 1)
            choose = QPushButton("Choose…")
            choose.setAccessibleName("Choose the CA certificate file")
            choose.clicked.connect(lambda: self._choose_ca(editor))  # type: ignore[arg-type]
            line.addWidget(choose)
            lay.addLayout(line)
        else:
            lay.addWidget(editor)
        err = ErrorLabel()
        lay.addWidget(err)
        self.errors[f"{transport}.{key}" if transport else key] = err
        if not editor.accessibleName():
            editor.setAccessibleName(label.replace("&", ""))
        lab = add_row(form, label, box, label.replace("&", ""))
        lab.setBuddy(editor)
        if transport:
            self.rows.setdefault(transport, []).append(box)
        return lab

    def _rows(self, t: str) -> None:
        form = self.form
        f: dict[str, QWidget] = {}
        if t == "https":
            f["url"] = _line("url", "https://hub.example.nhs.uk/letters")
            f["ca_bundle"] = _line("caBundle", "optional: a PEM file of the CA to trust")
            self._row(form, "Add&ress", f["url"], "url", t)
            self._row(form, "&CA certificate file", f["ca_bundle"], "ca_bundle", t)
        elif t == "sftp":
            f["host"] = _line("sftpHost", "drop.example.nhs.uk", 253)
            f["port"] = _port(22)
            f["username"] = _line("sftpUser", "", 120)
            f["remote_folder"] = _line("remoteFolder", "/inbox")
            auth = QComboBox()
            auth.addItem("Password", "password")
            auth.addItem("Private key (unencrypted OpenSSH)", "key")
            f["auth"] = auth
            key = QPlainTextEdit()
            key.setObjectName("hostKey")
            key.setTabChangesFocus(True)
            key.setPlaceholderText("ssh-ed25519 AAAA… (use Fetch host key)")
            key.setFixedHeight(key.fontMetrics().lineSpacing() * 3 + 14)
            f["host_key"] = key
            self.fetch_button = QPushButton("&Fetch host key")
            self.fetch_button.setAccessibleName("Fetch host key")
            self.fetch_button.clicked.connect(self.fetch_host_key)
            self.fingerprint = QLabel()
            self.fingerprint.setObjectName("muted")
            self.fingerprint.setWordWrap(True)
            self._row(form, "&Server", f["host"], "host", t)
            self._row(form, "P&ort", f["port"], "port", t)
            self._row(form, "&User name", f["username"], "username", t)
            self._row(form, "&Remote folder", f["remote_folder"], "remote_folder", t)
            self._row(form, "Sign &in with", auth, "auth", t)
            self._row(form, "&Host key", key, "host_key", t)
            fetch_row = QWidget()
            row = QHBoxLayout(fetch_row)
            row.setContentsMargins(0, 0, 0, 0)
            row.addWidget(self.fetch_button)
            row.addWidget(self.fingerprint, 1)
            form.addRow("", fetch_row)
            self.rows[t].append(fetch_row)
            key.textChanged.connect(self._show_fingerprint)
            auth.currentIndexChanged.connect(self._auth_changed)
        else:
            f["host"] = _line("smtpHost", "smtp.example.nhs.uk", 253)
            f["port"] = _port(587)
            sec = QComboBox()
            sec.addItem("STARTTLS (usually port 587)", "starttls")
            sec.addItem("TLS (usually port 465)", "tls")
            f["security"] = sec
            f["username"] = _line("smtpUser", "optional", 200)
            f["from_address"] = _line("fromAddress", "unit@example.nhs.uk", 200)
            f["default_recipients"] = _line("defaultRecipients", "addresses, separated by commas")
            f["ca_bundle"] = _line("smtpCaBundle", "optional: a PEM file of the CA to trust")
            self._row(form, "&Mail server", f["host"], "host", t)
            self._row(form, "P&ort", f["port"], "port", t)
            self._row(form, "&Security", sec, "security", t)
            self._row(form, "&User name", f["username"], "username", t)
            self._row(form, "&From address", f["from_address"], "from_address", t)
            self._row(form, "Default &recipients", f["default_recipients"], "default_recipients", t)
            self._row(form, "&CA certificate file", f["ca_bundle"], "ca_bundle", t)
            by_kind = QTableWidget(len(KINDS), 2)
            by_kind.setObjectName("recipientsByKind")
            by_kind.setHorizontalHeaderLabels(["Kind of document", "Send to instead"])
            by_kind.horizontalHeaderItem(1).setToolTip("Addresses, separated by commas; empty: the default recipients")
            by_kind.setAccessibleName("Recipients per kind of document")
            by_kind.verticalHeader().setVisible(False)
            by_kind.setTabKeyNavigation(False)
            by_kind.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
            by_kind.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
            for r, (kind, words) in enumerate(KINDS.items()):
                item = QTableWidgetItem(words)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                item.setData(Qt.ItemDataRole.UserRole, kind)
                by_kind.setItem(r, 0, item)
                by_kind.setItem(r, 1, QTableWidgetItem(""))
            by_kind.resizeRowsToContents()
            by_kind.setFixedHeight(by_kind.horizontalHeader().sizeHint().height() + by_kind.rowHeight(0) * 4 + 4)
            f["recipients_by_kind"] = by_kind
            self._row(form, "Recipients &per kind", by_kind, "recipients_by_kind", t)
            sec.currentIndexChanged.connect(self._security_changed)
        self.fields[t] = f

    def _fill(self, v: DestinationView) -> None:
        self.transport.setCurrentIndex(TRANSPORTS.index(v.transport))
        self.name_edit.setText(v.name)
        f, s = self.fields[v.transport], v.settings
        for key, w in f.items():
            value = s.get(key)
            if isinstance(w, QLineEdit):
                w.setText(", ".join(value) if isinstance(value, list) else str(value or ""))
            elif isinstance(w, QSpinBox) and value:
                w.setValue(int(value))
            elif isinstance(w, QComboBox) and value:
                w.setCurrentIndex(max(0, w.findData(value)))
            elif isinstance(w, QPlainTextEdit):
                w.setPlainText(str(value or ""))
            elif isinstance(w, QTableWidget) and isinstance(value, Mapping):
                for r in range(w.rowCount()):
                    addresses = value.get(w.item(r, 0).data(Qt.ItemDataRole.UserRole)) or []
                    w.item(r, 1).setText(", ".join(addresses))
        if v.has_secret:
            self.secret.setPlaceholderText(STORED)

    # -- behaviour ---------------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        return str(self.transport.currentData())

    def _transport_changed(self) -> None:
        t = self.kind
        for transport, widgets in self.rows.items():
            for w in widgets:
                self.form.setRowVisible(w, transport == t)
        self.hint.setText(HINTS[t])
        self.secret_label.setText(SECRET_LABELS[t])
        self.secret.setAccessibleName(SECRET_LABELS[t].replace("&", ""))
        self._auth_changed()
        for e in self.errors.values():
            e.set_message(None)
        self.adjustSize()

    def _choose_ca(self, edit: QLineEdit) -> None:
        path = self.choose_file()
        if path:
            edit.setText(path)

    def _ask_for_file(self) -> str:
        path, _ = QFileDialog.getOpenFileName(self, "CA certificate file", "", "PEM certificates (*.pem *.crt *.cer);;"
                                              "All files (*)")
        return path

    def _security_changed(self) -> None:
        """The usual port follows the security chosen, unless another port was typed."""
        port: QSpinBox = self.fields["smtp"]["port"]  # type: ignore[assignment]
        if port.value() in (465, 587):
            port.setValue(465 if self.fields["smtp"]["security"].currentData() == "tls" else 587)  # type: ignore[attr-defined]

    def _auth_changed(self) -> None:
        key = self.kind == "sftp" and self.fields["sftp"]["auth"].currentData() == "key"  # type: ignore[attr-defined]
        self.key_note.setText("Paste the whole unencrypted OpenSSH private key (it starts -----BEGIN OPENSSH "
                              "PRIVATE KEY-----); it is stored encrypted and never shown again.")
        self.key_note.setVisible(key)
        if self.kind == "sftp":
            self.secret_label.setText("Private ke&y" if key else "Pass&word")

    def _show_fingerprint(self) -> None:
        line = self.fields["sftp"]["host_key"].toPlainText().strip()  # type: ignore[attr-defined]
        fp = host_key_fingerprint(line)
        self.fingerprint.setText(f"Fingerprint: {fp}" if fp else "")

    def fetch_host_key(self) -> None:
        f = self.fields["sftp"]
        host, port = f["host"].text().strip(), f["port"].value()  # type: ignore[attr-defined]
        book = self.ctx.book
        self.fetch_button.setEnabled(False)
        self.errors["sftp.host"].set_message(None)
        self.fingerprint.setText(f"Asking {host or 'the server'} for its key…")
        self.ctx.tasks.run(lambda: book.destinations.fetch_sftp_host_key(host, port),
                           lambda line: self._key_fetched(f"{host}:{port}", line), self._key_failed, pool=True)

    def _key_fetched(self, where: str, line: str) -> None:
        self.fetch_button.setEnabled(True)
        fp = host_key_fingerprint(line)
        if self.confirm_key(where, fp):
            self.fields["sftp"]["host_key"].setPlainText(line)  # type: ignore[attr-defined]
        else:
            self._show_fingerprint()

    def _key_failed(self, exc: BaseException) -> None:
        self.fetch_button.setEnabled(True)
        self._show_fingerprint()
        if isinstance(exc, ValidationError):
            self._show_errors(exc)
        else:
            self.show_problem(describe(exc)[1])

    def settings(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, w in self.fields[self.kind].items():
            if isinstance(w, QLineEdit):
                out[key] = w.text().strip() or None
            elif isinstance(w, QSpinBox):
                out[key] = w.value()
            elif isinstance(w, QComboBox):
                out[key] = w.currentData()
            elif isinstance(w, QPlainTextEdit):
                out[key] = w.toPlainText().strip() or None
            elif isinstance(w, QTableWidget):
                out[key] = {w.item(r, 0).data(Qt.ItemDataRole.UserRole): w.item(r, 1).text().strip()
                            for r in range(w.rowCount()) if w.item(r, 1).text().strip()}
        if "default_recipients" in out:
            out["default_recipients"] = out["default_recipients"] or ""
        return out

    def check(self) -> str | None:
        for e in self.errors.values():
            e.set_message(None)
        if not self.name_edit.text().strip():
            self.errors["name"].set_message("The name is required.")
            return "Give the destination a name."
        return None

    def work(self) -> Any:
        book, settings, secret = self.ctx.book, self.settings(), self.secret.text() or None
        name = self.name_edit.text().strip()
        if self.existing is None:
            return book.destinations.add(self.kind, name, settings, secret)
        return book.destinations.update(self.existing.id, name=name, settings=settings, secret=secret)

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValidationError):
            self._set_busy(False)
            self._show_errors(exc)
            return
        if isinstance(exc, KeyworkerError):
            self._set_busy(False)
            self.show_problem(str(exc))
            return
        super()._failed(exc)

    def _show_errors(self, exc: ValidationError) -> None:
        placed = []
        for key, message in exc.fields.items():
            field = key.split(".")[0]
            label = self.errors.get(f"{self.kind}.{field}") or self.errors.get(field)
            if label is not None:
                label.set_message(message)
                placed.append(key)
        rest = [m for k, m in exc.fields.items() if k not in placed]
        self.show_problem(" ".join(rest) if rest else "Please check the fields marked above.")
