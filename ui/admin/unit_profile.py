"""Administration → Unit: the unit profile every letter is printed on (name, postal address, phone,
secure email, logo, provider, CQC location, footer text). For administrators and seniors; each
field checks itself as it is typed with the core's own rules, the logo is checked and previewed
when chosen, and Save writes off the UI thread. Typed work is never overwritten by a refresh."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from keyworker.errors import ValidationError
from keyworker.unit_logo import prepare_logo
from keyworker.unit_profile import LABELS, UnitProfile
from ui.context import AppContext
from ui.errors import show_error
from ui.forms import ErrorLabel, FormBinder
from ui.forms.dialog import Unsaved, ask_unsaved

_UNCHANGED = object()  # no new logo chosen since the last save
LOGO_FILTER = "Images (*.png *.jpg *.jpeg)"


def _text_box(lines: int) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setTabChangesFocus(True)
    box.setFixedHeight(box.fontMetrics().lineSpacing() * lines + 14)
    return box


class UnitProfileScreen(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.profile: UnitProfile | None = None
        self._logo: Any = _UNCHANGED  # bytes (a checked new logo), None (remove it) or _UNCHANGED
        self._actor_id = ctx.book.actor.id
        self.choose_file: Callable[[], str] = self._ask_for_file  # replaced in tests
        self.confirm_unsaved: Callable[[QWidget], Unsaved] = lambda w: ask_unsaved(w, "the unit profile")
        self.setObjectName("unitProfileScreen")
        self.setAccessibleName("Unit profile")

        self.binder = FormBinder(lambda values: ctx.book.unit_profile.validate(values), self)
        outer = QVBoxLayout(self)  # the tab's usual margins: text clear of the tab frame
        intro = QLabel("Every letter and printout the unit sends carries these details: the letterhead at the "
                       "top, the contact block, and the footer of every page.")
        intro.setObjectName("muted")
        intro.setWordWrap(True)
        outer.addWidget(intro)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        content = QWidget()
        # One column, read top to bottom like the letter itself: side by side, the footer and logo
        # boxes were cramped at 1024 px and the address box stretched into a gap.
        content.setMaximumWidth(860)
        columns = QVBoxLayout(content)

        details = QGroupBox("Letterhead and contact")
        form = QFormLayout(details)
        self.edits: dict[str, QWidget] = {}
        for name, editor, kw in (
            ("unit_name", QLineEdit(), {"required": True}),
            ("address_lines", _text_box(5), {"hint": "One line per line; the postcode has its own field."}),
            ("postcode", QLineEdit(), {}),
            ("phone", QLineEdit(), {"hint": "A UK number, for example 01772 123456."}),
            ("secure_email", QLineEdit(), {"hint": "The secure address referrers reply to (for example nhs.net)."}),
        ):
            self.edits[name] = editor
            self.binder.row(form, name, LABELS[name], editor, **kw)
        columns.addWidget(details)

        right = columns
        footer_box = QGroupBox("Footer of every page")
        footer_form = QFormLayout(footer_box)
        for name, editor, kw in (
            ("provider_name", QLineEdit(), {}),
            ("cqc_location", QLineEdit(), {"hint": "Leave blank if the unit is not a CQC registered location."}),
            ("footer_text", _text_box(3), {"hint": "For example the company number and registered office."}),
        ):
            self.edits[name] = editor
            self.binder.row(footer_form, name, LABELS[name], editor, **kw)
        right.addWidget(footer_box)
        authority_box = QGroupBox("The Authority's nominated person")
        authority_form = QFormLayout(authority_box)
        for name, editor, kw in (
            ("authority_name", QLineEdit(), {"hint": "Who receives the declined-referrals report for the Authority."}),
            ("authority_email", QLineEdit(), {"hint": "Their secure email address; the report is sent there by "
                                                      "the outbox."}),
        ):
            self.edits[name] = editor
            self.binder.row(authority_form, name, LABELS[name], editor, **kw)
        right.addWidget(authority_box)
        _align_labels(form, footer_form, authority_form)

        logo_box = QGroupBox("Logo")
        ll = QVBoxLayout(logo_box)
        self.logo_preview = QLabel("No logo")
        self.logo_preview.setObjectName("logoPreview")
        self.logo_preview.setAccessibleName("Logo preview")
        self.logo_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.logo_preview.setMinimumSize(240, 100)
        self.logo_preview.setMaximumWidth(480)
        self.logo_preview.setStyleSheet("QLabel#logoPreview { border: 1px solid #cbd2d9; background: white; }")
        ll.addWidget(self.logo_preview)
        self.logo_error = ErrorLabel(self)
        ll.addWidget(self.logo_error)
        lb = QHBoxLayout()
        self.choose_button = self._button("C&hoose logo…", self.choose_logo)
        self.remove_button = self._button("Re&move logo", self.remove_logo)
        lb.addWidget(self.choose_button)
        lb.addWidget(self.remove_button)
        lb.addStretch(1)
        ll.addLayout(lb)
        hint = QLabel("A PNG or JPEG file; it is scaled to fit the letterhead.")
        hint.setObjectName("fieldHint")
        hint.setWordWrap(True)
        ll.addWidget(hint)
        right.addWidget(logo_box)
        right.addStretch(1)
        scroll.setWidget(content)
        outer.addWidget(scroll, 1)

        bar = QHBoxLayout()
        self.status = QLabel()
        self.status.setObjectName("saveStatus")
        self.status.setWordWrap(True)
        bar.addWidget(self.status, 1)
        self.discard_button = self._button("U&ndo my changes", self.discard)
        self.save_button = self._button("&Save unit profile", self.save)
        bar.addWidget(self.discard_button)
        bar.addWidget(self.save_button)
        outer.addLayout(bar)
        for sig in (self.binder.changed, self.binder.dirty_changed, self.binder.validity_changed):
            sig.connect(self._update_buttons)
        ctx.state.data_changed.connect(self._on_data_changed)
        ctx.state.actor_changed.connect(self._on_actor)
        self._update_buttons()
        self.refresh()

    def _button(self, text: str, slot: Callable[[], Any]) -> QPushButton:
        b = QPushButton(text)
        b.setAccessibleName(text.replace("&", "").rstrip("…"))
        b.clicked.connect(lambda _c=False: slot())
        return b

    # -- loading ------------------------------------------------------------------------------
    def refresh(self) -> None:
        if self.ctx.state.locked:
            return
        book = self.ctx.book
        self.ctx.tasks.run(book.unit_profile.get, self._show, lambda e: show_error(self, e))

    def _show(self, profile: UnitProfile) -> None:
        if self.is_dirty():
            return  # never overwrite what someone is typing
        self.profile = profile
        self.binder.load(self._values_of(profile))
        self._logo = _UNCHANGED
        self.logo_error.set_message(None)
        self._preview(profile.logo)
        self._update_buttons()

    @staticmethod
    def _values_of(p: UnitProfile) -> dict[str, Any]:
        return {"unit_name": p.unit_name, "address_lines": "\n".join(p.address_lines), "postcode": p.postcode,
                "phone": p.phone, "secure_email": p.secure_email, "provider_name": p.provider_name,
                "cqc_location": p.cqc_location, "footer_text": p.footer_text,
                "authority_name": p.authority_name, "authority_email": p.authority_email}

    def _on_data_changed(self, area: str) -> None:
        if area == "unit_profile":
            self.refresh()

    def _on_actor(self) -> None:
        # Someone else signed in at the lock screen: what the last person typed is not theirs to save.
        if self.ctx.book.actor.id != self._actor_id:
            self._actor_id = self.ctx.book.actor.id
            self._logo = _UNCHANGED
            self.binder.mark_saved()
            self.profile = None
            self.refresh()

    # -- the logo -----------------------------------------------------------------------------
    def _ask_for_file(self) -> str:
        path, _ = QFileDialog.getOpenFileName(self, "Choose the unit's logo", "", LOGO_FILTER)
        return path

    def choose_logo(self) -> None:
        path = self.choose_file()
        if not path:
            return

        def check() -> bytes:
            try:
                data = Path(path).read_bytes()
            except OSError as e:
                raise ValidationError({"logo": f"Cannot read {Path(path).name}: {e.strerror}."}) from e
            return prepare_logo(data)

        self.ctx.tasks.run(check, self._logo_chosen, self._logo_refused, pool=True)

    def _logo_chosen(self, png: bytes) -> None:
        self._logo = png
        self.logo_error.set_message(None)
        self._preview(png)
        self._update_buttons()

    def _logo_refused(self, exc: BaseException) -> None:
        if isinstance(exc, ValidationError):
            self.logo_error.set_message(exc.fields.get("logo") or str(exc))
        else:
            show_error(self, exc)

    def remove_logo(self) -> None:
        self._logo = None
        self.logo_error.set_message(None)
        self._preview(None)
        self._update_buttons()

    def _preview(self, png: bytes | None) -> None:
        if not png:
            self.logo_preview.setPixmap(QPixmap())
            self.logo_preview.setText("No logo")
            return
        pix = QPixmap()
        pix.loadFromData(png, "PNG")
        self.logo_preview.setPixmap(pix.scaled(240, 100, Qt.AspectRatioMode.KeepAspectRatio,
                                               Qt.TransformationMode.SmoothTransformation))

    # -- saving -------------------------------------------------------------------------------
    def is_dirty(self) -> bool:
        return self.binder.is_dirty() or self._logo is not _UNCHANGED

    def _update_buttons(self) -> None:
        dirty = self.is_dirty()
        self.save_button.setEnabled(dirty and self.binder.is_valid() and self.profile is not None)
        self.discard_button.setEnabled(dirty)
        has_logo = self._logo is not None and (self._logo is not _UNCHANGED or bool(self.profile and self.profile.logo))
        self.remove_button.setEnabled(has_logo)
        if not self.binder.is_valid():
            self.status.setText(self.binder.missing_summary())
        elif dirty:
            self.status.setText("Unsaved changes.")
        elif self.profile is not None and self.profile.missing():
            self.status.setText("Letters still lack: " + ", ".join(self.profile.missing()) + ".")
        elif self.profile is not None:
            self.status.setText("Letters carry everything they need.")

    def changes(self) -> dict[str, Any]:
        """The fields changed since the profile was loaded (what Save sends)."""
        if self.profile is None:
            return {}
        saved = self._values_of(self.profile)
        return {k: v for k, v in self.binder.values().items() if (v or "") != (saved.get(k) or "")}

    def save(self, then: Callable[[], None] | None = None) -> None:
        self.binder.reveal_all()
        if not self.binder.is_valid() or not self.is_dirty():
            return
        book, changes, logo = self.ctx.book, self.changes(), self._logo
        self.save_button.setEnabled(False)

        def work() -> UnitProfile:
            profile = book.unit_profile.update(changes) if changes else book.unit_profile.get()
            if logo is not _UNCHANGED:
                profile = book.unit_profile.set_logo(logo)
            return profile

        def done(profile: UnitProfile) -> None:
            self.profile = profile
            self._logo = _UNCHANGED
            self.binder.load(self._values_of(profile))
            self._preview(profile.logo)
            self._update_buttons()
            self.ctx.state.data_changed.emit("unit_profile")
            self.status.setText("Unit profile saved." + (
                " Letters still lack: " + ", ".join(profile.missing()) + "." if profile.missing() else ""))
            if then is not None:
                then()

        def failed(exc: BaseException) -> None:
            self._update_buttons()
            if isinstance(exc, ValidationError) and set(exc.fields) - {""}:
                logo_message = exc.fields.get("logo")
                if logo_message:
                    self.logo_error.set_message(logo_message)
                self.binder.apply_errors({k: v for k, v in exc.fields.items() if k != "logo"})
                self._update_buttons()
            else:
                show_error(self, exc)

        self.ctx.tasks.run(work, done, failed)

    def discard(self) -> None:
        self.binder.mark_saved()
        self._logo = _UNCHANGED
        self.logo_error.set_message(None)
        if self.profile is not None:
            self._show(self.profile)

    def confirm_close(self) -> bool:
        """Before the window closes: True when nothing typed would be lost (saved or discarded)."""
        if not self.is_dirty():
            return True
        answer = self.confirm_unsaved(self)
        if answer == Unsaved.SAVE:
            self.save()
            return not self.is_dirty()
        if answer == Unsaved.DISCARD:
            self.discard()
            return True
        return False


def _align_labels(*forms: QFormLayout) -> None:
    """One label column for all the boxes: their fields start at the same x, as one form would."""
    labels = [item.widget() for f in forms for r in range(f.rowCount())
              if (item := f.itemAt(r, QFormLayout.ItemRole.LabelRole)) is not None and item.widget() is not None]
    width = max((w.sizeHint().width() for w in labels), default=0)
    for w in labels:
        w.setMinimumWidth(width)
