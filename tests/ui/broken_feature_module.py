"""A stand-in feature module whose own import fails (used by test_main_window)."""
import ui.this_module_does_not_exist  # noqa: F401
