"""Keyworker: start the desktop app, or run a command (`python main.py --help`)."""
from __future__ import annotations

import argparse
import os
import sys

NO_DISPLAY = ("main.py: error: no display to show the app on. Start it from a desktop session (a graphical "
              "login, not SSH or a text console); the commands work without one: python main.py --help")


def has_display() -> bool:
    """False on Linux (and other X11/Wayland systems) with nowhere to draw, where Qt would abort
    with a misleading "xcb" message. QT_QPA_PLATFORM (offscreen, vnc ...) is taken as chosen."""
    if sys.platform in ("win32", "darwin") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def start_gui(args: argparse.Namespace) -> int:
    if not has_display():
        print(NO_DISPLAY, file=sys.stderr)
        return 2
    # Qt is imported only here, so the command line starts fast and works without a display.
    from ui.app import run_app

    return run_app(args)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["hub"]:
        # The unit hub's server commands (keyworker/hub/cli.py): no Qt and no unit database.
        from keyworker.hub.cli import run as run_hub

        return run_hub(args[1:])
    from keyworker.cli import run

    return run(argv, start_gui=start_gui)


if __name__ == "__main__":
    sys.exit(main())
