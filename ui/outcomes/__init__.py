"""The Outcomes screens (issue 14). Importing `ui.outcomes` registers them."""
from __future__ import annotations

import ui.outcomes.top_register  # noqa: F401 - the TOP Today section and header item (part O2)
