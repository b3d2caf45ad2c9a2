"""Join a unit hub: a new laptop enrols with a code made on an enrolled one (Administration ->
Laptops, or `main.py sync code`) and the unit is written to a new file here, as `main.py sync join`
does (keyworker/sync/enrol.join). Opened from the first-run window; on success the sign-in window
opens for the new file, where each person signs in with their own password.

The hub's address, its certificate fingerprint (from the hub's operator, or `sync fingerprint` /
Administration -> Laptops on an enrolled laptop), the code, where to save the unit and this
laptop's name. A problem is shown under the field it is about: the core's ValidationError by its
field, the hub's refusal of the code under the code, a certificate that does not match under the
fingerprint, an unreachable hub under the address. The join runs off the UI thread with its
progress (the first sync brings the whole unit); nothing typed is lost when it fails."""
from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from keyworker.errors import KeyworkerError, StorageError, ValidationError
from keyworker.security.vault import vault_path_for
from ui.errors import show_error
from ui.forms.binder import FieldBox, FieldLabel
from ui.tasks import SyncTaskRunner, TaskRunner

FIELDS = ("hub", "cert_sha256", "code", "path", "name")
# The core's field names (keyworker/sync/enrol.py and hubconf.py) for this screen's fields.
_CORE_FIELD = {"hub": "hub", "url": "hub", "hub_url": "hub", "cert_sha256": "cert_sha256", "pin": "cert_sha256",
               "code": "code", "db": "path", "db_path": "path", "path": "path", "name": "name",
               "device_name": "name"}
NOT_MATCHING = ("The hub at this address shows a different certificate from this fingerprint: check the address "
                "and the fingerprint with your administrator. Nothing was sent to it.")
UNREACHABLE = ("The unit hub cannot be reached at this address: check it, and that this laptop is online. "
               "Nothing was changed.")
EXISTS = "There is already a unit file here: a laptop joins into a new file. Choose another name or folder."


def default_laptop_name() -> str:
    return (socket.gethostname() or "Laptop")[:100]


def _mono(edit: QLineEdit) -> None:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(max(font.pointSizeF(), edit.font().pointSizeF()))
    edit.setFont(font)


class _Progress(QObject):
    """Carries the join's progress from the worker thread (queued signal)."""

    step = Signal(int, int)


def join_problems(exc: BaseException) -> dict[str, str]:
    """{field or "": message} for a join that failed, in words for the person at the keyboard."""
    from keyworker.sync.client import CertificateChanged, HubRefused, HubUnreachable

    if isinstance(exc, ValidationError):
        out: dict[str, str] = {}
        for key, message in exc.fields.items():
            field = _CORE_FIELD.get(key, "")
            out[field] = f"{out[field]} {message}" if field in out else message
        return out
    if isinstance(exc, CertificateChanged):
        return {"cert_sha256": NOT_MATCHING}
    if isinstance(exc, HubRefused):
        if exc.status in (403, 409, 410):  # the code: not right, used, or out of date (the hub's words)
            return {"code": exc.message}
        return {"": f"The unit hub refused: {exc.message}."}
    if isinstance(exc, HubUnreachable):
        if exc.status is None:
            return {"hub": UNREACHABLE}
        return {"hub": f"The unit hub could not answer just now: {exc.message}."}
    if isinstance(exc, StorageError):
        return {"path": str(exc).replace("Choose another --db.", "Choose another file.")}
    if isinstance(exc, KeyworkerError):
        return {"": str(exc)}
    return {"": "Keyworker could not join the unit hub."}


