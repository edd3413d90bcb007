"""Procurement notices from Doffin/TED: eForms UBL XML, and the older TED R2.0.9 forms. One file is one notice.

What is read: the buyer, the procedure type (BT-105; ``innovation`` marks an innovation partnership, as
``<PT_INNOVATION_PARTNERSHIP/>`` does in the older TED schema), the innovative-procurement codes (BT-776), the
lots, and for award notices the winning tenders with supplier, value and contract date. Labels come from DFØ's
Norwegian eForms codelists (``data/reference/eforms_codelists``).

The XML parser never expands entities or touches the network, and a notice that declares a DTD is refused.
Prior information notices and other forms have no competition or award to record and are excluded by name.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pandas as pd
import yaml
from lxml import etree

from .base import Canonical, ExclusionRule, RawRecords, Source, UnreadableFile, excluded_rows
from .parsing import READ_INVALID_STRUCTURE, clean_orgnr, parse_date, parse_decimal

SOURCE_ID = "doffin_notices"
FUNDER = "Doffin (public procurement notices)"
CODELISTS = Path(__file__).resolve().parents[2] / "data" / "reference" / "eforms_codelists"

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "efac": "http://data.europa.eu/p27/eforms-ubl-extension-aggregate-components/1",
    "efbc": "http://data.europa.eu/p27/eforms-ubl-extension-basic-components/1",
    "efext": "http://data.europa.eu/p27/eforms-ubl-extensions/1",
    "ext": "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2",
}
EFORMS_NOTICE_TYPES = {"ContractNotice": "contract_notice", "ContractAwardNotice": "contract_award_notice"}
EFORMS_ROOTS = (*EFORMS_NOTICE_TYPES, "PriorInformationNotice")
TED_ROOTS = ("TED_ESENDERS", "TED_EXPORT")
TED_FORMS = {"F02": "contract_notice", "F03": "contract_award_notice"}
# Old TED procedure elements -> the eForms BT-105 codes.
TED_PROCEDURES = {
    "PT_OPEN": "open", "PT_RESTRICTED": "restricted", "PT_COMPETITIVE_NEGOTIATION": "neg-w-call",
    "PT_COMPETITIVE_DIALOGUE": "comp-dial", "PT_INNOVATION_PARTNERSHIP": "innovation",
    "PT_NEGOTIATED_WITHOUT_PUBLICATION": "neg-wo-call", "PT_AWARD_CONTRACT_WITHOUT_CALL": "neg-wo-call",
}
INNOVATION_PARTNERSHIP = "innovation"
NORWEGIAN = ("NOR", "NOB", "NNO")
RESULTS = "ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent/efext:EformsExtension"

NOT_CONTRACT_OR_AWARD = ExclusionRule(
    f"{SOURCE_ID}.not_contract_or_award_notice",
    "A prior information notice, corrigendum or other form: no competition or award to record.",
)


def safe_parser(encoding: str | None = None) -> etree.XMLParser:
    """No entity expansion, no network, no DTD loading: a notice is data, never instructions."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           encoding=encoding)


def detect(path: Path, head: bytes) -> bool:
    return path.suffix.lower() == ".xml" and any(f"<{root}".encode() in head or f":{root}".encode() in head
                                                  for root in (*EFORMS_ROOTS, *TED_ROOTS))


# --- read: one record per file -------------------------------------------------------------------
def read(path: Path) -> RawRecords:
    data = path.read_bytes()
    if not data.strip():
        raise UnreadableFile(f"{path.name}: empty file")
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise UnreadableFile(f"{path.name}: not well-formed XML: {exc}") from exc
    info = root.getroottree().docinfo
    if info.doctype:
        raise UnreadableFile(f"{path.name}: declares a DTD ({info.doctype[:80]}); notices never do, so it is refused")
    encoding = info.encoding or "utf-8"
    try:
        text = data.decode("utf-8-sig" if encoding.lower() in ("utf-8", "utf8") else encoding)
    except (LookupError, UnicodeDecodeError) as exc:
        raise UnreadableFile(f"{path.name}: does not decode as its declared encoding {encoding}: {exc}") from exc
    schema = notice_schema(root)
    if schema is None:
        raise UnreadableFile(f"{path.name}: root element <{etree.QName(root).localname}> is neither an eForms "
                             f"notice ({', '.join(EFORMS_ROOTS)}) nor a TED form ({', '.join(TED_ROOTS)})")
    notice_id = eforms_notice_id(root) if schema == "eforms" else ted_notice_id(root)
    if not notice_id:
        problem = (f"{path.name} record 1: the notice has no notice id "
                   "(eForms cbc:ID schemeName=notice-id; TED NO_DOC_EXT or DOC_ID)\n" + text)
        return RawRecords(columns=["notice_id", "notice_schema", "notice_xml"], rows=[None],
                          problems={1: (READ_INVALID_STRUCTURE, problem)}, encoding=encoding)
    return RawRecords(columns=["notice_id", "notice_schema", "notice_xml"], rows=[[notice_id, schema, text]],
                      encoding=encoding)


