"""A corpus of malformed landing files, each made from a real sample by one named kind of damage.

``python -m tests.reliability.corpus DIR`` writes the corpus as a landing folder, to try it by hand:
``innofund run --landing DIR/landing``.
"""

from __future__ import annotations

import io
import os
import random
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipelines.resources import SAMPLE_LANDING

SOKNADER = SAMPLE_LANDING / "forskningsradet_soknader" / "soknader2_sample.csv"
EU = SAMPLE_LANDING / "forskningsradet_eu" / "bevilgningereu_dataset.csv"
IN = SAMPLE_LANDING / "innovasjon_norge_eos" / "tildelinger_eos_all308_RECONSTRUCTED_REPAIRED_cp1252.csv"
INJECTIONS = ("=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "<script>alert(1)</script>",
              "'; DROP TABLE awards; --", "../../etc/passwd", "${jndi:ldap://x}")


@dataclass(frozen=True)
class Case:
    """One malformed input: where it lands, how it is made, and what must happen to it.

    ``expect``: ``unreadable`` (the file is named unreadable with a reason), ``balanced`` (read, and every
    record published, quarantined or excluded), ``quarantined`` (balanced, and at least one record
    quarantined with a rule), or ``ignored`` (never read: a link out of landing)."""

    case_id: str
    source_id: str
    file_name: str
    make: Callable[[], bytes]
    expect: str
    damage: str


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def _header_only(path: Path) -> bytes:
    return _lines(path)[0]


def _truncated(path: Path) -> bytes:
    data = path.read_bytes()
    return data[: int(len(data) * 0.6)]  # cuts a record in the middle


def _with_line(path: Path, index: int, transform: Callable[[bytes], bytes]) -> bytes:
    lines = _lines(path)
    lines[index] = transform(lines[index])
    return b"".join(lines)


def _field_replaced(path: Path, delimiter: bytes, column: int, value: bytes, row: int = 2) -> bytes:
    def swap(line: bytes) -> bytes:
        ending = line[len(line.rstrip(b"\r\n")):]
        fields = line.rstrip(b"\r\n").split(delimiter)
        fields[column] = value
        return delimiter.join(fields) + ending
    return _with_line(path, row, swap)


def _binary() -> bytes:
    return random.Random(11).randbytes(4096)


SOKNADER_TEXT = ("prosjekttittel", "utlysningtittel", "prosjektansvarlig_navn", "kortnavn", "fag", "aktivitet")


def _soknader_injection() -> bytes:
    import csv

    rows = list(csv.reader(io.StringIO(SOKNADER.read_text(encoding="utf-8"))))
    text_columns = [rows[0].index(name) for name in SOKNADER_TEXT]
    for i, row in enumerate(rows[1:], start=1):
        for j in text_columns:
            row[j] = INJECTIONS[(i + j) % len(INJECTIONS)] + " " + row[j]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def _in_injection() -> bytes:
    lines = IN.read_bytes().decode("cp1252").splitlines(keepends=True)
    for i in range(1, 6):
        fields = lines[i].rstrip("\r\n").split(";")
        fields[3] = INJECTIONS[i % len(INJECTIONS)].replace(";", ",") + " " + fields[3]
        lines[i] = ";".join(fields) + "\r\n"
    return "".join(lines).encode("cp1252")


