"""The partnership register (YAML) and procurement notices (eForms UBL, TED R2.0.9): read, map, link."""

import copy
from pathlib import Path

import pandas as pd
import pytest
import yaml
from lxml import etree

from assets.ingest import read_file, read_landing, stage
from assets.outcomes import link_notices
from assets.sources import SOURCES, UnreadableFile
from assets.sources import doffin_notices, partnerships
from assets.sources.parsing import READ_INVALID_STRUCTURE
from pipelines.resources import SAMPLE_LANDING

DOFFIN = "doffin_ted"
CN_24 = "SYNTHETIC_dfo_eforms_test_cn_24.xml"
SAMPLE_NOTICES = SAMPLE_LANDING / "doffin_notices"
SAMPLE_REGISTER = SAMPLE_LANDING / "partnerships" / "register.yaml"
NS = doffin_notices.NS


@pytest.fixture(scope="module")
def dfo_labels(fixtures):
    """Norwegian labels straight from DFØ's codelist fixtures, read here independently of the reader."""
    def load(name):
        return {code: " ".join(entry["nob"].split())
                for code, entry in yaml.safe_load((fixtures / DOFFIN / f"eforms-sdk-nor_{name}.yaml").read_text()).items()}
    return {"procedure": load("procurement-procedure-type"), "innovative": load("innovative-acquisition")}


def staged_rows(source_id: str, *paths: Path) -> tuple[dict, list]:
    """Read files as the raw layer does, then stage them: (staged tables, file reports)."""
    source = SOURCES[source_id]
    raw, reports = read_landing(source, list(paths))
    return stage(source, raw.to_pandas()), reports


def dfo_variant(fixtures, tmp_path: Path, procedure: str, innovative: list[str]) -> Path:
    """DFØ's cn_24.xml with another BT-105 procedure type and BT-776 codes on its lot."""
    tree = etree.parse(str(fixtures / DOFFIN / CN_24))
    root = tree.getroot()
    root.find("cac:TenderingProcess/cbc:ProcedureCode", NS).text = procedure
    project = root.find("cac:ProcurementProjectLot/cac:ProcurementProject", NS)
    anchor = project.find("cbc:ProcurementTypeCode", NS)
    for code in reversed(innovative):
        extra = etree.Element(f"{{{NS['cac']}}}ProcurementAdditionalType")
        etree.SubElement(extra, f"{{{NS['cbc']}}}ProcurementTypeCode", listName="innovative-acquisition").text = code
        anchor.addnext(extra)
    target = tmp_path / f"cn_24_{procedure}.xml"
    tree.write(str(target), xml_declaration=True, encoding="UTF-8")
    return target


# --- eForms -------------------------------------------------------------------------------------------------
def test_bundled_codelists_are_dfos(fixtures):
    for name in ("procurement-procedure-type", "innovative-acquisition"):
        bundled = doffin_notices.CODELISTS / f"{name}.yaml"
        assert bundled.read_bytes() == (fixtures / DOFFIN / f"eforms-sdk-nor_{name}.yaml").read_bytes()


def test_eforms_innovation_partnership_on_the_dfo_structure(fixtures, tmp_path, dfo_labels):
    path = dfo_variant(fixtures, tmp_path, "innovation", ["mar-nov", "rd-act"])
    result, _ = staged_rows("doffin_notices", path)
    (row,) = result.tables["procurement"].to_dict("records")
    text = (fixtures / DOFFIN / CN_24).read_text(encoding="utf-8")
    assert "<cbc:CompanyID>964967369</cbc:CompanyID>" in text  # the buyer ORG-0001 in the fixture
    assert row["buyer_org_id"] == "NO-BRC-964967369" and row["buyer_name"] == "Flekkefjord Kommune"
    assert row["procedure_type"] == "innovation" and row["is_innovation_partnership"] is True
    assert row["procedure_type_label"] == dfo_labels["procedure"]["innovation"] == "Innovasjonspartnerskap"
    assert row["innovative_procurement"] == "mar-nov;rd-act"
    assert row["innovative_procurement_label"] == " | ".join(dfo_labels["innovative"][c] for c in ("mar-nov", "rd-act"))
    assert row["lot_id"] == "LOT-0001" and row["lot_title"] == "25088 Snekkertjenester, rammeavtale"
    # The lot states no value; the procedure's estimate (BT-27) is the single lot's.
    assert row["estimated_value"] == 16_000_000 and row["value_currency"] == "NOK"
    assert row["notice_id"] == "ac61f12e-f19b-4424-abdd-37af78634acd"
    assert row["procedure_id"] == "08921c1a-89a4-4b71-90ff-63f11972d7e2"
    assert pd.isna(row["notice_date"]), "the fixture's IssueDate is a template placeholder"


