"""The release's formats, yearly files, feed and deltas (issue 6, in part)."""

import csv
import io
import json
import shutil

import pyarrow as pa
import pyarrow.parquet as pq

from assets.publish import verify_release
from tests.conftest import landing_with, run_graph


def test_every_dataset_in_four_formats_and_awards_by_year(sample_run):
    release = (sample_run / "publish" / "latest").resolve()
    awards = pq.read_table(release / "data" / "awards.parquet").to_pandas()
    records = json.loads((release / "data" / "awards.json").read_text(encoding="utf-8"))
    assert len(records) == len(awards) and records[0]["award_id"] == awards["award_id"][0]
    excel = (release / "data" / "awards.excel.csv").read_bytes()
    assert excel.startswith("\ufeff".encode()) and b"\r\n" in excel
    rows = list(csv.DictReader(io.StringIO(excel.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert len(rows) == len(awards)
    with_decimals = [r["amount_nok"] for r in rows if r["amount_nok"] and "," in r["amount_nok"]]
    assert with_decimals and not any("." in v for v in with_decimals)
    yearly = sorted((release / "data" / "awards_by_year").glob("awards_*.parquet"))
    assert sum(pq.read_metadata(p).num_rows for p in yearly) == len(awards)
    years = {p.stem.removeprefix("awards_") for p in yearly}
    assert {str(y) for y in awards["award_year"].dropna().unique()} <= years
    package = json.loads((release / "datapackage.json").read_text())
    paths = {r["path"] for r in package["resources"]}
    assert {"data/awards.excel.csv", "data/awards.json", "data/awards_by_year/awards_2019.csv"} <= paths


def test_index_json_lists_every_file_with_size_and_hash(sample_run):
    release = (sample_run / "publish" / "latest").resolve()
    feed = json.loads((release / "index.json").read_text())
    listed = {f["path"]: f for f in feed["files"]}
    on_disk = {p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file()}
    assert set(listed) == on_disk - {"index.json", "index.html", "SHA256SUMS"}  # written after it
    assert listed["data/awards.csv"]["bytes"] == (release / "data" / "awards.csv").stat().st_size
    assert feed["version"] == release.name and "awards" in feed["datasets"]


def test_a_changed_landing_gives_deltas_and_a_changelog(tmp_path, fixtures):
    sample = fixtures / "forskningsradet" / "soknader2_sample.csv"
    landing = landing_with(tmp_path, {"forskningsradet_soknader/soknader2_sample.csv": sample})
    out = tmp_path / "out"
    assert run_graph(landing, out).success
    first = (out / "publish" / "latest").resolve()
    # the next publication: one record gone, one amount changed
    lines = sample.read_text(encoding="utf-8").splitlines(keepends=True)
    published = pq.read_table(first / "data" / "awards.parquet").to_pandas()
    text = "".join(lines)
    gone = published["project_id"].iloc[0].split(":")[-1]
    kept = published["project_id"].iloc[1].split(":")[-1]
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    pid = header.index("prosjektnummer")
    amount = header.index("tildelt_belop")
    body = [r for r in body if r[pid] != gone]
    for r in body:
        if r[pid] == kept:
            r[amount] = str(int(float(r[amount] or 0)) + 1000)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *body])
    (landing / "forskningsradet_soknader" / "soknader2_sample.csv").write_text(buffer.getvalue(), encoding="utf-8")
    assert run_graph(landing, out).success
    second = (out / "publish" / "latest").resolve()
    assert second.name != first.name and verify_release(second) == []
    deltas = list(csv.DictReader(io.StringIO((second / "deltas" / "awards.csv").read_text(encoding="utf-8"))))
    kinds = {}
    for row in deltas:
        kinds.setdefault(row["change_type"], set()).add(row["project_id"].split(":")[-1])
    assert gone in kinds.get("deleted", set()) and kept in kinds.get("updated", set())
    assert "inserted" not in kinds
    changelog = (second / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {second.name} (changes since {first.name})" in changelog
    assert f"## {first.name} (first release)" in changelog and "removed" in changelog


def test_awards_as_360giving_validate_against_the_schema(sample_run):
    import jsonschema
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    from tests.conftest import STANDARDS

    release = (sample_run / "publish" / "latest").resolve()
    data = json.loads((release / "data" / "awards.360giving.json").read_text(encoding="utf-8"))
    grant_schema = json.loads((STANDARDS / "360giving" / "360-giving-schema.json").read_text())
    package_schema = json.loads((STANDARDS / "360giving" / "360-giving-package-schema.json").read_text())
    remote = "https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.2/schema/360-giving-schema.json"
    # the schemas name their dialect with http://, which the libraries do not recognise: say it explicitly
    registry = Registry().with_resource(remote, DRAFT202012.create_resource(grant_schema))
    validator_cls = jsonschema.Draft202012Validator
    validator = validator_cls(package_schema, registry=registry, format_checker=validator_cls.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
    assert not errors, errors[0].message
    awards = pq.read_table(release / "data" / "awards.parquet").to_pandas()
    usable = awards["amount_original"].notna() & awards["award_date"].notna() & awards["currency_original"].notna()
    assert len(data["grants"]) == int(usable.sum()) > 0
    # every award left out of this file is counted, and named record by record, in the quality files
    rules = {r["rule_id"]: r for r in csv.DictReader(open(release / "quality" / "rules.csv", encoding="utf-8"))}
    left_out = rules["giving360.amount_or_date.missing"]
    assert (int(left_out["rows_checked"]), int(left_out["rows_failed"])) == (len(awards), int((~usable).sum()))
    with open(release / "quality" / "errors.csv", encoding="utf-8") as handle:
        named = {(r["source_file"], r["source_row"]) for r in csv.DictReader(handle)
                 if r["rule_id"] == "giving360.amount_or_date.missing"}
    assert named and named == {(f, str(r)) for f, r in awards.loc[~usable, ["source_file", "source_row"]].itertuples(index=False)}
    persons = [g for g in data["grants"] if "recipientIndividual" in g]
    assert persons and all(g["recipientIndividual"]["id"].startswith("NO-PERSON-") for g in persons)
    assert {g["fundingOrganization"][0]["id"] for g in data["grants"]} >= {"NO-BRC-970141669"}


def test_the_landing_page_stands_alone_with_files_dictionary_and_charts(sample_run):
    from html.parser import HTMLParser

    release = (sample_run / "publish" / "latest").resolve()
    text = (release / "index.html").read_text(encoding="utf-8")

    class Collect(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tags, self.links = [], []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)
            attrs = dict(attrs)
            for key in ("href", "src"):
                if attrs.get(key):
                    self.links.append((tag, attrs[key]))

    parsed = Collect()
    parsed.feed(text)
    assert "script" not in parsed.tags and parsed.tags.count("svg") == 3
    external = [l for t, l in parsed.links if "://" in l and not l.startswith("https://data.norge.no/nlod")]
    assert external == []  # works from file:// with no network
    local = [l for t, l in parsed.links if "://" not in l]
    assert local and all((release / l).is_file() for l in local)
    assert "NLOD" in text and "awards_by_year/awards_2019.csv" in text
    sums = dict(line.split("  ")[::-1] for line in (release / "SHA256SUMS").read_text().splitlines())
    assert sums["data/awards.csv"] in text
    assert "amount_nok" in text and "Funding by fylke" in text


def test_the_guard_reads_tables_in_duckdb_text_whole_and_trusts_only_declared_renditions(tmp_path):
    import pyarrow as pa

    from assets import personal_data

    names, orgnrs = {"Kari Nordmann"}, {"811111111"}
    (tmp_path / "data").mkdir()
    pq.write_table(pa.table({"name": ["Equinor ASA", " KARI NORDMANN "], "amount": [811111111, 1]}),
                   tmp_path / "data" / "a.parquet")  # a number column is never an orgnr
    (tmp_path / "data" / "a.csv").write_text("name\r\nKari Nordmann\r\n")  # a rendition of a.parquet
    (tmp_path / "quality.csv").write_text('id,note\r\nNO-BRC-811111111,"Kari Nordmann AS, a company"\r\n')
    (tmp_path / "notes.md").write_text("Funded:\n  kari nordmann\nKari Nordmann Holding\n")
    (tmp_path / "clean.csv").write_text("name,id\r\nKari Nordmann Holding AS,NO-PERSON-811111111ae\r\n")
    found = personal_data.findings(tmp_path, names, orgnrs, derived=[tmp_path / "data" / "a.csv"])
    assert found == ["data/a.parquet: name of a natural person", "notes.md: name of a natural person",
                     "quality.csv: orgnr of a natural person"]
    assert "data/a.csv: name of a natural person" in personal_data.findings(tmp_path, names, orgnrs)


def test_the_release_guard_refuses_a_file_with_a_person_and_keeps_latest(tmp_path, sample_run):
    import pandas as pd

    from assets import personal_data
    from assets.publish import Dataset, publish
    from pipelines.metadata import TABLES

    recipients = pq.read_table(sample_run / "core" / "recipients.parquet").to_pandas()
    names, orgnrs = personal_data.persons(recipients)
    assert names and personal_data.findings((sample_run / "publish" / "latest").resolve(), names, orgnrs) == []
    publish_dir = tmp_path / "publish"
    shutil.copytree(sample_run / "publish", publish_dir, symlinks=True)
    before = (publish_dir / "latest").resolve().name
    awards = pq.read_table(sample_run / "core" / "awards.parquet").to_pandas()
    person = sorted(names)[0]
    awards.loc[0, "recipient_name"] = person  # the leak a broken masking step would make
    table = TABLES["awards"]
    leaking = tmp_path / "awards.parquet"
    pq.write_table(pa.Table.from_pandas(awards[table.column_names], schema=table.arrow_schema(), preserve_index=False),
                   leaking)
    try:
        publish(publish_dir, [Dataset(table, leaking)], {}, persons=(names, orgnrs))
        raise AssertionError("a release with a person's name was published")
    except personal_data.PersonalDataFound as exc:
        assert "publish.personal_data" in str(exc) and "data/awards.parquet: name of a natural person" in str(exc)
    assert (publish_dir / "latest").resolve().name == before
    assert not list((publish_dir / "releases").glob(".building-*"))


def test_a_delta_is_trusted_as_a_rendition_only_without_deleted_rows(tmp_path, sample_run):
    """A person identified since the last release must not stay public through the rows the delta deletes."""
    from assets import personal_data
    from assets.publish import Dataset, publish
    from pipelines.metadata import TABLES

    table, person = TABLES["awards"], "Kari Testperson Nordmann"
    awards = pq.read_table(sample_run / "core" / "awards.parquet").slice(0, 50).to_pandas()
    awards.loc[0, "recipient_name"] = person  # published while nobody knew this was a person
    path = tmp_path / "awards.parquet"

    def release(rows, persons):
        pq.write_table(pa.Table.from_pandas(rows[table.column_names], schema=table.arrow_schema(),
                                            preserve_index=False), path)
        return publish(tmp_path / "publish", [Dataset(table, path)], {}, persons=persons)

    first = release(awards, (set(), set()))
    delta = (first.path / "deltas" / "awards.csv").read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[1] for line in delta[1:]] == sorted(awards["award_id"])  # primary-key order
    try:
        release(awards.iloc[1:], ({person}, set()))
        raise AssertionError("a delta deleting a person's row was published without a check")
    except personal_data.PersonalDataFound as exc:
        assert "deltas/awards.csv: name of a natural person" in str(exc)
        assert "data/awards.parquet" not in str(exc)
    assert (tmp_path / "publish" / "latest").resolve() == first.path
