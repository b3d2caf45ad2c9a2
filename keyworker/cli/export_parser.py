"""The shared `export` command: `main.py export WHAT ...`. Each returns module (keyworker/cli/returns.py
for `export ndtms`, the pseudonymised extract's for `export pseudonymised`) asks for the one
`export` parser's subcommands here and adds its own; the first to ask creates it."""
from __future__ import annotations

import argparse
from typing import Any

from keyworker.cli.common import Parser

_EXPORTS: dict[int, Any] = {}


def export_subparsers(sub: Any, common: argparse.ArgumentParser) -> Any:
    """The subparsers of `export` on this command line (`sub`), made once per parser."""
    key = id(sub)
    if key not in _EXPORTS:
        e = sub.add_parser("export", help="returns to the commissioner: the NDTMS monthly return and other exports "
                                          "(senior)")
        _EXPORTS[key] = (e.add_subparsers(dest="export_kind", metavar="WHAT", parser_class=Parser, required=True), e)
    return _EXPORTS[key][0]
