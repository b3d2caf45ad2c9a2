"""The resident's Notes tab (timeline of notes, contacts, sessions, incidents), the note and
contact dialogs, and the Handover page."""
