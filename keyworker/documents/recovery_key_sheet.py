"""The printed recovery key: the one sheet that gets a unit back in when every administrator has
forgotten their password. It says which unit, when and by whom it was made, what the key is for,
where to keep it and how to use it on the sign-in window. No health data: only the unit's name,
the database file's name and the administrator who set the unit up.

The wording of the steps follows the sign-in window (ui/login.py) and the recovery dialog
(ui/recovery.py); change them together."""
from __future__ import annotations

from datetime import datetime

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Table, TableStyle

from keyworker.clock import format_date, to_local
from keyworker.documents.layout import ACCENT, CONTENT_W, SANS_BOLD, SHADE, fields, heading, para, render, spacer

TITLE = "Recovery key"
# The sign-in window's button and the recovery dialog's steps, as the user sees them.
SIGN_IN_BUTTON = "Forgotten password? Use the recovery key…"

_KEY_STYLE = ParagraphStyle("recovery_key", fontName=SANS_BOLD, fontSize=15, leading=22, textColor=ACCENT,
                            alignment=1)


def build(*, unit_name: str, recovery_key: str, created_by: str, created_at: datetime, database_name: str) -> bytes:
    """The sheet as PDF bytes. `created_by` is the administrator's name as they gave it."""
    groups = recovery_key.split("-")
    # Two lines of four groups: large enough to copy without a mistake, never split across lines.
    key_lines = ["  ".join(groups[:4]), "  ".join(groups[4:])] if len(groups) == 8 else [recovery_key]
    box = Table([[Paragraph("<br/>".join(key_lines), _KEY_STYLE)]], colWidths=[CONTENT_W], hAlign="LEFT")
    box.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), SHADE), ("BOX", (0, 0), (-1, -1), 0.75, ACCENT),
                             ("TOPPADDING", (0, 0), (-1, -1), 5 * mm), ("BOTTOMPADDING", (0, 0), (-1, -1), 5 * mm)]))
    local = to_local(created_at)
    story = [
        para(f"{TITLE} for {unit_name}" if unit_name else TITLE, "title"),
        fields([
            ("Unit", unit_name or None),
            ("Unit database file", database_name),
            ("Created on", f"{local.day} {local:%B %Y} ({format_date(created_at)}) at {local:%H:%M}"),
            ("Created by", created_by),
        ]),
        spacer(5),
        box,
        spacer(2),
        para("Eight groups of five capital letters and digits. The spaces and dashes do not matter when "
             "you type it.", "small"),
        heading("What this key is for"),
        para("If every administrator of the unit has forgotten their password, this key is the only way back "
             "in: nobody outside the unit holds a copy or can reset a password for you. It does one thing "
             "only: it lets you set a new password for an administrator's account. It was shown once, when "
             "the unit was set up, and it is not stored anywhere in readable form."),
        heading("Where to keep it"),
        para("Keep this sheet locked away, apart from the laptop: in the unit's safe or a locked cabinet, "
             "where the registered manager can get it. Do not photograph it, email it, or keep a copy on the "
             "laptop or beside it. Anyone holding this key together with the laptop can take over an "
             "administrator's account."),
        para("If the sheet is lost or someone who should not have it may have seen it, tell the registered "
             "manager the same day."),
        heading("How to use it"),
        para(f"1. Open Keyworker. On the sign-in window choose \u201c{SIGN_IN_BUTTON}\u201d\n"
             "2. Step 1 of 2: type the recovery key exactly as printed above, then choose Continue.\n"
             "3. Step 2 of 2: choose the administrator account, type a new password twice, then choose "
             "Set password.\n"
             "4. Sign in with that account and its new password. The audit trail records that the recovery "
             "key was used.\n"
             "5. Put this sheet back where it is kept."),
    ]
    return render(story, title=TITLE, unit_name=unit_name, generated_at=created_at,
                  subject=f"{TITLE}: {unit_name or database_name}")
