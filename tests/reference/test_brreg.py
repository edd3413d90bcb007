"""Brønnøysund readers on the real fixtures, and the fetchers against a loopback HTTP server."""

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assets.reference import brreg
from assets.reference.assets import BUNDLED


@pytest.fixture(scope="module")
def bulk(fixtures):
    return brreg.read_units(fixtures / "brreg" / "enheter_lastned_csv_selection_4924rows.csv")


def test_bulk_csv_reads_every_unit(bulk):
    assert len(bulk) == 4924 and bulk["orgnr"].is_unique
    ways = bulk.set_index("orgnr").loc["832175692"]
    assert (ways["name"], ways["org_form"], ways["nace_code"], ways["kommune_code"]) == ("WAYS AS", "AS", "62.010", "0301")
    assert str(ways["founding_date"]) == "2023-07-07" and ways["institutional_sector_code"] == "2100"
    assert (bulk["org_form"] == "ENK").sum() == 1788


def test_api_json_unit_and_search_page(fixtures):
    equinor = brreg.read_units(fixtures / "brreg" / "api_enhet_923609016_equinor_REPAIRED.json").iloc[0]
    assert (equinor["orgnr"], equinor["org_form"], str(equinor["founding_date"])) == ("923609016", "ASA", "1972-09-18")
    page = brreg.read_units(fixtures / "brreg" / "api_enheter_search_asa_size5_REPAIRED.json")
    assert len(page) == 5 and set(page["org_form"]) == {"ASA"}
    deleted = brreg.read_units(fixtures / "brreg" / "pythonbrreg_enheter-details-deleted-response.json").iloc[0]
    assert str(deleted["deleted_date"]) == "2017-10-20"


@pytest.mark.parametrize("name, message", [
    ("api_enhet_923609016_equinor_RAW_with_U+XXXX_artifacts.json", r"contains <U\+00..>.*unicode_escape_artefact"),
    ("statbus_small-history_2015-enheter_EXCEL-STYLE.csv", r"record 1: stiftelsesdato '01.01.2014' breaks brreg.date.iso"),
])
def test_mangled_files_are_refused_naming_file_record_and_rule(fixtures, name, message):
    with pytest.raises(brreg.BrregFileError, match=name.replace("+", r"\+") + ".*" + message):
        brreg.read_units(fixtures / "brreg" / name)


def test_bundled_snapshot_holds_the_sample_units_unchanged(bulk):
    snapshot = brreg.read_units(BUNDLED / "brreg_enheter" / "enheter_sample.csv")
    assert len(snapshot) == 29 and (snapshot["org_form"] == "ENK").sum() == 4
    fixture = bulk.set_index("orgnr").loc[snapshot["orgnr"]].reset_index()
    assert snapshot.astype(str).to_dict("records") == fixture[snapshot.columns].astype(str).to_dict("records")
    assert (BUNDLED / "brreg_enheter" / "PROVENANCE.md").is_file()


class FakeRegister(BaseHTTPRequestHandler):
    """``/enheter?…&page=&size=`` over a list of units, with the real API's paging envelope."""

    units: list[dict] = []
    requests: list[dict] = []

    def do_GET(self):  # noqa: N802
        query = {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).items()}
        self.requests.append(query)
        hits = self.units
        if "organisasjonsnummer" in query:
            wanted = set(query["organisasjonsnummer"].split(","))
            hits = [u for u in hits if u["organisasjonsnummer"] in wanted]
        lo = query.get("fraRegistreringsdatoEnhetsregisteret", "0000")
        hi = query.get("tilRegistreringsdatoEnhetsregisteret", "9999")
        hits = [u for u in hits if lo <= u["registreringsdatoEnhetsregisteret"] <= hi]
        size, page = int(query["size"]), int(query["page"])
        body = {"_embedded": {"enheter": hits[page * size:(page + 1) * size]},
                "page": {"size": size, "totalElements": len(hits), "totalPages": -(-len(hits) // size), "number": page}}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture()
def register(fixtures):
    page = json.loads((fixtures / "brreg" / "api_enheter_search_asa_size5_REPAIRED.json").read_text(encoding="utf-8"))
    FakeRegister.units = page["_embedded"]["enheter"]
    FakeRegister.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeRegister)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_fetch_units_pages_through_chunks(register):
    orgnrs = [u["organisasjonsnummer"] for u in FakeRegister.units]
    units = brreg.fetch_units(orgnrs, base_url=register, chunk=2)
    assert sorted(units["orgnr"]) == sorted(orgnrs)
    assert len(FakeRegister.requests) == 3  # 5 orgnrs, two per query


def test_search_over_the_hit_limit_is_split_by_registration_date(register):
    found = list(brreg.search_pages({}, base_url=register, page_size=2, max_hits=2))
    assert sorted(u["organisasjonsnummer"] for u in found) == sorted(u["organisasjonsnummer"] for u in FakeRegister.units)
    assert any("fraRegistreringsdatoEnhetsregisteret" in q for q in FakeRegister.requests)
    # no part that was read page by page had more hits than the limit
    assert all(int(q["page"]) <= 1 for q in FakeRegister.requests)
