"""Outcomes on screen (issue 14): the resident record's "Outcomes" tab (the Outcome Star page, then
the TOP page, added through `OutcomesTab.add_page`), the "New reading…" and "New TOP…" dialogs,
the "Outcome Star due" and "TOPs due" Today sections and the record header's alerts. Importing the package
registers them (it is in FEATURE_MODULES)."""
from __future__ import annotations

import ui.outcomes.star_register  # noqa: F401 - the Outcome Star Today section and header item
import ui.outcomes.top_register  # noqa: F401 - the TOP Today section and header item
from ui.outcomes import tab  # noqa: F401  (registers itself)
