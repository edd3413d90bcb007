"""Parsing helpers every source shares: encodings, delimited records, spreadsheets, archives, codes, numbers
and dates."""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
from openpyxl.utils.exceptions import InvalidFileException
from stdnum.no import orgnr as stdnum_orgnr

# A 10 MB title is an odd record, not an unreadable file: the csv module's default cap is 128 KiB.
csv.field_size_limit(64 * 1024 * 1024)

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
def parse_delimited(
    data: bytes,
    name: str,
    delimiter: str,
    quoted: bool = True,
    expected_columns: int | None = None,
    backslash_escapes_suspect: bool = False,
    required_columns: tuple[str, ...] = (),
) -> RawRecords:
    """Parse a delimited file's bytes record by record, never shifting a column (``name`` is for errors).

    A record whose field count differs from the header's is kept as a problem, with its raw text, so that
    nothing is lost and nothing is misread. With ``quoted=False`` quotes are ordinary characters: the
    Innovasjon Norge files are unquoted and one name starts with an unmatched ``"``. With
    ``backslash_escapes_suspect`` a field holding both a backslash and a quote is taken as a ``\\"`` escape
    that RFC 4180 cannot read back; the record is kept as a problem rather than published garbled.
    ``required_columns`` are the header names the source maps; a header without them is unreadable.
    """
    text, encoding = decode_text(data, name)
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
        raise UnreadableFile(f"{name}: no header row") from exc
    header = [h.strip().lstrip("\ufeff") for h in header]
    width = len(header)
    if width < 2:
        raise UnreadableFile(f"{name}: header has {width} column; expected {delimiter!r}-delimited text")
    if expected_columns and width != expected_columns:
        raise UnreadableFile(f"{name}: header has {width} columns; expected {expected_columns}")
    missing = [column for column in required_columns if column not in header]
    if missing:  # a damaged header (a stray quote merging names) must not reach the mapping
        raise UnreadableFile(f"{name}: header lacks the column(s) {', '.join(missing)}")
    rows: list[list[str] | None] = []
    problems: dict[int, tuple[str, str]] = {}
    try:
        for record in reader:
            if not record or record == [""]:
                continue  # blank line between records
            if (len(record) == width and backslash_escapes_suspect and "\\" in "".join(record)  # one C scan first
                    and any("\\" in f and '"' in f for f in record)):
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
        raise UnreadableFile(f"{name}: record {len(rows) + 1}: {exc}") from exc
    return RawRecords(columns=header, rows=rows, problems=problems, encoding=encoding)


def read_delimited(path: Path, delimiter: str, **options) -> RawRecords:
    """Read a delimited landing file; see ``parse_delimited`` for the options."""
    return parse_delimited(path.read_bytes(), path.name, delimiter, **options)


# --- spreadsheets and archives ------------------------------------------------------
XLSX_ERRORS = (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, InvalidFileException)
_ZERO_PADDED = re.compile(r"^0+$")


def cell_text(cell) -> str:
    """A cell's value as text, as Excel shows it: dates ISO, whole numbers without ``.0``, codes padded by
    their number format (``301`` shown with format ``0000`` is ``0301``), text untouched."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        fmt = cell.number_format or ""
        return str(value).zfill(len(fmt)) if _ZERO_PADDED.match(fmt) else str(value)
    if isinstance(value, float):
        return f"{value:.15g}"  # Excel keeps 15 significant digits: 0.1 + 0.2 shows as 0.3
    return str(value)


def read_xlsx(source: Path | bytes, sheet: str | None = None, name: str | None = None) -> RawRecords:
    """Read one sheet of an xlsx workbook (a path, or bytes such as a zip member) as text records.

    The first row is the header; every cell is text as Excel shows it (see ``cell_text``), empty cells are
    ``""``. Entirely empty rows are skipped, like blank lines. A column without a header is dropped when it is
    empty and named ``column_<n>`` when it holds values, so nothing is lost. ``sheet=None`` reads the first.
    """
    name = name or (source.name if isinstance(source, Path) else "workbook")
    handle = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "Workbook contains no default style"
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except XLSX_ERRORS as exc:
        raise UnreadableFile(f"{name}: not a readable xlsx workbook ({type(exc).__name__}: {exc})") from exc
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise UnreadableFile(f"{name}: no sheet {sheet!r}; the workbook has {workbook.sheetnames}")
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        worksheet.reset_dimensions()  # some writers declare a too-small range; read what is there
        try:
            rows = [[cell_text(c) for c in row] for row in worksheet.iter_rows()]
        except XLSX_ERRORS as exc:
            raise UnreadableFile(f"{name}: sheet {worksheet.title!r} cannot be read ({exc})") from exc
    finally:
        workbook.close()
    rows = [r for r in rows if any(v.strip() for v in r)]
    if not rows:
        raise UnreadableFile(f"{name}: sheet {worksheet.title!r} is empty")
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    header, records = [h.strip() for h in rows[0]], rows[1:]
    keep = [i for i, h in enumerate(header) if h or any(r[i] for r in records)]
    columns = [header[i] or f"column_{i + 1}" for i in keep]
    if len(set(columns)) != len(columns):
        raise UnreadableFile(f"{name}: sheet {worksheet.title!r} repeats a column name: {columns}")
    return RawRecords(columns=columns, rows=[[r[i] for i in keep] for r in records], encoding="xlsx")


def zip_members(path: Path, max_bytes: int = 2**31) -> Iterator[tuple[str, bytes]]:
    """The files inside a zip archive, as (member name, bytes), read in memory: nothing is extracted."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableFile(f"{path.name}: not a readable zip archive ({exc})") from exc
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            if info.file_size > max_bytes:
                raise UnreadableFile(f"{path.name}!{info.filename}: {info.file_size:,} bytes unpacked; "
                                     f"larger than the {max_bytes:,} allowed")
            try:
                yield info.filename, archive.read(info)
            except (zipfile.BadZipFile, OSError, RuntimeError) as exc:  # CRC error, encrypted member
                raise UnreadableFile(f"{path.name}!{info.filename}: cannot be unpacked ({exc})") from exc


