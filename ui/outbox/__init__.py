"""The Outbox area: the Outbox page (ui/outbox/page.py), its cancel and password dialogs."""
