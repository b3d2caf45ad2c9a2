"""Append-only records (notes, contacts, key-work sessions): nothing is rewritten. A correction is
a new row with `supersedes_id` and a required `correction_reason`; the old row gets
`superseded_by_id` and stays, so the history shows what it said. Use the `Correctable` columns on
the model and `supersede(...)` inside the service's write transaction."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from keyworker.errors import NotFound, ValidationError

REASON_MAX = 1000


class Correctable:
    """Mix into a Tracked model: who corrected and when are the new row's created_by/created_at."""

    # Not indexed: nearly every row has NULL here, and an index on them leads SQLite to scan by it
    # ("superseded_by_id IS NULL") instead of by time; versions are followed by primary key.
    supersedes_id: Mapped[str | None] = mapped_column(String(36))
    superseded_by_id: Mapped[str | None] = mapped_column(String(36))
    correction_reason: Mapped[str | None] = mapped_column(Text)


R = TypeVar("R", bound=Any)


def clean_reason(reason: Any, field: str = "correction_reason") -> str:
    """The reason for a correction: required, a sentence a person wrote."""
    if reason is not None and not isinstance(reason, str):
        raise ValidationError({field: "Say why this is being corrected."})
    value = (reason or "").strip()
    if not value:
        raise ValidationError({field: "Say why this is being corrected: the original stays in the history."})
    if len(value) > REASON_MAX:
        raise ValidationError({field: f"The reason for the correction is too long (at most {REASON_MAX} characters)."})
    return value


def current_row(session: Session, model: type[R], record_id: str, what: str = "entry") -> R:
    """The row to correct: it exists, and nothing has corrected it yet (correct the newest one)."""
    row = session.get(model, record_id)
    if row is None or row.archived:
        raise NotFound(f"That {what} does not exist.")
    if row.superseded_by_id is not None:
        raise ValidationError({"correction_reason": f"This {what} has already been corrected: correct the newest "
                                                    "version instead."})
    return row


def supersede(session: Session, old: Any, new: Any, reason: str) -> None:
    """Link a correction to what it replaces (both rows stay). `new` is added and flushed here."""
    new.supersedes_id = old.id
    new.correction_reason = reason
    session.add(new)
    session.flush([new])
    old.superseded_by_id = new.id
    session.flush([old])


def chain(session: Session, model: type[R], record_id: str) -> list[R]:
    """Every version of a record, oldest first, from any one of them."""
    row = session.get(model, record_id)
    if row is None:
        return []
    while row.supersedes_id is not None:
        prev = session.get(model, row.supersedes_id)
        if prev is None:
            break
        row = prev
    out = [row]
    while row.superseded_by_id is not None:
        nxt = session.get(model, row.superseded_by_id)
        if nxt is None:
            break
        out.append(nxt)
        row = nxt
    return out


def audit_detail(old_id: str, reason: str) -> dict[str, str]:
    """What a correction's audit entry says besides the new row's id. The reason itself stays on
    the row (it may name health matters; the audit trail holds no more than it must)."""
    return {"supersedes": old_id}


def current_only(model: Any) -> Any:
    """A where-clause: rows no correction has replaced."""
    return model.superseded_by_id.is_(None)


def reason_shown(session: Session, model: Any, row: Any, loaded: Mapping[str, Any] | None = None) -> str:
    """The words shown with an entry: on a superseded one why it was corrected (the reason is on
    the row that replaced it, looked up in `loaded` first); on a correction its own reason."""
    if row.superseded_by_id:
        later = (loaded or {}).get(row.superseded_by_id) or session.get(model, row.superseded_by_id)
        return (later.correction_reason or "") if later is not None else ""
    return str(row.correction_reason or "")
