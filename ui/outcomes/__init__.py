"""Outcomes on screen (issue 14): the resident record's "Outcomes" tab (the Outcome Star page
first; the TOP page is added by its part through `OutcomesTab.add_page`) and the "New reading…"
dialog. Importing the package registers the tab (it is in FEATURE_MODULES)."""
from __future__ import annotations

from ui.outcomes import tab  # noqa: F401  (registers itself)