def notice_schema(root: etree._Element) -> str | None:
    name = etree.QName(root).localname
    return "eforms" if name in EFORMS_ROOTS else "ted" if name in TED_ROOTS else None


def eforms_notice_id(root: etree._Element) -> str | None:
    return _text(root, "cbc:ID[@schemeName='notice-id']")


def ted_notice_id(root: etree._Element) -> str | None:
    return _ted_text(root, ".//*[local-name()='NO_DOC_EXT']") or (root.get("DOC_ID") or "").strip() or None


# --- codelists -------------------------------------------------------------------------------------
@functools.cache
def codelist(name: str) -> dict[str, str]:
    """Code -> Norwegian label from DFØ's eForms codelist YAML."""
    entries = yaml.safe_load((CODELISTS / f"{name}.yaml").read_text(encoding="utf-8"))
    return {code: " ".join(str(entry.get("nob") or entry.get("name") or "").split()) for code, entry in entries.items()}


def procedure_label(code: str | None) -> str | None:
    return codelist("procurement-procedure-type").get(code) if code else None


def innovative_labels(codes: list[str]) -> str | None:
    labels = codelist("innovative-acquisition")
    return " | ".join(labels.get(code, code) for code in codes) or None


# --- eForms ----------------------------------------------------------------------------------------
def _text(element: etree._Element, path: str) -> str | None:
    found = element.find(path, NS)
    text = found.text.strip() if found is not None and found.text else ""
    return text or None


def _name(element: etree._Element, path: str) -> str | None:
    """A multilingual name: the Norwegian one when the notice has it, else the first."""
    names = element.findall(path, NS)
    for name in names:
        if (name.get("languageID") or "").upper() in NORWEGIAN and (name.text or "").strip():
            return " ".join(name.text.split())
    return next((" ".join(n.text.split()) for n in names if (n.text or "").strip()), None)


def _amount(element: etree._Element, path: str) -> tuple[float | None, str | None]:
    found = element.find(path, NS)
    if found is None:
        return None, None
    return parse_decimal(found.text), found.get("currencyID")


def _date(value: str | None):
    """``2024-03-01``, ``2024-03-01Z`` or ``2024-03-01+01:00``: the date part."""
    match = re.match(r"\d{4}-\d{2}-\d{2}", value or "")
    return parse_date(match.group(0), ("%Y-%m-%d",)) if match else None


def _org_id(orgnr_raw: str | None) -> str | None:
    orgnr = clean_orgnr(orgnr_raw)
    return f"NO-BRC-{orgnr}" if orgnr else None


def eforms_rows(root: etree._Element) -> tuple[str | None, list[dict]]:
    """(notice type, one row per lot and winning tender) of an eForms notice."""
    notice_type = EFORMS_NOTICE_TYPES.get(etree.QName(root).localname)
    organisations = {
        _text(company, "cac:PartyIdentification/cbc:ID"): (
            _name(company, "cac:PartyName/cbc:Name"), _text(company, "cac:PartyLegalEntity/cbc:CompanyID"))
        for company in root.iterfind(f"{RESULTS}/efac:Organizations/efac:Organization/efac:Company", NS)
    }
    buyer_name, buyer_orgnr = organisations.get(
        _text(root, "cac:ContractingParty/cac:Party/cac:PartyIdentification/cbc:ID"), (None, None))
    procedure = _text(root, "cac:TenderingProcess/cbc:ProcedureCode")
    header = {
        "notice_id": eforms_notice_id(root), "notice_type": notice_type, "notice_schema": "eforms",
        "procedure_id": _text(root, "cbc:ContractFolderID"), "notice_date": _date(_text(root, "cbc:IssueDate")),
        "notice_title": _name(root, "cac:ProcurementProject/cbc:Name"),
        "buyer_org_id": _org_id(buyer_orgnr), "buyer_name": buyer_name,
        "procedure_type": procedure, "procedure_type_label": procedure_label(procedure),
        "is_innovation_partnership": procedure == INNOVATION_PARTNERSHIP,
    }
    procedure_estimate = _amount(root, "cac:ProcurementProject/cac:RequestedTenderTotal/cbc:EstimatedOverallContractAmount")
    lots = root.findall("cac:ProcurementProjectLot", NS)
    winners = eforms_winners(root, organisations)
    rows = []
    for lot in lots or [None]:
        lot_id = _text(lot, "cbc:ID") if lot is not None else None
        codes = [] if lot is None else [c.text.strip() for c in lot.iterfind(
            "cac:ProcurementProject/cac:ProcurementAdditionalType/cbc:ProcurementTypeCode[@listName='innovative-acquisition']", NS)
            if c.text and c.text.strip()]
        estimate = _amount(lot, "cac:ProcurementProject/cac:RequestedTenderTotal/cbc:EstimatedOverallContractAmount") \
            if lot is not None else (None, None)
        if estimate[0] is None and len(lots) <= 1:
            estimate = procedure_estimate  # the whole procedure is the one lot
        lot_row = {**header, "lot_id": lot_id,
                   "lot_title": _name(lot, "cac:ProcurementProject/cbc:Name") if lot is not None else None,
                   "innovative_procurement": ";".join(codes) or None, "innovative_procurement_label": innovative_labels(codes),
                   "estimated_value": estimate[0], "value_currency": estimate[1]}
        lot_winners = winners.get(lot_id, [])
        rows += [{**lot_row, **w, "value_currency": w["value_currency"] or estimate[1]} for w in lot_winners] or [lot_row]
    return notice_type, rows


