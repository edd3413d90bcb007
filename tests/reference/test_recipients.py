"""Recipient identity and pseudonyms, on the real Brønnøysund units the sample names."""

import datetime as dt
import json

import pandas as pd
import pyarrow as pa

from assets.reference import brreg, recipients as rcp
from assets.reference.assets import BUNDLED, build_organisations

KEY = b"test-key"


def units():
    return brreg.read_units(BUNDLED / "brreg_enheter" / "enheter_sample.csv")


def mentions(rows):
    return pd.DataFrame(rows, columns=["name", "orgnr"]).astype(object)


def test_orgnr_first_and_two_orgnrs_never_merged():
    resolved = rcp.resolve(mentions([("WINDSIM AS", "967070513"), ("WindSim A/S", "989094823"),
                                     ("Windsim AS", None)]), units(), KEY)
    by_key = resolved.set_index("identity_key")
    # the same normalised name under two orgnrs: both stay, and the name-only mention is not forced onto either
    assert by_key.loc["orgnr:967070513", "org_id"] == "NO-BRC-967070513"
    assert by_key.loc["orgnr:989094823", "org_id"] == "NO-BRC-989094823"
    assert by_key.loc["name:windsim as", "match"] == "name_only"
    assert by_key.loc["name:windsim as", "confidence"] == rcp.NAME_ONLY_CONFIDENCE


def test_name_matches_an_orgnr_when_exactly_one_carries_it():
    resolved = rcp.resolve(mentions([("Nofima A/S", None)]), units(), KEY).iloc[0]
    assert (resolved["org_id"], resolved["match"], resolved["confidence"]) == ("NO-BRC-989278835", "name_to_orgnr", 0.9)


def test_enk_from_the_register_is_a_person_even_with_an_organisation_word():
    # CORNELIUSSEN GROUP is an ENK in Enhetsregisteret: "group" does not make it a company.
    resolved = rcp.resolve(mentions([("CORNELIUSSEN GROUP", "992710977"), ("OLAV TAKSDAL", None),
                                     ("Black Sea Energy Cluster", None)]), units(), KEY).set_index("identity_key")
    assert resolved.loc["orgnr:992710977", "is_natural_person"]
    assert resolved.loc["orgnr:992710977", "org_id"].startswith("NO-PERSON-")
    assert resolved.loc["name:olav taksdal", "is_natural_person"]
    assert not resolved.loc["name:black sea energy cluster", "is_natural_person"]


def test_a_name_matched_to_an_orgnr_takes_that_orgnrs_identity_whole():
    # "KARI HANSEN" alone reads as a person, but its only orgnr is a company's identity: same id, not a person.
    resolved = rcp.resolve(mentions([("Hansen Frukt AS", "923609016"), ("KARI HANSEN", "923609016"),
                                     ("KARI HANSEN", None)]), units(), KEY).set_index("identity_key")
    assert resolved.loc["name:kari hansen", "org_id"] == resolved.loc["orgnr:923609016", "org_id"] == "NO-BRC-923609016"
    assert not resolved.loc["name:kari hansen", "is_natural_person"]


def test_a_name_the_register_gives_an_organisation_is_never_a_person():
    # A company registered as plain "PELAGIA" (no organisation word), named on an orgnr the register lacks.
    register = units().assign(name=lambda u: u["name"].replace("PELAGIA AS", "PELAGIA"))
    assert not rcp.has_org_marker("PELAGIA")
    assert not rcp.resolve(mentions([("Pelagia", "800000006")]), register, KEY).iloc[0]["is_natural_person"]
    assert rcp.resolve(mentions([("Pelagia", "800000006")]), units(), KEY).iloc[0]["is_natural_person"]


def test_a_persons_name_typed_on_an_organisations_row_is_not_shown():
    from assets.reference.enrichment import identify

    resolved = rcp.resolve(mentions([("Hansen Frukt AS", "923609016"), ("KARI NORDMANN", "811111111")]),
                           units(), KEY)
    rows = pd.DataFrame({"name": ["Hansen Frukt AS", "KARI NORDMANN", "Kari  Nordmann"],
                         "orgnr": ["923609016", "811111111", "923609016"], "org_id": [None] * 3}).astype(object)
    out = identify(rows, resolved, "name", "orgnr", "org_id")
    assert out["name"].tolist() == ["Hansen Frukt AS", rcp.PERSON_LABEL, "Hansen Frukt AS"]
    assert out["org_id"].iloc[2] == "NO-BRC-923609016"


