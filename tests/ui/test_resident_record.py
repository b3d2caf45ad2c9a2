"""The resident record as a key worker and night staff use it (issue 9): it opens with focus in its
content, the History tab tells the story in people's words, NHS numbers read 3-3-4, the boxes fit
their text at 1024 px, and medication says how it is taken."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from PySide6.QtWidgets import QScrollArea

from tests.ui.conftest import make_ctx
from tests.ui.test_resident_window import admit_resident
from tests.unit.care_helpers import assess_risk, full_content
from ui.forms import Unsaved
from ui.resident.window import close_resident_windows, open_resident_window


@pytest.fixture
def record(qtbot, manager_book, tasks) -> Iterator:  # type: ignore[no-untyped-def]
    rid = admit_resident(manager_book, nhs_number="9434765919", ethnicity="White: Irish")
    ctx = make_ctx(manager_book, tasks)
    opened = []

    def _open():  # type: ignore[no-untyped-def]
        win = open_resident_window(ctx, rid)
        qtbot.waitExposed(win)
        win.confirm_unsaved = lambda _w: Unsaved.DISCARD
        opened.append(win)
        return win

    yield manager_book, ctx, rid, _open
    close_resident_windows(ctx)


def test_history_tells_the_story_in_peoples_words(record) -> None:  # type: ignore[no-untyped-def]
    book, _ctx, rid, open_ = record
    adm = book.residents.get(rid).current_admission
    plan = book.care_plans.save_draft(adm.id, full_content())
    assess_risk(book, adm.id)
    book.care_plans.mark_complete(plan.plan_id)
    book.care_plans.record_agreement(plan.plan_id, date(2026, 1, 5), "signed_paper")
    book.residents.update(rid, {"gp_practice": "Fishergate Surgery"})
    win = open_()
    tab = win.show_tab("history")
    tab.refresh()
    rows = [[tab.proxy.index(i, c).data() for c in range(4)] for i in range(tab.proxy.rowCount())]
    agreed = next(r for r in rows if r[2] == "Care plan version 1 agreed")
    assert agreed[1] == "Morgan Manager"  # the full name, not the user name "manager"
    assert agreed[3] == "Signed paper copy on 05/01/2026"
    changed = next(r for r in rows if r[2] == "Record changed")
    assert changed[3] == "Changed: GP practice"
    assert "Care plan version 1 marked complete" in [r[2] for r in rows]
    for r in rows:
        text = " ".join(r[1:])
        assert "Kind:" not in text and "_" not in text and "manager" not in r[1], r


def test_opens_with_focus_in_the_content_not_the_tab_bar(record, qapp) -> None:  # type: ignore[no-untyped-def]
    _book, _ctx, _rid, open_ = record
    win = open_()
    focused = win.focusWidget()  # what has focus whenever the window is active
    assert focused is win.pages["overview"].binder.fields["given_name"].editor
    assert focused is not win.tabs.tabBar()


def test_night_staff_open_on_something_they_can_use(qtbot, manager_book, book_factory, tasks, qapp) -> None:  # type: ignore[no-untyped-def]
    rid = admit_resident(manager_book)
    win = open_resident_window(make_ctx(book_factory("nights"), tasks), rid)
    qtbot.addWidget(win)
    qtbot.waitExposed(win)
    focused = win.focusWidget()  # what has focus whenever the window is active
    assert focused is not None and focused is not win.tabs.tabBar() and focused.isEnabled()
    assert win.pages["overview"].isAncestorOf(focused)


def test_nhs_number_reads_3_3_4(record) -> None:  # type: ignore[no-untyped-def]
    book, _ctx, rid, open_ = record
    win = open_()
    ov = win.pages["overview"]
    assert ov.binder.fields["nhs_number"].editor.text() == "943 476 5919"
    assert "NHS 943 476 5919" in win.header.details.text().replace("\u00a0", " ")
    assert not ov.save_button.isEnabled()  # shown grouped, nothing changed
    assert book.residents.get(rid).nhs_number == "9434765919"  # kept as the 10 digits


LONGEST_SUBSTANCE = "Prescription-only medicines (not prescribed)"


@pytest.mark.parametrize("size", [(1024, 768), (1280, 800)])
def test_substance_boxes_show_their_longest_names(record, qapp, size) -> None:  # type: ignore[no-untyped-def]
    book, ctx, rid, open_ = record
    book.residents.update(rid, {"primary_substance": LONGEST_SUBSTANCE,
                                "other_substances": [{"substance": LONGEST_SUBSTANCE, "route": "Oral"}]})
    ctx.state.data_changed.emit("residents")
    win = open_()
    win.resize(*size)
    qapp.processEvents()
    ov = win.pages["overview"]
    rows = ov.binder.fields["other_substances"].editor._rows
    combos = [ov.binder.fields["primary_substance"].editor, rows[0][1], rows[0][2]]
    viewport = ov.findChild(QScrollArea).viewport()
    for combo in combos:
        assert combo.currentText() in (LONGEST_SUBSTANCE, "Oral")
        # not elided: as wide as its longest entry, and inside the visible part of the form
        assert combo.width() >= combo.sizeHint().width(), combo.accessibleName()
        right = combo.mapTo(viewport, combo.rect().topRight()).x()
        assert right <= viewport.width(), combo.accessibleName()
    text_width = combos[0].fontMetrics().horizontalAdvance(LONGEST_SUBSTANCE)
    assert combos[1].width() > text_width


def test_medication_says_how_it_is_taken(record, qtbot) -> None:  # type: ignore[no-untyped-def]
    from ui.resident.medication import MedicationDialog

    book, ctx, rid, open_ = record
    win = open_()
    tab = win.show_tab("medication")
    d = MedicationDialog(tab, ctx, rid)
    qtbot.addWidget(d)
    d.confirm_unsaved = lambda _w: Unsaved.DISCARD
    qtbot.keyClicks(d.binder.fields["name"].editor, "Buprenorphine")
    d.save()  # nothing said about how it is taken: the dialog says what is missing, saves nothing
    assert d.result_value is None
    assert d.binder.shown_error("route").startswith("Choose how it is taken: by mouth, under the tongue")
    assert "or tick “As directed”" in d.binder.shown_error("dose")
    d.binder.fields["route"].editor.set_value("sublingual")
    qtbot.keyClicks(d.binder.fields["dose"].editor, "8 mg")
    qtbot.keyClicks(d.binder.fields["frequency"].editor, "once daily")
    d.save()
    assert d.result_value is not None
    g = MedicationDialog(tab, ctx, rid)
    qtbot.addWidget(g)
    qtbot.keyClicks(g.binder.fields["name"].editor, "Gaviscon")
    g.binder.fields["route"].editor.set_value("oral")
    g.as_directed.setChecked(True)
    assert not g.dose.isEnabled() and not g.frequency.isEnabled()
    g.save()
    assert g.result_value is not None and g.result_value.as_directed
    tab.refresh()
    rows = {tab.current.item(i, 0).text(): [tab.current.item(i, c).text() for c in range(1, 4)]
            for i in range(tab.current.rowCount())}
    assert rows["Buprenorphine"] == ["8 mg", "once daily", "Under the tongue"]
    assert rows["Gaviscon"] == ["As directed", "As directed", "By mouth"]
    headers = [tab.current.horizontalHeaderItem(c).text() for c in range(tab.current.columnCount())]
    assert headers[:4] == ["Medicine", "Dose", "How often", "How taken"]
    history = [tab.history.item(i, 3).text() for i in range(tab.history.rowCount())]
    assert "8 mg, once daily, under the tongue" in history


def _right_edges_inside(root, limit_widget) -> list[str]:  # type: ignore[no-untyped-def]
    """Names of visible widgets under `root` whose right edge lies beyond `limit_widget`'s."""
    from PySide6.QtWidgets import QWidget

    limit = limit_widget.mapToGlobal(limit_widget.rect().topRight()).x()
    out = []
    for w in root.findChildren(QWidget):
        if w.isVisibleTo(root) and w.width() > 0 and w.mapToGlobal(w.rect().topRight()).x() > limit + 1:
            out.append(f"{type(w).__name__}:{w.objectName() or w.accessibleName()}")
    return out


