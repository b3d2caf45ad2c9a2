"""Keyworker: start the desktop app, or run a command (`python main.py --help`)."""
from __future__ import annotations

import argparse
import sys


def start_gui(args: argparse.Namespace) -> int:
    # Qt is imported only here, so the command line starts fast and works without a display.
    from ui.app import run_app

    return run_app(args)


def main(argv: list[str] | None = None) -> int:
    from keyworker.cli import run

    return run(argv, start_gui=start_gui)


if __name__ == "__main__":
    sys.exit(main())
