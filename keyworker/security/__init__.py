"""Key vault, roles and permissions, accounts and the audit chain."""