def eforms_winners(root: etree._Element, organisations: dict) -> dict[str | None, list[dict]]:
    """Lot id -> the winning tenders with supplier, value and contract date, from efac:NoticeResult."""
    result = root.find(f"{RESULTS}/efac:NoticeResult", NS)
    if result is None:
        return {}
    parties = {}
    for party in result.iterfind("efac:TenderingParty", NS):
        tenderers = party.findall("efac:Tenderer", NS)
        lead = next((t for t in tenderers if _text(t, "efbc:GroupLeadIndicator") == "true"),
                    tenderers[0] if tenderers else None)
        parties[_text(party, "cbc:ID")] = organisations.get(_text(lead, "cbc:ID"), (None, None)) if lead is not None else (None, None)
    tenders = {_text(t, "cbc:ID"): t for t in result.iterfind("efac:LotTender", NS)}
    contracts = {_text(c, "cbc:ID"): c for c in result.iterfind("efac:SettledContract", NS)}
    winners: dict[str | None, list[dict]] = {}
    for lot_result in result.iterfind("efac:LotResult", NS):
        lot_id = _text(lot_result, "efac:TenderLot/cbc:ID")
        settled = [contracts[c] for c in (_text(ref, "cbc:ID") for ref in lot_result.iterfind("efac:SettledContract", NS))
                   if c in contracts]
        contract_of = {_text(ref, "cbc:ID"): c for c in settled for ref in c.iterfind("efac:LotTender", NS)}
        tender_ids = list(contract_of) or (
            [_text(ref, "cbc:ID") for ref in lot_result.iterfind("efac:LotTender", NS)]
            if _text(lot_result, "cbc:TenderResultCode") == "selec-w" else [])
        for tender_id in tender_ids:
            tender = tenders.get(tender_id)
            value, currency = _amount(tender, "cac:LegalMonetaryTotal/cbc:PayableAmount") if tender is not None else (None, None)
            name, orgnr = parties.get(_text(tender, "efac:TenderingParty/cbc:ID") if tender is not None else None, (None, None))
            contract = contract_of.get(tender_id)
            winners.setdefault(lot_id, []).append({
                "tender_id": tender_id, "supplier_org_id": _org_id(orgnr), "supplier_name": name,
                "awarded_value": value, "value_currency": currency,
                "contract_date": _date(_text(contract, "cbc:IssueDate")) if contract is not None else None,
            })
    return winners


# --- the older TED schema (R2.0.9), read by local names so reception and publication variants both work -----
def _ted_all(element: etree._Element, path: str) -> list[etree._Element]:
    return element.xpath(path) if element is not None else []


def _ted_text(element: etree._Element, path: str) -> str | None:
    found = _ted_all(element, path)
    text = " ".join(" ".join(found[0].itertext()).split()) if found else ""
    return text or None


def _ted(name: str) -> str:
    return f"*[local-name()='{name}']"


