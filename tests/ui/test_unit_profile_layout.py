"""The Unit tab at 1024 px: its fields start at one x in every box (one label column, as one form),
and its text stands clear of the tab's frame."""
from __future__ import annotations

from PySide6.QtCore import QPoint

from ui.forms.dialog import Unsaved


def test_one_label_column_and_text_clear_of_the_frame(qtbot, admin_window) -> None:  # type: ignore[no-untyped-def]
    admin_window.resize(1024, 768)
    page = admin_window.show_page("admin")
    page.tabs.setCurrentWidget(page.unit_screen)
    screen = page.unit_screen
    screen.confirm_unsaved = lambda _w: Unsaved.DISCARD
    qtbot.waitUntil(lambda: screen.edits["unit_name"].isVisible())

    def left(name: str) -> int:
        return screen.edits[name].mapTo(screen, QPoint(0, 0)).x()

    assert left("unit_name") == left("provider_name") == left("cqc_location") == left("footer_text")
    assert screen.layout().contentsMargins().left() > 0
