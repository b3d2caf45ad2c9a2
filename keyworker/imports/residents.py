"""Importing residents and open referrals from a spreadsheet (docs/import-csv.md).
Every row is validated with the same rules as the forms; the report names row, column and
problem. All-or-nothing unless `valid_only`; duplicates (same external id, else same name and
date of birth, names compared by keyworker.text.name_key) are skipped, so importing a file twice
changes nothing. The file is streamed and written in batches of BATCH_ROWS rows, one transaction
each, so that others' short writes get in between; each run is recorded (keyworker.db.imports)
and can be resumed after an interruption or undone as a whole."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from keyworker.clock import local_today
from keyworker.db.caseload import Admission, Referral, Resident
from keyworker.db.foundation import Account
from keyworker.db.imports import DONE, RUNNING, UNDONE, ImportRun
from keyworker.errors import DatabaseError, ImportFileError, NotFound, StorageError
from keyworker.imports.bulk import AuditItem, append_audit, insert_rows, stamp
from keyworker.imports.columns import ALIASES, file_headings, heading, person_in
from keyworker.imports.csv_file import CsvFile, normalise_header, open_csv
from keyworker.imports.runs import ImportRunView, archive_batch, run_view
from keyworker.imports.sample import sample_csv
from keyworker.referrals import OPEN, REFERRAL_FIELDS, validate_admission, validate_referral
from keyworker.residents import (
    EDITABLE_FIELDS,
    format_reference,
    next_reference_no,
    search_text_of,
    validate_resident,
)
from keyworker.security.permissions import Permission
from keyworker.text import name_key
from keyworker.working_days import decision_due

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

RESIDENT, REFERRAL = "resident", "referral"
ADMISSION_COLUMNS = (
    "admitted_on",
    "setting",
    "strand",
    "planned_weeks",
    "key_worker",
    "part_time",
    "part_time_notes",
)
KNOWN_COLUMNS = frozenset({"record_type", *EDITABLE_FIELDS, *REFERRAL_FIELDS, *ADMISSION_COLUMNS})
MAX_PROBLEMS = 5000  # problems (and duplicate row numbers) listed; the rest are only counted
PROGRESS_EVERY = 200  # rows between progress reports: often enough for a bar, rare enough to cost nothing
# An admission whose planned end passed more than this long ago is most likely someone who has
# left: it is flagged, and may be imported as discharged (on its planned end date).
ENDED_LONG_AGO = timedelta(days=28)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ImportProblem:
    row: int  # as the spreadsheet shows it: the header is row 1
    column: str  # our column name ('' for the whole row)
    message: str
    heading: str = ""  # the column as the file heads it ("DOB"), else as a spreadsheet would
    person: str = ""  # who the row is about: name, else NHS number ('' if the row says neither)

    def where(self) -> str:
        """'row 4 (Anna Smith), DOB' for a line of text."""
        who = f" ({self.person})" if self.person else ""
        return f"row {self.row}{who}, {self.heading or heading(self.column) or 'whole row'}"


@dataclass(frozen=True)
class ImportReport:
    rows: int
    ok: int  # valid rows that are new
    invalid: int
    duplicates: int
    residents_imported: int
    referrals_imported: int
    problems: tuple[ImportProblem, ...]  # the first MAX_PROBLEMS
    duplicate_rows: tuple[int, ...]  # the first MAX_PROBLEMS
    encoding: str
    delimiter: str
    ignored_columns: tuple[str, ...]
    dry_run: bool
    valid_only: bool
    import_id: str | None = None  # the run that wrote (undo or resume it with this id)
    problems_not_listed: int = 0
    resumed_after_row: int = 0  # rows up to this one were imported before an interruption
    # Valid admissions whose planned end passed more than ENDED_LONG_AGO before today (the first
    # MAX_PROBLEMS; `ended_long_ago_count` counts them all). With `as_discharged` they are
    # imported discharged on their planned end date, otherwise as current residents.
    ended_long_ago: tuple[ImportProblem, ...] = ()
    ended_long_ago_count: int = 0
    as_discharged: bool = False

    @property
    def imported(self) -> int:
        return self.residents_imported + self.referrals_imported

    @property
    def nothing_imported_because_invalid(self) -> bool:
        return self.invalid > 0 and self.imported == 0 and not self.dry_run

    def ended_summary(self) -> str:
        n = self.ended_long_ago_count
        rows = f"{n} admission{'s' if n != 1 else ''}"
        if self.as_discharged:
            return (f"{rows} ended long ago (the planned end passed more than {ENDED_LONG_AGO.days} days ago): "
                    f"{'imported' if not self.dry_run else 'to be imported'} as discharged on the planned end date.")
        if not self.dry_run and self.imported:
            return (f"{rows} ended long ago (the planned end passed more than {ENDED_LONG_AGO.days} days ago) and "
                    f"{'was' if n == 1 else 'were'} imported as current. If they have left, undo this import (import undo, with "
                    f"its id) and import the file again as discharged.")
        return (f"{rows} ended long ago (the planned end passed more than {ENDED_LONG_AGO.days} days ago) and "
                f"would be imported as current residents. If they have left, import them as discharged; "
                f"otherwise correct the dates.")

    def lines(self) -> list[str]:
        """The report for a person (CLI and the UI's summary)."""
        out = [
            f"Rows read: {self.rows} (encoding {self.encoding}, separator {self.delimiter!r})",
            f"Valid and new: {self.ok}; invalid: {self.invalid}; "
            f"already present (skipped): {self.duplicates}",
        ]
        if self.resumed_after_row:
            out.append(f"Resumed after row {self.resumed_after_row} (imported before the interruption).")
        if self.ignored_columns:
            out.append("Columns not recognised (ignored): " + ", ".join(self.ignored_columns))
        for p in self.problems:
            out.append(f"  {p.where()}: {p.message}")
        if self.problems_not_listed:
            out.append(f"  ... and {self.problems_not_listed} more problems, not listed.")
        if self.ended_long_ago_count:
            out.append(self.ended_summary())
            out.extend(f"  {p.where()}: {p.message}" for p in self.ended_long_ago)
        if self.dry_run:
            out.append("Dry run: nothing was imported.")
        elif self.invalid and not self.valid_only:
            out.append(
                "Nothing was imported because some rows are invalid. Correct them, or import the valid "
                "rows only."
            )
        else:
            out.append(
                f"Imported {self.residents_imported} residents and {self.referrals_imported} open referrals."
            )
        if self.import_id and self.imported:
            out.append(f"Import id: {self.import_id} (to undo it as a whole: import undo {self.import_id})")
        return out


@dataclass(frozen=True)
class _Planned:
    """A valid row, ready to write."""

    row: int
    kind: str
    values: dict[str, Any]
    admission: dict[str, Any] | None
    ext_key: int | None
    name_key: int
    ended: ImportProblem | None = None  # an admission that ended long ago (counted once it is new)


def _record_type(row: Mapping[str, str]) -> str | None:
    kind = (row.get("record_type") or "").strip().lower()
    if kind in ("resident", "residents", "r"):
        return RESIDENT
    if kind in ("referral", "referrals", "open referral", "f"):
        return REFERRAL
    if kind:
        return None
    # Unstated: a row with a receipt time and no admission date is an open referral.
    if (row.get("received_at") or "").strip() and not (row.get("admitted_on") or "").strip():
        return REFERRAL
    return RESIDENT


def _person_key(given: str, family: str, dob: date | None, *extra: Any) -> int:
    # A 64-bit hash, not the names: duplicate detection keeps ~70 bytes a row, whatever the names.
    # (Python's hash is stable within the process, which is all the seen-sets need; a collision
    # among a million rows is about 1 in 10^7.)
    return hash((name_key(given), name_key(family), dob, *extra))


class _Seen:
    """Who is already in the unit (or earlier in the file), as hashed keys. `refresh` adds rows
    written since the last look (by rowid, which only grows): inside a write transaction it sees
    what another import or a person added meanwhile, so two runs never create the same resident."""

    def __init__(self) -> None:
        self.res_ext: set[int] = set()
        self.res_names: set[int] = set()
        self.ref_ext: set[int] = set()
        self.ref_names: set[int] = set()
        self._res_rowid = 0
        self._ref_rowid = 0

    def refresh(self, s: Session) -> None:
        # Residents archived by undoing an import do not count: the corrected file may come in again.
        for rowid, ext, g, f, d in s.execute(
            text("SELECT rowid, external_id, given_name, family_name, date_of_birth FROM residents "
                 "WHERE rowid > :r AND NOT (archived AND import_id IS NOT NULL) ORDER BY rowid"),
            {"r": self._res_rowid},
        ):
            self._res_rowid = rowid
            if ext:
                self.res_ext.add(hash(ext))
            self.res_names.add(_person_key(g, f, date.fromisoformat(d) if d else None))
        for rowid, ext, g, f, d, r, status in s.execute(
            text("SELECT rowid, external_id, given_name, family_name, date_of_birth, received_at, status "
                 "FROM referrals WHERE rowid > :r AND NOT (archived AND import_id IS NOT NULL) ORDER BY rowid"),
            {"r": self._ref_rowid},
        ):
            self._ref_rowid = rowid
            if ext:
                self.ref_ext.add(hash(ext))
            if status == OPEN:
                received = datetime.fromisoformat(r).date() if r else None
                self.ref_names.add(_person_key(g, f, date.fromisoformat(d) if d else None, received))

    def is_new(self, p: _Planned) -> bool:
        """True (and remembered) if `p` is nobody seen yet: same external id, else same name and birth date."""
        ext, names = (self.res_ext, self.res_names) if p.kind == RESIDENT else (self.ref_ext, self.ref_names)
        if (p.ext_key is not None and p.ext_key in ext) or (p.ext_key is None and p.name_key in names):
            return False
        if p.ext_key is not None:
            ext.add(p.ext_key)
        names.add(p.name_key)
        return True


class _Tally:
    """What the report says, kept small: counts, and only the first MAX_PROBLEMS problems."""

    def __init__(self) -> None:
        self.invalid = 0
        self.problems: list[ImportProblem] = []
        self.not_listed = 0
        self.duplicate_rows: list[int] = []
        self.duplicates = 0
        self.ok = 0
        self.residents = 0
        self.referrals = 0
        self.ended: list[ImportProblem] = []
        self.ended_count = 0

    def bad(self, row_no: int, errors: Mapping[str, str], person: str = "") -> None:
        self.invalid += 1
        for col, msg in errors.items():
            if len(self.problems) < MAX_PROBLEMS:
                self.problems.append(ImportProblem(row_no, col, msg, person=person))
            else:
                self.not_listed += 1

    def ended_long_ago(self, problem: ImportProblem) -> None:
        self.ended_count += 1
        if len(self.ended) < MAX_PROBLEMS:
            self.ended.append(problem)

    def duplicate(self, row_no: int) -> None:
        self.duplicates += 1
        if len(self.duplicate_rows) < MAX_PROBLEMS:
            self.duplicate_rows.append(row_no)


class _Bar:
    """progress(done, total) over one or two passes through the file; `done` never goes down."""

    def __init__(self, progress: Progress | None, total: int, passes: int) -> None:
        self.progress, self.total, self.passes, self.last = progress, total, passes, 0  # (0, total) is said first

    def at(self, pass_no: int, done: int, *, force: bool = False) -> None:
        if self.progress is None or not (force or (done and done % PROGRESS_EVERY == 0)):
            return
        value = (pass_no * self.total + done) // self.passes
        if value > self.last:
            self.last = value
            self.progress(value, self.total)


class ImportService:
    """`book.imports`: check and import a file, resume an interrupted import, undo one as a whole."""

    BATCH_ROWS = 2000  # rows a write transaction: a fraction of a second of holding the write lock
    # Between batches the write lock is let go for a little longer than SQLite's busy handler
    # sleeps between tries (100 ms), so a save or a sign-in waiting for it gets its turn.
    PAUSE_SECONDS = 0.11

    def __init__(self, book: Casebook) -> None:
        self._book = book

    # -- the public calls -------------------------------------------------------------------
    def residents(
        self,
        source: str | Path | bytes,
        *,
        valid_only: bool = False,
        dry_run: bool = False,
        progress: Progress | None = None,
        encoding: str | None = None,
        as_discharged: bool = False,
    ) -> ImportReport:
        """Check (and unless `dry_run`, import) a CSV file. `as_discharged`: admissions whose planned
        end passed long ago (ImportReport.ended_long_ago) are imported discharged on that date.
        `progress(done, total)` is called on the calling thread: every PROGRESS_EVERY rows, and once with (total, total) when everything,
        the write included, is finished. `done` never goes down. All or nothing (unless
        `valid_only`) means: the whole file is checked first, and written only if every row is valid;
        it is then written in batches, which a crash can interrupt: `resume` finishes the run."""
        self._book.require(Permission.IMPORT)
        csv_file = open_csv(source, ALIASES, encoding)
        total = csv_file.rows_total
        if progress is not None:
            progress(0, total)
        passes = 1 if dry_run or valid_only else 2
        bar = _Bar(progress, total, passes)
        if dry_run or not valid_only:
            tally = self._check(csv_file, bar, as_discharged)
            if dry_run or tally.invalid or not tally.ok:
                bar.at(passes - 1, total, force=True)
                return self._report(csv_file, tally, dry_run=dry_run, valid_only=valid_only,
                                    as_discharged=as_discharged)
        if not total:
            return self._report(csv_file, _Tally(), dry_run=False, valid_only=valid_only)
        run_id = self._start(csv_file, valid_only)
        tally = self._write_run(csv_file, run_id, after_row=0, bar=bar, pass_no=passes - 1,
                                as_discharged=as_discharged)
        return self._report(csv_file, tally, dry_run=False, valid_only=valid_only, import_id=run_id,
                            as_discharged=as_discharged)

    def resume(
        self, import_id: str, source: str | Path | bytes, *, progress: Progress | None = None,
        encoding: str | None = None, as_discharged: bool = False,
    ) -> ImportReport:
        """Finish an interrupted import from the same file: rows already committed are skipped by
        number, and any row written twice would be caught as a duplicate anyway. Give
        `as_discharged` as the import was started."""
        self._book.require(Permission.IMPORT)
        run = self._run(import_id)
        if run.status != RUNNING:
            raise ImportFileError(f"The import of {run.file_name} is {run.status}: there is nothing to resume.")
        csv_file = open_csv(source, ALIASES, encoding or (run.encoding if run.encoding == "windows-1252" else None))
        if csv_file.sha256 != run.file_sha256:
            raise ImportFileError(
                f"{csv_file.name} is not the file that import was reading ({run.file_name}, as it was then). "
                "Resume it with that file, or undo it and import the new file."
            )
        if progress is not None:
            progress(0, csv_file.rows_total)
        bar = _Bar(progress, csv_file.rows_total, 1)
        tally = self._write_run(csv_file, run.id, after_row=run.rows_done, bar=bar, pass_no=0,
                                as_discharged=as_discharged)
        return self._report(csv_file, tally, dry_run=False, valid_only=run.valid_only, import_id=run.id,
                            resumed_after_row=run.rows_done, as_discharged=as_discharged)

    def sample(self) -> str:
        """A sample CSV file for this unit (keyworker.imports.sample): today's dates, and the unit's
        own key workers by full name, so that every row of it imports as current."""
        self._book.require(Permission.IMPORT)
        with self._book._read() as s:
            names = tuple(s.scalars(
                select(Account.full_name).where(Account.archived.is_(False), Account.disabled.is_(False),
                                                Account.role.in_(("key_worker", "senior")))
                .order_by(Account.role, Account.full_name).limit(2)))
        return sample_csv(local_today(self._book.clock), names)

    def runs(self) -> list[ImportRunView]:
        """Imports, newest first (an interrupted one has status 'running')."""
        self._book.require(Permission.IMPORT)
        with self._book._read() as s:
            return [run_view(r) for r in s.scalars(select(ImportRun).order_by(ImportRun.created_at.desc(), ImportRun.id.desc()))]

    def undo(self, import_id: str) -> ImportRunView:
        """Archive everything an import created (residents, their admissions, open referrals), in
        batches; audited as one `import.undo`. Running it again after an interruption finishes it."""
        self._book.require(Permission.IMPORT)
        run = self._run(import_id)
        if run.status == UNDONE:
            raise ImportFileError(f"The import of {run.file_name} has already been undone.")
        counts = {"residents": 0, "referrals": 0}
        for table in ("residents", "referrals"):
            while True:
                with self._book._write() as s:
                    n = archive_batch(s, table, import_id, self._book.clock.now(), self.BATCH_ROWS)
                counts[table] += n
                if n < self.BATCH_ROWS:
                    break
                time.sleep(self.PAUSE_SECONDS)
        with self._book._write() as s:
            r = s.get(ImportRun, import_id)
            assert r is not None
            r.status = UNDONE
            self._book._record(s, "import.undo", "import", import_id,
                               detail={"file": r.file_name, **counts})
            view = run_view(r)
        return view

    # -- checking ---------------------------------------------------------------------------
    def _rules(self, as_discharged: bool) -> _Rules:
        with self._book._read() as s:
            workers: dict[str, str] = {}
            for a in s.scalars(
                select(Account).where(
                    Account.archived.is_(False),
                    Account.disabled.is_(False),
                    Account.role.in_(("key_worker", "senior")),
                )
            ):
                workers[a.username.lower()] = a.id
                workers.setdefault(a.full_name.lower(), a.id)
        return _Rules(workers, local_today(self._book.clock), self._book.clock.now(), as_discharged)

    def _check(self, csv_file: CsvFile, bar: _Bar, as_discharged: bool) -> _Tally:
        """Every row through the rules, nothing written (a dry run, or before all-or-nothing)."""
        rules, seen, tally = self._rules(as_discharged), _Seen(), _Tally()
        with self._book._read() as s:
            seen.refresh(s)
        for done, (row_no, row) in enumerate(csv_file.rows()):
            bar.at(0, done)
            planned = rules.check(row_no, row, tally)
            if planned is None:
                continue
            if seen.is_new(planned):
                tally.ok += 1
                if planned.ended is not None:
                    tally.ended_long_ago(planned.ended)
            else:
                tally.duplicate(row_no)
        return tally

    # -- writing, batch by batch ------------------------------------------------------------
    def _start(self, csv_file: CsvFile, valid_only: bool) -> str:
        with self._book._write() as s:
            run = ImportRun(file_name=csv_file.name[:255], file_sha256=csv_file.sha256, encoding=csv_file.encoding,
                            valid_only=valid_only, status=RUNNING, rows_done=0, rows_total=csv_file.rows_total,
                            residents=0, referrals=0)
            s.add(run)
            s.flush()
            self._book._record(s, "import.start", "import", run.id,
                               detail={"file": run.file_name, "rows": run.rows_total, "valid_only": valid_only})
            return run.id

    def _write_run(self, csv_file: CsvFile, run_id: str, *, after_row: int, bar: _Bar, pass_no: int,
                   as_discharged: bool) -> _Tally:
        rules, seen, tally = self._rules(as_discharged), _Seen(), _Tally()
        with self._book._read() as s:
            seen.refresh(s)  # the bulk of it outside the write lock; each batch adds what is newer
        batch: list[_Planned] = []
        last_row = committed = after_row
        try:
            for done, (row_no, row) in enumerate(csv_file.rows()):
                bar.at(pass_no, done)
                if row_no <= after_row:
                    continue
                last_row = row_no
                planned = rules.check(row_no, row, tally)
                if planned is not None:
                    batch.append(planned)
                if len(batch) >= self.BATCH_ROWS:
                    self._write_batch(run_id, batch, seen, tally, last_row)
                    batch, committed = [], last_row
                    time.sleep(self.PAUSE_SECONDS)
            self._write_batch(run_id, batch, seen, tally, last_row, final=True)
        except (DatabaseError, StorageError, ImportFileError) as e:
            # Whole batches are kept: say how to go on, not only what went wrong.
            raise type(e)(f"{e} The import stopped after row {committed}; what was imported so far is kept. "
                          f"Resume it with the same file, or undo it (import id {run_id}).") from e
        bar.at(pass_no, csv_file.rows_total, force=True)
        return tally

    def _write_batch(self, run_id: str, batch: list[_Planned], seen: _Seen, tally: _Tally, last_row: int,
                     *, final: bool = False) -> None:
        book = self._book
        with book._write() as s:
            seen.refresh(s)
            new = []
            for p in batch:
                if seen.is_new(p):
                    new.append(p)
                else:
                    tally.duplicate(p.row)
            n_res, n_ref = write_rows(s, book, run_id, new)
            tally.ok += len(new)
            for p in new:
                if p.ended is not None:
                    tally.ended_long_ago(p.ended)
            tally.residents += n_res
            tally.referrals += n_ref
            run = s.get(ImportRun, run_id)
            assert run is not None
            run.rows_done = last_row
            run.residents += n_res
            run.referrals += n_ref
            if final:
                run.status = DONE
                book._record(s, "import.residents", "import", run_id,
                             detail={"residents": run.residents, "referrals": run.referrals, "file": run.file_name})

    # -- helpers ----------------------------------------------------------------------------
    def _run(self, import_id: str) -> ImportRun:
        with self._book._read() as s:
            run = s.get(ImportRun, import_id)
        if run is None:
            raise NotFound(f"There is no import {import_id}.")
        return run

    def _report(self, csv_file: CsvFile, tally: _Tally, *, dry_run: bool, valid_only: bool,
                import_id: str | None = None, resumed_after_row: int = 0, as_discharged: bool = False) -> ImportReport:
        named = file_headings(csv_file.header, csv_file.original_header)

        def headed(problems: list[ImportProblem]) -> tuple[ImportProblem, ...]:
            return tuple(replace(p, heading=named.get(p.column) or heading(p.column))
                         for p in sorted(problems, key=lambda p: (p.row, p.column)))

        return ImportReport(
            rows=csv_file.rows_total,
            ok=tally.ok,
            invalid=tally.invalid,
            duplicates=tally.duplicates,
            residents_imported=tally.residents,
            referrals_imported=tally.referrals,
            problems=headed(tally.problems),
            duplicate_rows=tuple(tally.duplicate_rows),
            encoding=csv_file.encoding,
            delimiter=csv_file.delimiter,
            ignored_columns=tuple(
                h for h in csv_file.original_header if h.strip() and read_alias(h) not in KNOWN_COLUMNS
            ),
            dry_run=dry_run,
            valid_only=valid_only,
            import_id=import_id,
            problems_not_listed=tally.not_listed,
            resumed_after_row=resumed_after_row,
            ended_long_ago=headed(tally.ended),
            ended_long_ago_count=tally.ended_count,
            as_discharged=as_discharged,
        )


@dataclass(frozen=True)
class _Rules:
    """The forms' validation rules, applied to one spreadsheet row."""

    workers: dict[str, str]  # user name or full name (lower case) -> account id
    today: date
    now: datetime
    as_discharged: bool = False

    def check(self, row_no: int, row: Mapping[str, str], tally: _Tally) -> _Planned | None:
        person = person_in(row)
        if "__extra__" in row:
            tally.bad(row_no, {"": "This row has more values than the header has columns."}, person)
            return None
        kind = _record_type(row)
        if kind is None:
            tally.bad(row_no, {"record_type": "Write 'resident' or 'referral' (or leave it blank)."}, person)
            return None
        if kind == REFERRAL:
            values, errors = validate_referral({k: row.get(k) for k in REFERRAL_FIELDS}, now=self.now)
            if errors:
                tally.bad(row_no, errors, person)
                return None
            ext = values.get("external_id")
            key = _person_key(values["given_name"], values["family_name"], values.get("date_of_birth"),
                              values["received_at"].astimezone(UTC).date())
            return _Planned(row_no, REFERRAL, values, None, hash(ext) if ext else None, key)
        adm_values: dict[str, Any] | None = None
        errors = {}
        if any((row.get(c) or "").strip() for c in ADMISSION_COLUMNS):
            data: dict[str, Any] = {c: row.get(c) for c in ADMISSION_COLUMNS}
            worker = (row.get("key_worker") or "").strip().lower()
            data["key_worker_id"] = self.workers.get(worker, "?" if worker else None)
            adm_values, errors = validate_admission(data, today=self.today)
            if adm_values.get("key_worker_id") == "?":
                errors["key_worker"] = f"{row.get('key_worker')} is not a key worker's user name or full name."
            if "key_worker_id" in errors:
                errors["key_worker"] = errors.pop("key_worker_id")
        values, rerrors = validate_resident(
            {k: row.get(k) for k in EDITABLE_FIELDS if k in row or k in ("given_name", "family_name", "date_of_birth")},
            admitted_on=adm_values.get("admitted_on") if adm_values else None,
            today=self.today,
        )
        errors = {**rerrors, **errors}
        if errors:
            tally.bad(row_no, errors, person)
            return None
        ended = self._ended_long_ago(row_no, person, adm_values) if adm_values is not None else None
        ext = values.get("external_id")
        key = _person_key(values["given_name"], values["family_name"], values["date_of_birth"])
        return _Planned(row_no, RESIDENT, values, adm_values, hash(ext) if ext else None, key, ended)


    def _ended_long_ago(self, row_no: int, person: str, adm: dict[str, Any]) -> ImportProblem | None:
        """Flag an admission whose planned end passed long ago; with `as_discharged`, close it then."""
        end = adm["admitted_on"] + timedelta(weeks=adm["planned_weeks"])
        if self.today - end <= ENDED_LONG_AGO:
            return None
        when = (f"admitted {adm['admitted_on']:%d/%m/%Y} for {adm['planned_weeks']} weeks: the planned end, "
                f"{end:%d/%m/%Y}, was {(self.today - end).days} days ago")
        if self.as_discharged:
            adm["discharged_on"] = end
            message = f"Imported as discharged on {end:%d/%m/%Y} ({when})."
        else:
            message = f"Still here? {when[0].upper()}{when[1:]}. If they have left, import it as discharged."
        return ImportProblem(row_no, "admitted_on", message, person=person)


def write_rows(s: Session, book: Casebook, import_id: str, planned: list[_Planned]) -> tuple[int, int]:
    """Insert one batch of new rows (and their audit entries) inside the caller's transaction.
    Returns (residents, referrals) written."""
    ref_no = next_reference_no(s)
    residents: list[dict[str, Any]] = []
    admissions: list[dict[str, Any]] = []
    referrals: list[dict[str, Any]] = []
    audit: list[AuditItem] = []
    source = {"source": "import", "import": import_id}
    for p in planned:
        v = p.values
        if p.kind == REFERRAL:
            row = stamp(book, {k: v.get(k) for k in REFERRAL_FIELDS})
            row.update(
                status=OPEN,
                decision_due_on=decision_due(v["received_at"]),
                decided_at=None,
                decided_by=None,
                decline_category=None,
                decline_reason=None,
                resident_id=None,
                import_id=import_id,
            )
            referrals.append(row)
            audit.append(AuditItem("referral.create", "referral", row["id"], None,
                                   {"category": row["category"], **source}))
            continue
        row = stamp(book, {k: v.get(k) for k in (*EDITABLE_FIELDS, "district_in_lancashire")})
        row.update(reference=format_reference(ref_no), reference_no=ref_no, import_id=import_id)
        ref_no += 1
        row["search_text"] = search_text_of(
            row["given_name"], row["family_name"], row["preferred_name"], row["reference"], row["postcode"]
        )
        adm = p.admission
        discharged = adm.get("discharged_on") if adm else None
        # Denormalised for the caseload: the key worker of a current admission only.
        row["key_worker_id"] = adm["key_worker_id"] if adm and discharged is None else None
        residents.append(row)
        audit.append(AuditItem("resident.create", "resident", row["id"], row["id"],
                               {"reference": row["reference"], **source}))
        if adm:
            admission = stamp(book, {
                **{k: adm[k] for k in ("admitted_on", "setting", "strand", "planned_weeks", "key_worker_id",
                                       "part_time", "part_time_notes")},
                # A long-ended admission imported as discharged: closed on its planned end date; the
                # kind of discharge (planned or not) is not known, so it is left unrecorded.
                "resident_id": row["id"], "referral_id": None, "discharged_on": discharged, "discharge_type": None,
            })
            admissions.append(admission)
            audit.append(AuditItem("admission.create", "admission", admission["id"], row["id"],
                                   {**source, "discharged_on": discharged.isoformat()} if discharged else source))
    insert_rows(s, Resident, residents)
    insert_rows(s, Admission, admissions)
    insert_rows(s, Referral, referrals)
    append_audit(s, book, audit)
    return len(residents), len(referrals)


def read_alias(header: str) -> str:
    return normalise_header(header, ALIASES)
