"""Reading a spreadsheet's CSV export, streamed: the file is never held in memory as a whole.

- Encoding is decided for the whole file: a UTF-8 or UTF-16 byte-order mark says it; otherwise the
  file must be valid UTF-8, or the encoding the user chose (Windows-1252, older Excel on Windows).
  A file that is not valid in its encoding is refused, naming the rows and columns with bad bytes:
  it is never silently re-read in another encoding.
- RFC 4180 quoting (a doubled quote inside a quoted cell is one quote; `"Smith, Jr"`; line breaks
  inside quotes). The header line only chooses the separator (comma, semicolon, tab or `|`);
  the quoting rules never change with it.
- Header names are normalised ('Date of birth', 'date_of_birth', 'DOB' are one column); a column
  named twice is an error, not "the last one wins"."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from keyworker.errors import ImportFileError
from keyworker.imports.columns import heading

MAX_BYTES = 1024 * 1024 * 1024  # streamed, so the limit is about time, not memory
DELIMITERS = (",", ";", "\t", "|")  # in order of preference on a tie
# Encodings a person may choose when a file is not UTF-8: label shown -> Python codec.
ENCODINGS = {"utf-8": "utf-8", "windows-1252": "cp1252"}
_BAD_BYTE = re.compile("[\udc80-\udcff]")  # what surrogateescape makes of an undecodable byte
_SHOW_BAD = 5


@dataclass(frozen=True)
class CsvFile:
    """A checked CSV file: `rows()` streams it (again) from the start each time it is called."""

    name: str
    source: Path | bytes
    encoding: str  # as reported: utf-8, utf-8-sig, utf-16, windows-1252
    delimiter: str
    header: list[str]  # normalised names, in file order
    original_header: list[str]
    rows_total: int  # non-blank rows after the header
    sha256: str  # of the bytes: an interrupted import is resumed only with the same file

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(row number as the spreadsheet shows it, values by column), blank rows skipped."""
        with _text(self.source, _codec(self.encoding), "strict") as f:
            reader = _reader(f, self.delimiter)
            try:
                next(reader, None)
                yield from _records(reader, self.header)
            except csv.Error as e:
                raise ImportFileError(f"{self.name} is not a readable CSV file (row {reader.line_num}: {e}).") from e
            except UnicodeDecodeError as e:
                raise ImportFileError(f"{self.name} changed while it was being imported.") from e


def _codec(encoding: str) -> str:
    return ENCODINGS.get(encoding, encoding)


def normalise_header(name: str, aliases: dict[str, str]) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")
    return aliases.get(key, key)


def _reader(f: IO[str], delimiter: str) -> Any:  # a csv reader (its class is private)
    # doublequote and quotechar are RFC 4180's; strict: text after a closing quote is an error.
    return csv.reader(f, delimiter=delimiter, quotechar='"', doublequote=True, strict=True)