def test_an_organisation_first_named_by_a_persons_name_is_published_without_it():
    # Found at 10M synthetic records: an ENK (a person, by the register) carried an institution's name, and
    # the organisations table showed that name on the institution's own row, which the guard refused.
    resolved = rcp.resolve(mentions([("CORNELIUSSEN GROUP", "992710977"), ("Corneliussen Group", "923609016"),
                                     ("Hansen Frukt AS", "923609016")]), units(), KEY)
    orgs = rcp.organisations(resolved, units()).set_index("org_id")
    assert not orgs.loc["NO-BRC-923609016", "is_natural_person"]
    assert orgs.loc["NO-BRC-923609016", "org_name"] is None
    assert orgs.loc[orgs["is_natural_person"], "org_name"].tolist() == [rcp.PERSON_LABEL]


def test_pseudonyms_are_stable_and_keyed():
    one = rcp.person_id("orgnr:992710977", KEY)
    assert one == rcp.person_id("orgnr:992710977", KEY) != rcp.person_id("orgnr:992710977", b"other")
    assert "992710977" not in one


def test_key_from_environment_or_a_private_file(tmp_path, monkeypatch):
    monkeypatch.delenv("INNOFUND_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("INNOFUND_PSEUDONYM_KEY_FILE", raising=False)
    file = tmp_path / ".secrets" / "pseudonym.key"
    first = rcp.pseudonym_key(file)
    assert first == rcp.pseudonym_key(file) and len(first) == 64
    assert file.stat().st_mode & 0o077 == 0
    monkeypatch.setenv("INNOFUND_PSEUDONYM_KEY", "abc")
    assert rcp.pseudonym_key(file) == b"abc"


def test_organisations_keep_register_facts_but_not_a_persons():
    resolved = rcp.resolve(mentions([("CORNELIUSSEN GROUP", "992710977"), ("PORSGRUNN KOMMUNE", "939991034")]),
                           units(), KEY)
    orgs = rcp.organisations(resolved, units()).set_index("org_id")
    komm = orgs.loc["NO-BRC-939991034"]
    assert (komm["org_form"], komm["is_public_sector"], komm["in_business_register"]) == ("KOMM", True, True)
    person = orgs.loc[orgs["is_natural_person"]].iloc[0]
    assert person["org_name"] == rcp.PERSON_LABEL and person["org_form"] == "ENK"
    assert pd.isna(person["nace_code"]) and pd.isna(person["business_kommune_code"])


def test_empty_landing_builds_an_empty_organisations_table():
    table, resolved = build_organisations(mentions([]), units(), KEY)
    assert table.num_rows == 0 and resolved.empty
    assert table.schema.field("founding_date").type == pa.date32()


def test_startup_is_founded_at_most_three_years_before_the_award():
    founding = pd.Series([dt.date(2012, 5, 1), dt.date(2012, 5, 1), None], dtype=object)
    award = pd.Series([dt.date(2015, 5, 1), dt.date(2015, 5, 2), dt.date(2015, 5, 1)], dtype=object)
    assert rcp.is_startup(founding, award).tolist() == [True, False, None]


def test_personal_values_are_blanked_in_error_values_and_raw_records():
    from assets.reference.enrichment import mask_personal

    personal = frozenset({"OLAV TAKSDAL", "992710977"})
    assert mask_personal("992710977", personal) is None
    assert mask_personal("SINTEF AS", personal) == "SINTEF AS"
    raw = '{"Mottaker": "OLAV TAKSDAL", "Org.nr": "00992710977", "Beløp": "100 000"}'
    assert json.loads(mask_personal(raw, personal)) == {"Mottaker": None, "Org.nr": None, "Beløp": "100 000"}