class JoinHubDialog(QDialog):
    """Emits `joined(path)` once this laptop is enrolled and the unit is written to `path`."""

    joined = Signal(object)

    def __init__(self, default_path: Path, tasks: TaskRunner | SyncTaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.default_path = Path(default_path)
        self.joining = False
        self.setObjectName("joinHubDialog")
        self.setWindowTitle("Join a unit hub — Keyworker")
        self.setAccessibleName("Join a unit hub")
        self.setModal(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(28, 22, 28, 18)
        lay.setSpacing(12)
        title = QLabel("Join a unit hub")
        title.setObjectName("dialogTitle")
        lay.addWidget(title)
        intro = QLabel("Bring the unit to this laptop from the unit hub the others sync with. An administrator "
                       "makes an enrolment code on a laptop already in the unit (Administration → Laptops) and "
                       "gives you the hub's address and its certificate fingerprint with it.")
        intro.setWordWrap(True)
        lay.addWidget(intro)

        self.hub_edit = QLineEdit()
        self.hub_edit.setPlaceholderText("https://hub.example.org:8443")
        self.pin_edit = QLineEdit()
        self.pin_edit.setPlaceholderText("64 letters and digits; colons are fine")
        _mono(self.pin_edit)
        # the whole fingerprint in view, colons and all, to compare with the one given (it fits at 1024)
        self.pin_edit.setMinimumWidth(self.pin_edit.fontMetrics().horizontalAdvance(":".join(["AB"] * 32)) + 24)
        self.code_edit = QLineEdit()
        self.code_edit.setPlaceholderText("XXXXX-XXXXX-XXXXX-XXXXX-XXXXX")
        _mono(self.code_edit)
        self.path_edit = QLineEdit(str(self.default_path))
        self.path_edit.textChanged.connect(self.path_edit.setToolTip)
        self.path_edit.setToolTip(self.path_edit.text())
        self.browse_button = QPushButton("&Browse…")
        self.browse_button.setAccessibleName("Choose where to save the unit")
        self.browse_button.setAutoDefault(False)
        self.browse_button.clicked.connect(self.browse)
        path_row = QWidget()
        row = QHBoxLayout(path_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse_button)
        self.name_edit = QLineEdit(default_laptop_name())
        self.name_edit.setMaxLength(100)

        form = QFormLayout()
        form.setVerticalSpacing(6)
        form.setHorizontalSpacing(12)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.boxes: dict[str, FieldBox] = {}
        editors: dict[str, QLineEdit] = {"hub": self.hub_edit, "cert_sha256": self.pin_edit, "code": self.code_edit,
                                         "path": self.path_edit, "name": self.name_edit}
        rows = [("hub", "Hub &address", None, None),
                ("cert_sha256", "Certificate &fingerprint", None, "SHA-256, as the hub's operator or an enrolled "
                 "laptop shows it"),
                ("code", "Enrolment &code", None, "Valid for 15 minutes, once"),
                ("path", "&Save the unit as", path_row, "A new file. Keyworker opens this one when it starts "
                 "unless told another (--db or KEYWORKER_DB)"),
                ("name", "&Laptop name", None, "How the unit's laptops list shows this one")]
        for key, label, holder, hint in rows:
            editor = editors[key]
            editor.setAccessibleName(label.replace("&", ""))
            box = FieldBox(holder or editor, hint)
            self.boxes[key] = box
            form.addRow(FieldLabel(label, editor), box)
            editor.textEdited.connect(lambda _t, k=key: self.show_problem(k, None))
            editor.returnPressed.connect(self.submit)
        lay.addLayout(form)

        self.problem = QLabel()
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName("Problem")
        self.problem.setVisible(False)
        lay.addWidget(self.problem)
        self.status = QLabel()
        self.status.setObjectName("muted")
        self.status.setVisible(False)
        lay.addWidget(self.status)
        self.progress = QProgressBar()
        self.progress.setObjectName("importProgress")
        self.progress.setAccessibleName("Joining the unit hub")
        self.progress.setVisible(False)
        lay.addWidget(self.progress)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.close_button = QPushButton("Close")
        self.close_button.setAccessibleName("Close")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        self.join_button = QPushButton("&Join")
        self.join_button.setObjectName("primary")
        self.join_button.setAccessibleName("Join")
        self.join_button.setDefault(True)
        self.join_button.clicked.connect(self.submit)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.join_button)
        lay.addLayout(buttons)
        self._progress = _Progress(self)
        self._progress.step.connect(self._step)
        order = [self.hub_edit, self.pin_edit, self.code_edit, self.path_edit, self.browse_button, self.name_edit,
                 self.join_button, self.close_button]
        for a, b in zip(order, order[1:]):
            QWidget.setTabOrder(a, b)
        fm = self.fontMetrics()
        self.resize(max(640, fm.averageCharWidth() * 84), self.sizeHint().height())

    # -- what was typed ----------------------------------------------------------------------------
    def values(self) -> dict[str, str]:
        return {"hub": self.hub_edit.text().strip(), "cert_sha256": self.pin_edit.text().strip(),
                "code": self.code_edit.text().strip(), "path": self.path_edit.text().strip(),
                "name": self.name_edit.text().strip()}

    def check(self) -> dict[str, str]:
        """What is missing, before anything is sent (the formats are the core's to check)."""
        v = self.values()
        problems = {}
        if not v["hub"]:
            problems["hub"] = "Enter the hub's address, as your administrator gave it (https://…)."
        if not v["cert_sha256"]:
            problems["cert_sha256"] = "Enter the hub's certificate fingerprint, as your administrator gave it."
        if not v["code"]:
            problems["code"] = "Enter the enrolment code made on a laptop already in the unit."
        if not v["path"]:
            problems["path"] = "Choose where to save the unit on this laptop."
        elif Path(v["path"]).expanduser().exists() or vault_path_for(Path(v["path"]).expanduser()).exists():
            problems["path"] = EXISTS
        if not v["name"]:
            problems["name"] = "Give this laptop a name the others will know it by."
        return problems

    def shown_problems(self) -> dict[str, str]:
        """The messages on screen, by field ("" for the one under the form)."""
        out = {k: box.error.message() for k, box in self.boxes.items() if not box.error.isHidden()}
        if not self.problem.isHidden():
            out[""] = self.problem.text()
        return out

    def show_problem(self, field: str, message: str | None) -> None:
        if field in self.boxes:
            self.boxes[field].error.set_message(message)
        else:
            self.problem.setText(message or "")
            self.problem.setVisible(bool(message))
        self._fit()

    def _show_all(self, problems: dict[str, str]) -> None:
        for key in FIELDS:
            self.boxes[key].error.set_message(problems.get(key))
        self.problem.setText(problems.get("", ""))
        self.problem.setVisible(bool(problems.get("")))
        first = next((k for k in FIELDS if k in problems), None)
        editors = {"hub": self.hub_edit, "cert_sha256": self.pin_edit, "code": self.code_edit,
                   "path": self.path_edit, "name": self.name_edit}
        if first is not None:
            editors[first].setFocus()
            editors[first].selectAll()
        self._fit()

    def _fit(self) -> None:
        lay = self.layout()
        if lay is None:
            return
        lay.activate()
        need = max(lay.totalHeightForWidth(self.width()), lay.totalMinimumSize().height())
        if need > self.height():
            self.resize(self.width(), need)

    def browse(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(self, "Save the unit as", self.path_edit.text() or
                                                str(self.default_path), "Keyworker unit (*.kwdb)")
        if chosen:
            if not chosen.endswith(".kwdb"):
                chosen += ".kwdb"
            self.path_edit.setText(chosen)
            self.show_problem("path", None)

    # -- joining -----------------------------------------------------------------------------------
    def submit(self) -> None:
        if self.joining:
            return
        problems = self.check()
        if problems:
            self._show_all(problems)
            return
        self._show_all({})
        v = self.values()
        path = Path(v["path"]).expanduser()
        progress = self._progress

        def work() -> Path:
            from keyworker.sync import enrol

            return enrol.join(v["hub"], v["code"], path, v["cert_sha256"], device_name=v["name"],
                              progress=lambda done, total: progress.step.emit(done, total))

        self._set_joining(True)
        self.tasks.run(work, self._joined, self._failed, pool=True)

    def _set_joining(self, joining: bool) -> None:
        self.joining = joining
        for w in (self.hub_edit, self.pin_edit, self.code_edit, self.path_edit, self.name_edit, self.browse_button,
                  self.join_button):
            w.setEnabled(not joining)
        self.close_button.setEnabled(not joining)
        self.progress.setVisible(joining)
        self.status.setVisible(joining)
        if joining:
            self.progress.setRange(0, 0)
            self.status.setText("Joining the unit hub…")
        self._fit()

    def _step(self, done: int, total: int) -> None:
        if not self.joining:
            return
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))
        self.status.setText(f"Bringing the unit to this laptop: {done:,} of {total:,}")

    def _joined(self, path: Path) -> None:
        self._set_joining(False)
        self.joined.emit(Path(path))
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._set_joining(False)
        self._show_all(join_problems(exc))
        if not isinstance(exc, KeyworkerError):
            show_error(self, exc)

    def reject(self) -> None:
        if self.joining:  # the join finishes or fails by itself; closing now would lose its answer
            self.status.setText("Joining the unit hub… this window closes when it has finished.")
            return
        super().reject()

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        if self.joining:
            event.ignore()
            return
        super().closeEvent(event)