def test_eforms_open_procedure_on_the_dfo_structure(fixtures, tmp_path, dfo_labels):
    path = dfo_variant(fixtures, tmp_path, "open", [])
    result, _ = staged_rows("doffin_notices", path)
    (row,) = result.tables["procurement"].to_dict("records")
    assert row["procedure_type"] == "open" and row["is_innovation_partnership"] is False
    assert row["procedure_type_label"] == dfo_labels["procedure"]["open"]
    assert pd.isna(row["innovative_procurement"]) and pd.isna(row["innovative_procurement_label"])


def test_the_dfo_test_notice_itself(fixtures, dfo_labels):
    result, reports = staged_rows("doffin_notices", fixtures / DOFFIN / CN_24)
    assert reports[0].read_status == "ok" and reports[0].rows_read == 1
    (row,) = result.tables["procurement"].to_dict("records")
    assert row["procedure_type"] == "oth-single"
    assert row["procedure_type_label"] == dfo_labels["procedure"]["oth-single"]
    assert row["notice_type"] == "contract_notice" and row["notice_schema"] == "eforms"


def test_contract_award_notice_lots_suppliers_values(dfo_labels):
    result, _ = staged_rows("doffin_notices", SAMPLE_NOTICES / "SYNTHETIC_eforms_can_open_procedure.xml")
    rows = {r["lot_id"]: r for r in result.tables["procurement"].to_dict("records")}
    assert set(rows) == {"LOT-0001", "LOT-0002"}
    won, closed = rows["LOT-0001"], rows["LOT-0002"]
    assert won["notice_type"] == "contract_award_notice"
    assert won["procedure_type_label"] == dfo_labels["procedure"]["open"] and not won["is_innovation_partnership"]
    assert won["tender_id"] == "TEN-0001" and won["awarded_value"] == 4_800_000 and won["value_currency"] == "NOK"
    # The tendering party is a group; the supplier is its leader (ORG-0003), not the first listed member.
    assert won["supplier_name"] == "Nattlys Omsorgsteknologi AS" and won["supplier_org_id"] == "NO-BRC-137558319"
    assert str(won["contract_date"]) == "2023-03-15"
    assert won["estimated_value"] == 5_000_000 and closed["estimated_value"] == 400_000
    assert pd.isna(closed["supplier_name"]) and pd.isna(closed["tender_id"])
    assert won["procurement_id"] == f"doffin_notices:{won['notice_id']}:LOT-0001:TEN-0001"


def test_sample_innovation_notice_bt776(dfo_labels):
    result, _ = staged_rows("doffin_notices", SAMPLE_NOTICES / "SYNTHETIC_eforms_cn_innovation_partnership.xml")
    (row,) = result.tables["procurement"].to_dict("records")
    assert row["is_innovation_partnership"] and row["innovative_procurement"] == "mar-nov;rd-act"
    assert row["innovative_procurement_label"].split(" | ") == [dfo_labels["innovative"]["mar-nov"],
                                                                dfo_labels["innovative"]["rd-act"]]


