"""The resident's Notes tab: sessions, notes, contacts and incidents on one timeline, newest
first, filtered by kind and dates, with search as you type over the full-text index (debounced,
off the UI thread). New note… (Ctrl+Shift+N), Log contact…, Correct…, and the buttons other
areas register (ui/notes/actions.py: "Record session…")."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from keyworker import timeline
from keyworker.notes import PAGE_SIZE, TimelinePage
from keyworker.security.permissions import Permission
from ui.errors import show_error
from ui.forms import OptionalDateEdit
from ui.forms.dialog import BusyBar
from ui.notes.actions import notes_actions
from ui.notes.contact_dialog import open_contact_dialog
from ui.notes.note_dialog import open_note_dialog
from ui.notes.timeline_view import TimelineList

if TYPE_CHECKING:
    from ui.context import AppContext

SEARCH_DELAY_MS = 300
CORRECTABLE = ("note", "contact")


class NotesTab(QWidget):
    refresh_areas = ("notes", "incidents", "sessions")

    def __init__(self, ctx: AppContext, resident_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.resident_id = resident_id
        self.open_note = open_note_dialog  # replaced in tests
        self.open_contact = open_contact_dialog
        self._pending = 0
        v = QVBoxLayout(self)

        filters = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search this resident's notes…")
        self.search.setAccessibleName("Search notes")
        self.search.setClearButtonEnabled(True)
        search_label = QLabel("&Search")
        search_label.setBuddy(self.search)
        self.kind = QComboBox()
        self.kind.addItem("Everything", None)
        for src in timeline.sources():
            self.kind.addItem(src.label, src.kind)
        self.kind.setAccessibleName("Show")
        kind_label = QLabel("S&how")
        kind_label.setBuddy(self.kind)
        self.date_from = OptionalDateEdit()
        self.date_from.setAccessibleName("From")
        self.date_to = OptionalDateEdit()
        self.date_to.setAccessibleName("To")
        from_label, to_label = QLabel("&From"), QLabel("&To")
        from_label.setBuddy(self.date_from)
        to_label.setBuddy(self.date_to)
        for lab in (from_label, to_label):
            lab.setMinimumWidth(lab.sizeHint().width() + 6)  # a short label kept whole beside a wide field
        for d in (self.date_from, self.date_to):
            d.setMinimumWidth(140)  # dd/mm/yyyy whole, with its arrow
        for w in (search_label, self.search, kind_label, self.kind):
            filters.addWidget(w, 1 if w is self.search else 0)
        v.addLayout(filters)

        buttons = QHBoxLayout()
        for w in (from_label, self.date_from, to_label, self.date_to):
            buttons.addWidget(w)
            if w is self.date_from:
                buttons.addSpacing(10)  # the calendar arrow's frame must not touch "To"
        buttons.addSpacing(12)
        self.count = QLabel("")
        self.count.setAccessibleName("How many entries are shown")
        buttons.addWidget(self.count, 1)
        can_write = ctx.book.actor.can(Permission.WRITE_NOTES)
        self.new_note = QPushButton("New &note…")
        self.new_note.setToolTip("Ctrl+Shift+N")
        self.new_note.clicked.connect(self.write_note)
        self.log_contact = QPushButton("Log &contact…")
        self.log_contact.clicked.connect(self.write_contact)
        self.correct_button = QPushButton("Co&rrect…")
        self.correct_button.setToolTip("Correct the selected note or contact: the original stays, struck through.")
        self.correct_button.clicked.connect(self.correct)
        self.correct_button.setEnabled(False)
        for b in (self.new_note, self.log_contact, self.correct_button):
            b.setVisible(can_write)
            buttons.addWidget(b)
        self.action_buttons: list[QPushButton] = []
        for action in notes_actions():
            if action.permission is not None and not ctx.book.actor.can(action.permission):
                continue
            b = QPushButton(action.label)
            if action.shortcut:
                b.setToolTip(action.shortcut)
                QShortcut(QKeySequence(action.shortcut), self, activated=lambda a=action: self._run_action(a))
            b.clicked.connect(lambda _c=False, a=action: self._run_action(a))
            buttons.addWidget(b)
            self.action_buttons.append(b)
        v.addLayout(buttons)
        self.busy = BusyBar(self)
        v.addWidget(self.busy)
        self.list = TimelineList()
        self.list.selectionModel().currentChanged.connect(lambda *_a: self._update_buttons())
        self.list.activated.connect(lambda _i: self.correct() if self._correctable() else None)
        v.addWidget(self.list, 1)
        # The newest PAGE_SIZE first (a record of 2,000 entries opens as fast as one of 200);
        # the rest a page at a time, by a button a keyboard reaches after the list.
        self.show_older = QPushButton("")
        self.show_older.setAccessibleName("Show older entries")
        self.show_older.clicked.connect(self.load_older)
        self.show_older.hide()
        v.addWidget(self.show_older)
        self._total = 0
        self.empty = QLabel("")
        self.empty.setWordWrap(True)
        self.empty.hide()
        v.addWidget(self.empty)
        if can_write:
            QShortcut(QKeySequence("Ctrl+Shift+N"), self, activated=self.write_note)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.kind.currentIndexChanged.connect(lambda _i: self.refresh())
        self.date_from.dateChanged.connect(lambda _d: self.refresh())
        self.date_to.dateChanged.connect(lambda _d: self.refresh())
        self.refresh()

    def focus_first(self) -> bool:
        self.search.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    # -- loading ----------------------------------------------------------------------------
    def _query(self) -> tuple[tuple[str, ...], date | None, date | None, str]:
        kind = self.kind.currentData()
        return ((kind,) if kind else (), self.date_from.value(), self.date_to.value(), self.search.text())

    def refresh(self) -> None:
        self._load(append=False)

    def load_older(self) -> None:
        """The next page of older entries, added under those shown (the selection stays)."""
        if self.list.model_.entries:
            self._load(append=True)

    def _load(self, append: bool) -> None:
        if self.ctx.state.locked:
            return
        self._search_timer.stop()
        kinds, low, high, words = self._query()
        if low and high and low > high:
            self.count.setText("“To” must be on or after “From”.")
            return
        book, rid = self.ctx.book, self.resident_id
        shown = self.list.model_.entries
        before = (shown[-1].at, shown[-1].record_id) if append and shown else None
        self._pending += 1
        ticket = self._pending
        self.busy.start()
        self.show_older.setEnabled(False)

        def done(page: TimelinePage) -> None:
            if ticket == self._pending:  # a newer search has been asked for: this one is stale
                self._show(page, append)

        def failed(exc: BaseException) -> None:
            self.busy.stop()
            self.show_older.setEnabled(True)
            show_error(self, exc)

        self.ctx.tasks.run(lambda: book.notes.timeline_page(rid, kinds, low, high, words, PAGE_SIZE, before),
                           done, failed)

    def _show(self, page: TimelinePage, append: bool = False) -> None:
        self.busy.stop()
        if append:
            self.list.model_.add_entries(page.entries)
        else:
            self.list.model_.set_entries(page.entries)
        self._total = page.total
        filtered = any(self._query()[:3]) or bool(self.search.text().strip())
        n, total = len(self.list.model_.entries), page.total
        if n < total:
            self.count.setText(f"{n:,} of {total:,} shown")
        else:
            self.count.setText(f"{n:,} entr{'y' if n == 1 else 'ies'}" + (" found" if filtered else ""))
        self.show_older.setText(f"Show &older entries ({page.older:,} more)")
        self.show_older.setVisible(page.older > 0)
        self.show_older.setEnabled(True)
        self.empty.setVisible(n == 0)
        self.empty.setText("Nothing matches: clear the search or the dates to see everything." if filtered else
                           "Nothing written yet. Use “New note…” or “Log contact…” to add the first entry.")
        self._update_buttons()

    # -- actions ----------------------------------------------------------------------------
    def _correctable(self) -> bool:
        e = self.list.current_entry()
        return e is not None and e.kind in CORRECTABLE and not e.superseded and \
            self.ctx.book.actor.can(Permission.WRITE_NOTES)

    def _update_buttons(self) -> None:
        self.correct_button.setEnabled(self._correctable())

    def write_note(self) -> None:
        if self.open_note(self.ctx, self, self.resident_id) is not None:
            self.refresh()

    def write_contact(self) -> None:
        if self.open_contact(self.ctx, self, self.resident_id) is not None:
            self.refresh()

    def correct(self) -> None:
        e = self.list.current_entry()
        if e is None or not self._correctable():
            return
        book, rid = self.ctx.book, self.resident_id
        if e.kind == "note":
            self.ctx.tasks.run(lambda: book.notes.get(e.record_id),
                               lambda view: self.refresh() if self.open_note(self.ctx, self, rid, view) else None,
                               lambda exc: show_error(self, exc))
        else:
            self.ctx.tasks.run(lambda: book.contacts.get(e.record_id),
                               lambda view: self.refresh() if self.open_contact(self.ctx, self, rid, view) else None,
                               lambda exc: show_error(self, exc))

    def _run_action(self, action: Any) -> None:
        action.open_fn(self.ctx, self, self.resident_id)
