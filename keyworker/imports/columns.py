"""The import's columns in a spreadsheet's words: the headings people write ("NHS number", "DOB",
"Surname") mapped to our column names, the heading each problem is shown under (the file's own,
else ours as a spreadsheet writes it), and who a row is about (name, else NHS number)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# Spreadsheet headings people actually use (after normalise_header: lower case, runs of anything
# but letters and digits as "_") -> our column names.
ALIASES = {
    "type": "record_type",
    "record": "record_type",
    "first_name": "given_name",
    "first_names": "given_name",
    "forename": "given_name",
    "forenames": "given_name",
    "given_names": "given_name",
    "surname": "family_name",
    "last_name": "family_name",
    "dob": "date_of_birth",
    "d_o_b": "date_of_birth",
    "birth_date": "date_of_birth",
    "birthday": "date_of_birth",
    "nhs_no": "nhs_number",
    "nhs": "nhs_number",
    "nhs_num": "nhs_number",
    "gender": "gender_identity",
    "post_code": "postcode",
    "postal_code": "postcode",
    "gp": "gp_practice",
    "gp_surgery": "gp_practice",
    "id": "external_id",
    "client_id": "external_id",
    "reference": "external_id",
    "referral_received": "received_at",
    "date_received": "received_at",
    "received": "received_at",
    "referrer": "referrer_name",
    "referrer_organization": "referrer_organisation",
    "ctp": "community_treatment_provider",
    "admission_category": "category",
    "assessment": "assessment_summary",
    "admission_date": "admitted_on",
    "date_admitted": "admitted_on",
    "admitted": "admitted_on",
    "planned_length_weeks": "planned_weeks",
    "planned_length": "planned_weeks",
    "weeks": "planned_weeks",
    "keyworker": "key_worker",
    "key_worker_name": "key_worker",
    "named_key_worker": "key_worker",
    "substance": "primary_substance",
    "route": "primary_route",
    "next_of_kin": "next_of_kin_name",
    "nok": "next_of_kin_name",
    "nok_name": "next_of_kin_name",
    "nok_phone": "next_of_kin_phone",
    "nok_relationship": "next_of_kin_relationship",
    "nok_address": "next_of_kin_address",
    "part_time_attendance": "part_time",
}

# Our column -> its heading as a spreadsheet writes it (docs/import-csv.md uses the same words).
# Columns not listed read as their name with spaces ("Marital status").
HEADINGS = {
    "record_type": "Record type",
    "external_id": "External ID",
    "date_of_birth": "Date of birth",
    "nhs_number": "NHS number",
    "gp_practice": "GP practice",
    "admitted_on": "Admission date",
    "planned_weeks": "Planned weeks",
    "part_time": "Part time",
    "part_time_notes": "Part-time notes",
    "received_at": "Date received",
    "referrer_name": "Referrer",
    "referrer_email": "Referrer email",
    "referrer_phone": "Referrer phone",
    "next_of_kin_name": "Next of kin",
    "next_of_kin_phone": "Next of kin phone",
    "key_worker_id": "Key worker",
}


def heading(column: str) -> str:
    """Our column as a spreadsheet heading: 'nhs_number' -> 'NHS number'."""
    if not column:
        return ""
    return HEADINGS.get(column) or column.replace("_", " ").capitalize()


def file_headings(header: Iterable[str], original: Iterable[str]) -> dict[str, str]:
    """Our column -> the heading this file gives it ('date_of_birth' -> 'DOB')."""
    out: dict[str, str] = {}
    for name, raw in zip(header, original, strict=False):
        text = " ".join(raw.split())[:60]
        if name and text:
            out.setdefault(name, text)
    return out


def person_in(row: Mapping[str, str]) -> str:
    """Who a row is about, for the problem list: the name as written, else the NHS number (as
    3-3-4), else the old spreadsheet's id; '' if the row gives none of them."""
    name = " ".join(" ".join((row.get(k) or "").split()) for k in ("given_name", "family_name")).strip()
    if name:
        return name[:80]
    nhs = re.sub(r"[\s\-]", "", row.get("nhs_number") or "")
    if nhs:
        return f"NHS number {nhs[:3]} {nhs[3:6]} {nhs[6:]}" if re.fullmatch(r"\d{10}", nhs) else f"NHS number {nhs[:20]}"
    ext = " ".join((row.get("external_id") or "").split())
    return f"ID {ext[:40]}" if ext else ""