def ted_rows(root: etree._Element) -> tuple[str | None, list[dict]]:
    forms = _ted_all(root, f".//{_ted('FORM_SECTION')}/*")
    form = forms[0] if forms else None
    notice_type = TED_FORMS.get(etree.QName(form).localname.split("_")[0]) if form is not None else None
    if notice_type is None:
        return None, []
    body = f"{_ted('CONTRACTING_BODY')}/{_ted('ADDRESS_CONTRACTING_BODY')}"
    procedure = next((TED_PROCEDURES[etree.QName(e).localname] for e in _ted_all(form, f"{_ted('PROCEDURE')}/*")
                      if etree.QName(e).localname in TED_PROCEDURES), None)
    contract = _ted_all(form, _ted("OBJECT_CONTRACT"))
    contract = contract[0] if contract else None
    header = {
        "notice_id": ted_notice_id(root), "notice_type": notice_type, "notice_schema": "ted",
        "procedure_id": _ted_text(contract, _ted("REFERENCE_NUMBER")),
        "notice_date": _date(_ted_text(form, f".//{_ted('DATE_DISPATCH_NOTICE')}")),
        "notice_title": _ted_text(contract, _ted("TITLE")),
        "buyer_org_id": _org_id(_ted_text(form, f"{body}/{_ted('NATIONALID')}")),
        "buyer_name": _ted_text(form, f"{body}/{_ted('OFFICIALNAME')}"),
        "procedure_type": procedure, "procedure_type_label": procedure_label(procedure),
        "is_innovation_partnership": procedure == INNOVATION_PARTNERSHIP,
    }
    total = _ted_all(contract, _ted("VAL_ESTIMATED_TOTAL")) or _ted_all(contract, _ted("VAL_TOTAL"))
    lots = _ted_all(contract, _ted("OBJECT_DESCR"))
    rows = []
    if notice_type == "contract_notice":
        for lot in lots or [None]:
            value = (_ted_all(lot, _ted("VAL_OBJECT")) if lot is not None else []) or (total if len(lots) <= 1 else [])
            rows.append({**header, "lot_id": _ted_text(lot, _ted("LOT_NO")) if lot is not None else None,
                         "lot_title": _ted_text(lot, _ted("TITLE")) if lot is not None else None,
                         "estimated_value": parse_decimal(value[0].text) if value else None,
                         "value_currency": value[0].get("CURRENCY") if value else None})
        return notice_type, rows
    for award in _ted_all(form, _ted("AWARD_CONTRACT")):
        awarded = _ted_all(award, _ted("AWARDED_CONTRACT"))
        row = {**header, "lot_id": _ted_text(award, _ted("LOT_NO")), "lot_title": _ted_text(award, _ted("TITLE"))}
        if awarded:
            address = f"{_ted('CONTRACTORS')}/{_ted('CONTRACTOR')}/{_ted('ADDRESS_CONTRACTOR')}"
            value = _ted_all(awarded[0], f"{_ted('VALUES')}/{_ted('VAL_TOTAL')}")
            row.update({
                "tender_id": _ted_text(award, _ted("CONTRACT_NO")) or award.get("ITEM"),
                "supplier_org_id": _org_id(_ted_text(awarded[0], f"{address}/{_ted('NATIONALID')}")),
                "supplier_name": _ted_text(awarded[0], f"{address}/{_ted('OFFICIALNAME')}"),
                "awarded_value": parse_decimal(value[0].text) if value else None,
                "value_currency": value[0].get("CURRENCY") if value else None,
                "contract_date": _date(_ted_text(awarded[0], _ted("DATE_CONCLUSION_CONTRACT"))),
            })
        rows.append(row)
    return notice_type, rows or [header]


# --- to_canonical ------------------------------------------------------------------------------------
def notice_rows(notice_xml: str) -> tuple[str | None, list[dict]]:
    """(notice type, procurement rows) of one notice's XML text; type None for forms out of scope."""
    root = etree.fromstring(notice_xml.encode("utf-8"), safe_parser(encoding="utf-8"))
    return eforms_rows(root) if notice_schema(root) == "eforms" else ted_rows(root)


def procurement_id(row: dict) -> str:
    parts = [SOURCE_ID, row["notice_id"], row.get("lot_id") or "procedure"]
    return ":".join(parts + ([row["tender_id"]] if row.get("tender_id") else []))


def to_canonical(raw: pd.DataFrame) -> Canonical:
    rows, out_of_scope = [], []
    for record in raw.itertuples(index=False):
        notice_type, found = notice_rows(record.notice_xml)
        lineage = {"source_id": SOURCE_ID, "source_file": record.source_file, "source_row": record.source_row,
                   "source_sha256": record.source_sha256}
        if notice_type is None:
            out_of_scope.append(lineage)
            continue
        rows += [{**row, "procurement_id": procurement_id(row), **lineage} for row in found]
    skipped = pd.DataFrame(out_of_scope, columns=["source_file", "source_row"])
    return Canonical(tables={"procurement": pd.DataFrame(rows)},
                     exclusions=excluded_rows(skipped, NOT_CONTRACT_OR_AWARD.rule_id, "not a contract or award notice"))


SOURCE = Source(
    source_id=SOURCE_ID,
    funder=FUNDER,
    title="Procurement notices (Doffin/TED: eForms UBL and TED R2.0.9 XML)",
    detect=detect,
    read=read,
    to_canonical=to_canonical,
    exclusion_rules=(NOT_CONTRACT_OR_AWARD,),
)
