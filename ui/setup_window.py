"""First run: create the unit database and its first administrator, then show the recovery key once."""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from keyworker.casebook import Casebook
from keyworker.clock import Clock
from keyworker.errors import KeyworkerError, ValidationError
from keyworker.security.vault import DEFAULT_KDF, KdfParams
from ui.errors import describe, show_error
from ui.icons import app_icon
from ui.tasks import SyncTaskRunner, TaskRunner
from ui.widgets.busy import busy_bar
from ui.widgets.form import add_row
from ui.widgets.password import NewPasswordFields


def suggest_username(full_name: str) -> str:
    """'Ada Lovelace' -> 'ada.lovelace' (the user may change it)."""
    words = re.findall(r"[a-z0-9]+", full_name.lower())
    name = ".".join(words)[:32]
    return name if name[:1].isalpha() else ""


def _choose_printer(parent: QWidget, printer: Any) -> bool:
    from PySide6.QtPrintSupport import QPrintDialog

    dlg = QPrintDialog(printer, parent)
    dlg.setWindowTitle("Print the recovery key")
    return dlg.exec() == QPrintDialog.DialogCode.Accepted.value


class SetupWindow(QWidget):
    """Emits `finished(book)` when the unit exists and the recovery key has been kept."""

    finished = Signal(object)
    joined = Signal(object)  # the path of a unit this laptop joined through a unit hub (ui/sync/join.py)

    def __init__(self, db_path: Path, tasks: TaskRunner | SyncTaskRunner, *, clock: Clock | None = None,
                 kdf: KdfParams = DEFAULT_KDF) -> None:
        super().__init__()
        self.db_path, self.tasks, self.clock, self.kdf = Path(db_path), tasks, clock, kdf
        self.book: Casebook | None = None
        self.recovery_key = ""
        self._username_edited = False
        self._problem_field = ""  # which check the red problem is about (name, user, password, confirm)
        # The print dialog, replaceable so tests can print without a blocking dialog.
        self.choose_printer: Callable[[QWidget, Any], bool] = _choose_printer
        self.printed_to: Path | None = None  # the file, when "Print to file" was chosen
        self.setObjectName("setupWindow")
        self.setWindowTitle("Set up Keyworker")
        self.setWindowIcon(app_icon())
        self.pages = QStackedWidget()
        self.pages.addWidget(self._form_page())
        self.pages.addWidget(self._key_page())
        lay = QVBoxLayout(self)
        lay.setContentsMargins(40, 28, 40, 28)
        brand = QHBoxLayout()
        brand.setSpacing(12)
        logo = QLabel()
        side = max(48, round(self.fontMetrics().height() * 2.8))  # grows with the system font, as the title does
        logo.setPixmap(app_icon().pixmap(side, side))
        logo.setAccessibleName("Keyworker logo")
        brand.addWidget(logo)
        title = QLabel("Welcome to Keyworker")
        title.setObjectName("brandTitle")
        brand.addWidget(title, 1)
        lay.addLayout(brand)
        lay.addWidget(self.pages, 1)
        lay.setSpacing(16)
        lay.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        fm = self.fontMetrics()
        # as tall as the form needs at this width: a fixed height left a gap above "Create unit"
        width = max(600, fm.averageCharWidth() * 70)
        # Maximised, the form keeps a readable width in the middle instead of fields a screen wide.
        self._column = max(680, fm.averageCharWidth() * 80)
        self.resize(width, max(lay.totalHeightForWidth(width), lay.totalMinimumSize().height()))

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        side = max(40, (self.width() - self._column) // 2)
        lay = self.layout()
        if lay is not None and lay.contentsMargins().left() != side:
            lay.setContentsMargins(side, 28, side, 28)
        super().resizeEvent(event)

    # -- page 1: the unit and its administrator --------------------------------------------------
    def _form_page(self) -> QWidget:
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)  # the window's margins only: text lines up with the logo
        lay.setSpacing(12)
        intro = QLabel("There is no unit database on this computer yet. Create it and the first "
                       "administrator account. Everything is stored encrypted in:")
        intro.setWordWrap(True)
        path = QLabel(str(self.db_path))
        path.setObjectName("muted")
        path.setWordWrap(True)
        path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(intro)
        lay.addWidget(path)
        form = QFormLayout()
        form.setVerticalSpacing(8)
        self.unit_edit = QLineEdit()
        self.unit_edit.setObjectName("unitName")
        self.unit_edit.setPlaceholderText("e.g. Ribble House")
        self.unit_edit.setMaxLength(120)
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("fullName")
        self.name_edit.setMaxLength(200)
        self.user_edit = QLineEdit()
        self.user_edit.setObjectName("userName")
        self.user_edit.setMaxLength(32)
        self.password = NewPasswordFields(lambda: [self.user_edit.text(), *self.name_edit.text().split()])
        labels = [add_row(form, "&Unit name", self.unit_edit),
                  add_row(form, "Administrator's &full name", self.name_edit, "Administrator's full name"),
                  add_row(form, "&User name", self.user_edit),
                  add_row(form, "&Password", self.password.password)]
        form.addRow("", self.password.meter)
        labels.append(add_row(form, "&Repeat password", self.password.confirm))
        for label in labels:  # as tall as its field, so the text sits on the field's middle line
            label.setMinimumHeight(label.buddy().sizeHint().height())
        lay.addLayout(form)
        self.problem = QLabel()
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName("Problem")
        self.problem.setVisible(False)
        lay.addWidget(self.problem)
        self.busy = busy_bar("Creating the unit database")
        lay.addWidget(self.busy)
        self.create_button = QPushButton("&Create unit")
        self.create_button.setObjectName("primary")
        self.create_button.setDefault(True)
        self.create_button.setAccessibleName("Create unit")
        self.create_button.clicked.connect(self.create)
        self.join_hub_button = QPushButton("Joining a unit that other laptops already use? &Join a unit hub…")
        self.join_hub_button.setObjectName("link")
        self.join_hub_button.setFlat(True)
        self.join_hub_button.setAutoDefault(False)
        self.join_hub_button.setAccessibleName("Join a unit hub")
        self.join_hub_button.clicked.connect(self.open_join)
        row = QHBoxLayout()
        row.addWidget(self.join_hub_button)
        row.addStretch(1)
        row.addWidget(self.create_button)
        lay.addLayout(row)
        lay.addStretch(1)  # below the button: a taller window leaves no gap above it
        self.name_edit.textEdited.connect(self._name_edited)
        self.user_edit.textEdited.connect(lambda _t: setattr(self, "_username_edited", True))
        # A problem once shown goes as soon as it is put right (a strong password, a name typed).
        self.password.changed.connect(self._recheck)
        for edit in (self.name_edit, self.user_edit):
            edit.textChanged.connect(lambda _t: self._recheck())
        # The meter's hint changes length as the password is typed: grow rather than squeeze it.
        self.password.changed.connect(self._fit)
        for edit in (self.unit_edit, self.name_edit, self.user_edit, self.password.password, self.password.confirm):
            edit.returnPressed.connect(self.create)
        order = [self.unit_edit, self.name_edit, self.user_edit, self.password.password, self.password.confirm,
                 self.create_button, self.join_hub_button]
        for a, b in zip(order, order[1:]):
            QWidget.setTabOrder(a, b)
        return page

    def open_join(self) -> None:
        """A laptop joining a unit that already exists: the unit comes from its hub instead."""
        if self.busy.isVisible() or self.book is not None:
            return
        from ui.sync.join import JoinHubDialog

        dlg = JoinHubDialog(self.db_path, self.tasks, self)
        dlg.joined.connect(self.joined.emit)
        self.join_dialog = dlg
        dlg.open()

    def _name_edited(self, text: str) -> None:
        if not self._username_edited:
            self.user_edit.setText(suggest_username(text))
        self.password.update_strength()

    def check(self) -> str | None:
        for _field, problem in self._checks():
            if problem:
                return problem
        return None

    def _checks(self) -> list[tuple[str, str | None]]:
        """(what, problem or None) in the order the form asks for them."""
        strength = self.password.strength_problem()
        return [
            ("name", None if self.name_edit.text().strip() else "Enter the administrator's full name."),
            ("user", None if self.user_edit.text().strip() else "Enter a user name for the administrator."),
            ("password", strength),
            ("confirm", None if strength or self.password.password.text() == self.password.confirm.text()
             else "The two passwords are different."),
        ]

    def create(self) -> None:
        if self.busy.isVisible() or self.book is not None:
            return
        failed = next(((f, p) for f, p in self._checks() if p), None)
        if failed:
            self._problem_field = failed[0]
            self._show_problem(failed[1])
            return
        self.problem.setVisible(False)
        self.busy.setVisible(True)
        self.create_button.setEnabled(False)
        args = dict(admin_username=self.user_edit.text().strip(), admin_full_name=self.name_edit.text().strip(),
                    password=self.password.value(), clock=self.clock, kdf=self.kdf,
                    unit_name=self.unit_edit.text().strip())
        path = self.db_path
        self.tasks.run(lambda: Casebook.create(path, **args), self._created, self._failed)

    def _show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(True)
        self._fit()

    def _recheck(self) -> None:
        """The problem shown follows its field as it is typed ("5 so far" becomes "9 so far") and
        goes once that field is right; a problem with another field waits for Create."""
        if self.problem.isHidden() or self.busy.isVisible():
            return
        now = dict(self._checks()).get(self._problem_field)
        if now:
            self.problem.setText(now)
        else:
            self.problem.setVisible(False)

    def _fit(self) -> None:
        """Grow the window when its text needs more lines (a wrapped label is not given its height
        by the minimum-size constraint alone, and would be clipped)."""
        lay = self.layout()
        if lay is None:
            return
        lay.activate()
        need = lay.totalHeightForWidth(self.width())
        if need > self.height():
            self.resize(self.width(), need)

    def _failed(self, exc: BaseException) -> None:
        self.busy.setVisible(False)
        self.create_button.setEnabled(True)
        if isinstance(exc, KeyworkerError):
            self._show_problem(describe(exc)[1] if isinstance(exc, ValidationError) else str(exc))
        else:
            show_error(self, exc)

    def _created(self, result: tuple[Casebook, str]) -> None:
        self.busy.setVisible(False)
        self.book, self.recovery_key = result
        self.key_label.setText(self.recovery_key)
        self.key_label.setAccessibleName("Recovery key " + " ".join(self.recovery_key.split("-")))
        self.pages.setCurrentIndex(1)
        self.kept_box.setFocus()

    # -- page 2: the recovery key, shown once -----------------------------------------------------
    def _key_page(self) -> QWidget:
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(12)
        head = QLabel("Your recovery key")
        head.setObjectName("dialogTitle")
        text = QLabel("If every administrator forgets their password, this key is the only way back into "
                      "the unit's records. It is shown only now. Print it or write it down, and keep it "
                      "locked away, apart from this computer.")
        text.setWordWrap(True)
        self.key_label = QLabel()
        self.key_label.setObjectName("recoveryKey")
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(mono.pointSizeF() * 1.3)
        mono.setWeight(QFont.Weight.DemiBold)
        self.key_label.setFont(mono)
        self.key_label.setWordWrap(True)
        self.key_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.print_button = QPushButton("&Print…")
        self.print_button.setAccessibleName("Print the recovery key")
        self.print_button.clicked.connect(self.print_key)
        self.kept_box = QCheckBox("I have printed or written down the recovery key")
        self.kept_box.setObjectName("keptBox")
        self.continue_button = QPushButton("&Open Keyworker")
        self.continue_button.setObjectName("primary")
        self.continue_button.setAccessibleName("Open Keyworker")
        self.continue_button.setEnabled(False)
        self.kept_box.toggled.connect(self.continue_button.setEnabled)
        self.continue_button.clicked.connect(self._continue)
        for w in (head, text, self.key_label):
            lay.addWidget(w)
        row = QHBoxLayout()
        row.addWidget(self.print_button)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addSpacing(self.fontMetrics().lineSpacing())
        lay.addWidget(self.kept_box)
        row2 = QHBoxLayout()
        row2.addStretch(1)
        row2.addWidget(self.continue_button)
        lay.addLayout(row2)
        lay.addStretch(1)  # a taller window leaves its space below, not between key and checkbox
        return page

    def recovery_sheet(self) -> bytes:
        """The printed recovery key (keyworker.documents.recovery_key_sheet): unit, date, creator,
        the key and what to do with it."""
        from keyworker.documents import recovery_key_sheet

        assert self.book is not None
        actor = self.book.actor
        return recovery_key_sheet.build(
            unit_name=self.book.settings.get("unit_name") or "", recovery_key=self.recovery_key,
            created_by=f"{actor.full_name} (administrator, user name {actor.username})",
            created_at=self.book.clock.now(), database_name=self.db_path.name)

    def print_key(self) -> None:
        from PySide6.QtPrintSupport import QPrinter

        from ui.documents.viewer import send_to_printer

        if self.book is None or not self.recovery_key:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName("Keyworker recovery key")
        if not self.choose_printer(self, printer):
            return
        try:
            # "Print to file" is written owner-only by send_to_printer, never by Qt.
            _pages, self.printed_to = send_to_printer(self.recovery_sheet(), printer)
        except (OSError, ValueError, KeyworkerError) as e:
            show_error(self, e)

    def _continue(self) -> None:
        if self.book is not None:
            self.recovery_key = ""
            self.key_label.clear()
            self.finished.emit(self.book)
