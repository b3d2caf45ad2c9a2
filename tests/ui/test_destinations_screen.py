"""Administration → Destinations: an administrator adds an HTTPS destination through the dialog,
routes a kind of document to it (the waiting items follow), tests the connection against a real
loopback HTTPS server and reads the answer in words; the secret field says it is stored and an
edit keeps it; SFTP's fetched host key is shown by fingerprint for confirmation; a senior sees the
tab, a key worker does not. Screenshots at 1280×800 and 1024×768 are checked for cut-off text."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QTableWidget

from keyworker.db.outbox import OutboxDestination, OutboxItem
from keyworker.outbox.destinations import host_key_fingerprint
from keyworker.outbox.queue import enqueue
from keyworker.outbox.secrets import unseal
from tests.fixtures.destination_servers import https_receiver
from tests.fixtures.outbox_servers import SftpServer
from ui.admin.destination_dialog import STORED

TOKEN = "ui-token-never-shown-5678"
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def open_tab(window):  # type: ignore[no-untyped-def]
    page = window.show_page("admin")
    page.tabs.setCurrentWidget(page.destinations_tab)
    return page, page.destinations_tab


def add_https(qtbot, screen, url: str, ca: str, name: str = "County hub"):  # type: ignore[no-untyped-def]
    dlg = screen.add_destination()
    qtbot.waitExposed(dlg)
    assert dlg.transport.currentData() == "https"
    qtbot.keyClicks(dlg.name_edit, name)
    qtbot.keyClicks(dlg.fields["https"]["url"], url)
    dlg.choose_file = lambda: ca
    choose = [b for b in dlg.findChildren(QPushButton) if b.text() == "Choose…" and b.isVisible()]
    assert len(choose) == 1
    qtbot.mouseClick(choose[0], Qt.MouseButton.LeftButton)
    assert dlg.fields["https"]["ca_bundle"].text() == ca
    qtbot.keyClicks(dlg.secret, TOKEN)
    with qtbot.waitSignal(dlg.accepted):
        qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    return dlg


def test_add_route_and_test_an_https_destination(qtbot, admin_window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    book = admin_window.ctx.book
    with book._write() as s:
        waiting = enqueue(book, s, kind="decline_letter", title="Decline letter", payload=b"%PDF-1.4",
                          filename="d.pdf", subject="one").id
    _page, screen = open_tab(admin_window)
    assert screen.empty.isVisible() and not screen.table.isVisible()
    with https_receiver(tmp_path / "https") as rx:
        add_https(qtbot, screen, rx.url, rx.ca_file)
        assert screen.table.rowCount() == 1
        assert [screen.table.item(0, c).text() for c in range(4)] == ["County hub", "HTTPS API", rx.url,
                                                                      "Not tried yet"]
        with book._read() as s:
            row = s.query(OutboxDestination).one()
            assert unseal(book, row.id, row.secret) == TOKEN

        # Route decline letters there: the waiting letter goes too, and the screen says so.
        combo = screen.routes_table.cellWidget(0, 1)
        assert isinstance(combo, QComboBox) and screen.routes_table.item(0, 0).text() == "Referral decline letters"
        assert combo.currentText() == "No destination (they wait)"
        combo.setCurrentIndex(combo.findText("County hub"))
        assert screen.route_result.text() == ("Referral decline letters will be sent to County hub; "
                                              "1 waiting item will go there too.")
        with book._read() as s:
            assert s.get(OutboxItem, waiting).destination_id == row.id
        assert screen.table.item(0, 4).text() == "Referral decline letters"

        # Test connection: the real server answers.
        screen.table.selectRow(0)
        assert screen.test_button.isEnabled()
        qtbot.mouseClick(screen.test_button, Qt.MouseButton.LeftButton)
        assert not screen.busy.isVisible()
        assert screen.test_result.text() == "✓ Connected to County hub: it answered, and letters can go there."
        assert screen.table.item(0, 3).text() == "Online"
        assert rx.probes == [f"Bearer {TOKEN}"]

        # Editing shows the secret as stored and keeps it when left empty.
        screen.table.selectRow(0)
        dlg = screen.edit_destination()
        assert dlg is not None and dlg.secret.text() == "" and dlg.secret.placeholderText() == STORED
        assert not dlg.transport.isEnabled() and dlg.fields["https"]["url"].text() == rx.url
        dlg.name_edit.setText("County hub (letters)")
        with qtbot.waitSignal(dlg.accepted):
            dlg.submit()
        assert screen.table.item(0, 0).text() == "County hub (letters)"
        with book._read() as s:
            assert unseal(book, row.id, s.get(OutboxDestination, row.id).secret) == TOKEN

        shoot(qtbot, admin_window, screen)


def test_refusals_show_beside_their_fields(qtbot, admin_window) -> None:  # type: ignore[no-untyped-def]
    _page, screen = open_tab(admin_window)
    dlg = screen.add_destination()
    qtbot.keyClicks(dlg.name_edit, "Plain web")
    qtbot.keyClicks(dlg.fields["https"]["url"], "http://hub.example.nhs.uk/in")
    dlg.submit()
    assert dlg.isVisible()
    assert "https://" in dlg.errors["https.url"].message() and dlg.errors["https.url"].isVisible()
    assert dlg.errors["secret"].message() == "The bearer token is required."
    # Email: plain is refused with the reason.
    dlg.transport.setCurrentIndex(dlg.transport.findData("smtp"))
    assert dlg.fields["smtp"]["host"].isVisible() and not dlg.fields["https"]["url"].isVisible()
    qtbot.keyClicks(dlg.fields["smtp"]["host"], "smtp.example.nhs.uk")
    qtbot.keyClicks(dlg.fields["smtp"]["from_address"], "not an address")
    dlg.submit()
    assert "email address" in dlg.errors["smtp.from_address"].message()
    assert screen.table.rowCount() == 0
    dlg.reject()


def test_secure_email_with_recipients_per_kind(qtbot, admin_window) -> None:  # type: ignore[no-untyped-def]
    _page, screen = open_tab(admin_window)
    dlg = screen.add_destination()
    dlg.transport.setCurrentIndex(dlg.transport.findData("smtp"))
    f = dlg.fields["smtp"]
    qtbot.keyClicks(dlg.name_edit, "Secure mail")
    qtbot.keyClicks(f["host"], "smtp.example.nhs.uk")
    f["security"].setCurrentIndex(f["security"].findData("tls"))
    assert f["port"].value() == 465  # the usual port follows
    qtbot.keyClicks(f["from_address"], "unit@example.nhs.uk")
    table = f["recipients_by_kind"]
    row = [table.item(r, 0).text() for r in range(table.rowCount())].index("Declined-referrals report")
    table.item(row, 1).setText("authority@lancashire.gov.uk, nope")
    dlg.submit()
    assert "nope is not an email address" in dlg.errors["smtp.recipients_by_kind"].message()
    table.item(row, 1).setText("authority@lancashire.gov.uk")
    with qtbot.waitSignal(dlg.accepted):
        dlg.submit()
    [v] = admin_window.ctx.book.destinations.list()
    assert v.where == "smtp.example.nhs.uk:465 (TLS)" and not v.has_secret
    assert v.settings["recipients_by_kind"] == {"declines_report": ["authority@lancashire.gov.uk"]}
    screen.table.selectRow(0)
    again = screen.edit_destination()
    assert again.fields["smtp"]["recipients_by_kind"].item(row, 1).text() == "authority@lancashire.gov.uk"
    assert again.secret.placeholderText() == ""  # nothing stored, so nothing to keep
    again.grab().save(str(SHOTS / "destination-dialog-smtp-edit.png"))
    again.reject()


def test_sftp_host_key_is_fetched_and_confirmed_by_fingerprint(
        qtbot, admin_window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "root" / "inbox").mkdir(parents=True)
    server = SftpServer(tmp_path / "root")
    server.start()
    try:
        _page, screen = open_tab(admin_window)
        dlg = screen.add_destination()
        dlg.transport.setCurrentIndex(dlg.transport.findData("sftp"))
        f = dlg.fields["sftp"]
        assert dlg.secret_label.text() == "Pass&word"
        f["host"].setText("127.0.0.1")
        f["port"].setValue(server.port)
        shown: list[tuple[str, str]] = []
        dlg.confirm_key = lambda where, fp: shown.append((where, fp)) is None and False  # says no first
        qtbot.mouseClick(dlg.fetch_button, Qt.MouseButton.LeftButton)
        assert shown == [(f"127.0.0.1:{server.port}", host_key_fingerprint(server.host_key_line))]
        assert f["host_key"].toPlainText() == ""  # not confirmed: not used
        dlg.confirm_key = lambda where, fp: True
        qtbot.mouseClick(dlg.fetch_button, Qt.MouseButton.LeftButton)
        assert f["host_key"].toPlainText() == server.host_key_line
        assert dlg.fingerprint.text() == f"Fingerprint: {host_key_fingerprint(server.host_key_line)}"
        dlg.reject()
    finally:
        server.shutdown()


def test_seniors_see_the_tab_and_key_workers_do_not(qtbot, main_window_for) -> None:  # type: ignore[no-untyped-def]
    page = main_window_for("manager").show_page("admin")
    assert page.tabs.isTabVisible(page.tabs.indexOf(page.destinations_tab))
    page.tabs.setCurrentWidget(page.destinations_tab)
    from keyworker.outbox.kinds import KINDS

    table = page.destinations_tab.routes_table
    assert table.rowCount() == len(KINDS)  # every kind of document can be given a destination
    assert {table.item(r, 0).text() for r in range(table.rowCount())} >= {"Discharge letters",
                                                                           "Out-of-hours discharge summaries"}


def shoot(qtbot, window, screen) -> None:  # type: ignore[no-untyped-def]
    """Screenshots at both sizes; every label's and button's text fits, and the table columns too."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for w, h in ((1280, 800), (1024, 768)):
        window.resize(w, h)
        qtbot.wait(50)
        window.grab().save(str(SHOTS / f"destinations-{w}x{h}.png"))
        for button in screen.findChildren(QPushButton):
            if button.isVisible():
                text = button.text().replace("&", "")
                assert button.fontMetrics().horizontalAdvance(text) <= button.width(), (w, text)
        for label in screen.findChildren(QLabel):
            if label.isVisible() and not label.wordWrap() and label.text():
                assert label.fontMetrics().horizontalAdvance(label.text()) <= label.width() + 1, (w, label.text())
        routes: QTableWidget = screen.routes_table
        first = routes.horizontalHeader().sectionSize(0)
        for r in range(routes.rowCount()):
            assert routes.fontMetrics().horizontalAdvance(routes.item(r, 0).text()) < first, (w, r)
            combo = routes.cellWidget(r, 1)
            assert combo.width() >= combo.fontMetrics().horizontalAdvance(combo.currentText()), (w, r)
    dlg = screen.add_destination()
    for t in ("https", "sftp", "smtp"):
        dlg.transport.setCurrentIndex(dlg.transport.findData(t))
        qtbot.wait(20)
        dlg.grab().save(str(SHOTS / f"destination-dialog-{t}.png"))
    dlg.reject()
