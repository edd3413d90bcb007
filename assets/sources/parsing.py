"""Parsing helpers every source shares: encodings, delimited records, codes, numbers and dates."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from stdnum.no import orgnr as stdnum_orgnr

from .base import RawRecords, UnreadableFile

READ_MALFORMED = "read.malformed_record"
READ_BACKSLASH_ESCAPE = "read.backslash_escape"
READ_INVALID_STRUCTURE = "read.invalid_structure"  # a YAML or XML record without the documented shape


# --- bytes and encodings -----------------------------------------------------
def decode_text(data: bytes, name: str = "file") -> tuple[str, str]:
    """Decode a text file: UTF-8 (with or without BOM) first, then Windows-1252."""
    if not data.strip():
        raise UnreadableFile(f"{name}: empty file")
    if b"\x00" in data[:4096]:
        raise UnreadableFile(f"{name}: binary content (NUL bytes), not a text file")
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data[3:], "utf-8", name), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:  # bytes undefined in cp1252 (0x81, 0x8D, ...)
        raise UnreadableFile(f"{name}: neither UTF-8 nor Windows-1252 ({exc.reason} at byte {exc.start})") from exc


def _strict(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"{name}: declares UTF-8 by its BOM but byte {exc.start} is not UTF-8") from exc


# --- delimited text ----------------------------------------------------------
def read_delimited(
    path: Path,
    delimiter: str,
    quoted: bool = True,
    expected_columns: int | None = None,
    backslash_escapes_suspect: bool = False,
) -> RawRecords:
    """Read a delimited file record by record, never shifting a column.

    A record whose field count differs from the header's is kept as a problem, with its raw text, so that
    nothing is lost and nothing is misread. With ``quoted=False`` quotes are ordinary characters: the
    Innovasjon Norge files are unquoted and one name starts with an unmatched ``"``. With
    ``backslash_escapes_suspect`` a field holding both a backslash and a quote is taken as a ``\\"`` escape
    that RFC 4180 cannot read back; the record is kept as a problem rather than published garbled.
    """
    text, encoding = decode_text(path.read_bytes(), path.name)
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=delimiter,
        quoting=csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE,
        doublequote=True,
        strict=False,
    )
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise UnreadableFile(f"{path.name}: no header row") from exc
    header = [h.strip().lstrip("\ufeff") for h in header]
    width = len(header)
    if width < 2:
        raise UnreadableFile(f"{path.name}: header has {width} column; expected {delimiter!r}-delimited text")
    if expected_columns and width != expected_columns:
        raise UnreadableFile(f"{path.name}: header has {width} columns; expected {expected_columns}")
    rows: list[list[str] | None] = []
    problems: dict[int, tuple[str, str]] = {}
    try:
        for record in reader:
            if not record or record == [""]:
                continue  # blank line between records
            if len(record) == width and backslash_escapes_suspect and any("\\" in f and '"' in f for f in record):
                rows.append(None)
                problems[len(rows)] = (READ_BACKSLASH_ESCAPE, delimiter.join(record))
            elif len(record) == width:
                rows.append(record)
            else:
                rows.append(None)
                problems[len(rows)] = (
                    READ_MALFORMED,
                    f"{len(record)} fields where the header has {width}: " + delimiter.join(record),
                )
    except csv.Error as exc:
        raise UnreadableFile(f"{path.name}: record {len(rows) + 1}: {exc}") from exc
    return RawRecords(columns=header, rows=rows, problems=problems, encoding=encoding)


def header_of(head: bytes) -> str:
    """The first line of a file's first bytes, decoded leniently, for ``detect``."""
    first = head.split(b"\n", 1)[0]
    try:
        return first.decode("utf-8-sig")
    except UnicodeDecodeError:
        return first.decode("cp1252", errors="replace")


def describe_head(head: bytes) -> str:
    """A short description of a file's first bytes, for the error that says why a file was not recognised."""
    if not head.strip():
        return "the file is empty"
    if b"\x00" in head:
        return "its first bytes are binary (NUL bytes)"
    return f"its first line is {header_of(head)[:80]!r}"


# --- codes ---------------------------------------------------------------------
_DIGITS = re.compile(r"^\d+$")


def pad_code(value: object, width: int) -> str | None:
    """Zero-pad a numeric code the source may have shortened (``301`` -> ``0301``); None when not a code."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    if text.endswith(".0"):
        text = text[:-2]
    if not _DIGITS.match(text) or len(text) > width or int(text) == 0:
        return None
    return text.zfill(width)


def clean_orgnr(value: object) -> str | None:
    """A valid nine-digit orgnr from any of the ways sources write it, or None.

    Accepts ``915555500``, ``00915555500`` (Innovasjon Norge pads to 11), ``NO915555500MVA`` (CORDIS VAT) and
    spaced forms. Internal ids (7 digits, or 9 digits that fail mod 11) and ``0`` give None.
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = re.sub(r"[\s.\u00a0]", "", str(value)).upper()
    if text.startswith("NO"):
        text = text[2:]
    if text.endswith("MVA"):
        text = text[:-3]
    if not _DIGITS.match(text):
        return None
    if len(text) > 9:
        if text[: len(text) - 9].strip("0"):
            return None
        text = text[-9:]
    if len(text) != 9:
        return None
    return text if stdnum_orgnr.is_valid(text) else None


# --- numbers and dates -----------------------------------------------------------
_SPACES = re.compile(r"[\s\u00a0\u202f]")


def parse_decimal(value: object) -> float | None:
    """Parse ``8000000.0``, ``960619,95`` or ``1 234,5``; None when empty or not a number."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = _SPACES.sub("", str(value))
    if not text:
        return None
    if "," in text and "." in text:
        # The last mark is the decimal mark; the other groups thousands.
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    else:
        text = text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def parse_date(value: object, formats: tuple[str, ...]) -> date | None:
    """Parse a date with the source's explicit formats; None when none fits."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_int(value: object) -> int | None:
    number = parse_decimal(value)
    return int(number) if number is not None and number == int(number) else None


def blank_to_none(value: object) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value)
    return text if text.strip() else None