def _zip_traversal() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../escaped.csv", "id;title\n1;x\n")
        archive.writestr("project.csv", (SAMPLE_LANDING / "cordis_projects" / "SYNTHETIC_project.csv").read_bytes())
    return buffer.getvalue()


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ContractNotice>&lol3;&xxe;</ContractNotice>"""

YAML_OBJECT = b"partnerships:\n  - !!python/object/apply:os.system ['touch /tmp/innofund-pwned']\n"


def cases() -> list[Case]:
    s, e, n = "forskningsradet_soknader", "forskningsradet_eu", "innovasjon_norge_eos"
    c = [
        Case("soknader.empty", s, "empty.csv", lambda: b"", "unreadable", "empty file"),
        Case("soknader.header_only", s, "header_only.csv", lambda: _header_only(SOKNADER), "balanced", "header only"),
        Case("soknader.binary", s, "binary.csv", _binary, "unreadable", "random binary bytes"),
        Case("soknader.truncated", s, "truncated.csv", lambda: _truncated(SOKNADER), "balanced",
             "cut in the middle of a record"),
        Case("soknader.wrong_delimiter", s, "semicolons.csv",
             lambda: SOKNADER.read_bytes().replace(b",", b";"), "unreadable", "wrong delimiter"),
        Case("soknader.utf16", s, "utf16.csv",
             lambda: SOKNADER.read_text(encoding="utf-8").encode("utf-16"), "unreadable", "wrong encoding (UTF-16)"),
        Case("soknader.duplicate_header", s, "dup_header.csv",
             lambda: _lines(SOKNADER)[0] + SOKNADER.read_bytes(), "balanced",
             "header repeated as a record (excluded: its phase is not a grant phase)"),
        Case("soknader.extra_column", s, "extra_col.csv",
             lambda: _with_line(SOKNADER, 1, lambda l: l.rstrip(b"\r\n") + b",extra\n"), "quarantined",
             "a record with one column too many"),
        Case("soknader.missing_column", s, "missing_col.csv",
             lambda: _with_line(SOKNADER, 1, lambda l: l.rstrip(b"\r\n").rsplit(b",", 1)[0] + b"\n"), "quarantined",
             "a record with one column too few"),
        Case("soknader.quote_storm", s, "quotes.csv",
             lambda: _with_line(SOKNADER, 1, lambda l: l.replace(b",", b',"""', 3)), "balanced", "quote storm"),
        Case("soknader.huge_field", s, "huge_field.csv",
             lambda: _with_line(SOKNADER, 1, lambda l: l.replace(b",", b',"' + b"x" * 10_000_000 + b'",', 1)),
             "balanced", "a single 10 MB field"),
        Case("soknader.nul_bytes", s, "nul.csv", lambda: _with_line(SOKNADER, 1, lambda l: l.replace(b"a", b"a\x00", 3)),
             "unreadable", "NUL bytes inside a record (the file is taken for binary)"),
        Case("soknader.bom_in_middle", s, "bom.csv",
             lambda: _with_line(SOKNADER, 3, lambda l: "\ufeff".encode() + l), "balanced", "a BOM in the middle"),
        Case("soknader.dates_out_of_range", s, "dates.csv",
             lambda: SOKNADER.read_bytes().replace(b"2012-10-17 00:00:00", b"9999-12-31 00:00:00", 1)
             .replace(b"2013-", b"0001-", 1), "balanced", "dates out of range"),
        Case("soknader.negative_amount", s, "negative.csv",
             lambda: _field_replaced(SOKNADER, b",", -1, b"-5000000", row=1), "balanced", "negative amount"),
        Case("soknader.huge_amount", s, "huge_amount.csv",
             lambda: _field_replaced(SOKNADER, b",", -1, b"999999999999999999999", row=1), "balanced", "huge amount"),
        Case("soknader.duplicate_ids", s, "dup_ids.csv",
             lambda: SOKNADER.read_bytes() + b"".join(_lines(SOKNADER)[1:2]), "balanced", "duplicate ids"),
        Case("soknader.injection", s, "injection.csv", _soknader_injection, "balanced",
             "formula, script, SQL and path strings in every free-text field"),
        Case("eu.empty", e, "empty.csv", lambda: b"", "unreadable", "empty file"),
        Case("eu.header_only", e, "header_only.csv", lambda: _header_only(EU), "balanced", "header only"),
        Case("eu.truncated", e, "truncated.csv", lambda: _truncated(EU), "balanced", "cut in the middle of a record"),
        Case("eu.cp1252", e, "cp1252.csv", lambda: EU.read_text(encoding="utf-8").encode("cp1252", "replace"),
             "balanced", "Windows-1252 instead of UTF-8"),
        Case("eu.extra_column", e, "extra_col.csv",
             lambda: _with_line(EU, 1, lambda l: l.rstrip(b"\r\n") + b";extra\r\n"), "quarantined",
             "a record with one column too many"),
        Case("eu.bad_amount", e, "bad_amount.csv", lambda: _field_replaced(EU, b";", -1, b"12 3x4", row=1),
             "quarantined", "an amount that is not a number"),
        Case("in.binary", n, "binary.csv", _binary, "unreadable", "random binary bytes"),
        Case("in.truncated", n, "truncated.csv", lambda: _truncated(IN), "balanced", "cut in the middle of a record"),
        Case("in.utf8", n, "utf8.csv", lambda: IN.read_bytes().decode("cp1252").encode("utf-8"), "balanced",
             "UTF-8 instead of Windows-1252"),
        Case("in.unmatched_quote", n, "quote.csv", lambda: _field_replaced(IN, b";", 3, b'"ODD NAME AS', row=1),
             "balanced", "a name starting with an unmatched quote"),
        Case("in.negative_amount", n, "negative.csv", lambda: _field_replaced(IN, b";", 4, b"-100", row=1),
             "balanced", "negative amount"),
        Case("in.bad_amount", n, "bad_amount.csv", lambda: _field_replaced(IN, b";", 4, b"12x", row=1), "quarantined",
             "an amount that is not a number"),
        Case("in.bad_date", n, "bad_date.csv",
             lambda: _field_replaced(IN, b";", 6, b"2015-13-45 00:00:00", row=1), "balanced",
             "an impossible date (published with the warning awards.award_date.missing)"),
        Case("in.injection", n, "injection.csv", _in_injection, "balanced", "injection strings in the name field"),
        Case("skattefunn.not_xlsx", "skattefunn", "text.xlsx", lambda: b"this is not a spreadsheet\n", "unreadable",
             "a text file named .xlsx"),
        Case("skattefunn.truncated_xlsx", "skattefunn", "cut.xlsx",
             lambda: _truncated(SAMPLE_LANDING / "skattefunn" / "SYNTHETIC_skattefunn_2023.xlsx"), "unreadable",
             "a truncated xlsx (broken zip)"),
        Case("cordis.zip_traversal", "cordis_projects", "traversal.zip", _zip_traversal, "balanced",
             "a zip member named ../../escaped.csv"),
        Case("doffin.xxe", "doffin_notices", "xxe.xml", lambda: XXE, "unreadable",
             "XML entity expansion and an external entity"),
        Case("partnerships.yaml_object", "partnerships", "evil.yaml", lambda: YAML_OBJECT, "unreadable",
             "a YAML tag that would run code"),
    ]
    return c


LINK_CASES = ("landing.symlink_out",)  # a link pointing outside landing: never followed


def write_case(landing: Path, case: Case) -> Path:
    target = landing / case.source_id / case.file_name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(case.make())
    return target


def write_corpus(root: Path) -> Path:
    """Every case in one landing folder, plus a link out of landing; returns the landing folder."""
    landing = root / "landing"
    for case in cases():
        write_case(landing, case)
    secret = root / "outside_secret.csv"
    secret.write_bytes(SOKNADER.read_bytes())
    os.symlink(secret, landing / "forskningsradet_soknader" / "link_out.csv")
    return landing


if __name__ == "__main__":
    print(write_corpus(Path(sys.argv[1])))
