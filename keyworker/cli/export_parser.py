"""The one `export` command shared by the returns' modules (`export ndtms`, `export pseudonymised`,
...): each module calls `export_subparsers(sub, common)` and adds its own subcommand to the same
subparsers object, so two modules never add two `export` commands."""
from __future__ import annotations

import argparse
from typing import Any

from keyworker.cli.common import Parser

_ATTR = "_keyworker_export_kinds"


def export_subparsers(sub: Any, common: argparse.ArgumentParser) -> Any:
    """The subparsers of `export`, made on the first call for this `sub` and the same object after."""
    kinds = getattr(sub, _ATTR, None)
    if kinds is None:
        e = sub.add_parser("export", help="returns for the Authority: written to a file or queued to send "
                                          "(senior or administrator)")
        e.set_defaults(handler=None)
        kinds = e.add_subparsers(dest="export_kind", metavar="WHAT", parser_class=Parser, required=True)
        setattr(sub, _ATTR, kinds)
    return kinds
