"""Daily key work on screen: the "Record session…" and "Record group session…" dialogs, the
resident's Key work tab, the pre-admission assessment dialog (from the referrals page) and Today's
"Key work" section. Importing the package registers them (it is in FEATURE_MODULES)."""
from __future__ import annotations

from ui.key_work import tab, today  # noqa: F401  (they register themselves)
