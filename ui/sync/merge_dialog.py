"""Merge two versions of a care plan or risk assessment saved on two laptops (Sync conflicts →
Merge…): both versions side by side, only what differs, and beside each difference the merged
version's text, seeded from the version chosen to start from. "Use this one" copies either side
into the merge. Saving makes a new version on top of the one started from, naming the other
(`book.sync.merge_versions`); the page does that, this dialog only gathers the content."""
from __future__ import annotations

import copy
import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from keyworker.clock import format_datetime
from keyworker.sync.service import ConflictItem, ConflictSide

Path = tuple[Any, ...]
SINGULAR = {"goals": "Goal", "actions": "Action", "domains": "Area", "sections": ""}


def flatten(data: Any, prefix: Path = ()) -> dict[Path, Any]:
    out: dict[Path, Any] = {}
    if isinstance(data, dict):
        for k, v in data.items():
            out.update(flatten(v, (*prefix, k)))
    elif isinstance(data, list) and data:
        for i, v in enumerate(data):
            out.update(flatten(v, (*prefix, i)))
    else:
        out[prefix] = data
    return out


def vocabulary(path: Path, entity_type: str) -> dict[str, str] | None:
    """The words for a coded value (a goal's status, a risk level), or None for free text."""
    key = next((p for p in reversed(path) if isinstance(p, str)), "")
    try:
        if entity_type == "care_plans":
            from keyworker.plan_sections import GOAL_DOMAINS, GOAL_STATUSES

            return {"status": GOAL_STATUSES, "domain": dict(GOAL_DOMAINS)}.get(key)
        from keyworker.risk_domains import LEVELS

        return LEVELS if key in ("level", "overall_level", "rating") else None
    except ImportError:
        return None


def shown_value(path: Path, v: Any, entity_type: str) -> str:
    words = vocabulary(path, entity_type)
    if words and isinstance(v, str) and v in words:
        return words[v]
    return shown(v)


def differing(datas: list[Any]) -> tuple[list[dict[Path, Any]], list[Path]]:
    """Each version flattened, and the paths where the two differ, in reading order."""
    flats = [flatten(d) for d in datas]
    paths = sorted(set(flats[0]) | set(flats[1]), key=_sort_key)
    return flats, [p for p in paths if flats[0].get(p) != flats[1].get(p)]


def path_words(path: Path, entity_type: str, flat: dict[Path, Any] | None = None) -> str:
    """("sections", "housing", "notes") -> "Housing: notes"; ("goals", 0, "status") -> "Goal 1 (its
    words): status"."""
    words: list[str] = []
    headings: dict[str, str] = {}
    try:
        if entity_type == "care_plans":
            from keyworker.plan_sections import GOAL_DOMAINS, SECTIONS_BY_KEY

            headings = {k: s.heading for k, s in SECTIONS_BY_KEY.items()} | dict(GOAL_DOMAINS)
        else:
            from keyworker.risk_domains import DOMAINS_BY_KEY

            headings = {k: d.label for k, d in DOMAINS_BY_KEY.items()}
    except ImportError:
        pass
    parent = ""
    for i, part in enumerate(path):
        if isinstance(part, int):
            name = f"{SINGULAR.get(parent, parent.rstrip('s').replace('_', ' ').capitalize())} {part + 1}"
            said = (flat or {}).get((*path[:i + 1], parent.rstrip("s"))) if parent else None
            if isinstance(said, str) and said.strip() and path[-1] != parent.rstrip("s"):
                name += f" (“{said.strip()[:40]}{'…' if len(said.strip()) > 40 else ''}”)"
            words.append(name)
        elif part in SINGULAR and SINGULAR[part] == "":
            pass
        elif part in headings:
            words.append(headings[part])
        elif part not in SINGULAR:
            words.append(str(part).replace("_", " "))
        parent = str(part)
    if not words:
        return "Whole version"
    text = ": ".join([words[0], " › ".join(words[1:])]) if len(words) > 1 else words[0]
    return text[:1].upper() + text[1:]