@pytest.mark.parametrize("draft", [False, True])
def test_care_plan_editor_fits_1024_and_its_labels_line_up(record, qapp, draft, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import ui.care_plans  # noqa: F401 - registers the Care plan tab
    from keyworker.plan_sections import FIELDS, FROM_RECORD, SECTIONS

    book, _ctx, rid, open_ = record
    if draft:
        adm = book.residents.get(rid).current_admission
        book.care_plans.save_draft(adm.id, full_content())
    win = open_()
    win.resize(1280, 800)  # opened on a wide screen, then made smaller: the plan must follow
    editor = win.show_tab("care_plan")
    for _ in range(3):
        qapp.processEvents()
    win.resize(1024, 768)
    for _ in range(3):
        qapp.processEvents()
    win.grab().save(str(tmp_path / "care_plan_1024.png"))
    assert win.width() <= 1024
    viewport = editor.scroll.viewport()
    assert editor.scroll.widget().width() <= viewport.width()  # nothing cut off on the right
    for key, box in editor.sections.items():
        assert _right_edges_inside(box, viewport) == [], key
    assert _right_edges_inside(editor, win) == []
    # One label column for every section: the fields start at the same x everywhere.
    starts = set()
    for sec in SECTIONS:
        box = editor.sections[sec.key]
        form = getattr(box, "form", None)
        if form is None:
            continue
        for r in range(form.rowCount()):
            field = form.itemAt(r, form.ItemRole.FieldRole)
            if field is not None and field.widget() is not None and sec.kind in (FIELDS, FROM_RECORD):
                if form.itemAt(r, form.ItemRole.LabelRole) is None:
                    continue  # a note across the whole row
                starts.add(field.widget().mapTo(editor.scroll.widget(), field.widget().rect().topLeft()).x())
    assert len(starts) == 1, starts


def test_the_window_opens_within_the_screen(record) -> None:  # type: ignore[no-untyped-def]
    _book, _ctx, _rid, open_ = record
    win = open_()
    avail = win.screen().availableGeometry()  # offscreen: 800×600, smaller than the window's 1120×800
    assert win.width() <= avail.width() and win.height() <= avail.height()


def test_night_staff_print_a_summary_with_doses(qtbot, manager_book, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    import io

    from pypdf import PdfReader

    rid = admit_resident(manager_book)
    manager_book.residents.start_medication(rid, {"name": "Buprenorphine", "effective_on": date(2026, 1, 5),
                                                  "dose": "8 mg", "frequency": "once daily", "route": "sublingual"})
    win = open_resident_window(make_ctx(book_factory("nights"), tasks), rid)
    qtbot.addWidget(win)
    tab = win.show_tab("medication")
    assert tab.start_button.isHidden() and not tab.print_button.isHidden()
    shown = []
    tab.viewer = lambda parent, ctx, title, preview: shown.append((title, preview))
    tab.print_button.click()
    title, preview = shown[0]
    assert title == "Resident summary (R-00001)"
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(preview.content)).pages)
    assert "Buprenorphine 8 mg once daily Under the tongue" in text


