"""Importing residents and open referrals from a spreadsheet (docs/import-csv.md).
Every row is validated with the same rules as the forms; the report names row, column and
problem. All-or-nothing unless `valid_only`; duplicates (same external id, else same name and
date of birth) are skipped, so importing a file twice changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from keyworker.clock import local_today
from keyworker.db.caseload import Admission, Referral, Resident
from keyworker.db.foundation import Account
from keyworker.imports.bulk import AuditItem, append_audit, insert_rows, stamp
from keyworker.imports.csv_file import read_csv
from keyworker.referrals import OPEN, REFERRAL_FIELDS, validate_admission, validate_referral
from keyworker.residents import (
    EDITABLE_FIELDS,
    format_reference,
    next_reference_no,
    search_text_of,
    validate_resident,
)
from keyworker.security.permissions import Permission
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
# Spreadsheet headings people actually use -> our column names.
ALIASES = {
    "type": "record_type",
    "record": "record_type",
    "first_name": "given_name",
    "forename": "given_name",
    "forenames": "given_name",
    "surname": "family_name",
    "last_name": "family_name",
    "dob": "date_of_birth",
    "birth_date": "date_of_birth",
    "nhs_no": "nhs_number",
    "nhs": "nhs_number",
    "gender": "gender_identity",
    "post_code": "postcode",
    "gp": "gp_practice",
    "id": "external_id",
    "client_id": "external_id",
    "reference": "external_id",
    "referral_received": "received_at",
    "date_received": "received_at",
    "referrer": "referrer_name",
    "ctp": "community_treatment_provider",
    "admission_category": "category",
    "assessment": "assessment_summary",
    "admission_date": "admitted_on",
    "date_admitted": "admitted_on",
    "planned_length_weeks": "planned_weeks",
    "weeks": "planned_weeks",
    "keyworker": "key_worker",
    "key_worker_name": "key_worker",
    "substance": "primary_substance",
    "route": "primary_route",
    "next_of_kin": "next_of_kin_name",
    "nok_name": "next_of_kin_name",
    "nok_phone": "next_of_kin_phone",
    "nok_relationship": "next_of_kin_relationship",
}
MAX_PROBLEMS = 5000
PROGRESS_EVERY = 200  # rows between progress reports: often enough for a bar, rare enough to cost nothing

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ImportProblem:
    row: int  # as the spreadsheet shows it: the header is row 1
    column: str
    message: str


@dataclass(frozen=True)
class ImportReport:
    rows: int
    ok: int  # valid rows that are new
    invalid: int
    duplicates: int
    residents_imported: int
    referrals_imported: int
    problems: tuple[ImportProblem, ...]
    duplicate_rows: tuple[int, ...]
    encoding: str
    delimiter: str
    ignored_columns: tuple[str, ...]
    dry_run: bool
    valid_only: bool

    @property
    def imported(self) -> int:
        return self.residents_imported + self.referrals_imported

    @property
    def nothing_imported_because_invalid(self) -> bool:
        return self.invalid > 0 and self.imported == 0 and not self.dry_run

    def lines(self) -> list[str]:
        """The report for a person (CLI and the UI's summary)."""
        out = [
            f"Rows read: {self.rows} (encoding {self.encoding}, separator {self.delimiter!r})",
            f"Valid and new: {self.ok}; invalid: {self.invalid}; "
            f"already present (skipped): {self.duplicates}",
        ]
        if self.ignored_columns:
            out.append("Columns not recognised (ignored): " + ", ".join(self.ignored_columns))
        for p in self.problems:
            out.append(f"  row {p.row}, {p.column or 'row'}: {p.message}")
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
        return out


@dataclass
class _Plan:
    residents: list[dict[str, Any]] = field(default_factory=list)
    admissions: list[dict[str, Any]] = field(default_factory=list)
    referrals: list[dict[str, Any]] = field(default_factory=list)


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


def _name_key(given: str, family: str, dob: date | None) -> tuple[str, str, date | None]:
    return (" ".join(given.lower().split()), " ".join(family.lower().split()), dob)


class ImportService:
    """`book.imports`."""

    def __init__(self, book: Casebook) -> None:
        self._book = book

    def residents(
        self,
        source: str | Path | bytes,
        *,
        valid_only: bool = False,
        dry_run: bool = False,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Check (and unless `dry_run`, import) a CSV file. `progress(done, total)` is called on the
        calling thread with rows checked so far: every PROGRESS_EVERY rows, and once with
        (total, total) when everything, the write included, is finished. `done` never goes down."""
        self._book.require(Permission.IMPORT)
        table = read_csv(source, ALIASES)
        total = len(table.rows)
        if progress is not None:
            progress(0, total)
        ignored = tuple(h for h in table.original_header if h.strip() and read_alias(h) not in KNOWN_COLUMNS)
        today = local_today(self._book.clock)
        now = self._book.clock.now()
        problems: list[ImportProblem] = []
        invalid_rows: set[int] = set()
        duplicate_rows: list[int] = []
        plan = _Plan()

        with self._book._read() as s:
            workers = {}
            for a in s.scalars(
                select(Account).where(
                    Account.archived.is_(False),
                    Account.disabled.is_(False),
                    Account.role.in_(("key_worker", "senior")),
                )
            ):
                workers[a.username.lower()] = a.id
                workers.setdefault(a.full_name.lower(), a.id)
            res_ext = {
                e for e in s.scalars(select(Resident.external_id).where(Resident.external_id.is_not(None)))
            }
            res_names = {
                _name_key(g, f, d)
                for g, f, d in s.execute(
                    select(Resident.given_name, Resident.family_name, Resident.date_of_birth)
                )
            }
            ref_ext = {
                e for e in s.scalars(select(Referral.external_id).where(Referral.external_id.is_not(None)))
            }
            ref_names = {
                (*_name_key(g, f, d), r.date() if r else None)
                for g, f, d, r in s.execute(
                    select(
                        Referral.given_name,
                        Referral.family_name,
                        Referral.date_of_birth,
                        Referral.received_at,
                    ).where(Referral.status == OPEN)
                )
            }

        def bad(row_no: int, errors: Mapping[str, str]) -> None:
            invalid_rows.add(row_no)
            for col, msg in errors.items():
                if len(problems) < MAX_PROBLEMS:
                    problems.append(ImportProblem(row_no, col, msg))

        for done, (row_no, row) in enumerate(table.rows):
            if progress is not None and done and done % PROGRESS_EVERY == 0:
                progress(done, total)
            if "__extra__" in row:
                bad(row_no, {"": "This row has more values than the header has columns."})
                continue
            kind = _record_type(row)
            if kind is None:
                bad(row_no, {"record_type": "Write 'resident' or 'referral' (or leave it blank)."})
                continue
            if kind == REFERRAL:
                values, errors = validate_referral({k: row.get(k) for k in REFERRAL_FIELDS}, now=now)
                if errors:
                    bad(row_no, errors)
                    continue
                ext = values.get("external_id")
                rkey = (
                    *_name_key(values["given_name"], values["family_name"], values.get("date_of_birth")),
                    values["received_at"].date(),
                )
                if (ext and ext in ref_ext) or (not ext and rkey in ref_names):
                    duplicate_rows.append(row_no)
                    continue
                if ext:
                    ref_ext.add(ext)
                ref_names.add(rkey)
                values["_row"] = row_no
                plan.referrals.append(values)
                continue
            adm_values: dict[str, Any] | None = None
            errors = {}
            if any((row.get(c) or "").strip() for c in ADMISSION_COLUMNS):
                data = {c: row.get(c) for c in ADMISSION_COLUMNS}
                worker = (row.get("key_worker") or "").strip().lower()
                data["key_worker_id"] = workers.get(worker, "?" if worker else None)
                adm_values, errors = validate_admission(data, today=today)
                if adm_values.get("key_worker_id") == "?":
                    errors["key_worker"] = (
                        f"{row.get('key_worker')} is not a key worker's user name or full name."
                    )
                if "key_worker_id" in errors:
                    errors["key_worker"] = errors.pop("key_worker_id")
            values, rerrors = validate_resident(
                {
                    k: row.get(k)
                    for k in EDITABLE_FIELDS
                    if k in row or k in ("given_name", "family_name", "date_of_birth")
                },
                admitted_on=adm_values.get("admitted_on") if adm_values else None,
                today=today,
            )
            errors = {**rerrors, **errors}
            if errors:
                bad(row_no, errors)
                continue
            ext = values.get("external_id")
            key = _name_key(values["given_name"], values["family_name"], values["date_of_birth"])
            if (ext and ext in res_ext) or (not ext and key in res_names):
                duplicate_rows.append(row_no)
                continue
            if ext:
                res_ext.add(ext)
            res_names.add(key)
            values["_row"] = row_no
            values["_admission"] = adm_values
            plan.residents.append(values)

        invalid = len(invalid_rows)
        write = not dry_run and (invalid == 0 or valid_only) and (plan.residents or plan.referrals)
        if write:
            self._write(plan)
        if progress is not None and total:
            progress(total, total)
        n_res = len(plan.residents) if write else 0
        n_ref = len(plan.referrals) if write else 0
        problems.sort(key=lambda p: (p.row, p.column))
        return ImportReport(
            rows=len(table.rows),
            ok=len(plan.residents) + len(plan.referrals),
            invalid=invalid,
            duplicates=len(duplicate_rows),
            residents_imported=n_res,
            referrals_imported=n_ref,
            problems=tuple(problems),
            duplicate_rows=tuple(duplicate_rows),
            encoding=table.encoding,
            delimiter=table.delimiter,
            ignored_columns=ignored,
            dry_run=dry_run,
            valid_only=valid_only,
        )

    def _write(self, plan: _Plan) -> None:
        book = self._book
        with book._write() as s:
            ref_no = next_reference_no(s)
            residents, admissions, referrals, audit = [], [], [], []
            for v in plan.residents:
                adm = v.pop("_admission")
                v.pop("_row")
                row = stamp(book, {k: v.get(k) for k in (*EDITABLE_FIELDS, "district_in_lancashire")})
                row.update(reference=format_reference(ref_no), reference_no=ref_no)
                ref_no += 1
                row["search_text"] = search_text_of(
                    row["given_name"],
                    row["family_name"],
                    row["preferred_name"],
                    row["reference"],
                    row["postcode"],
                )
                if adm:
                    adm = {
                        k: adm[k]
                        for k in (
                            "admitted_on",
                            "setting",
                            "strand",
                            "planned_weeks",
                            "key_worker_id",
                            "part_time",
                            "part_time_notes",
                        )
                    }
                    admissions.append(
                        stamp(
                            book,
                            {
                                **adm,
                                "resident_id": row["id"],
                                "referral_id": None,
                                "discharged_on": None,
                                "discharge_type": None,
                            },
                        )
                    )
                    row["key_worker_id"] = adm["key_worker_id"]
                else:
                    row["key_worker_id"] = None
                residents.append(row)
                audit.append(
                    AuditItem(
                        "resident.create",
                        "resident",
                        row["id"],
                        row["id"],
                        {"reference": row["reference"], "source": "import"},
                    )
                )
                if adm:
                    audit.append(
                        AuditItem(
                            "admission.create",
                            "admission",
                            admissions[-1]["id"],
                            row["id"],
                            {"source": "import"},
                        )
                    )
            for v in plan.referrals:
                v.pop("_row")
                row = stamp(book, {k: v.get(k) for k in REFERRAL_FIELDS})
                row.update(
                    status=OPEN,
                    decision_due_on=decision_due(v["received_at"]),
                    decided_at=None,
                    decided_by=None,
                    decline_category=None,
                    decline_reason=None,
                    resident_id=None,
                )
                referrals.append(row)
                audit.append(
                    AuditItem(
                        "referral.create",
                        "referral",
                        row["id"],
                        None,
                        {"category": row["category"], "source": "import"},
                    )
                )
            insert_rows(s, Resident, residents)
            insert_rows(s, Admission, admissions)
            insert_rows(s, Referral, referrals)
            audit.append(
                AuditItem(
                    "import.residents",
                    "unit",
                    None,
                    None,
                    {"residents": len(residents), "referrals": len(referrals)},
                )
            )
            append_audit(s, book, audit)


def read_alias(header: str) -> str:
    from keyworker.imports.csv_file import normalise_header

    return normalise_header(header, ALIASES)
