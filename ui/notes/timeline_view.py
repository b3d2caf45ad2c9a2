"""The list the Notes tab shows: one card per entry (when, what, who, then the text, wrapped, never
elided). A superseded entry is struck through and labelled with why it was corrected; a
correction says what it replaced. Model + delegate, so 2,000 entries load in one reset."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from keyworker.clock import format_datetime
from keyworker.timeline import TimelineEntry

Index = QModelIndex | QPersistentModelIndex
PAD = 8
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1
_CHAR_WIDTHS: dict[str, dict[tuple[int, str], int]] = {}  # base font key -> (block font, character) -> width


def heading(e: TimelineEntry) -> str:
    parts = [format_datetime(e.at), e.title]
    if e.by_name:
        parts.append(f"by {e.by_name}")
    line = " · ".join(parts)
    if e.flagged:
        line += "  ⚑ For the next shift"
    return line


def label(e: TimelineEntry) -> str:
    """The line under the heading that says what happened to the entry (or "")."""
    if e.superseded:
        return "✎ Corrected — no longer current" + (f": {e.correction}" if e.correction else "")
    if e.supersedes_id:
        return "✎ Correction" + (f": {e.correction}" if e.correction else "")
    return ""


def spoken(e: TimelineEntry) -> str:
    extra = label(e)
    return f"{heading(e)}. {extra + '. ' if extra else ''}{e.text}"


class TimelineModel(QAbstractListModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.entries: list[TimelineEntry] = []

    def set_entries(self, entries: list[TimelineEntry]) -> None:
        self.beginResetModel()
        self.entries = entries
        self.endResetModel()

    def add_entries(self, entries: list[TimelineEntry]) -> None:
        """Older entries under those shown: rows inserted, so the selection and scroll stay."""
        if not entries:
            return
        first = len(self.entries)
        self.beginInsertRows(QModelIndex(), first, first + len(entries) - 1)
        self.entries = self.entries + entries
        self.endInsertRows()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else len(self.entries)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        e = self.entries[index.row()]
        if role == ENTRY_ROLE:
            return e
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ToolTipRole):
            return spoken(e) if role != Qt.ItemDataRole.DisplayRole else e.text
        return None


class EntryDelegate(QStyledItemDelegate):
    """Paints heading (bold), the correction label, and the wrapped text (struck through when
    superseded). Heights come from the same wrapping, so nothing is cut off."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._font_key: str = ""
        self._set: tuple[QFont, QFont, QFont, QFont] | None = None
        self._metrics: dict[int, QFontMetrics] = {}
        self._heights: dict[tuple[str, int], int] = {}
        self._char_w: dict[tuple[int, str], int] = {}
        # Per entry, whatever the width: its blocks' texts and the sum of their characters' widths.
        self._parts: dict[str, list[tuple[int, str, int]]] = {}

    def _fonts(self, option: QStyleOptionViewItem) -> tuple[QFont, QFont, QFont, QFont]:
        """Bold heading, italic label, plain text, struck-through text: made once per base font."""
        key = option.font.key()
        if self._set is None or key != self._font_key:
            base = QFont(option.font)
            bold, italic, struck = QFont(base), QFont(base), QFont(base)
            bold.setBold(True)
            italic.setItalic(True)
            struck.setStrikeOut(True)
            self._set, self._font_key = (bold, italic, base, struck), key
            self._metrics = {i: QFontMetrics(f) for i, f in enumerate(self._set)}
            self._heights.clear()
            self._char_w = _CHAR_WIDTHS.setdefault(key, {})  # shared: the next tab measures nothing again
            self._parts.clear()
        return self._set

    def _entry_parts(self, e: TimelineEntry) -> list[tuple[int, str, int]]:
        """(font, text, the sum of its characters' widths; -1 with a line break) of each block,
        made once per entry: the view sizes each entry at more than one width as it is shown."""
        key = _entry_key(e)
        parts = self._parts.get(key)
        if parts is None:
            texts = [(0, heading(e))]
            if label(e):
                texts.append((1, label(e)))
            texts.append((3 if e.superseded else 2, e.text or "—"))
            parts = self._parts[key] = [(i, t, -1 if "\n" in t else self._char_sum(i, t)) for i, t in texts]
        return parts

    def _blocks(self, e: TimelineEntry, option: QStyleOptionViewItem, width: int) -> list[tuple[QFont, str, int]]:
        fonts = self._fonts(option)
        width = max(width, 50)
        out = []
        for i, text, natural in self._entry_parts(e):
            fm = self._metrics[i]
            if natural >= 0 and (natural * 1.03 + 2 <= width or fm.horizontalAdvance(text) <= width):
                h = fm.height()  # one line: no wrapping to measure
            else:
                h = fm.boundingRect(QRect(0, 0, width, 100000), int(Qt.TextFlag.TextWordWrap), text).height()
            out.append((fonts[i], text, h))
        return out

    def _char_sum(self, i: int, text: str) -> int:
        """The sum of the characters' own widths (cached): with a margin for kerning, within the
        width means surely one line. Shaping a whole string is what made 2,000 entries slow."""
        fm = self._metrics[i]
        total = 0
        cw = self._char_w
        for ch in text:
            w = cw.get((i, ch))
            if w is None:
                w = cw[(i, ch)] = fm.horizontalAdvance(ch)
            total += w
        return total

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802 - Qt override
        e = index.data(ENTRY_ROLE)
        width = option.rect.width() if option.rect.width() > 0 else 600
        view = self.parent()
        if isinstance(view, QListView):
            width = view.viewport().width()
        key = (_entry_key(e), width)
        h = self._heights.get(key)
        if h is None:
            h = self._heights[key] = sum(b[2] for b in self._blocks(e, option, width - 2 * PAD)) + 2 * PAD + 4
        return QSize(width, h)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        e: TimelineEntry = index.data(ENTRY_ROLE)
        painter.save()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        pal = option.palette
        painter.fillRect(option.rect, pal.highlight() if selected else (
            pal.alternateBase() if index.row() % 2 else pal.base()))
        color = pal.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        if e.superseded and not selected:
            color = pal.color(QPalette.ColorRole.PlaceholderText)
        painter.setPen(color)
        y = option.rect.top() + PAD
        width = option.rect.width() - 2 * PAD
        for font, text, h in self._blocks(e, option, width):
            painter.setFont(font)
            painter.drawText(QRect(option.rect.left() + PAD, y, width, h), int(Qt.TextFlag.TextWordWrap), text)
            y += h + 2
        if option.state & QStyle.StateFlag.State_HasFocus:
            painter.setPen(pal.color(QPalette.ColorRole.Highlight))
            painter.drawRect(option.rect.adjusted(0, 0, -1, -1))
        painter.restore()


def _entry_key(e: TimelineEntry) -> str:
    return f"{e.kind}:{e.record_id}:{e.superseded}:{e.flagged}"  # a correction changes its lines


class TimelineList(QListView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_ = TimelineModel(self)
        self.setModel(self.model_)
        self.setItemDelegate(EntryDelegate(self))
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setResizeMode(QListView.ResizeMode.Adjust)  # re-wrap when the window is resized
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(200)
        self.setWordWrap(True)
        self.setAccessibleName("Notes, contacts, sessions and incidents")

    def current_entry(self) -> TimelineEntry | None:
        i = self.currentIndex()
        return self.model_.entries[i.row()] if i.isValid() else None
