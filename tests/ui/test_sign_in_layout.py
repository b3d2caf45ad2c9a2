"""Layout of the first windows a user sees (setup, sign-in, recovery key), at the normal and a large
system font: no gaps left by a hidden step, nothing clipped, text on the same edge as the controls."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from ui.login import LoginWindow
from ui.recovery import RecoveryDialog
from ui.setup_window import SetupWindow


@pytest.fixture(params=[None, 15.0], ids=["system-font", "15pt-font"])
def font_pt(request, qapp: QApplication) -> Iterator[float]:  # type: ignore[no-untyped-def]
    """Each test runs at the default font and at a large one (as a user with a bigger system font)."""
    before = QFont(qapp.font())
    if request.param:
        big = QFont(before)
        big.setPointSizeF(request.param)
        qapp.setFont(big)
    yield qapp.font().pointSizeF()
    qapp.setFont(before)


def _top(w: QWidget, window: QWidget) -> int:
    return w.mapTo(window, QPoint(0, 0)).y()


def _bottom(w: QWidget, window: QWidget) -> int:
    return w.mapTo(window, QPoint(0, w.height())).y()


def _left(w: QWidget, window: QWidget) -> int:
    return w.mapTo(window, QPoint(0, 0)).x()


def _right(w: QWidget, window: QWidget) -> int:
    return w.mapTo(window, QPoint(w.width(), 0)).x()


def _not_clipped(label: QWidget) -> bool:
    return label.height() >= label.heightForWidth(label.width())


def test_recovery_first_step_has_no_gap_and_lines_up_with_the_buttons(qtbot, db_path, tasks, clock,
                                                                       font_pt) -> None:  # type: ignore[no-untyped-def]
    dlg = RecoveryDialog(db_path, tasks, clock)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    line = dlg.fontMetrics().lineSpacing()
    # the buttons follow the key field (before, the hidden second step's height sat in between)
    assert _top(dlg.buttons, dlg) - _bottom(dlg.key_edit, dlg) < 2 * line
    assert _right(dlg.key_edit, dlg) == _right(dlg.buttons, dlg)
    assert dlg.step.text().startswith("Step 1 of 2")
    # a problem message makes room for itself; the wrapped intro is never squeezed
    dlg.submit()
    assert dlg.problem.isVisible() and dlg.problem.text() == "Enter the recovery key."
    intro = dlg.pages.currentWidget().layout().itemAt(0).widget()
    assert _not_clipped(intro) and _not_clipped(dlg.problem)
    assert _top(dlg.buttons, dlg) >= _bottom(dlg.problem, dlg)
    assert _bottom(dlg.buttons, dlg) <= dlg.height()


def test_recovery_second_step_keeps_the_width_and_fits(qtbot, db_path, tasks, clock,
                                                       font_pt) -> None:  # type: ignore[no-untyped-def]
    dlg = RecoveryDialog(db_path, tasks, clock)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    width = dlg.width()
    dlg._show_step(1)
    assert dlg.width() == width and dlg.step.text().startswith("Step 2 of 2")
    assert _bottom(dlg.new.confirm, dlg) <= _top(dlg.buttons, dlg)
    assert _bottom(dlg.buttons, dlg) <= dlg.height()


def test_setup_form_lines_up_with_the_logo_and_has_no_gap(qtbot, new_db, tasks, clock,
                                                          font_pt) -> None:  # type: ignore[no-untyped-def]
    w = SetupWindow(new_db, tasks, clock=clock)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    logo = next(c for c in w.findChildren(QLabel) if c.accessibleName() == "Keyworker logo")
    intro = w.pages.widget(0).layout().itemAt(0).widget()
    assert _left(intro, w) == _left(logo, w)  # the page adds no margin of its own
    assert _right(w.create_button, w) == _right(w.unit_edit, w)
    assert _top(w.create_button, w) - _bottom(w.password.confirm, w) < 3 * w.fontMetrics().lineSpacing()
    assert _bottom(w.create_button, w) <= w.height()
    # the logo grows with the font, like the title beside it
    assert logo.pixmap().height() >= w.fontMetrics().height() * 2.5


def test_login_logo_grows_with_the_font_and_nothing_is_clipped(qtbot, db_path, tasks, clock,
                                                               font_pt) -> None:  # type: ignore[no-untyped-def]
    w = LoginWindow(db_path, tasks, clock=clock, username="worker", hint="Demo unit: sign in as worker.")
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    logo = next(c for c in w.findChildren(QLabel) if c.accessibleName() == "Keyworker logo")
    assert logo.pixmap().height() >= w.fontMetrics().height() * 3
    assert _not_clipped(w.hint)
    assert _bottom(w.panel, w) <= w.height()


def test_setup_password_hint_is_not_clipped_and_labels_sit_on_their_fields(qtbot, new_db, tasks, clock,
                                                                           font_pt) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QFormLayout

    w = SetupWindow(new_db, tasks, clock=clock)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    qtbot.keyClicks(w.name_edit, "Ada Admin")
    meter = w.password.meter
    for typed in ("password1234", "ada.admin12345", "short"):  # two-line hints, then the red problem too
        w.password.password.setText(typed)
        w.create()
        QApplication.processEvents()
        assert w.problem.isVisible()
        for label in (meter.hint, w.problem):  # wrapped: as tall as their lines need
            assert _not_clipped(label), (typed, label.text())
        assert meter.word.height() >= meter.word.sizeHint().height()  # "Not accepted", one line
        assert _bottom(w.create_button, w) <= w.height()
    for size in ((1280, 800), (1024, 768)):
        w.resize(*size)
        QApplication.processEvents()
        assert _not_clipped(meter.hint) and meter.word.height() >= meter.word.sizeHint().height()
    form = w.pages.widget(0).findChild(QFormLayout)
    rows = 0
    for r in range(form.rowCount()):
        label = form.itemAt(r, QFormLayout.ItemRole.LabelRole)
        field = form.itemAt(r, QFormLayout.ItemRole.FieldRole)
        if label is None or not isinstance(label.widget(), QLabel) or not label.widget().text():
            continue
        rows += 1
        lab, fld = label.widget(), field.widget()
        # the label's text is centred on the field's middle line, not a few pixels above it
        assert abs(lab.mapTo(w, lab.rect().center()).y() - fld.mapTo(w, fld.rect().center()).y()) <= 1, lab.text()
    assert rows == 5


@pytest.mark.parametrize("size", [(1280, 800), (1024, 768)], ids=["1280x800", "1024x768"])
def test_maximised_sign_in_and_setup_stay_in_the_middle(qtbot, db_path, new_db, tasks, clock, size) -> None:  # type: ignore[no-untyped-def]
    w = LoginWindow(db_path, tasks, clock=clock, username="worker",
                    hint="Demo unit with made-up residents. Password: Ribble-House-Demo-2026")
    qtbot.addWidget(w)
    w.show()
    w.resize(*size)
    QApplication.processEvents()
    middle = (_left(w.panel, w) + _right(w.panel, w)) // 2
    assert abs(middle - w.width() // 2) <= 2
    # the password is never broken across lines at one of its hyphens
    assert "<nobr><b>Ribble-House-Demo-2026</b></nobr>" in w.hint.text()
    s = SetupWindow(new_db, tasks, clock=clock)
    qtbot.addWidget(s)
    s.show()
    s.resize(*size)
    QApplication.processEvents()
    logo = next(c for c in s.findChildren(QLabel) if c.accessibleName() == "Keyworker logo")
    # the form keeps a readable width in the middle, from the logo's edge to the fields' edge
    assert abs((_left(logo, s) + _right(s.unit_edit, s)) // 2 - s.width() // 2) <= 2
    assert _right(s.unit_edit, s) - _left(logo, s) <= max(680, s.fontMetrics().averageCharWidth() * 80)
    assert _top(s.create_button, s) - _bottom(s.password.confirm, s) < 3 * s.fontMetrics().lineSpacing()


def test_recovery_key_page_has_no_gap_above_the_checkbox(qtbot, new_db, tasks, clock) -> None:  # type: ignore[no-untyped-def]
    from keyworker.security.vault import FAST_KDF

    w = SetupWindow(new_db, tasks, clock=clock, kdf=FAST_KDF)
    qtbot.addWidget(w)
    w.show()
    w.name_edit.setText("Ada Admin")
    w.user_edit.setText("ada.admin")
    w.password.password.setText("Copper-Meadow-Violin-58")
    w.password.confirm.setText("Copper-Meadow-Violin-58")
    w.create()
    assert w.pages.currentIndex() == 1
    w.resize(1280, 800)
    QApplication.processEvents()
    assert _top(w.kept_box, w) - _bottom(w.print_button, w) < 3 * w.fontMetrics().lineSpacing()
    w.book.close()
