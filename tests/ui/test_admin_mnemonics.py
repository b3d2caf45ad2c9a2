"""Alt+letter on the Administration page: on each tab, every underlined letter (the tab names,
that tab's buttons and labelled fields) is taken once, so Alt+letter does one thing, not cycles."""
from __future__ import annotations

import re

from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget


def _letter(text: str) -> str | None:
    m = re.search(r"&([^&])", text.replace("&&", ""))
    return m.group(1).lower() if m else None


def _letters(widget: QWidget) -> list[tuple[str, str]]:
    out = []
    for w in widget.findChildren(QWidget):
        if not w.isVisibleTo(widget):
            continue
        if isinstance(w, QAbstractButton) or (isinstance(w, QLabel) and w.buddy() is not None):
            letter = _letter(w.text())
            if letter:
                out.append((letter, w.text()))
    return out


def test_each_letter_once_per_tab(qtbot, main_window_for) -> None:  # type: ignore[no-untyped-def]
    for user in ("admin", "manager"):
        page = main_window_for(user).show_page("admin")
        tabs = page.tabs
        for i in range(tabs.count()):
            if not tabs.isTabVisible(i):
                continue
            tabs.setCurrentIndex(i)
            taken = [(_letter(tabs.tabText(j)), tabs.tabText(j)) for j in range(tabs.count()) if tabs.isTabVisible(j)]
            taken += _letters(tabs.widget(i))
            letters = [x for x, _t in taken if x]
            twice = sorted({t for x, t in taken if letters.count(x) > 1})
            assert not twice, f"{user}, tab {tabs.tabText(i)}: the same Alt+letter on {twice}"
