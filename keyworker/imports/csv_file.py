"""Reading a spreadsheet's CSV export: encoding (UTF-8 with or without BOM, UTF-16 with BOM,
else Windows-1252, which is what Excel on Windows writes), delimiter sniffing, and header names
normalised so 'Date of birth', 'date_of_birth' and 'DOB' are the same column."""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from keyworker.errors import ImportFileError

MAX_BYTES = 100 * 1024 * 1024


@dataclass(frozen=True)
class CsvTable:
    encoding: str
    delimiter: str
    header: list[str]  # normalised names, in file order
    original_header: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (row number as the spreadsheet shows it, values by column)


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as e:
        raise ImportFileError(
            "The file is neither UTF-8 nor Windows-1252 text. Save it from the spreadsheet "
            "as 'CSV UTF-8' and try again."
        ) from e


def normalise_header(name: str, aliases: dict[str, str]) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")
    return aliases.get(key, key)


def read_csv(source: str | Path | bytes, aliases: dict[str, str] | None = None) -> CsvTable:
    aliases = aliases or {}
    if isinstance(source, bytes):
        data, name = source, "The file"
    else:
        path = Path(source)
        name = path.name
        try:
            if path.stat().st_size > MAX_BYTES:
                raise ImportFileError(f"{name} is larger than 100 MB; split it into smaller files.")
            data = path.read_bytes()
        except FileNotFoundError as e:
            raise ImportFileError(f"There is no file {path}.") from e
        except IsADirectoryError as e:
            raise ImportFileError(f"{path} is a folder, not a CSV file.") from e
        except OSError as e:
            raise ImportFileError(f"{name} cannot be read: {e.strerror}.") from e
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFileError(f"{name} is not a CSV text file (is it an .xlsx workbook? Save it as CSV).")
    text, encoding = decode(data)
    if not text.strip():
        raise ImportFileError(f"{name} is empty: there is nothing to import.")
    sample = text[:65536]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            sample.split("\n", 1)[0], delimiters=",;\t|"
        )
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header_raw = next(reader)
    except StopIteration as e:
        raise ImportFileError(f"{name} is empty: there is nothing to import.") from e
    except csv.Error as e:
        raise ImportFileError(f"{name} is not a readable CSV file: {e}.") from e
    header = [normalise_header(h, aliases) for h in header_raw]
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        # Row numbers as the spreadsheet shows them: the header is row 1, blank rows count.
        for line, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue  # blank lines between rows are common in hand-kept sheets
            row = {h: (values[i] if i < len(values) else "") for i, h in enumerate(header) if h}
            if len(values) > len(header) and any(v.strip() for v in values[len(header) :]):
                row["__extra__"] = "yes"
            rows.append((line, row))
    except csv.Error as e:
        raise ImportFileError(f"{name} is not a readable CSV file (line {reader.line_num}: {e}).") from e
    return CsvTable(encoding, getattr(dialect, "delimiter", ","), header, header_raw, rows)
