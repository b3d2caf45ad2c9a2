"""The task runner: work runs off the UI thread, callbacks come back on it; errors reach on_error or
show_error; the excepthook turns an uncaught error into a calm dialog without resident data."""
from __future__ import annotations

import sys
import threading

from PySide6.QtWidgets import QApplication, QMessageBox

from keyworker.errors import ValidationError
from ui.errors import UNEXPECTED, install_excepthook
from ui.tasks import SyncTaskRunner, TaskRunner


def test_task_runs_off_the_ui_thread_and_calls_back_on_it(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = TaskRunner()
    seen: dict[str, object] = {}
    ui_thread = threading.current_thread()

    def work() -> int:
        seen["worker"] = threading.current_thread()
        return 42

    def done(value: int) -> None:
        seen["value"] = value
        seen["callback"] = threading.current_thread()

    with qtbot.waitSignal(runner.busy_changed, check_params_cb=lambda busy: busy is False):
        runner.run(work, done)
    assert seen["value"] == 42 and seen["callback"] is ui_thread and seen["worker"] is not ui_thread
    runner.shutdown()


def test_database_tasks_run_in_order_on_one_thread(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = TaskRunner()
    order: list[int] = []
    threads: set[str] = set()
    for i in range(5):
        runner.run(lambda i=i: (threads.add(threading.current_thread().name), i)[1], order.append)
    qtbot.waitUntil(lambda: len(order) == 5)
    assert order == [0, 1, 2, 3, 4] and len(threads) == 1
    runner.shutdown()


def test_errors_go_to_on_error(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = TaskRunner()
    errors: list[BaseException] = []
    runner.run(lambda: 1 / 0, lambda _r: None, errors.append, pool=True)
    qtbot.waitUntil(lambda: bool(errors))
    assert isinstance(errors[0], ZeroDivisionError)
    runner.shutdown()


def test_sync_runner_without_on_error_shows_the_error(qtbot) -> None:  # type: ignore[no-untyped-def]
    def boom() -> None:
        raise ValidationError({"username": "The user name worker is taken."})

    SyncTaskRunner().run(boom, lambda _r: None)
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert any(b.text() == "User name: The user name worker is taken." for b in boxes)
    for b in boxes:
        b.close()


def test_excepthook_shows_a_calm_dialog_and_logs_no_message(qtbot, capsys) -> None:  # type: ignore[no-untyped-def]
    import logging

    from ui.errors import configure_logging

    old = sys.excepthook
    configure_logging()
    install_excepthook()
    try:
        try:
            raise KeyError("Pat Example")
        except KeyError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)
    finally:
        sys.excepthook = old
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert boxes and boxes[-1].text() == UNEXPECTED
    assert "Pat Example" not in boxes[-1].text() and "Traceback" not in boxes[-1].text()
    for b in boxes:
        b.close()
    err = capsys.readouterr().err
    assert "KeyError" in err and "Pat Example" not in err
    logging.getLogger("keyworker").handlers.clear()
