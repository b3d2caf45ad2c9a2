"""The care plan's completeness panel: every section with a symbol and, always on its own line,
the word for its state (Done / Missing / Optional), so the state never rests on colour or an
icon alone. Activating a section asks the editor to jump to it (`jump(key)`)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QIcon, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from keyworker.care_plans import MissingSection
from keyworker.plan_sections import SECTIONS

STATE_ROLE = Qt.ItemDataRole.UserRole + 1
MUTED = QColor("#4a5861")  # the stylesheet's muted text: 7.3:1 on white
STATE_WORDS = {"done": "Done", "missing": "Missing", "optional": "Optional"}
Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class _Parts:
    heading: str
    word: str  # Done / Missing / Optional
    font: QFont
    icon: QRect
    heading_rect: QRect
    state: QRect


class _SectionDelegate(QStyledItemDelegate):
    """Icon on the left; the heading wrapped to the panel's width; the state word on a line of its
    own below it. Qt's default delegate measured the text unwrapped (a sideways scrollbar) and,
    when a heading wrapped, elided the state line away."""

    PAD = 6
    GAP = 8

    def __init__(self, view: QListWidget) -> None:
        super().__init__(view)
        self.view = view

    def geometry(self, option: QStyleOptionViewItem, index: Index, rect: QRect) -> _Parts:
        """Where the icon, the heading and the state word go in an item drawn in `rect`."""
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        # the item's own text: initStyleOption turns its newline into U+2028
        heading, _, word = str(index.data(Qt.ItemDataRole.DisplayRole) or "").partition("\n")
        font = QFont(opt.font)  # a copy: opt and its members are gone when this returns
        fm = QFontMetrics(font)
        icon = opt.decorationSize.width() if not opt.icon.isNull() else 0
        inner = rect.adjusted(self.PAD, self.PAD, -self.PAD, -self.PAD)
        left = inner.left() + icon + (self.GAP if icon else 0)
        text_w = max(40, inner.right() + 1 - left)
        head_h = fm.boundingRect(QRect(0, 0, text_w, 100_000), Qt.TextFlag.TextWordWrap, heading).height()
        head = QRect(left, inner.top(), text_w, head_h)
        state = QRect(left, head.bottom() + 1, text_w, fm.height() if word else 0)
        icon_rect = QRect(inner.left(), inner.top() + (max(state.bottom() + 1 - inner.top(), icon) - icon) // 2,
                          icon, icon)
        return _Parts(heading, word, font, icon_rect, head, state)

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802 - Qt override
        width = self.view.viewport().width() - 2 * self.view.spacing()
        g = self.geometry(option, index, QRect(0, 0, width, 100_000))
        bottom = max(g.state.bottom(), g.icon.bottom()) + 1
        return QSize(width, bottom + self.PAD)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        g = self.geometry(option, index, opt.rect)
        widget = opt.widget
        # background, selection and focus from the style; the contents are drawn here
        bare = QStyleOptionViewItem(opt)
        bare.text = ""
        bare.icon = QIcon()
        if widget is not None:
            widget.style().drawControl(QStyle.ControlElement.CE_ItemViewItem, bare, painter, widget)
        painter.save()
        if not opt.icon.isNull():
            opt.icon.paint(painter, g.icon, Qt.AlignmentFlag.AlignCenter, _icon_mode(opt))
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        painter.setPen(opt.palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text))
        painter.setFont(g.font)
        painter.drawText(g.heading_rect, int(Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignLeft), g.heading)
        if g.word:
            if not selected and index.data(STATE_ROLE) != "missing":
                painter.setPen(MUTED)  # "Done" steps back; "Missing" stays in full ink, bold
            painter.drawText(g.state, int(Qt.AlignmentFlag.AlignLeft), g.word)
        painter.restore()


def _icon_mode(opt: QStyleOptionViewItem) -> QIcon.Mode:
    if not opt.state & QStyle.StateFlag.State_Enabled:
        return QIcon.Mode.Disabled
    return QIcon.Mode.Selected if opt.state & QStyle.StateFlag.State_Selected else QIcon.Mode.Normal


class CompletenessPanel(QListWidget):
    """Every section with ✓ Done / ⚠ Missing; activating one asks to jump to it (`jump(key)`)."""

    jump = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("completenessPanel")
        self.setAccessibleName("Plan sections: done or missing")
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.setSpacing(3)
        # Items are exactly as wide as the panel and wrap to it: never a sideways scrollbar, and
        # the items are laid out again whenever the panel's width changes.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setItemDelegate(_SectionDelegate(self))
        style = self.style()
        self._done = style.standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton)
        self._missing = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for sec in SECTIONS:
            item = QListWidgetItem(sec.heading)
            item.setData(Qt.ItemDataRole.UserRole, sec.key)
            self.addItem(item)
        self.itemClicked.connect(self._go)
        self.itemActivated.connect(self._go)
        self._fit_longest_word()

    def _fit_longest_word(self) -> None:
        """Never narrower than the longest word of a heading (in bold, as a missing section shows),
        so words wrap between them and none is cut off."""
        bold = QFont(self.font())
        bold.setBold(True)
        fm = QFontMetrics(bold)
        word = max(fm.horizontalAdvance(w) for sec in SECTIONS for w in sec.heading.split())
        icon = self.style().pixelMetric(QStyle.PixelMetric.PM_ListViewIconSize, None, self)
        d = _SectionDelegate
        chrome = 2 * self.frameWidth() + 2 * self.spacing() + self.style().pixelMetric(
            QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        self.setMinimumWidth(word + max(icon, 24) + d.GAP + 2 * d.PAD + chrome + 4)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit_longest_word()

    def _go(self, item: QListWidgetItem) -> None:
        self.jump.emit(item.data(Qt.ItemDataRole.UserRole))

    def set_missing(self, missing: Sequence[MissingSection]) -> None:
        by_key = {m.key: m for m in missing}
        for i in range(self.count()):
            item = self.item(i)
            key = item.data(Qt.ItemDataRole.UserRole)
            sec = next(s for s in SECTIONS if s.key == key)
            m = by_key.get(key)
            if not sec.required:
                state, icon = "optional", self._done
            elif m is None:
                state, icon = "done", self._done
            else:
                state, icon = "missing", self._missing
            item.setText(f"{sec.heading}\n{STATE_WORDS[state]}")
            item.setIcon(icon)
            font = item.font()
            font.setBold(state == "missing")
            item.setFont(font)
            item.setToolTip(m.message if m else "Done")
            item.setData(Qt.ItemDataRole.AccessibleTextRole,
                         f"{sec.heading}: {'missing — ' + m.message if m else 'done'}")
            item.setData(STATE_ROLE, state)

    def parts_of(self, row: int) -> _Parts:
        """Where the row's heading and state word are drawn, in viewport coordinates (for tests)."""
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        delegate = self.itemDelegate()
        assert isinstance(delegate, _SectionDelegate)
        return delegate.geometry(option, self.model().index(row, 0), self.visualRect(self.model().index(row, 0)))

    def state_of(self, key: str) -> str:
        for i in range(self.count()):
            if self.item(i).data(Qt.ItemDataRole.UserRole) == key:
                return str(self.item(i).data(STATE_ROLE))
        raise KeyError(key)
