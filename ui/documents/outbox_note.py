"""What a letter window says about the outbox once a letter is queued: who it waits for, that it
goes when a connection exists, and whether a destination is set up for it yet."""
from __future__ import annotations


def _who(name: str | None, email: str | None) -> str:
    name = (name or "").strip()
    if name and email:
        return f"{name} ({email})"
    return name or email or "the recipient"


def queued_note(name: str | None, email: str | None, *, no_destination: bool = False, created: bool = True,
                what: str = "letter", printable: bool = True) -> str:
    """The sentence under a letter put in the outbox (plain words; no internal codes)."""
    who = _who(name, email)
    if not created:
        text = f"This {what} was already in the outbox for {who}: it is not sent twice."
    else:
        text = f"Waiting in the outbox for {who}: it is sent when the laptop is online."
    if no_destination:
        text += (f" No destination is set up for this kind of {what} yet: a senior or administrator sets one "
                 "in Administration → Destinations.")
    return text + (" You can print or save it as well." if printable else "")
