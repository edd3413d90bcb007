"""Shared parsing helpers that the xlsx and zip sources brought: read_xlsx, zip_members, iso_country."""

import zipfile
from datetime import datetime

import openpyxl
import pytest

from assets.sources.base import UnreadableFile
from assets.sources.parsing import iso_country, read_xlsx, zip_members


@pytest.fixture
def workbook(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Liste"
    sheet.append(["kode", "tall", "dato", "tekst", None, None])
    sheet.append(["0301", 301, datetime(2024, 3, 1), "Trondheim - Tråante", None, "note"])
    sheet.append([None, None, None, None, None, None])  # an empty row, as Excel leaves them
    sheet.append(["46", 0.1 + 0.2, datetime(2024, 3, 1, 12, 30), True, None, None])
    sheet.append(["", 2.5, None, " kept as is ", None, None])
    sheet["B2"].number_format = "0000"
    book.create_sheet("Annet")
    path = tmp_path / "liste.xlsx"
    book.save(path)
    return path


def test_read_xlsx_gives_every_cell_as_excel_shows_it(workbook):
    records = read_xlsx(workbook)
    assert records.columns == ["kode", "tall", "dato", "tekst", "column_6"]  # the empty headerless column is dropped
    assert records.rows == [
        ["0301", "0301", "2024-03-01", "Trondheim - Tråante", "note"],
        ["46", "0.3", "2024-03-01 12:30:00", "TRUE", ""],
        ["", "2.5", "", " kept as is ", ""],
    ]
    assert read_xlsx(workbook.read_bytes(), "Liste", name="liste.xlsx").rows == records.rows


def test_read_xlsx_names_the_file_and_sheet_it_cannot_read(workbook, tmp_path):
    with pytest.raises(UnreadableFile, match=r"liste\.xlsx: no sheet 'DATA'.*'Liste', 'Annet'"):
        read_xlsx(workbook, "DATA")
    with pytest.raises(UnreadableFile, match=r"liste\.xlsx: sheet 'Annet' is empty"):
        read_xlsx(workbook, "Annet")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(UnreadableFile, match=r"broken\.xlsx: not a readable xlsx workbook"):
        read_xlsx(broken)


def test_zip_members_are_read_in_memory(tmp_path):
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("dir/", b"")
        z.writestr("dir/project.csv", b'"id"\n"1"\n')
        z.writestr("organization.csv", b'"projectID"\n')
    assert list(zip_members(archive)) == [("dir/project.csv", b'"id"\n"1"\n'), ("organization.csv", b'"projectID"\n')]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.zip"]
    with pytest.raises(UnreadableFile, match=r"a\.zip!dir/project\.csv: 9 bytes unpacked"):
        list(zip_members(archive, max_bytes=5))
    not_zip = tmp_path / "b.zip"
    not_zip.write_bytes(b"plain text")
    with pytest.raises(UnreadableFile, match=r"b\.zip: not a readable zip archive"):
        list(zip_members(not_zip))


@pytest.mark.parametrize("given, expected", [("EL", "GR"), ("UK", "GB"), ("no", "NO"), (" XK ", "XK"), ("", None),
                                             (None, None)])
def test_iso_country_maps_the_eu_codes(given, expected):
    assert iso_country(given) == expected
