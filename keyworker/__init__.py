"""Keyworker domain core: everything a unit records, with no Qt. Open a unit with `Casebook`."""
from __future__ import annotations

__version__ = "0.1.0"
