"""Sync conflicts (the Sync → Conflicts page): what two laptops changed differently before they
synced, in a key worker's words, each one side by side. Key workers see the values on their own
residents; seniors see the whole unit, with two versions of a plan or assessment and probable
duplicates too (the service decides: `book.sync.conflicts()`).

- A value: Keep this (Alt+1) / Keep that (Alt+2); the choice is written as a change of its own
  and goes to every laptop at the next sync.
- Two versions: Choose this version (Alt+1) / Choose that version (Alt+2), or Merge… (Ctrl+M),
  which opens both side by side with a merge editor seeded from the one chosen to start from.
- A probable duplicate: Merge records, keeping this one (Alt+1) or that one (Alt+2), or Not the
  same person (Ctrl+Shift+N).
Search as you type over names, references, what changed and the values. Every call runs off the
UI thread. (Ctrl+1 … Ctrl+9 are the main window's pages; Ctrl+F finds here.)"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from keyworker.clock import format_datetime
from keyworker.sync.service import ConflictItem, ConflictSide
from ui.context import AppContext
from ui.word_search import WordSearchProxy
from ui.errors import show_error
from ui.widgets.row_model import RowsModel
from ui.widgets.tables import read_only_table

EMPTY = ("Nothing is waiting. Every change from the unit's other laptops has been applied without "
         "a conflict.")
KIND_WORDS = {"field": "Two values", "fork": "Two versions", "duplicate": "Two records", "twice": "Recorded twice"}


class ConflictsModel(RowsModel):
    headings = ("Resident", "Reference", "What", "Values", "Changed")

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        c: ConflictItem = self.rows[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return c.id
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        latest = max((s.at for s in c.sides if s.at is not None), default=None)
        values = "  /  ".join(s.value for s in c.sides) if c.kind == "field" else \
            "  /  ".join(f"{s.value.split(':')[0]} by {s.by}" for s in c.sides) if c.kind == "fork" \
            else "  /  ".join(f"{s.value} by {s.by}" for s in c.sides) if c.kind == "twice" \
            else "  /  ".join(s.value.split(",")[-1].strip(" ()") for s in c.sides)
        cells = (c.resident_name, c.reference, c.what, values, format_datetime(latest))
        return cells[index.column()]

    def set_rows(self, rows: list[ConflictItem]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()


class SideCard(QFrame):
    """One of the two sides: the value (or version, or record), who wrote it, when, on which
    laptop, and whether it is the one the record shows now."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conflictSide")
        self.setStyleSheet("QFrame#conflictSide { background: #ffffff; border: 1px solid #d3dde1;"
                           " border-radius: 6px; }")
        v = QVBoxLayout(self)
        v.setContentsMargins(14, 10, 14, 12)
        self.title = QLabel(title)
        self.title.setObjectName("muted")
        self.value = QLabel()
        self.value.setObjectName("conflictValue")
        self.value.setWordWrap(True)
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        f = self.value.font()
        f.setPointSizeF(f.pointSizeF() * 1.25)
        f.setBold(True)
        self.value.setFont(f)
        self.who = QLabel()
        self.who.setWordWrap(True)
        self.stands = QLabel()
        self.stands.setObjectName("standsNow")
        self.differs = QLabel()  # a fork: what this version says where the two differ
        self.differs.setWordWrap(True)
        self.differs.setTextFormat(Qt.TextFormat.PlainText)
        self.button = QPushButton()
        v.addWidget(self.title)
        v.addWidget(self.value)
        v.addWidget(self.who)
        v.addWidget(self.stands)
        v.addWidget(self.differs)
        v.addSpacing(6)
        v.addWidget(self.button, 0, Qt.AlignmentFlag.AlignLeft)
        v.addStretch(1)

    def show_side(self, side: ConflictSide, kind: str) -> None:
        self.value.setText(side.value)
        verb = {"field": "Written", "fork": "Saved", "duplicate": "Admitted", "twice": "Recorded"}[kind]
        self.who.setText(f"{verb} by {side.by} on {format_datetime(side.at)}, on {side.laptop}.")
        if side.stands:
            self.stands.setText("\u25cf The record shows this now" if kind != "duplicate" else "\u25cf A live record")
            self.stands.setStyleSheet("QLabel#standsNow { color: #1b7a3a; font-weight: 600; }")
        else:
            self.stands.setText("\u25cb Kept, not shown" if kind != "duplicate" else "\u25cb Archived")
            self.stands.setStyleSheet("QLabel#standsNow { color: #4a5861; }")
        self.setAccessibleName(f"{self.title.text()}: {side.value}. {self.who.text()} {self.stands.text()}")


class ConflictsPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.items: list[ConflictItem] = []
        self._wanted: str | None = None  # a conflict to select once loaded (from Today or a record)
        self.confirm = _confirm  # tests answer it
        self.merge_dialog = _run_merge_dialog  # tests answer it too
        self.setObjectName("syncConflictsPage")
        self.setAccessibleName("Sync conflicts")
        title = QLabel("Sync conflicts")
        title.setObjectName("pageTitle")
        self.subtitle = QLabel("Where two laptops changed the same thing before they synced. Nothing is lost: "
                               "both are kept until someone chooses, and the choice goes to every laptop.")
        self.subtitle.setObjectName("pageSubtitle")
        self.subtitle.setWordWrap(True)
        self.search = QLineEdit()
        self.search.setObjectName("conflictSearch")
        self.search.setPlaceholderText("Type a name, reference, what changed or a value")
        self.search.setAccessibleName("Search the conflicts")
        self.search.setClearButtonEnabled(True)
        self.setFocusProxy(self.search)
        find = QLabel("&Find")
        find.setBuddy(self.search)
        self.model = ConflictsModel(self)
        self.proxy = WordSearchProxy(lambda row: self.model.rows[row].search_text, self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("conflictsTable")
        self.table.setAccessibleName("Conflicts waiting")
        self.table.setModel(self.proxy)
        read_only_table(self.table)
        hdr = self.table.horizontalHeader()
        hdr.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hdr.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_current())
        self.search.textChanged.connect(self._filter)

        # The chosen conflict, side by side.
        self.detail = QWidget()
        dv = QVBoxLayout(self.detail)
        dv.setContentsMargins(0, 8, 0, 0)
        self.heading = QLabel()
        self.heading.setObjectName("sectionTitle")
        self.heading.setWordWrap(True)
        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        cards = QHBoxLayout()
        self.cards = (SideCard("On one laptop"), SideCard("On the other"))
        for n, card in enumerate(self.cards):
            card.button.clicked.connect(lambda _=False, i=n: self.take(i))
            cards.addWidget(card, 1)
        actions = QHBoxLayout()
        self.merge_button = QPushButton("&Merge…")
        self.merge_button.setToolTip("Open both versions side by side and make one of the two (Ctrl+M)")
        self.merge_button.clicked.connect(self.merge)
        self.apart_button = QPushButton("&Not the same person")
        self.apart_button.setToolTip("Keep both records: they are two people (Ctrl+Shift+N)")
        self.apart_button.clicked.connect(self.not_duplicate)
        self.open_button = QPushButton("&Open the record")
        self.open_button.setToolTip("Open this resident's record (Enter in the list)")
        self.open_button.clicked.connect(self.open_record)
        actions.addWidget(self.merge_button)
        actions.addWidget(self.apart_button)
        actions.addStretch(1)
        actions.addWidget(self.open_button)
        dv.addWidget(self.heading)
        dv.addWidget(self.explanation)
        dv.addLayout(cards)
        dv.addLayout(actions)
        dv.addStretch(1)
        self.message = QLabel()
        self.message.setObjectName("hint")
        self.message.setWordWrap(True)
        self.message.hide()

        split = QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        self.empty = QLabel(EMPTY)
        self.empty.setObjectName("emptyState")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        empty_holder = QWidget()
        eh = QVBoxLayout(empty_holder)
        eh.setContentsMargins(0, 0, 0, 0)
        eh.addWidget(self.empty)
        eh.addStretch(1)
        self.stack = QStackedWidget()
        self.stack.addWidget(split)
        self.stack.addWidget(empty_holder)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(10)
        lay.addWidget(title)
        lay.addWidget(self.subtitle)
        srow = QHBoxLayout()
        srow.addWidget(find)
        srow.addWidget(self.search, 1)
        lay.addLayout(srow)
        lay.addWidget(self.message)
        lay.addWidget(self.stack, 1)

        for keys, slot in (("Alt+1", lambda: self.take(0)), ("Alt+2", lambda: self.take(1)),
                           ("Ctrl+M", self.merge), ("Ctrl+Shift+N", self.not_duplicate)):
            act = QAction(self)
            act.setShortcut(QKeySequence(keys))
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            act.triggered.connect(slot)
            self.addAction(act)
        self.table.activated.connect(lambda _i: self.open_record())
        ctx.state.data_changed.connect(self._on_data_changed)
        ctx.state.locked_changed.connect(lambda locked: None if locked else self.refresh())
        ctx.state.actor_changed.connect(self.refresh)
        self._show_current()
        self.refresh()

    def focus_search(self) -> None:
        """Ctrl+F (the main window's Find) lands in this page's search."""
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    # -- loading ----------------------------------------------------------------------------------
    def _on_data_changed(self, area: str) -> None:
        if area in ("sync", "residents", "care_plans") and self.isVisible():
            self.refresh()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        if self.ctx.state.locked:
            return
        book = self.ctx.book
        self.ctx.tasks.run(lambda: book.sync.conflicts(), self.set_items, lambda e: show_error(self, e))

    def set_items(self, items: list[ConflictItem]) -> None:
        keep = self._wanted or (self.current().id if self.current() else None)
        self.items = items
        self.model.set_rows(items)
        self.stack.setCurrentIndex(1 if not items else 0)
        n = len(items)
        self.setAccessibleDescription(f"{n} conflict{'s' if n != 1 else ''} waiting" if n else EMPTY)
        self.select(keep)
        self._wanted = None

    def show_conflict(self, conflict_id: str | None = None, resident: str | None = None) -> None:
        """Select a conflict (Today, the record's flag), or filter to a resident's reference."""
        if resident:
            self.search.setText(resident)
        self._wanted = conflict_id
        self.refresh()

    def select(self, conflict_id: str | None) -> None:
        for r in range(self.proxy.rowCount()):
            if conflict_id is None or self.proxy.index(r, 0).data(Qt.ItemDataRole.UserRole) == conflict_id:
                self.table.selectRow(r)
                self.table.setCurrentIndex(self.proxy.index(r, 0))
                break
        self._show_current()

    def _filter(self, text: str) -> None:
        self.proxy.set_text(text)
        if not self.table.currentIndex().isValid() and self.proxy.rowCount():
            self.table.selectRow(0)
            self.table.setCurrentIndex(self.proxy.index(0, 0))
        self._show_current()

    def current(self) -> ConflictItem | None:
        idx = self.table.currentIndex()
        if not idx.isValid():
            return None
        cid = self.proxy.index(idx.row(), 0).data(Qt.ItemDataRole.UserRole)
        return next((c for c in self.items if c.id == cid), None)

    def _show_current(self) -> None:
        c = self.current()
        self.detail.setVisible(c is not None)
        if c is None:
            return
        self.heading.setText(f"{c.resident_name} ({c.reference}) — {c.what}")
        self.explanation.setText(c.explanation)
        labels = {"field": ("&Keep this", "Keep &that"), "fork": ("&Choose this version", "Choose th&at version"),
                  "duplicate": ("Merge records, &keeping this one", "Merge records, keeping th&at one"),
                  "twice": ("&Keep this one", "Keep the &other")}[c.kind]
        tips = {"field": "Keep this value", "fork": "Keep this version as the plan's next version",
                "duplicate": "Keep this record; the other is archived and its stays, notes and plans move here",
                "twice": "Keep what this one says on the stay's record; the other stays in the conflict's history"}[c.kind]
        for n, card in enumerate(self.cards):
            visible = n < len(c.sides)
            card.setVisible(visible)
            if not visible:
                continue
            card.title.setText(("Left" if n == 0 else "Right") + (": " + c.sides[n].laptop.capitalize()))
            card.show_side(c.sides[n], c.kind)
            card.differs.setVisible(c.kind in ("fork", "twice"))
            if c.kind == "fork":
                card.differs.setText(_differences(c, n))
            elif c.kind == "twice":
                card.differs.setText(_details(c, n))
            card.button.setText(labels[n])
            card.button.setObjectName("primary" if n == 0 else "")
            card.button.style().unpolish(card.button)
            card.button.style().polish(card.button)
            card.button.setToolTip(f"{tips} (Alt+{n + 1})")
            card.button.setAccessibleName(labels[n].replace("&", "") + f": {c.sides[n].value}")
        self.merge_button.setVisible(c.kind == "fork")
        self.apart_button.setVisible(c.kind == "duplicate")
        self.open_button.setEnabled(c.resident_id is not None)

    # -- acting -----------------------------------------------------------------------------------
    def _after(self, words: str) -> Any:
        def done(_result: Any) -> None:
            self.message.setText(words)
            self.message.show()
            self.ctx.state.data_changed.emit("sync")
            self.ctx.state.data_changed.emit("residents")
            self.refresh()
        return done

    def take(self, n: int) -> None:
        c = self.current()
        if c is None or n >= len(c.sides):
            return
        side = c.sides[n]
        book = self.ctx.book
        then = " It goes to the other laptops at the next sync."
        if c.kind == "field":
            self.ctx.tasks.run(lambda: book.sync.keep_value(c.id, side.key),
                               self._after(f"Kept “{side.value}” as {c.resident_name}'s {c.what.lower()}.{then}"),
                               lambda e: show_error(self, e))
        elif c.kind == "fork":
            self.ctx.tasks.run(lambda: book.sync.choose_version(c.id, side.key),
                               self._after(f"Kept {side.value.split(':')[0].lower()} by {side.by} as the next version "
                                           f"of {c.resident_name}'s {c.what.split(':')[0].lower()}; the other stays "
                                           f"in its history.{then}"),
                               lambda e: show_error(self, e))
        elif c.kind == "twice":
            noun = c.what.replace("Two ", "").rstrip("s").lower()
            if not self.confirm(self, f"Keep this {noun}?",
                                f"Keep {side.value}, recorded by {side.by}.\n\nThe stay's {noun} then says what this "
                                "one says; the other's details stay in the history of this conflict."):
                return
            self.ctx.tasks.run(lambda: book.sync.keep_record(c.id, side.key),
                               self._after(f"Kept {side.value} as {c.resident_name}'s {noun}.{then}"),
                               lambda e: show_error(self, e))
        else:
            other = c.sides[1 - n] if len(c.sides) > 1 else None
            if not self.confirm(self, "Merge the two records?",
                                f"Keep {side.value}.\n\nThe other record"
                                + (f" ({other.value})" if other else "")
                                + " is archived, and its stays, plans, notes, medication and everything else "
                                  "recorded on it move to the one kept. This cannot be undone from this screen."):
                return
            self.ctx.tasks.run(lambda: book.sync.merge_duplicate(c.id, side.key),
                               self._after(f"Merged the two records into {side.value.split(',')[0]}.{then}"),
                               lambda e: show_error(self, e))

    def merge(self) -> None:
        c = self.current()
        if c is None or c.kind != "fork" or len(c.sides) < 2:
            return
        got = self.merge_dialog(self, c)
        if got is None:
            return
        content, based_on = got
        book = self.ctx.book
        self.ctx.tasks.run(lambda: book.sync.merge_versions(c.id, content, based_on),
                           self._after(f"Saved the merged version of {c.resident_name}'s "
                                       f"{c.what.split(':')[0].lower()}; both earlier versions stay in its history. "
                                       "It goes to the other laptops at the next sync."),
                           lambda e: show_error(self, e))

    def not_duplicate(self) -> None:
        c = self.current()
        if c is None or c.kind != "duplicate":
            return
        if not self.confirm(self, "Two people?", "Keep both records apart: they are two people who share a name "
                                                 "and date of birth. Nothing in either record changes."):
            return
        book = self.ctx.book
        self.ctx.tasks.run(lambda: book.sync.not_duplicate(c.id),
                           self._after("Both records are kept: they are two people."),
                           lambda e: show_error(self, e))

    def open_record(self) -> None:
        c = self.current()
        if c is not None and c.resident_id:
            self.ctx.open_resident(c.resident_id, "care_plan" if c.entity_type == "care_plans"
                                   else "risk" if c.entity_type == "risk_assessments" else None)