def _records(reader: Iterator[list[str]], header: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    # Row numbers as the spreadsheet shows them: the header is row 1, blank rows count.
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue  # blank lines between rows are common in hand-kept sheets
        row = {h: (values[i] if i < len(values) else "") for i, h in enumerate(header) if h}
        if len(values) > len(header) and any(v.strip() for v in values[len(header) :]):
            row["__extra__"] = "yes"
        yield line, row


@contextmanager
def _binary(source: Path | bytes) -> Iterator[IO[bytes]]:
    if isinstance(source, bytes):
        yield io.BytesIO(source)
        return
    try:
        f = open(source, "rb")  # noqa: SIM115 - closed below, after the caller is done
    except FileNotFoundError as e:
        raise ImportFileError(f"There is no file {source}.") from e
    except IsADirectoryError as e:
        raise ImportFileError(f"{source} is a folder, not a CSV file.") from e
    except OSError as e:
        raise ImportFileError(f"{source.name} cannot be read: {e.strerror}.") from e
    with f:
        yield f


@contextmanager
def _text(source: Path | bytes, codec: str, errors: str) -> Iterator[IO[str]]:
    with _binary(source) as b, io.TextIOWrapper(b, encoding=codec, errors=errors, newline="") as t:
        yield t


def _sniff_delimiter(first_line: str) -> str:
    """The separator the header line uses most, outside quotes; a comma if it uses none."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in first_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])  # max keeps the first of equals: comma wins ties
    return best if counts[best] else ","


def _column_name(header: list[str], original: list[str], i: int) -> str:
    # As the spreadsheet heads it ("NHS number"), which is what the person can find.
    if i < len(original) and original[i].strip():
        return " ".join(original[i].split())[:40]
    return f"column {i + 1}"


def open_csv(source: str | Path | bytes, aliases: dict[str, str] | None = None,
             encoding: str | None = None) -> CsvFile:
    """Check a CSV file from end to end (encoding, quoting, header) without keeping its rows.
    `encoding` is the user's choice for a file that is not UTF-8 ("windows-1252")."""
    aliases = aliases or {}
    if encoding is not None and encoding not in ENCODINGS:
        raise ImportFileError(f"Unknown encoding {encoding!r}: choose one of {', '.join(ENCODINGS)}.")
    src: Path | bytes
    if isinstance(source, bytes):
        src, name = source, "The file"
    else:
        src = Path(source)
        name = src.name
        try:
            if src.is_file() and src.stat().st_size > MAX_BYTES:
                raise ImportFileError(f"{name} is larger than 1 GB; split it into smaller files.")
        except OSError as e:
            raise ImportFileError(f"{name} cannot be read: {e.strerror}.") from e
    digest = hashlib.sha256()
    with _binary(src) as b:
        head = b.read(4096)
        digest.update(head)
        try:
            for chunk in iter(lambda: b.read(1 << 20), b""):
                digest.update(chunk)
        except OSError as e:
            raise ImportFileError(f"{name} cannot be read: {e.strerror}.") from e
    if head.startswith(codecs.BOM_UTF8):
        label = "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        label = "utf-16"
    else:
        if b"\x00" in head:
            raise ImportFileError(f"{name} is not a CSV text file (is it an .xlsx workbook? Save it as CSV).")
        label = encoding or "utf-8"

    # One pass to find the separator, check quoting and encoding, and count rows. Undecodable
    # bytes are kept (as surrogates) so that the cells holding them can be named.
    with _text(src, _codec(label), "surrogateescape") as f:
        try:
            first = f.readline()
            f.seek(0)
        except (UnicodeError, OSError) as e:  # e.g. an odd number of bytes in UTF-16
            raise ImportFileError(f"{name} is not readable {label} text.") from e
        delimiter = _sniff_delimiter(first)
        reader = _reader(f, delimiter)
        try:
            header_raw = next(reader, None)
            if header_raw is None or not any(h.strip() for h in header_raw):
                raise ImportFileError(f"{name} is empty: there is nothing to import.")
            header = [normalise_header(h, aliases) for h in header_raw]
            bad: list[str] = []
            bad_rows = 0
            if _BAD_BYTE.search("".join(header_raw)):
                bad_rows += 1
                bad.append("row 1 (the header)")
            seen: dict[str, int] = {}
            for i, h in enumerate(header):
                if h and h in seen:
                    raise ImportFileError(
                        f"The column {' '.join(header_raw[i].split())[:40]!r} appears twice (columns {seen[h] + 1} and {i + 1}, "
                        f"both read as {heading(h)}): remove or rename one of them."
                    )
                seen[h] = i
            total = 0
            for line, values in enumerate(reader, start=2):
                if not any(v.strip() for v in values):
                    continue
                total += 1
                if _BAD_BYTE.search("".join(values)):
                    bad_rows += 1
                    if len(bad) < _SHOW_BAD:
                        cols = [_column_name(header, header_raw, i) for i, v in enumerate(values) if _BAD_BYTE.search(v)]
                        bad.append(f"row {line} ({', '.join(cols)})")
        except csv.Error as e:
            raise ImportFileError(f"{name} is not a readable CSV file (row {reader.line_num}: {e}).") from e
        except (UnicodeError, OSError) as e:
            raise ImportFileError(f"{name} is not readable {label} text.") from e
    if bad:
        more = f" and {bad_rows - len(bad)} more rows" if bad_rows > len(bad) else ""
        if label == "windows-1252":
            hint = "It has bytes that Windows-1252 does not use: save it from the spreadsheet as 'CSV UTF-8'."
        else:
            hint = ("If it was saved by older Excel on Windows, import it again choosing the encoding "
                    "Windows-1252; otherwise save it from the spreadsheet as 'CSV UTF-8'.")
        raise ImportFileError(
            f"{name} is not valid {label.replace('-sig', '')} text: bytes that are not characters in "
            f"{'; '.join(bad)}{more}. Nothing was imported. {hint}"
        )
    return CsvFile(name, src, label, delimiter, header, header_raw, total, digest.hexdigest())
