"""The resident's Treatment and Recovery Care Plan tab: every section the contract requires (built
from `keyworker.plan_sections`), a done/missing panel, autosaved drafts, "Mark complete" (refused
with the list of what is missing), new versions with a reason once complete, the resident's
agreement, the printed copy and the history of versions.

What the user typed is never thrown away: saving never reloads the editors (so undo keeps
working), a refresh while there are unsaved changes leaves them alone, and the resident window
asks before closing with unsaved work (`is_dirty` / `save`)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from keyworker.care_plans import CarePlanView, MissingSection, PlanContent, missing_sections
from keyworker.clock import format_date, format_datetime, local_today
from keyworker.documents.store import Preview
from keyworker.errors import NotFound, ValidationError
from keyworker.plan_sections import FROM_RECORD, FROM_RISK_ASSESSMENT, SECTIONS, SECTIONS_BY_KEY
from keyworker.security.permissions import Permission
from ui.care_plans.agreement import Agreement, AgreementDialog
from ui.care_plans.completeness import CompletenessPanel
from ui.care_plans.risk_section import RiskSection
from ui.care_plans.sections import RecordSection, SectionBox, align_labels, build_section
from ui.context import AppContext
from ui.errors import show_error

AUTOSAVE_MS = 2000
_FROM_RECORD = tuple(s.key for s in SECTIONS if s.kind == FROM_RECORD)


def typed_json(c: PlanContent) -> str:
    """The content as typed (without the sections the service copies from the record), for
    "has anything changed" comparisons."""
    c = c.copy()
    for key in _FROM_RECORD:
        c.sections.pop(key, None)
    # ... nor what it copies from the current risk assessment (keyworker.care_plans.fill_risk_section)
    c.risk_assessment_id = None
    for key in FROM_RISK_ASSESSMENT:
        c.sections.get("risk_contingency", {}).pop(key, None)
    return c.to_json()


def ask_reason(parent: QWidget) -> str | None:
    """Why the complete plan is changing (becomes the new version's reason). Tests replace
    `CarePlanTab.ask_reason`."""
    text, ok = QInputDialog.getMultiLineText(parent, "Why is the plan changing?",
                                             "The plan is complete, so this change makes a new version.\n"
                                             "Say what changed and why (the resident's copy and history show it):")
    return text.strip() if ok and text.strip() else None


def confirm_discard(parent: QWidget) -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, "Discard changes",
                      "Throw away the changes you have not saved and put back the saved plan?",
                      QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel, parent)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setAccessibleName("Discard changes")
    return box.exec() == QMessageBox.StandardButton.Discard


class CarePlanTab(QWidget):
    refresh_areas = ("care_plans", "residents", "risk")

    def __init__(self, ctx: AppContext, resident_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.resident_id = resident_id
        self.view: CarePlanView | None = None
        self.ask_reason: Callable[[QWidget], str | None] = ask_reason
        self.confirm_discard: Callable[[QWidget], bool] = confirm_discard
        self.ask_agreement: Callable[[QWidget, Any, str], Agreement | None] = (
            lambda parent, today, label: AgreementDialog.ask(today, label, parent))
        self.versions_dialog: QWidget | None = None
        self.pdf_dialog: QWidget | None = None
        self._dirty = False
        self._filling = False
        self._saving = False
        self._pending_then: list[Callable[[], None]] = []
        self._announcing = False  # our own data_changed must not reload (and re-audit) this tab
        self._autosaving = False
        self.can_edit = ctx.book.actor.can(Permission.EDIT_CARE_PLANS)
        self.setObjectName("carePlanTab")
        self.setAccessibleName("Care plan")

        # -- header: status, agreement and actions --------------------------------------------
        self.status = QLabel("Loading the care plan…")
        self.status.setObjectName("planStatus")
        self.status.setWordWrap(True)
        self.agreement = QLabel()
        self.agreement.setObjectName("planAgreement")
        self.agreement.setWordWrap(True)
        self.save_state = QLabel()
        self.save_state.setObjectName("saveStatus")
        self.save_button = self._button("&Save draft", "Save the plan (Ctrl+S)", self.save_now)
        self.complete_button = self._button("&Mark complete", "Mark the plan complete", self.mark_complete)
        self.agree_button = self._button("Record &agreement…", "Record the resident's agreement",
                                         self.record_agreement)
        self.print_button = self._button("&Print…", "Preview, print or save the resident's copy", self.print_plan)
        self.history_button = self._button("&History…", "Versions of the plan and what changed", self.show_history)
        self.discard_button = self._button("&Discard changes", "Discard unsaved changes", self.discard)
        buttons = QHBoxLayout()
        for b in (self.save_button, self.complete_button, self.agree_button, self.print_button,
                  self.history_button, self.discard_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.save_state)

        # -- "cannot complete" banner: what is missing, each a link to its section ------------
        self.banner = QFrame()
        self.banner.setObjectName("missingBanner")
        self.banner.setFrameShape(QFrame.Shape.StyledPanel)
        bl = QVBoxLayout(self.banner)
        self.banner_text = QLabel()
        self.banner_text.setWordWrap(True)
        self.banner_text.setObjectName("problem")
        self.missing_list = QListWidget()
        self.missing_list.setObjectName("missingList")
        self.missing_list.setAccessibleName("Sections still missing; Enter jumps to the section")
        self.missing_list.itemClicked.connect(self._jump_item)
        self.missing_list.itemActivated.connect(self._jump_item)
        bl.addWidget(self.banner_text)
        bl.addWidget(self.missing_list)
        self.banner.hide()

        # -- panel + sections -----------------------------------------------------------------
        self.panel = CompletenessPanel()
        self.panel.jump.connect(self.jump_to)
        self.sections: dict[str, SectionBox] = {}
        body = QWidget()
        body.setObjectName("planBody")
        sl = QVBoxLayout(body)
        for sec in SECTIONS:
            box = RiskSection(sec) if sec.key == "risk_contingency" else build_section(sec)
            if isinstance(box, RiskSection):
                box.open_risk.clicked.connect(lambda: self.ctx.open_resident(self.resident_id, tab="risk"))
            box.changed.connect(self._on_changed)
            self.sections[sec.key] = box
            sl.addWidget(box)
        sl.addStretch(1)
        align_labels(list(self.sections.values()))
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        # The sections reflow to any width above ~500 px; a sideways scrollbar only ever showed
        # when the vertical one appeared and word-wrapped labels re-measured.
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(body)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.panel)
        split.addWidget(self.scroll)
        split.setStretchFactor(1, 1)
        split.setSizes([260, 800])
        self.message = QLabel()
        self.message.setObjectName("emptyState")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.hide()
        self.split = split

        lay = QVBoxLayout(self)
        lay.addWidget(self.status)
        lay.addWidget(self.agreement)
        from ui.notes.share import SharePanel  # sharing the agreed plan (issue 11)

        self.sharing = SharePanel(ctx, self)
        lay.addWidget(self.sharing)
        lay.addLayout(buttons)
        lay.addWidget(self.banner)
        lay.addWidget(self.message)
        lay.addWidget(split, 1)

        self.autosave = QTimer(self)
        self.autosave.setSingleShot(True)
        self.autosave.setInterval(AUTOSAVE_MS)
        self.autosave.timeout.connect(self._autosave)
        ctx.state.locked_changed.connect(self._on_locked)
        self._set_enabled(False)
        self.load()

    def _button(self, text: str, name: str, slot: Callable[[], None]) -> QPushButton:
        b = QPushButton(text)
        b.setAccessibleName(name)
        b.clicked.connect(slot)
        return b

    # -- loading --------------------------------------------------------------------------------
    def load(self) -> None:
        book, rid = self.ctx.book, self.resident_id
        self.ctx.tasks.run(lambda: book.care_plans.get(rid), self._loaded, self._load_failed)

    def refresh(self) -> None:
        """Reload the plan's state; typed-but-unsaved work is kept as it is."""
        if self.ctx.state.locked or self._saving or self._announcing:
            return
        self.load()

    def _load_failed(self, exc: BaseException) -> None:
        if isinstance(exc, NotFound):
            self.message.setText("This resident has no admission yet, so there is no care plan to write.")
            self.message.show()
            self.split.hide()
            self.status.setText("No care plan")
            return
        show_error(self, exc)

    def _loaded(self, view: CarePlanView) -> None:
        self.message.hide()
        self.split.show()
        same = self.view is not None and typed_json(view.content) == typed_json(self.content())
        self.view = view
        if not self._dirty and not same:
            self._fill(view.content)
        else:  # the record may have changed (demographics, key worker): those sections always follow it
            for box in self.sections.values():
                if isinstance(box, RecordSection):
                    box.fill(view.content)
                elif isinstance(box, RiskSection):  # and the risk assessment's summary
                    box.follow_risk(view.content)
        self._update_meta()
        self._set_enabled(True)
        self._update_missing()

    def _fill(self, content: PlanContent) -> None:
        self._filling = True
        try:
            for box in self.sections.values():
                box.fill(content)
                box.set_read_only(not self.can_edit)
        finally:
            self._filling = False

    # -- state ------------------------------------------------------------------------------------
    def content(self) -> PlanContent:
        """What the editors hold now, on top of the loaded version (from-record sections included)."""
        c = self.view.content.copy() if self.view is not None else PlanContent()
        for box in self.sections.values():
            box.collect(c)
        return c

    def is_dirty(self) -> bool:
        return self._dirty

    @property
    def complete(self) -> bool:
        return self.view is not None and self.view.complete

    def _on_changed(self) -> None:
        if self._filling:
            return
        self._dirty = True
        self._update_missing()
        self._update_meta()
        if not self.complete and self.can_edit:
            self.autosave.start()

    def current_missing(self) -> list[MissingSection]:
        return missing_sections(self.content())

    def _update_missing(self) -> None:
        missing = self.current_missing()
        by_key = {m.key: m for m in missing}
        self.panel.set_missing(missing)
        for key, box in self.sections.items():
            box.set_missing(by_key.get(key))
        if self.banner.isVisible():
            self._show_missing(missing)

    def _update_meta(self) -> None:
        v = self.view
        if v is None:
            return
        if v.status == "not_started":
            text = "Care plan not started"
        elif v.status == "draft":
            text = f"Draft care plan (not yet complete) — version {v.version.number if v.version else 1}"
        else:
            text = (f"Complete — version {v.version.number if v.version else ''}, "
                    f"completed {format_date(v.completed_at)}")
        if v.overdue:
            text = "⚠ " + text + f" — the plan should have been complete on admission ({format_date(v.admitted_on)})"
        self.status.setText(f"{text}. Key worker: {v.key_worker_name or 'not named'}.")
        if v.agreement is not None:
            a = v.agreement
            extra = f" — reason: {a.note.rstrip('. ')}" if a.note else ""
            text = f"Resident's agreement: {a.method_label} on {format_date(a.agreed_on)} (version {a.version_number}){extra}"
            current = v.version.number if v.version else None
            if a.version_number is not None and current is not None and a.version_number != current:
                text = f"⚠ {text}. The plan has changed since: record the resident's agreement to version {current}."
            self.agreement.setText(text)
        elif v.complete:
            self.agreement.setText("⚠ The resident's agreement to this plan is not recorded yet.")
        else:
            self.agreement.setText("The resident's agreement is recorded once the plan is complete.")
        self.sharing.set_view(v)
        self.save_button.setText("&Save as new version…" if v.complete else "&Save draft")
        self.save_button.setAccessibleName("Save the changes as a new version" if v.complete else "Save the draft")
        self._set_enabled(True)

    def _set_enabled(self, ready: bool) -> None:
        v = self.view
        edit = ready and self.can_edit and not self._saving
        self.save_button.setEnabled(edit and (self._dirty or (v is not None and v.status == "not_started")))
        self.complete_button.setVisible(v is None or not v.complete)
        self.complete_button.setEnabled(edit and v is not None and not v.complete)
        self.agree_button.setEnabled(edit and v is not None and v.complete and not self._dirty)
        self.print_button.setEnabled(ready and v is not None and v.plan_id is not None)
        self.history_button.setEnabled(ready and v is not None and v.plan_id is not None)
        self.discard_button.setEnabled(edit and self._dirty)
        for b in (self.save_button, self.complete_button, self.agree_button, self.discard_button):
            if not self.can_edit:  # a role that reads the plan (night staff) sees no dead buttons
                b.setVisible(False)
        if self._saving:
            self.save_state.setText("Saving…")
        elif self._dirty:
            self.save_state.setText("Unsaved changes" + ("" if self.complete else " — saving shortly"))
        elif v is not None and v.version is not None:
            self.save_state.setText(f"Version saved {format_datetime(v.version.created_at)}" if v.complete
                                    else "Draft saved")
        else:
            self.save_state.setText("")

    # -- navigation -----------------------------------------------------------------------------
    def jump_to(self, key: str) -> None:
        box = self.sections.get(key)
        if box is None:
            return
        self.scroll.ensureWidgetVisible(box, 0, 0)
        self.scroll.verticalScrollBar().setValue(box.y())
        box.focus_first()

    def _jump_item(self, item: QListWidgetItem) -> None:
        self.jump_to(item.data(Qt.ItemDataRole.UserRole))

    def _show_missing(self, missing: list[MissingSection]) -> None:
        if not missing:
            self.banner.hide()
            return
        self.banner_text.setText("⚠ The plan cannot be marked complete yet. Still missing "
                                 f"({len(missing)} section{'s' if len(missing) != 1 else ''}) — "
                                 "choose one to go to it:")
        self.missing_list.clear()
        for m in missing:
            item = QListWidgetItem(f"⚠ {m.heading}: {m.message}")
            item.setData(Qt.ItemDataRole.UserRole, m.key)
            self.missing_list.addItem(item)
        self.missing_list.setMaximumHeight(min(len(missing), 6) * (self.missing_list.sizeHintForRow(0) + 2) + 8)
        self.banner.show()

    # -- saving -----------------------------------------------------------------------------------
    def save(self, then: Callable[[], None] | None = None) -> None:
        """The resident window's Ctrl+S and "save before closing". `then` runs once saved."""
        if then is not None:
            self._pending_then.append(then)
        self.save_now()

    def save_now(self) -> None:
        if self.view is None or not self.can_edit or self.ctx.state.locked:
            return
        if self._saving:
            return
        if self.complete:
            if not self._dirty:
                self._run_then()
                return
            reason = self.ask_reason(self)
            if not reason:
                self._pending_then.clear()
                return
            self._write(lambda cp, c: cp.revise(self.view.plan_id, c, reason))
        else:
            self._write(lambda cp, c: cp.save_draft(self.view.admission_id, c))

    def _autosave(self) -> None:
        if self._dirty and not self.complete and not self._saving and not self.ctx.state.locked:
            self._autosaving = True
            try:
                self.save_now()
            finally:
                self._autosaving = False

    def _announce(self) -> None:
        self._announcing = True
        try:
            self.ctx.state.data_changed.emit("care_plans")
        finally:
            self._announcing = False

    def _write(self, op: Callable[[Any, PlanContent], CarePlanView],
               after: Callable[[CarePlanView], None] | None = None) -> None:
        self.autosave.stop()
        content = self.content()
        snapshot = typed_json(content)
        cp = self.ctx.book.care_plans
        quiet = self._autosaving and self.view is not None and self.view.plan_id is not None
        self._saving = True
        self._set_enabled(True)

        def done(view: CarePlanView) -> None:
            self._saving = False
            was_not_started = self.view is None or self.view.plan_id is None
            self.view = view
            # Clean only if nothing was typed while saving (the editors are not reloaded: undo keeps working).
            self._dirty = typed_json(self.content()) != snapshot
            self._update_meta()
            self._update_missing()
            if self._dirty and not view.complete:
                self.autosave.start()
            if not quiet:  # an autosave of an existing draft changes nothing other screens show
                self._announce()
            if after is not None:
                after(view)
            elif was_not_started or not self._dirty:
                self._run_then()

        def failed(exc: BaseException) -> None:
            self._saving = False
            self._pending_then.clear()
            self._set_enabled(True)
            if isinstance(exc, ValidationError) and self.view is not None and set(exc.fields) <= set(SECTIONS_BY_KEY):
                self._show_missing([MissingSection(k, SECTIONS_BY_KEY[k].heading, msg.split(": ", 1)[-1])
                                    for k, msg in exc.fields.items()])
                return
            show_error(self, exc)

        self.ctx.tasks.run(lambda: op(cp, content), done, failed)

    def _run_then(self) -> None:
        pending, self._pending_then = self._pending_then, []
        for fn in pending:
            fn()

    def discard(self) -> None:
        if self.view is None or not self._dirty or not self.confirm_discard(self):
            return
        self.autosave.stop()
        self._dirty = False
        self._fill(self.view.content)
        self._update_missing()
        self._update_meta()

    def _on_locked(self, locked: bool) -> None:
        """Locking keeps the editors as they are; a dirty draft is saved before the lock lands."""
        if locked:
            self.autosave.stop()
            if self._dirty and not self.complete and not self._saving and self.view is not None and self.can_edit:
                content = self.content()
                cp, adm = self.ctx.book.care_plans, self.view.admission_id
                snapshot = typed_json(content)

                def done(view: CarePlanView) -> None:
                    self.view = view
                    if typed_json(self.content()) == snapshot:
                        self._dirty = False
                    self._update_meta()

                self.ctx.tasks.run(lambda: cp.save_draft(adm, content), done, lambda _e: None)
        elif self._dirty and not self.complete:
            self.autosave.start()

    # -- completing, agreement, printing, history ---------------------------------------------------
    def mark_complete(self) -> None:
        if self.view is None or self.complete or self._saving:
            return
        missing = self.current_missing()
        if missing:
            self._show_missing(missing)
            self.missing_list.setFocus()
            self.missing_list.setCurrentRow(0)
            return
        self.banner.hide()
        adm = self.view.admission_id

        def op(cp: Any, c: PlanContent) -> CarePlanView:
            draft = cp.save_draft(adm, c)
            return cp.mark_complete(draft.plan_id)

        self._write(op)

    def record_agreement(self) -> None:
        v = self.view
        if v is None or not v.complete or v.plan_id is None:
            return
        label = f"version {v.version.number if v.version else ''}"
        answer = self.ask_agreement(self, local_today(self.ctx.book.clock), label)
        if answer is None:
            return
        cp, plan_id = self.ctx.book.care_plans, v.plan_id

        def done(view: CarePlanView) -> None:
            self.view = view
            self._update_meta()
            self._announce()

        self.ctx.tasks.run(lambda: cp.record_agreement(plan_id, answer.agreed_on, answer.method, answer.note),
                           done, lambda exc: show_error(self, exc))

    def print_plan(self) -> None:
        v = self.view
        if v is None or v.plan_id is None:
            return
        if self._dirty and not self.complete and self.can_edit:
            self.save(self.print_plan)  # print what is on screen: save the draft first
            return
        cp, plan_id = self.ctx.book.care_plans, v.plan_id
        number = v.version.number if v.version else ""
        title = f"Care plan — {v.resident_name} ({v.reference}) — version {number}"

        def show(pdf: Preview) -> None:  # filed in Documents only when printed or saved
            from ui.documents import show_pdf

            self.pdf_dialog = show_pdf(self, self.ctx, title, pdf)

        self.ctx.tasks.run(lambda: cp.pdf(plan_id), show, lambda exc: show_error(self, exc))

    def show_history(self) -> None:
        v = self.view
        if v is None or v.plan_id is None:
            return
        from ui.care_plans.versions import VersionsDialog

        dlg = VersionsDialog(self.ctx, v.plan_id, f"{v.resident_name} ({v.reference})", self)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.show()
        self.versions_dialog = dlg