def _differences(c: ConflictItem, n: int, most: int = 4) -> str:
    """What side `n` of a fork says where the two versions differ, a few lines of it."""
    import json

    from ui.sync.merge_dialog import differing, path_words, shown_value

    try:
        flats, paths = differing([json.loads(s.content or "{}") for s in c.sides])
    except ValueError:
        return ""
    if not paths:
        return "The two versions say the same."
    lines = [f"{path_words(p, c.entity_type, flats[n])}: {shown_value(p, flats[n].get(p), c.entity_type) or '(empty)'}"
             for p in paths[:most]]
    if len(paths) > most:
        lines.append(f"… and {len(paths) - most} more: see Merge…")
    return "Where they differ:\n" + "\n".join(lines)


def _details(c: ConflictItem, n: int) -> str:
    """What side `n` of a discharge (or discharge plan) recorded twice says, the differing lines first."""
    import json

    try:
        mine = json.loads(c.sides[n].content or "{}")
        other = json.loads(c.sides[1 - n].content or "{}") if len(c.sides) > 1 else {}
    except ValueError:
        return ""
    differ = [k for k in mine if mine.get(k) != other.get(k)]
    same = [k for k in mine if k not in differ]
    lines = [f"{k}: {mine[k]}" for k in differ] + ([f"The same in both: {', '.join(same).lower()}."] if same else [])
    return ("Where they differ:\n" if differ else "") + "\n".join(lines)


def _confirm(parent: QWidget, title: str, text: str) -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    yes = box.addButton("Yes, go ahead", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is yes


def _run_merge_dialog(parent: QWidget, item: ConflictItem) -> tuple[str, str] | None:
    from ui.sync.merge_dialog import MergeDialog

    dlg = MergeDialog(item, parent=parent)
    if dlg.exec() != MergeDialog.DialogCode.Accepted:
        return None
    return dlg.merged(), dlg.start


def open_conflicts(ctx: AppContext, conflict_id: str | None = None, resident: str | None = None) -> None:
    """Show Sync conflicts in the main window, on one conflict or a resident's."""
    window: Any = ctx.main_window
    page = window.go_to("sync_conflicts") if window is not None and hasattr(window, "go_to") else None
    if isinstance(page, ConflictsPage):
        page.show_conflict(conflict_id, resident)
        window.raise_()
        window.activateWindow()