TED_F03 = """<?xml version="1.0" encoding="ISO-8859-1"?>
<TED_ESENDERS xmlns="http://publications.europa.eu/resource/schema/ted/R2.0.9/reception">
  <SENDER><IDENTIFICATION><NO_DOC_EXT>2020-400777</NO_DOC_EXT></IDENTIFICATION></SENDER>
  <FORM_SECTION><F03_2014 FORM="F03" LG="NO">
    <CONTRACTING_BODY><ADDRESS_CONTRACTING_BODY><OFFICIALNAME>Tromsø kommune</OFFICIALNAME>
      <NATIONALID>940101808</NATIONALID></ADDRESS_CONTRACTING_BODY></CONTRACTING_BODY>
    <OBJECT_CONTRACT><TITLE><P>Sensorer for vannmåling</P></TITLE><REFERENCE_NUMBER>20/77</REFERENCE_NUMBER></OBJECT_CONTRACT>
    <PROCEDURE><PT_INNOVATION_PARTNERSHIP/></PROCEDURE>
    <AWARD_CONTRACT ITEM="1"><CONTRACT_NO>K-1</CONTRACT_NO><LOT_NO>1</LOT_NO><TITLE><P>Måler</P></TITLE>
      <AWARDED_CONTRACT><DATE_CONCLUSION_CONTRACT>2020-11-02</DATE_CONCLUSION_CONTRACT>
        <CONTRACTORS><CONTRACTOR><ADDRESS_CONTRACTOR><OFFICIALNAME>Vannøye AS</OFFICIALNAME>
          <NATIONALID>184352141</NATIONALID></ADDRESS_CONTRACTOR></CONTRACTOR></CONTRACTORS>
        <VALUES><VAL_TOTAL CURRENCY="NOK">2500000</VAL_TOTAL></VALUES></AWARDED_CONTRACT></AWARD_CONTRACT>
    <AWARD_CONTRACT ITEM="2"><LOT_NO>2</LOT_NO><NO_AWARDED_CONTRACT/></AWARD_CONTRACT>
  </F03_2014></FORM_SECTION>
</TED_ESENDERS>
"""


def test_old_ted_schema_innovation_partnership(tmp_path):
    result, _ = staged_rows("doffin_notices", SAMPLE_NOTICES / "SYNTHETIC_ted_f02_innovation_partnership.xml")
    (row,) = result.tables["procurement"].to_dict("records")
    assert row["notice_schema"] == "ted" and row["notice_type"] == "contract_notice"
    assert row["procedure_type"] == "innovation" and row["is_innovation_partnership"] is True
    assert row["notice_id"] == "2019-300123" and row["buyer_org_id"] == "NO-BRC-883974832"
    assert row["estimated_value"] == 15_000_000 and str(row["notice_date"]) == "2019-05-02"

    award = tmp_path / "f03.xml"
    award.write_bytes(TED_F03.encode("iso-8859-1"))
    result, _ = staged_rows("doffin_notices", award)
    rows = {r["lot_id"]: r for r in result.tables["procurement"].to_dict("records")}
    assert rows["1"]["supplier_name"] == "Vannøye AS", "ISO-8859-1 declared by the file is honoured"
    assert rows["1"]["awarded_value"] == 2_500_000 and str(rows["1"]["contract_date"]) == "2020-11-02"
    assert rows["1"]["is_innovation_partnership"] and rows["1"]["notice_type"] == "contract_award_notice"
    assert pd.isna(rows["2"]["supplier_name"])