def is_zip(head: bytes) -> bool:
    """True for a zip container (zip archives and xlsx workbooks alike)."""
    return head.startswith(b"PK\x03\x04")


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
_DIGITS = re.compile(r"^[0-9]+$")  # ASCII only: \d would take other scripts' digits


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


# The EU writes Greece as EL and the United Kingdom as UK; ISO 3166-1 has GR and GB.
EU_TO_ISO_COUNTRY = {"EL": "GR", "UK": "GB"}


def iso_country(value: object) -> str | None:
    """An ISO 3166-1 alpha-2 country code from an EU one (``EL`` -> ``GR``, ``UK`` -> ``GB``); None when blank."""
    text = blank_to_none(value)
    if text is None:
        return None
    code = text.strip().upper()
    return EU_TO_ISO_COUNTRY.get(code, code)


def clean_orgnr(value: object) -> str | None:
    """A valid nine-digit orgnr from any of the ways sources write it, or None.

    Accepts ``915555500``, ``00915555500`` (Innovasjon Norge pads to 11), ``NO915555500MVA`` (CORDIS VAT) and
    spaced forms. Internal ids (7 digits, or 9 digits that fail mod 11) and ``0`` give None, and so does an
    internal id padded like an orgnr (``00006104843``): no orgnr begins with 0, yet one in 11 such ids passes mod 11.
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
    if len(text) != 9 or text.startswith("0"):
        return None
    # Nine ASCII digits already: the library's mod 11 checksum alone (is_valid would clean and check them again).
    return text if stdnum_orgnr.checksum(text) == 0 else None


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


# --- whole columns at once (for readers that must keep up with millions of records) ---------------
def per_distinct(values: pd.Series, parse) -> pd.Series:
    """Apply a scalar parser once per distinct value and map the answers back: codes and orgnr repeat a lot."""
    answers = {value: parse(value) for value in values.dropna().unique()}
    return values.map(answers)


def parse_decimals(values: pd.Series) -> pd.Series:
    """``parse_decimal`` for a whole column: plain numbers in one vectorised pass, the rest one by one."""
    numbers = pd.to_numeric(values.str.strip(), errors="coerce").astype("float64")
    finite = numbers.abs() != float("inf")
    numbers = numbers.where(finite)
    rest = numbers.isna() & values.notna()
    if rest.any():
        numbers = numbers.mask(rest, values[rest].map(parse_decimal).astype("float64"))
    return numbers


def parse_dates(values: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    """``parse_date`` for a whole column: the first explicit format that fits, as a date (midnight); NaT otherwise.

    Each distinct text is parsed once: a file holds millions of records but only thousands of days.
    """
    text = values.str.strip()
    distinct = pd.Series(text.dropna().unique(), dtype="str")
    parsed = pd.Series(pd.NaT, index=distinct.index, dtype="datetime64[us]")
    for fmt in formats:
        missing = parsed.isna()
        if not missing.any():
            break
        parsed = parsed.fillna(pd.to_datetime(distinct[missing], format=fmt, errors="coerce"))
    by_text = pd.Series(parsed.dt.normalize().to_numpy(), index=distinct.to_numpy())
    return pd.Series(by_text.reindex(text.to_numpy()).to_numpy(), index=values.index, dtype="datetime64[us]")


def content_keys(parts: list[pd.Series], within: pd.Series, length: int = 16) -> pd.Series:
    """A stable key per record from its content, for sources without a record number.

    The key is the first ``length`` hex digits of SHA-256 over the parts joined by U+001F (DuckDB hashes a
    million records in about a second; Python's hashlib takes several). Identical records in the same ``within``
    group (the file) are told apart by their occurrence: ``<hash>``, ``<hash>-2``, ``<hash>-3``, ...
    """
    frame = pd.DataFrame({f"part_{i}": part.fillna("").astype("str") for i, part in enumerate(parts)})
    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = true")  # the keys come back in the records' order
        con.execute("SET enable_progress_bar = false")
        con.register("parts", frame)
        joined = ", ".join(frame.columns)
        digest = con.execute(f"SELECT substr(sha256(concat_ws(chr(31), {joined})), 1, {length}) AS digest FROM parts"
                             ).fetch_df()["digest"]
    finally:
        con.close()
    keys = digest.set_axis(within.index)
    groups = pd.DataFrame({"within": within.to_numpy(), "digest": keys.to_numpy()})
    repeated = groups.duplicated(keep=False).to_numpy()
    if repeated.any():
        occurrence = groups.loc[repeated].groupby(["within", "digest"]).cumcount().to_numpy() + 1
        later = occurrence > 1
        index = keys.index[repeated][later]
        keys.loc[index] = keys.loc[index] + "-" + pd.Series(occurrence[later], index=index).astype("str")
    return keys
