"""What changed between two versions of a care plan, section by section: side by side or inline.
Changes are marked by words and text decoration (struck through / underlined), not colour alone."""
from __future__ import annotations

import difflib
import html
import re
from collections.abc import Sequence
from typing import Any

from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QRadioButton, QTextBrowser, QVBoxLayout, QWidget


_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")

_CSS = """
<style>
 body { font-size: 10pt; }
 h3 { margin: 10px 0 4px 0; }
 .del { text-decoration: line-through; background-color: #fde2e1; color: #7a1c15; }
 .ins { text-decoration: underline; background-color: #dcf3e3; color: #0f5132; font-weight: 600; }
 .muted { color: #52606d; }
 td { vertical-align: top; padding: 4px 8px; }
 th { text-align: left; padding: 4px 8px; color: #52606d; }
</style>
"""


def _esc(text: str) -> str:
    return html.escape(text).replace("\n", "<br/>")


def word_diff(old: str, new: str) -> tuple[str, str, str]:
    """(old with deletions marked, new with insertions marked, inline with both) as HTML."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    left, right, inline = [], [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        old_part, new_part = _esc("".join(a[i1:i2])), _esc("".join(b[j1:j2]))
        if op == "equal":
            left.append(old_part)
            right.append(new_part)
            inline.append(new_part)
            continue
        if old_part:
            left.append(f'<span class="del">{old_part}</span>')
            inline.append(f'<span class="del">{old_part}</span>')
        if new_part:
            right.append(f'<span class="ins">{new_part}</span>')
            inline.append(f'<span class="ins">{new_part}</span>')
    return "".join(left), "".join(right), "".join(inline)


def render_html(changes: Sequence[Any], *, side_by_side: bool, old_label: str, new_label: str) -> str:
    """`changes` are the core's SectionChange values (heading, changes: FieldChange(label, before, after)),
    only the sections that changed."""
    parts = [_CSS]
    if not changes:
        parts.append('<p class="muted">Nothing changed between these two versions.</p>')
    else:
        n = len(changes)
        parts.append(f'<p class="muted">{n} section{"s" if n != 1 else ""} changed. '
                     'Removed text is <span class="del">struck through</span>; added text is '
                     '<span class="ins">underlined</span>.</p>')
    if changes and side_by_side:
        parts.append('<table width="100%" cellspacing="0">'
                     f'<tr><th width="20%"></th><th width="40%">{html.escape(old_label)}</th>'
                     f'<th width="40%">{html.escape(new_label)}</th></tr>')
    for sec in changes:
        if side_by_side:
            parts.append(f'<tr><td colspan="3"><h3>{html.escape(sec.heading)}</h3></td></tr>')
        else:
            parts.append(f"<h3>{html.escape(sec.heading)}</h3>")
        for fc in sec.changes:
            left, right, inline = word_diff(fc.before, fc.after)
            state = "added" if not fc.before else "removed" if not fc.after else "changed"
            label = f"<b>{html.escape(fc.label)}</b> <span class='muted'>({state})</span>"
            if side_by_side:
                parts.append(f'<tr><td>{label}</td><td>{left or "<i>(empty)</i>"}</td>'
                             f'<td>{right or "<i>(empty)</i>"}</td></tr>')
            else:
                parts.append(f"<p>{label}<br/>{inline or '<i>(empty)</i>'}</p>")
    if changes and side_by_side:
        parts.append("</table>")
    return "".join(parts)


class DiffView(QWidget):
    """Shows the core's section changes; the user picks side by side or inline."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.changes: list[Any] = []
        self.old_label = "Older"
        self.new_label = "Newer"
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("Show:"))
        self.side = QRadioButton("Side by side")
        self.side.setAccessibleName("Show changes side by side")
        self.inline = QRadioButton("Inline")
        self.inline.setAccessibleName("Show changes inline")
        self.side.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.side)
        group.addButton(self.inline)
        group.buttonToggled.connect(lambda *_: self._render())
        row.addWidget(self.side)
        row.addWidget(self.inline)
        row.addStretch(1)
        lay.addLayout(row)
        self.browser = QTextBrowser()
        self.browser.setAccessibleName("Changes between versions")
        self.browser.setOpenLinks(False)
        lay.addWidget(self.browser, 1)

    def set_changes(self, changes: Sequence[Any], old_label: str, new_label: str) -> None:
        self.changes = list(changes)
        self.old_label, self.new_label = old_label, new_label
        self._render()

    def clear(self, message: str = "") -> None:
        self.changes = []
        self.browser.setHtml(_CSS + f'<p class="muted">{html.escape(message)}</p>')

    def _render(self) -> None:
        self.browser.setHtml(render_html(self.changes, side_by_side=self.side.isChecked(),
                                         old_label=self.old_label, new_label=self.new_label))

    def plain_text(self) -> str:
        return self.browser.toPlainText()