def test_documents_tab_without_documents_says_how_they_come(record) -> None:  # type: ignore[no-untyped-def]
    _book, _ctx, _rid, open_ = record
    tab = open_().show_tab("documents")
    assert not tab.empty.isHidden() and "Print summary on the Medication tab" in tab.empty.text()
    assert tab.open_button.isHidden() and tab.print_button.isHidden()  # no row of dead buttons


def test_admission_rows_line_up_with_the_fields(record, qapp) -> None:  # type: ignore[no-untyped-def]
    _book, _ctx, _rid, open_ = record
    win = open_()
    win.resize(1024, 768)
    qapp.processEvents()
    ov = win.pages["overview"]
    content = ov.findChild(QScrollArea).widget()
    field_x = ov.binder.fields["postcode"].editor.mapTo(content, ov.binder.fields["postcode"].editor.rect().topLeft()).x()
    f = ov.admission_form
    value = f.itemAt(0, f.ItemRole.FieldRole).widget()
    assert abs(value.mapTo(content, value.rect().topLeft()).x() - field_x) <= 6


def test_night_staff_read_the_care_plan_without_dead_buttons(qtbot, manager_book, book_factory, tasks) -> None:  # type: ignore[no-untyped-def]
    import ui.care_plans  # noqa: F401 - registers the Care plan tab

    rid = admit_resident(manager_book)
    adm = manager_book.residents.get(rid).current_admission
    manager_book.care_plans.save_draft(adm.id, full_content())
    win = open_resident_window(make_ctx(book_factory("nights"), tasks), rid)
    qtbot.addWidget(win)
    editor = win.show_tab("care_plan")
    for b in (editor.save_button, editor.complete_button, editor.agree_button, editor.discard_button):
        assert b.isHidden(), b.text()
    assert not editor.print_button.isHidden() and editor.print_button.isEnabled()


def test_change_dialog_starts_at_the_dose(record, qtbot) -> None:  # type: ignore[no-untyped-def]
    from ui.resident.medication import MedicationDialog

    book, ctx, rid, _open = record
    course = book.residents.start_medication(rid, {"name": "Thiamine", "effective_on": date(2026, 1, 5),
                                                   "dose": "100 mg", "frequency": "once daily", "route": "oral"})
    c = MedicationDialog(None, ctx, rid, course)
    qtbot.addWidget(c)
    c.show()
    qtbot.waitExposed(c)
    assert c.focusWidget() is c.dose
    assert c.route.value() == "oral" and not c.as_directed.isChecked()
