"""Printing discharge summaries (issue 13): the papers a manager prints or saves for the discharges
of a date range. No Qt: the print dialog (ui/discharges/print_summaries.py) and the command
`main.py print discharge-summaries` share it.

For each discharge that ended a stay in the range (`book.discharges.between`, UK dates, both
included), the printable summary is its `letter_document_id`: the discharge letter of a planned
discharge, the complete discharge summary of an unplanned one. An unplanned discharge whose
complete summary is not made yet prints its brief out-of-hours summary behind a page that says
so; a discharge with no paper at all prints that page alone, so the pile has one entry for every
discharge. Every stored document is read through `book.documents.content(id, purpose)`, so each
print or save is audited. Every file written is owner-only (0600, `write_private`); a folder
created for them is owner-only too (0700)."""
from __future__ import annotations

import io
import os
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keyworker.errors import StorageError, ValidationError
from keyworker.validation import parse_date

if TYPE_CHECKING:
    from keyworker.casebook import Casebook
    from keyworker.discharges import DischargeRow

PURPOSES = ("print", "save")
NOT_MADE_YET = "The complete discharge summary has not been made yet"
NO_SUMMARY = "No discharge summary has been made for this discharge"


@dataclass(frozen=True)
class PrintedSummary:
    """What each entry is, in words for the list: the letter, the complete summary, or a note."""

    row: DischargeRow
    pdf: bytes
    what: str  # "Discharge letter" / "Complete discharge summary" / "Out-of-hours summary (complete one not made yet)" / "No summary yet"


def _day(value: date | str, field: str, label: str) -> date:
    try:
        return parse_date(value)
    except ValueError as e:
        raise ValidationError({field: f"{label}: write the date as dd/mm/yyyy ({e})."}) from e


def parse_range(start: date | str, end: date | str) -> tuple[date, date]:
    """The range's two days from dates or UK text, checked in words."""
    lo, hi = _day(start, "start", "From"), _day(end, "end", "To")
    if hi < lo:
        raise ValidationError({"end": "The end date is before the start date."})
    return lo, hi


def _note_page(book: Casebook, row: DischargeRow, text: str) -> bytes:
    """One page in front of (or instead of) the summary, saying plainly what is and is not there."""
    from keyworker.clock import format_datetime
    from keyworker.documents.layout import fields, letterhead, para, render, spacer
    from keyworker.unit_profile import read_profile

    with book._read() as s:
        profile = read_profile(s)
    story = [*letterhead(profile), para(text, "title"), spacer(2),
             fields([("Resident", row.resident_name), ("Our reference", row.reference),
                     ("Discharge", f"{row.type_label}, {format_datetime(row.occurred_at)}"),
                     ("State", row.state_label)])]
    if row.summary_document_id and not row.letter_document_id:
        story.append(para("The brief out-of-hours summary sent at the time follows. The complete summary "
                          "is due within 24 hours of the discharge" + (" and is overdue." if row.summary_overdue
                                                                       else ".")))
    return render(story, title="Discharge summary", generated_at=book.clock.now(), profile=profile,
                  running_header=f"{row.resident_name}  ·  {row.reference}")


def _join(parts: Sequence[bytes]) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(io.BytesIO(part))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def summary_of(book: Casebook, row: DischargeRow, purpose: str = "print") -> PrintedSummary:
    """The printable paper of one discharge (see the module's words); stored documents read audited."""
    if purpose not in PURPOSES:
        raise ValidationError({"purpose": "Say whether the summaries are to be printed or saved."})
    if row.letter_document_id:
        what = "Discharge letter" if row.path == "planned" else "Complete discharge summary"
        return PrintedSummary(row, book.documents.content(row.letter_document_id, purpose), what)
    if row.summary_document_id:
        brief = book.documents.content(row.summary_document_id, purpose)
        return PrintedSummary(row, _join([_note_page(book, row, NOT_MADE_YET), brief]),
                              "Out-of-hours summary (the complete one is not made yet)")
    return PrintedSummary(row, _note_page(book, row, NO_SUMMARY), "No summary yet")