def shown(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "Yes" if v else "No"
    return str(v)


def parse_like(text: str, like: Any) -> Any:
    """The text typed for a leaf, as the type the chosen version held there."""
    if isinstance(like, bool):
        return text.strip().lower() in ("yes", "true", "1")
    if isinstance(like, int) and not isinstance(like, bool):
        try:
            return int(text.strip())
        except ValueError:
            return like
    if like is None and text == "":
        return None
    return text


def set_path(data: Any, path: Path, value: Any, other: Any) -> None:
    """Put `value` at `path`, building what the chosen version lacks from the other version."""
    node = data
    src = other
    for i, part in enumerate(path[:-1]):
        src = src[part] if src is not None and _has(src, part) else None
        if isinstance(node, list):
            while len(node) <= part:
                node.append(copy.deepcopy(src) if src is not None else {})
            node = node[part]
        else:
            if part not in node or node[part] is None:
                nxt = path[i + 1]
                node[part] = [] if isinstance(nxt, int) else {}
            node = node[part]
    last = path[-1]
    if isinstance(node, list):
        while len(node) <= last:
            node.append(None)
    node[last] = value


def _has(container: Any, part: Any) -> bool:
    if isinstance(container, list):
        return isinstance(part, int) and part < len(container)
    return isinstance(container, dict) and part in container


def _side_title(side: ConflictSide) -> str:
    return f"{side.value} — {side.by}, {format_datetime(side.at)}, {side.laptop}"


class MergeDialog(QDialog):
    def __init__(self, item: ConflictItem, start_from: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.left, self.right = item.sides[0], item.sides[1]
        self.data = {s.key: json.loads(s.content or "{}") for s in item.sides}
        flats, self.diff = differing([self.data[self.left.key], self.data[self.right.key]])
        self.flat = {self.left.key: flats[0], self.right.key: flats[1]}
        standing = next((s.key for s in item.sides if s.stands), self.right.key)
        self.start = start_from if start_from in self.data else standing
        self.setWindowTitle(f"Merge two versions — {item.resident_name} ({item.reference})")
        self.setObjectName("mergeDialog")
        self.setMinimumSize(900, 560)
        v = QVBoxLayout(self)
        title = QLabel(f"{item.what}: {item.resident_name} ({item.reference})")
        title.setObjectName("dialogTitle")
        v.addWidget(title)
        intro = QLabel(f"{len(self.diff)} part{'s differ' if len(self.diff) != 1 else ' differs'}; everything else is the "
                       "same in both. The merged version starts as a copy of the version you start from; change "
                       "any part, or take either side with its button. Both versions stay in the history.")
        intro.setWordWrap(True)
        v.addWidget(intro)
        row = QHBoxLayout()
        row.addWidget(QLabel("Start from:"))
        self.group = QButtonGroup(self)
        self.radios: dict[str, QRadioButton] = {}
        for n, side in enumerate(item.sides):
            rb = QRadioButton(("&Left: " if n == 0 else "&Right: ") + side.value.split(":")[0] + f" by {side.by}")
            rb.setAccessibleName(f"Start from the {'left' if n == 0 else 'right'} version")
            self.group.addButton(rb)
            self.radios[side.key] = rb
            row.addWidget(rb)
        row.addStretch(1)
        v.addLayout(row)
        self.radios[self.start].setChecked(True)
        for key, rb in self.radios.items():
            rb.toggled.connect(lambda on, k=key: self.reseed(k) if on else None)

        body = QWidget()
        grid = QGridLayout(body)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        grid.setColumnStretch(3, 1)
        for c, text in enumerate(("", _side_title(self.left), _side_title(self.right), "Merged version")):
            lab = QLabel(text)
            lab.setObjectName("sectionTitle" if c == 3 else "muted")
            lab.setWordWrap(True)
            grid.addWidget(lab, 0, c)
        self.editors: dict[Path, QPlainTextEdit] = {}
        for r, path in enumerate(self.diff, start=1):
            label = QLabel(path_words(path, item.entity_type, self.flat[self.start]))
            label.setWordWrap(True)
            label.setMaximumWidth(200)
            label.setAlignment(Qt.AlignmentFlag.AlignTop)
            grid.addWidget(label, r, 0)
            for c, side in ((1, self.left), (2, self.right)):
                cell = QWidget()
                cv = QVBoxLayout(cell)
                cv.setContentsMargins(0, 0, 0, 0)
                value = QLabel(shown_value(path, self.flat[side.key].get(path), item.entity_type) or "(empty)")
                value.setWordWrap(True)
                value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                value.setFrameShape(QFrame.Shape.StyledPanel)
                value.setStyleSheet("QLabel { background: #ffffff; padding: 4px; }")
                cv.addWidget(value)
                from PySide6.QtWidgets import QPushButton

                use = QPushButton("Use this one")
                use.setObjectName("link")
                use.setAccessibleName(f"Use the {'left' if c == 1 else 'right'} version's {label.text()}")
                use.clicked.connect(lambda _=False, p=path, k=side.key: self.use(p, k))
                cv.addWidget(use, 0, Qt.AlignmentFlag.AlignLeft)
                grid.addWidget(cell, r, c)
            words = vocabulary(path, item.entity_type)
            ed: Any
            if words:
                ed = QComboBox()
                for code, text in words.items():
                    ed.addItem(text, code)
            else:
                ed = QPlainTextEdit()
                ed.setTabChangesFocus(True)
                ed.setFixedHeight(72)
            ed.setAccessibleName(f"Merged: {label.text()}")
            self.editors[path] = ed
            grid.addWidget(ed, r, 3, Qt.AlignmentFlag.AlignTop)
        grid.setRowStretch(len(self.diff) + 1, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        v.addWidget(scroll, 1)
        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton("&Save merged version", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setObjectName("primary")
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        v.addWidget(buttons)
        self.reseed(self.start)

    def reseed(self, key: str) -> None:
        self.start = key
        for path in self.editors:
            self.use(path, key)

    def use(self, path: Path, key: str) -> None:
        ed, v = self.editors[path], self.flat[key].get(path)
        if isinstance(ed, QComboBox):
            ed.setCurrentIndex(max(0, ed.findData(v)))
        else:
            ed.setPlainText(shown(v))

    def text_of(self, path: Path) -> Any:
        ed = self.editors[path]
        return ed.currentData() if isinstance(ed, QComboBox) else ed.toPlainText()

    def other_key(self) -> str:
        return self.right.key if self.start == self.left.key else self.left.key

    def merged(self) -> str:
        """The merged version's content (JSON), as the service takes it."""
        out = copy.deepcopy(self.data[self.start])
        other = self.data[self.other_key()]
        for path, ed in self.editors.items():
            chosen = self.flat[self.start].get(path)
            like = chosen if path in self.flat[self.start] else self.flat[self.other_key()].get(path)
            text = self.text_of(path)
            if path not in self.flat[self.start] and text == "":
                continue  # the chosen version lacks it and nothing was typed: leave it out
            set_path(out, path, parse_like(text, like) if isinstance(ed, QPlainTextEdit) else text, other)
        return json.dumps(out, sort_keys=True, ensure_ascii=False)


def _sort_key(p: Path) -> tuple[str, ...]:
    return tuple(f"{x:06d}" if isinstance(x, int) else str(x) for x in p)
