"""Matching names as a person would: two spellings that look the same are the same name.
One function, used wherever duplicates are looked for (the importer; the residents service)."""

from __future__ import annotations

import unicodedata


def visible(text: str) -> str:
    """NFKC (full-width letters, ligatures, compatibility forms become plain ones) without the
    invisible format characters (Unicode category Cf: zero-width space and joiners, BOM, bidi marks)."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if unicodedata.category(ch) != "Cf")


def name_key(name: str | None) -> str:
    """The form of a name used to match duplicates: NFKC, format characters dropped, casefolded,
    runs of white space collapsed. 'Anne\u200b  SMITH' and 'anne smith' give the same key."""
    name = name or ""
    if name.isascii():  # the common case, and NFKC, Cf and casefold change nothing in ASCII but case
        return " ".join(name.lower().split())
    return " ".join(visible(name).casefold().split())


FORMULA_START = ("=", "+", "-", "@")


def starts_like_formula(text: str) -> bool:
    """Would a spreadsheet run this cell as a formula? Looks past what the eye does not see: a
    full-width '＝' is '=' after NFKC, and zero-width characters or spaces in front hide nothing."""
    if text.startswith(("\t", "\r")):
        return True
    if text.isascii():  # NFKC and Cf change nothing in ASCII: the common case, without the walk
        return text.lstrip()[:1] in FORMULA_START
    return visible(text).lstrip()[:1] in FORMULA_START
