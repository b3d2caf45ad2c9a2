"""A stack of steps (a short wizard inside a window or dialog) that is the size of the step shown.

QStackedWidget is as tall as its tallest page (its layout's height-for-width takes the maximum
over every page), so a short first step sat above a gap the size of the longer second one. Here
the steps share a plain layout and only the current one is visible, so the layout sees only it;
the window calls `adjustSize()` after changing step if it should shrink or grow to fit."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget


class StepStack(QWidget):
    """The parts of QStackedWidget's interface the windows use: addWidget, widget, count,
    currentIndex, setCurrentIndex, currentWidget and currentChanged."""

    currentChanged = Signal(int)  # noqa: N815 - QStackedWidget's name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pages: list[QWidget] = []
        self._current = -1
        self._lay = QVBoxLayout(self)
        self._lay.setContentsMargins(0, 0, 0, 0)

    def addWidget(self, page: QWidget) -> int:  # noqa: N802 - QStackedWidget's name
        self._pages.append(page)
        self._lay.addWidget(page)
        if self._current < 0:
            self._current = 0
        else:
            page.setVisible(False)
        return len(self._pages) - 1

    def count(self) -> int:
        return len(self._pages)

    def widget(self, index: int) -> QWidget | None:
        return self._pages[index] if 0 <= index < len(self._pages) else None

    def currentIndex(self) -> int:  # noqa: N802 - QStackedWidget's name
        return self._current

    def currentWidget(self) -> QWidget | None:  # noqa: N802 - QStackedWidget's name
        return self.widget(self._current)

    def setCurrentIndex(self, index: int) -> None:  # noqa: N802 - QStackedWidget's name
        if not 0 <= index < len(self._pages) or index == self._current:
            return
        self._pages[self._current].setVisible(False)
        self._current = index
        self._pages[index].setVisible(True)
        self.currentChanged.emit(index)
