"""forskningsradet_eu on the full bevilgningereu file: 2,931 participations in 1,957 Horizon 2020 projects."""

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from assets.sources.parsing import clean_orgnr
from tests.conftest import FIXTURES, landing_with, run_graph
from tests.sources.helpers import read_and_stage, reconciliation

SOURCE = "forskningsradet_eu"
FILE = FIXTURES / "forskningsradet" / "bevilgningereu_dataset.csv"


@pytest.fixture(scope="module")
def independent():
    """The file as pandas' C parser reads it: a second opinion on records and values."""
    return pd.read_csv(FILE, sep=";", dtype=str, keep_default_na=False, encoding="utf-8")


@pytest.fixture(scope="module")
def staged():
    return read_and_stage(SOURCE, FILE)


@pytest.fixture(scope="module")
def graph_out(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("eu")
    out = tmp / "output"
    assert run_graph(landing_with(tmp, {f"{SOURCE}/{FILE.name}": FILE}), out).success
    return out


def test_every_record_is_read_once(staged, independent):
    raw, result, report = staged
    assert report.rows_read == len(independent) == 2931
    assert report.encoding == "utf-8" and result.read_quarantine.empty
    assert raw["Prosjektnr"].nunique() == 1957
    # Quoted titles holding the delimiter arrive whole, and no CR of the CRLF line ends sticks to a value.
    assert any(";" in t for t in raw["Prosjektnavn"])
    assert not raw["Innvilget beløp organisasjon EUR"].str.contains("\r").any()
    assert raw["Prosjektnavn"].tolist() == independent["Prosjektnavn"].tolist()


def test_award_per_participation_with_stable_unique_ids(staged, independent):
    awards = staged[1].tables["awards"]
    expected = (SOURCE + ":" + independent["Prosjektnr"] + ":" + independent["Deltakernr"]).tolist()
    assert awards["award_id"].tolist() == expected
    assert awards["award_id"].is_unique
    again = read_and_stage(SOURCE, FILE)[1].tables["awards"]
    assert again["award_id"].tolist() == awards["award_id"].tolist()
    assert set(awards["project_id"]) == set("cordis:" + independent["Prosjektnr"])
    assert set(awards["currency_original"]) == {"EUR"} and set(awards["instrument"]) == {"grant"}
    assert awards["status"].tolist() == independent["Kontraktstatus"].tolist()


def test_amounts_keep_float_noise_exactly(staged, independent):
    awards = staged[1].tables["awards"]
    assert awards["amount_original"].tolist() == [float(v) for v in independent["Innvilget beløp organisasjon EUR"]]
    noisy = awards.loc[awards["award_id"] == f"{SOURCE}:883188:4", "amount_original"].item()
    assert noisy == 626199.99999984


def test_award_date_is_the_contract_signature(staged, independent):
    awards = staged[1].tables["awards"]
    signed = pd.to_datetime(independent["Kontrakt signeringsdato"], format="%d.%m.%Y %H:%M")
    assert awards["award_date"].tolist() == signed.tolist()
    assert set(awards["award_date_basis"]) == {"contract_signature_date"}
    assert awards["award_year"].tolist() == signed.dt.year.tolist()


def test_orgnr_and_codes_keep_their_digits(staged, independent):
    awards = staged[1].tables["awards"]
    assert awards["recipient_orgnr"].notna().sum() == 2928
    assert awards["recipient_orgnr"].dropna().str.fullmatch(r"\d{9}").all()
    assert awards["recipient_orgnr_raw"].fillna("").tolist() == independent["Organisasjonsnummer"].tolist()
    oslo = awards["kommune_name"] == "Oslo"
    assert oslo.any() and set(awards.loc[oslo, "kommune_code"]) == {"0301"} and set(awards.loc[oslo, "fylke_code"]) == {"03"}
    coded = awards.dropna(subset=["kommune_code"])
    assert len(coded) == (independent["Adresse kommunenummer"] != "").sum()
    assert (coded["kommune_code"].str.len() == 4).all() and (coded["kommune_code"].str[:2] == coded["fylke_code"]).all()
    # Æ, Ø and Å arrive exactly.
    assert awards["fylke_name"].fillna("").tolist() == independent["Adresse fylke"].tolist()
    assert "Trøndelag - Trööndelage" in set(awards["fylke_name"])


def test_one_project_per_project_number_led_by_its_norwegian_coordinator(staged, independent):
    projects = staged[1].tables["projects"]
    assert len(projects) == 1957 and projects["project_id"].is_unique
    coordinators = independent.loc[independent["Organisasjon rolle"] == "COORDINATOR"]
    by_project = projects.set_index("project_id")
    for _, row in coordinators.iterrows():
        project = by_project.loc["cordis:" + row["Prosjektnr"]]
        assert (project["recipient_orgnr_raw"] if pd.notna(project["recipient_orgnr_raw"]) else "") == row["Organisasjonsnummer"]
        assert project["title"] == row["Prosjektnavn"]
    led_abroad = ~by_project.index.isin("cordis:" + coordinators["Prosjektnr"])
    assert led_abroad.sum() == 1957 - 706
    assert by_project.loc[led_abroad, "recipient_name"].isna().all()
    first = by_project.loc["cordis:951956"]
    assert (first["start_year"], first["end_year"]) == (2020, 2024)


def test_participants_name_every_participation(staged, independent):
    participants = staged[1].tables["participants"]
    assert participants["participant_id"].tolist() == staged[1].tables["awards"]["award_id"].tolist()
    assert participants["role"].value_counts().to_dict() == {"participant": 2225, "coordinator": 706}
    assert set(participants["country_code"]) == {"NO"} and set(participants["currency_original"]) == {"EUR"}
    assert participants["participant_orgnr"].tolist() == independent["Organisasjonsnummer"].map(clean_orgnr).tolist()


def test_graph_publishes_and_reconciles_every_participation(graph_out):
    row = reconciliation(graph_out).loc[FILE.name]
    assert (row["rows_read"], row["rows_published"], row["rows_quarantined"], row["rows_excluded"]) == (2931, 2931, 0, 0)
    assert row["balanced"]
    participants = pq.read_table(graph_out / "core" / "participants.parquet").to_pandas()
    assert len(participants) == 2931
    # every participation with an orgnr is identified: by NO-BRC, or by a pseudonym when it is a natural person
    assert participants["participant_org_id"].str.match(r"NO-(BRC|PERSON)-").sum() == 2928
    latest = graph_out / "publish" / "latest" / "data"
    assert pq.read_table(latest / "participants.parquet").num_rows == 2931
    con = duckdb.connect(str(graph_out / "warehouse" / "innofund.duckdb"), read_only=True)
    try:
        counts = con.execute("SELECT (SELECT count(*) FROM awards), (SELECT count(*) FROM projects), "
                             "(SELECT count(*) FROM participants)").fetchone()
    finally:
        con.close()
    assert counts == (2931, 1957, 2931)
