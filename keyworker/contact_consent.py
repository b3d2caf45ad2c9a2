"""Who the resident has agreed we may contact, from their consents (keyworker/medication.py,
kinds in resources/reference/caseload.json): family and carers need "Contacting next of kin";
the referrer, the Community Treatment Provider, the GP and other agencies need "Sharing
information with named parties" given, with that party among the named ones. A safeguarding
contact is the recorded exception (it needs a reason). Used by the contacts log and by sharing
the care plan. No Qt."""
from __future__ import annotations

import json
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker import reference_data as ref
from keyworker.db.caseload import Consent, Resident

PARTY_KINDS: tuple[ref.Option, ...] = (
    ref.Option("family", "Family"),
    ref.Option("carer", "Carer"),
    ref.Option("referrer", "Referrer"),
    ref.Option("ctp", "Community Treatment Provider"),
    ref.Option("gp", "GP"),
    ref.Option("agency", "Other agency"),
)
PARTY_LABELS = {o.code: o.label for o in PARTY_KINDS}
# How the kind reads in "has not consented to contact with ..."
PARTY_WORDS = {"family": "family", "carer": "carers", "referrer": "the referrer",
               "ctp": "the Community Treatment Provider", "gp": "the GP", "agency": "other agencies"}
# Words in a consent's named party that stand for the kind ("GP practice", "Referring social worker").
_KIND_PATTERNS = {
    "referrer": re.compile(r"\breferr", re.I),
    "ctp": re.compile(r"community treatment|\bctp\b|treatment provider", re.I),
    "gp": re.compile(r"\bgp\b|general practi|\bsurgery\b|medical practice", re.I),
}
CONSENT_FOR = {"family": "contact_next_of_kin", "carer": "contact_next_of_kin"}
INFO = "information_sharing"


def _norm(s: str) -> str:
    return " ".join(re.findall(r"\w+", s.lower()))


def _named(party_kind: str, name: str, parties: list[str]) -> bool:
    pattern = _KIND_PATTERNS.get(party_kind)
    who = _norm(name)
    for p in parties:
        if pattern is not None and pattern.search(p):
            return True
        n = _norm(p)
        if n and who and (n in who or who in n) and min(len(n), len(who)) >= 3:
            return True
    return False


def _current(s: Session, resident_id: str, kind: str) -> Consent | None:
    return s.scalars(select(Consent).where(Consent.resident_id == resident_id, Consent.kind == kind,
                                           Consent.superseded_by_id.is_(None), Consent.archived.is_(False))
                     .order_by(Consent.recorded_on.desc(), Consent.created_at.desc())).first()


def consented(s: Session, resident_id: str, party_kind: str, name: str) -> bool:
    """Whether the resident's current consents allow contact with this party."""
    kind = CONSENT_FOR.get(party_kind)
    if kind is not None:
        c = _current(s, resident_id, kind)
        if c is not None and c.given:
            return True
    info = _current(s, resident_id, INFO)
    if info is None or not info.given:
        return False
    return _named(party_kind, name, list(json.loads(info.parties or "[]")))


def refusal(s: Session, resident: Resident, party_kind: str, name: str) -> str | None:
    """The message a person reads when the contact is not allowed, else None."""
    if consented(s, resident.id, party_kind, name):
        return None
    first = resident.preferred_name or resident.given_name
    words = PARTY_WORDS.get(party_kind, "this party")
    if party_kind in CONSENT_FOR:
        return f"{first} has not consented to contact with {words}: see Consents."
    return (f"{first} has not consented to sharing information with {words} "
            f"({name.strip() or 'unnamed'}): see Consents.")
