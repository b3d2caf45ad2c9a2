"""The figures of `python -m keyworker.bench` that need Qt (keyworker/ never imports it), each run in
a child process offscreen: `python -m benchmarks.qt_probes PROBE DB USER PASSWORD REPEATS`.
The last line of stdout is a JSON list of samples (milliseconds, or megabytes for `rss`)."""
from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from benchmarks.bench_caseload import TYPED, ui_unlock_to_caseload  # noqa: E402
from keyworker.casebook import Casebook  # noqa: E402


def _app():  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication([])


def unlock(db: Path, user: str, pw: str, repeats: int) -> list[float]:
    """As the app: its pages' modules are imported while the password is typed (ui/app.py
    `_preload_pages`), so the first unlock is not charged 0.5-0.7 s of imports no user waits for."""
    from ui.main_window import load_feature_modules

    _app()
    load_feature_modules()
    return ui_unlock_to_caseload(db, user, pw, repeat=repeats)


def search(db: Path, user: str, pw: str, repeats: int) -> list[float]:
    """Per keystroke on the real Caseload page (threaded db worker): the text set, the query run,
    the model's rows in and the view painted. The debounce wait is left out (it is a choice)."""
    from PySide6.QtCore import QEventLoop

    from ui.caseload.page import CaseloadPage
    from ui.context import AppContext
    from ui.tasks import TaskRunner

    _app()
    book = Casebook.open(db, user, pw)
    ctx = AppContext(book, TaskRunner())
    page = CaseloadPage(ctx)
    page.resize(1300, 800)
    page.show()
    out: list[float] = []
    words = TYPED if repeats > 1 else TYPED[:4]

    def wait(action) -> float:  # type: ignore[no-untyped-def]
        loop = QEventLoop()
        page.model.loaded.connect(loop.quit)
        t = time.perf_counter()
        action()
        loop.exec()
        page.table.viewport().repaint()
        page.model.loaded.disconnect(loop.quit)
        return (time.perf_counter() - t) * 1000

    wait(page.apply_filter)
    for word in words:
        for i in range(1, len(word) + 1):
            page.search.blockSignals(True)
            page.search.setText(word[:i])
            page.search.blockSignals(False)
            out.append(wait(page.apply_filter))
    ctx.tasks.shutdown()
    page.close()
    book.close()
    return out


def open_resident(db: Path, user: str, pw: str, repeats: int) -> list[float]:
    """What the resident window reads when it opens (ui/resident/window.py reload): the record and
    every registered tab's header summary, for residents spread over the unit."""
    from ui.main_window import load_feature_modules
    from ui.resident.header import fetch_header_items

    _app()
    load_feature_modules()
    book = Casebook.open(db, user, pw)
    ids = book.caseload.ids(book.caseload.filter(include_discharged=True))
    sample = ids[:: max(1, len(ids) // (10 * repeats))][: 10 * repeats]
    out = []
    for rid in sample:
        t = time.perf_counter()
        book.residents.get(rid)
        fetch_header_items(book, rid)
        out.append((time.perf_counter() - t) * 1000)
    book.close()
    return out


def today(db: Path, user: str, pw: str, repeats: int) -> list[float]:
    """The Today page's reads for a senior over the whole unit (ui/today.py `_fetch_all`)."""
    from ui.main_window import load_feature_modules
    from ui.today import _fetch_all, today_sections

    _app()
    load_feature_modules()
    book = Casebook.open(db, user, pw)
    sections = [s for s in today_sections() if s.visible_to(book.actor)]
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        _fetch_all(book, sections, "unit", True)
        out.append((time.perf_counter() - t) * 1000)
    book.close()
    return out


def _peak_rss_mb() -> float:
    """This process's own peak resident memory. Not ru_maxrss: Linux carries a parent's peak into
    a child across exec (the bench parent peaks at 1.1 GB building the unit), while VmHWM belongs to
    this process's memory alone."""
    try:
        with open("/proc/self/status") as f:
            return int(f.read().split("VmHWM:")[1].split()[0]) / 1024  # kB
    except (OSError, IndexError, ValueError):  # not Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / (1024 if sys.platform == "darwin" else 1)


def rss(db: Path, user: str, pw: str, repeats: int) -> list[float]:
    """Peak resident memory (MB) of the app with the unit open and every page of the main window
    shown once (pages load through the synchronous runner, so each has its data when measured)."""
    from ui.context import AppContext
    from ui.main_window import MainWindow
    from ui.tasks import SyncTaskRunner

    app = _app()
    book = Casebook.open(db, user, pw)
    win = MainWindow(AppContext(book, SyncTaskRunner()))
    win.resize(1300, 800)
    win.show()
    for spec in win.specs:
        win.show_page(spec.key)
        app.processEvents()
    peak = _peak_rss_mb()
    win.lock.watcher.stop()
    win.outbox_worker.stop() if hasattr(win.outbox_worker, "stop") else None
    book.close()
    return [peak]


PROBES = {"unlock": unlock, "search": search, "open_resident": open_resident, "today": today, "rss": rss}

if __name__ == "__main__":
    probe, db, user, pw, repeats = sys.argv[1:6]
    samples = PROBES[probe](Path(db), user, pw, int(repeats))
    print(json.dumps(samples), flush=True)
    os._exit(0)  # no Qt teardown noise or hangs in a measuring child