def rows_between(book: Casebook, start: date | str, end: date | str) -> list[DischargeRow]:
    """The discharges of the range that ended a stay, oldest first (a list; nothing is read)."""
    lo, hi = parse_range(start, end)
    return list(book.discharges.between(lo, hi))


def summaries_between(book: Casebook, start: date | str, end: date | str, *, ids: Collection[str] | None = None,
                      purpose: str = "print",
                      progress: Callable[[int, int], None] | None = None) -> list[tuple[DischargeRow, bytes]]:
    """Each discharge of the range (only those in `ids` when given) with its printable PDF."""
    return [(p.row, p.pdf) for p in printed_between(book, start, end, ids=ids, purpose=purpose, progress=progress)]


def printed_between(book: Casebook, start: date | str, end: date | str, *, ids: Collection[str] | None = None,
                    purpose: str = "print",
                    progress: Callable[[int, int], None] | None = None) -> list[PrintedSummary]:
    rows = [r for r in rows_between(book, start, end) if ids is None or r.id in ids]
    out: list[PrintedSummary] = []
    for i, row in enumerate(rows):
        out.append(summary_of(book, row, purpose))
        if progress is not None:
            progress(i + 1, len(rows))
    return out


def file_name(row: DischargeRow) -> str:
    """The date and our reference, never the resident's name (a file name is seen in lists)."""
    from keyworker.clock import to_local

    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in row.reference)
    return f"discharge-summary-{to_local(row.occurred_at):%Y-%m-%d}-{safe}.pdf"


def private_folder(folder: Path | str) -> Path:
    """The folder for the files: created owner-only (0700) if it is not there; an existing one is
    used as it is (it must be a folder, not a link)."""
    target = Path(folder)
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise StorageError(f"{target} is not a folder")
    if not target.exists():
        try:
            target.mkdir(mode=0o700, parents=True)
            os.chmod(target, 0o700)  # whatever the umask
        except OSError as e:
            raise StorageError(f"could not create the folder {target}: {e.strerror or e}") from e
    return target


def save_each(items: Sequence[tuple[DischargeRow, bytes]] | Sequence[Any], folder: Path | str, *,
              overwrite: bool = False, progress: Callable[[int, int], None] | None = None) -> list[Path]:
    """One PDF per discharge in `folder` (created 0700 when new), each 0600. An existing file of
    the same name is refused unless `overwrite`, before anything is written."""
    from keyworker.reports.files import write_private

    pairs = [(x.row, x.pdf) if isinstance(x, PrintedSummary) else x for x in items]
    target = private_folder(folder)
    names = _unique_names([row for row, _ in pairs])
    if not overwrite:
        taken = [n for n in names if (target / n).exists() or (target / n).is_symlink()]
        if taken:
            raise StorageError(f"{target / taken[0]} already exists"
                               + (f" (and {len(taken) - 1} more)" if len(taken) > 1 else "")
                               + ". Choose another folder, or replace them.")
    written: list[Path] = []
    for i, ((_row, pdf), name) in enumerate(zip(pairs, names, strict=True)):
        written.append(write_private(target / name, pdf))
        if progress is not None:
            progress(i + 1, len(pairs))
    return written


def save_combined(items: Sequence[tuple[DischargeRow, bytes]] | Sequence[Any], path: Path | str) -> Path:
    """Every summary in one PDF, in the list's order, owner-only (0600)."""
    from keyworker.reports.files import write_private

    pdfs = [x.pdf if isinstance(x, PrintedSummary) else x[1] for x in items]
    if not pdfs:
        raise ValidationError({"": "There are no discharge summaries to save."})
    return write_private(Path(path), _join(pdfs))


def combined(items: Sequence[tuple[DischargeRow, bytes]] | Sequence[Any]) -> bytes:
    return _join([x.pdf if isinstance(x, PrintedSummary) else x[1] for x in items])


def _unique_names(rows: Sequence[DischargeRow]) -> list[str]:
    seen: dict[str, int] = {}
    out: list[str] = []
    for row in rows:
        name = file_name(row)
        n = seen.get(name, 0)
        seen[name] = n + 1
        out.append(name if n == 0 else name.replace(".pdf", f"-{n + 1}.pdf"))
    return out