def test_xml_entities_are_never_expanded(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    hostile = tmp_path / "xxe.xml"
    hostile.write_text(f'<?xml version="1.0"?><!DOCTYPE ContractNotice [<!ENTITY x SYSTEM "file://{secret}">]>'
                       '<ContractNotice xmlns="urn:oasis:names:specification:ubl:schema:xsd:ContractNotice-2">&x;</ContractNotice>')
    tables, (report,) = read_file(SOURCES["doffin_notices"], hostile)
    assert tables == [] and report.read_status == "unreadable"
    assert "xxe.xml" in report.read_problem and "DTD" in report.read_problem
    assert "TOP-SECRET" not in report.read_problem


def test_broken_and_unidentified_notices_are_named(tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text('<ContractNotice xmlns="urn:oasis:names:specification:ubl:schema:xsd:ContractNotice-2"><a>')
    with pytest.raises(UnreadableFile, match="broken.xml: not well-formed XML"):
        doffin_notices.read(broken)
    nameless = tmp_path / "nameless.xml"
    nameless.write_text('<ContractNotice xmlns="urn:oasis:names:specification:ubl:schema:xsd:ContractNotice-2"/>')
    records = doffin_notices.read(nameless)
    assert records.rows == [None]
    rule, text = records.problems[1]
    assert rule == READ_INVALID_STRUCTURE and "nameless.xml record 1" in text and "notice id" in text


def test_prior_information_notice_is_excluded_by_name(tmp_path):
    pin = tmp_path / "pin.xml"
    pin.write_text('<PriorInformationNotice xmlns="urn:oasis:names:specification:ubl:schema:xsd:PriorInformationNotice-2" '
                   'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
                   '<cbc:ID schemeName="notice-id">pin-1</cbc:ID></PriorInformationNotice>')
    result, _ = staged_rows("doffin_notices", pin)
    assert result.tables["procurement"].empty
    assert result.exclusions["rule_id"].tolist() == [doffin_notices.NOT_CONTRACT_OR_AWARD.rule_id]


# --- the register -------------------------------------------------------------------------------------------
def test_register_one_record_per_partnership_with_its_own_yaml():
    document = yaml.safe_load(SAMPLE_REGISTER.read_text(encoding="utf-8"))
    assert document["sample"] is True, "the bundled register must say it is a sample"
    records = partnerships.read(SAMPLE_REGISTER)
    assert not records.problems and len(records) == len(document["partnerships"])
    for (pid, text), entry in zip(records.rows, document["partnerships"]):
        assert pid == entry["partnership_id"]
        assert yaml.safe_load(text) == entry
    assert "# fictional" in records.rows[0][1], "the record's own lines, comments included, are kept"


def test_register_flattens_into_the_staged_tables():
    document = yaml.safe_load(SAMPLE_REGISTER.read_text(encoding="utf-8"))
    result, _ = staged_rows("partnerships", SAMPLE_REGISTER)
    first = document["partnerships"][0]
    rows = result.tables["partnerships"].set_index("partnership_id")
    assert rows.loc[first["partnership_id"], "phase"] == list(first["phases"])[-1]
    assert rows.loc[first["partnership_id"], "public_participant_count"] == len(first["public_partners"])
    assert rows.loc[first["partnership_id"], "company_count"] == len({c["orgnr"] for c in first["companies"]})
    participants = result.tables["participants"]
    mine = participants.loc[participants["partnership_id"] == first["partnership_id"]]
    assert len(mine) == len(first["public_partners"]) + len(first["companies"])
    assert set(mine["role"]) == {p["role"] for p in first["public_partners"] + first["companies"]}
    assert mine["participant_id"].is_unique and mine["participant_org_id"].str.startswith("NO-BRC-").all()
    funding = result.tables["partnership_funding"]
    assert funding["funding_award_id"].dropna().tolist() == [f["award_id"] for p in document["partnerships"]
                                                               for f in p.get("funding", []) if "award_id" in f]
    outcomes = result.tables["outcomes"]
    indicator = first["indicators"][0]
    measured = outcomes.loc[outcomes["indicator"] == indicator["indicator"]]
    assert measured["target_value"].tolist() == [p["target"] for p in indicator["periods"]]
    assert measured["actual_value"].tolist() == [p["actual"] for p in indicator["periods"]]
    assert (measured["baseline_value"] == indicator["baseline"]["value"]).all()


def test_register_problems_name_file_record_and_rule(tmp_path):
    document = yaml.safe_load(SAMPLE_REGISTER.read_text(encoding="utf-8"))
    bad = copy.deepcopy(document["partnerships"][0])
    bad["partnership_id"] = "BAD-1"
    bad["companies"][0]["role"] = "vendor"
    bad["public_partners"] = [p for p in bad["public_partners"] if p["role"] != "need_owner"]
    bad["public_partners"][0]["orgnr"] = "940493022"  # fails mod 11
    bad["phases"]["testing"] = {"start": "2020-01-01"}
    document["partnerships"].append(bad)
    path = tmp_path / "register.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    records = partnerships.read(path)
    assert len(records) == 4 and records.rows[3] is None and set(records.problems) == {4}
    rule, text = records.problems[4]
    assert rule == READ_INVALID_STRUCTURE
    for expected in ("register.yaml record 4 (BAD-1)", "companies[0].role: 'vendor'", "need_owner is required",
                     "public_partners[0].orgnr", "phases.testing: unknown phase", "partnership_id: BAD-1"):
        assert expected in text


def test_a_file_that_is_not_a_register_is_unreadable(tmp_path):
    path = tmp_path / "register.yaml"
    path.write_text("partnerships: {SAMPLE: 1}\n")
    with pytest.raises(UnreadableFile, match="register.yaml: expected a mapping with a `partnerships:` list"):
        partnerships.read(path)


# --- linking notices to partnerships --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def staged_sample():
    register, _ = staged_rows("partnerships", SAMPLE_REGISTER)
    notices, _ = staged_rows("doffin_notices", *sorted(SAMPLE_NOTICES.glob("*.xml")))
    return register.tables, notices.tables["procurement"]


def test_notices_link_by_id_and_by_buyer_and_title(staged_sample):
    register, procurement = staged_sample
    linked = link_notices(procurement, register["partnerships"], register["participants"])
    by_notice = linked.drop_duplicates("notice_id").set_index("notice_id")
    listed = register["partnerships"].dropna(subset=["notice_ids"])
    register_ids = dict(zip(listed["notice_ids"], listed["partnership_id"]))  # one notice each in the sample
    for notice_id, pid in register_ids.items():
        assert (by_notice.loc[notice_id, "partnership_id"], by_notice.loc[notice_id, "link_method"]) == (pid, "notice_id")
    unlisted = by_notice.loc[~by_notice.index.isin(list(register_ids))]
    assert len(unlisted) == 1 and unlisted["link_method"].tolist() == ["buyer_title"]
    # The award notice's buyer is the need owner of the partnership whose title its own title contains.
    pid = unlisted["partnership_id"].iloc[0]
    title = register["partnerships"].set_index("partnership_id").loc[pid, "title"]
    assert title.casefold() in unlisted["notice_title"].iloc[0].casefold()


def test_notices_link_by_procedure_id_too(staged_sample):
    register, procurement = staged_sample
    partnerships_ = register["partnerships"].copy()
    target = procurement.loc[procurement["is_innovation_partnership"] & (procurement["notice_schema"] == "eforms")].iloc[0]
    partnerships_["notice_ids"] = partnerships_["notice_ids"].replace({target["notice_id"]: target["procedure_id"]})
    linked = link_notices(procurement, partnerships_, register["participants"])
    row = linked.loc[linked["notice_id"] == target["notice_id"]].iloc[0]
    assert row["link_method"] == "notice_id"


def test_no_link_without_the_buyer_or_when_ambiguous(staged_sample):
    register, procurement = staged_sample
    award = procurement.loc[procurement["notice_type"] == "contract_award_notice"]
    other_buyer = award.assign(buyer_org_id="NO-BRC-964965870")  # Birkenes kommune: no partner of any partnership
    assert link_notices(other_buyer, register["partnerships"], register["participants"])["partnership_id"].isna().all()
    # A second partnership with the same title and public partners: the notice could be either's, so neither's.
    pid = link_notices(award, register["partnerships"], register["participants"])["partnership_id"].iloc[0]
    twin = register["partnerships"].loc[register["partnerships"]["partnership_id"] == pid].assign(
        partnership_id="SAMPLE-IP-TWIN", notice_ids=None)
    people = register["participants"]
    participants = pd.concat([people, people.loc[people["partnership_id"] == pid].assign(partnership_id="SAMPLE-IP-TWIN")],
                             ignore_index=True)
    both = pd.concat([register["partnerships"], twin], ignore_index=True)
    assert link_notices(award, both, participants)["partnership_id"].isna().all()
