"""Administration: staff accounts, passwords and unit settings."""
