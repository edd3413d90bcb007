"""What the source tests share: read and stage one file as the pipeline does, and count records independently."""

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from assets.ingest import FileReport, Staged, read_file, stage
from assets.sources import SOURCES
from assets.sources.parsing import decode_text


def read_and_stage(source_id: str, path: Path) -> tuple[pd.DataFrame, Staged, FileReport]:
    """The raw records, the staged tables and the file report of one landing file."""
    table, report = read_file(SOURCES[source_id], path)
    if isinstance(report, list):  # main's read_file (archives) gives one table and report per member
        table, report = (table[0] if table else None), report[0]
    assert table is not None, report.read_problem
    raw = table.to_pandas()
    return raw, stage(SOURCES[source_id], raw), report


def unquoted_lines(path: Path, encoding: str) -> list[list[str]]:
    """Records of an unquoted ``;`` file counted without a CSV parser: one line, one record."""
    lines = path.read_bytes().decode(encoding).split("\n")
    return [line.rstrip("\r").split(";") for line in lines[1:] if line.strip()]


def reconciliation(out: Path) -> pd.DataFrame:
    return pq.read_table(out / "quality" / "reconciliation.parquet").to_pandas().set_index("source_file")


def quarantine(out: Path) -> pd.DataFrame:
    return pq.read_table(out / "quality" / "quarantine.parquet").to_pandas()


# --- Innovasjon Norge: the same checks on each of its three files -----------------------------
IN_COLUMNS = ["Fylkesnavn", "Kommunenavn", "Org.nr", "Navn", "Innvilget beløp", "Virkemiddelgruppe",
              "Innvilget dato", "Beslutningsenhet", "Næringshovedområde", "Næring"]


def assert_twins_agree(source_id: str, cp1252: Path, utf8: Path) -> pd.DataFrame:
    """The Windows-1252 file and its UTF-8 twin give the same values, Æ, Ø and Å included, and the same ids."""
    raw_cp, staged_cp, report_cp = read_and_stage(source_id, cp1252)
    raw_u8, staged_u8, report_u8 = read_and_stage(source_id, utf8)
    assert (report_cp.encoding, report_u8.encoding) == ("cp1252", "utf-8")
    assert raw_cp[IN_COLUMNS].equals(raw_u8[IN_COLUMNS])
    text = " ".join(raw_cp["Navn"]) + " ".join(raw_cp["Kommunenavn"])
    assert any(ch in text for ch in "æøåÆØÅ"), "the fixture should hold Norwegian letters"
    assert staged_cp.tables["awards"]["award_id"].tolist() == staged_u8.tables["awards"]["award_id"].tolist()
    return staged_cp.tables["awards"]


def assert_unquoted_values_exact(source_id: str, path: Path, encoding: str) -> pd.DataFrame:
    """Counted without a CSV parser, the file has as many records as the reader gives, with the same values:
    names, raw orgnr with every leading zero, whole amounts, and the place names."""
    lines = unquoted_lines(path, encoding)
    raw, staged, report = read_and_stage(source_id, path)
    awards = staged.tables["awards"]
    assert report.rows_read == len(lines) == len(awards) and staged.read_quarantine.empty
    assert all(len(fields) == len(IN_COLUMNS) for fields in lines)
    assert awards["recipient_name"].fillna("").tolist() == [f[3] for f in lines]
    assert awards["recipient_orgnr_raw"].fillna("").tolist() == [f[2] for f in lines]
    assert awards["amount_original"].tolist() == [float(int(f[4])) for f in lines]
    assert awards["kommune_name"].tolist() == [f[1] for f in lines]
    assert awards["fylke_name"].tolist() == [f[0] for f in lines]
    assert awards["kommune_code"].isna().all() and awards["fylke_code"].isna().all()
    return awards


def assert_ids_unique_and_stable(source_id: str, path: Path) -> None:
    first = read_and_stage(source_id, path)[1].tables
    second = read_and_stage(source_id, path)[1].tables
    assert first["awards"]["award_id"].is_unique
    assert first["awards"]["award_id"].tolist() == second["awards"]["award_id"].tolist()
    key = first["awards"]["award_id"].str.removeprefix(f"{source_id}:")
    assert first["projects"]["project_id"].tolist() == ("innovasjon_norge:" + key).tolist()


def derived_file(folder: Path, path: Path, edit) -> Path:
    """A copy of ``path`` in ``folder`` after ``edit(lines)`` (decoded lines, header first), in the same encoding."""
    text, encoding = decode_text(path.read_bytes(), path.name)
    target = folder / f"derived_{path.name}"
    target.write_bytes("\n".join(edit(text.split("\n"))).encode(encoding))
    return target
