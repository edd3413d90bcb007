"""The innovation-partnership register: one YAML record per partnership (format: docs/partnership-register.md).

No public dataset of the partnerships exists, so the format is ours. ``read`` keeps each partnership's YAML text
as one raw record and checks it against the documented format (a record that does not fit is quarantined with
every problem named); ``to_canonical`` flattens the nested parts into the staged ``partnerships``,
``participants``, ``partnership_funding`` and ``outcomes`` tables.
"""

from __future__ import annotations

import re
import textwrap
from datetime import date
from pathlib import Path

import pandas as pd
import yaml

from pipelines.metadata.fields import COMPANY_ROLES, CURRENCIES, OUTCOME_KINDS, PARTNERSHIP_PHASES, PUBLIC_ROLES

from .base import Canonical, RawRecords, Source, UnreadableFile
from .parsing import READ_INVALID_STRUCTURE, clean_orgnr, decode_text, pad_code, parse_date

SOURCE_ID = "partnerships"
FUNDER = "Innovasjonspartnerskap (register)"
PHASES = tuple(PARTNERSHIP_PHASES)
PUBLIC_KINDS = ("kommune", "fylkeskommune", "state_agency", "health_trust", "other_public")
RESERVED_INDICATORS = ("status", "phase", "outcome")

DOCUMENT_KEYS = {"register", "sample", "description", "partnerships"}
RECORD_KEYS = {"partnership_id", "title", "sector", "public_partners", "companies", "phases", "funding", "notices",
               "outcomes", "indicators", "notes"}
PUBLIC_PARTNER_KEYS = {"name", "orgnr", "role", "kind", "kommune_code"}
COMPANY_KEYS = {"name", "orgnr", "country", "role"}
PHASE_KEYS = {"start", "end"}
FUNDING_KEYS = {"funder", "programme", "amount", "currency", "year", "award_id"}
OUTCOME_KEYS = {"kind", "date", "value", "currency", "note"}
INDICATOR_KEYS = {"indicator", "title", "unit", "baseline", "periods"}
PERIOD_KEYS = {"start", "end", "target", "actual"}
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
CODE_PATTERN = re.compile(r"[a-z][a-z0-9_]*")


def detect(path: Path, head: bytes) -> bool:
    return path.suffix.lower() in (".yaml", ".yml") and b"partnerships:" in head


# --- read: one record per partnership, its YAML text kept ------------------------------------------
def read(path: Path) -> RawRecords:
    text, encoding = decode_text(path.read_bytes(), path.name)
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        document = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        raise UnreadableFile(f"{path.name}: not valid YAML: {exc}") from exc
    finally:
        loader.dispose()
    if not isinstance(document, dict) or not isinstance(document.get("partnerships"), list):
        raise UnreadableFile(f"{path.name}: expected a mapping with a `partnerships:` list (docs/partnership-register.md)")
    unknown = sorted(set(map(str, document)) - DOCUMENT_KEYS)
    if unknown:
        raise UnreadableFile(f"{path.name}: unknown top-level keys {unknown}; expected {sorted(DOCUMENT_KEYS)}")
    nodes = next(value.value for key, value in root.value if key.value == "partnerships")
    rows: list[list[str] | None] = []
    problems: dict[int, tuple[str, str]] = {}
    for number, (node, record) in enumerate(zip(nodes, document["partnerships"]), start=1):
        record_yaml = record_text(text, node, record)
        found = register_problems(record)
        if found:
            rows.append(None)
            name = record.get("partnership_id") if isinstance(record, dict) else None
            problems[number] = (READ_INVALID_STRUCTURE,
                                f"{path.name} record {number} ({name or 'no partnership_id'}): "
                                + "; ".join(found) + "\n" + record_yaml)
        else:
            rows.append([str(record["partnership_id"]), record_yaml])
    return RawRecords(columns=["partnership_id", "record_yaml"], rows=rows, problems=problems, encoding=encoding)


def record_text(text: str, node: yaml.Node, record: object) -> str:
    """The record's own lines from the file, comments included, dedented so they load on their own.

    Falls back to a dump of the loaded record when the slice does not load back to the same value
    (flow style, anchors shared between records, comments outdented inside the record).
    """
    snippet = textwrap.dedent(" " * node.start_mark.column + text[node.start_mark.index:node.end_mark.index]).strip()
    try:
        if yaml.safe_load(snippet) == record:
            return snippet + "\n"
    except yaml.YAMLError:
        pass
    return yaml.safe_dump(record, allow_unicode=True, sort_keys=False)


# --- the documented format, checked record by record -----------------------------------------------
def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def as_date(value: object) -> date | None:
    """A YAML date (``2021-03-01``, unquoted or quoted); None for anything else."""
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        return parse_date(value, ("%Y-%m-%d",))
    return None


def _mappings(record: dict, key: str, allowed: set[str], problems: list[str]) -> list[tuple[str, dict]]:
    """The list under ``key`` as (path, mapping) pairs; shape problems are added to ``problems``."""
    items = record.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        problems.append(f"{key}: must be a list")
        return []
    out = []
    for i, item in enumerate(items):
        where = f"{key}[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        unknown = sorted(set(map(str, item)) - allowed)
        if unknown:
            problems.append(f"{where}: unknown keys {unknown}")
        out.append((where, item))
    return out


def _check_organisation(where: str, item: dict, roles: tuple[str, ...], problems: list[str]) -> None:
    if not _is_text(item.get("name")):
        problems.append(f"{where}.name: required")
    if item.get("role") not in roles:
        problems.append(f"{where}.role: {item.get('role')!r} is not one of {', '.join(roles)}")
    if item.get("orgnr") is not None and clean_orgnr(item["orgnr"]) is None:
        problems.append(f"{where}.orgnr: {item['orgnr']!r} is not a nine-digit organisation number that passes mod 11")


def register_problems(record: object) -> list[str]:
    """Everything in one partnership that does not fit the documented format, each named by its path."""
    if not isinstance(record, dict):
        return ["a partnership must be a mapping of keys to values"]
    problems: list[str] = []
    unknown = sorted(set(map(str, record)) - RECORD_KEYS)
    if unknown:
        problems.append(f"unknown keys {unknown}")
    if not (isinstance(record.get("partnership_id"), str) and ID_PATTERN.fullmatch(record["partnership_id"])):
        problems.append("partnership_id: required; letters, digits, '.', '_' or '-'")
    if not _is_text(record.get("title")):
        problems.append("title: required")
    if record.get("sector") is not None and not _is_text(record["sector"]):
        problems.append("sector: must be text")

    public = _mappings(record, "public_partners", PUBLIC_PARTNER_KEYS, problems)
    for where, item in public:
        _check_organisation(where, item, PUBLIC_ROLES, problems)
        if item.get("kind") is not None and item["kind"] not in PUBLIC_KINDS:
            problems.append(f"{where}.kind: {item['kind']!r} is not one of {', '.join(PUBLIC_KINDS)}")
        if item.get("kommune_code") is not None and pad_code(item["kommune_code"], 4) is None:
            problems.append(f"{where}.kommune_code: {item['kommune_code']!r} is not a kommune number")
    if not any(item.get("role") == "need_owner" for _, item in public):
        problems.append("public_partners: at least one need_owner is required")
    companies = _mappings(record, "companies", COMPANY_KEYS, problems)
    for where, item in companies:
        _check_organisation(where, item, COMPANY_ROLES, problems)
        if item.get("country") is not None and not re.fullmatch(r"[A-Z]{2}", str(item["country"])):
            problems.append(f"{where}.country: {item['country']!r} is not an ISO 3166-1 alpha-2 code")
    keys = [participant_key(item) for _, item in public + companies]
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        problems.append(f"organisation listed twice in the same role: {key[0]} {key[1]}")

    phases = record.get("phases")
    if not isinstance(phases, dict) or not phases:
        problems.append(f"phases: required, a mapping from phase ({', '.join(PHASES)}) to start and end dates")
        phases = {}
    for phase, span in phases.items():
        where = f"phases.{phase}"
        if phase not in PHASES:
            problems.append(f"{where}: unknown phase; expected one of {', '.join(PHASES)}")
            continue
        if not isinstance(span, dict) or set(map(str, span)) - PHASE_KEYS:
            problems.append(f"{where}: must be a mapping with start and (optionally) end")
            continue
        start, end = as_date(span.get("start")), as_date(span.get("end"))
        if start is None:
            problems.append(f"{where}.start: required, a date YYYY-MM-DD")
        if span.get("end") is not None and end is None:
            problems.append(f"{where}.end: must be a date YYYY-MM-DD")
        if start and end and end < start:
            problems.append(f"{where}: ends before it starts")

    for where, item in _mappings(record, "funding", FUNDING_KEYS, problems):
        if not _is_text(item.get("funder")):
            problems.append(f"{where}.funder: required")
        if not (_is_number(item.get("amount")) and item["amount"] >= 0):
            problems.append(f"{where}.amount: required, a number of at least 0")
        if item.get("currency", "NOK") not in CURRENCIES:
            problems.append(f"{where}.currency: {item.get('currency')!r} is not one of {', '.join(CURRENCIES)}")
        if item.get("year") is not None and not (isinstance(item["year"], int) and 1990 <= item["year"] <= 2100):
            problems.append(f"{where}.year: must be a year")
        if item.get("award_id") is not None and not _is_text(item["award_id"]):
            problems.append(f"{where}.award_id: must be text")

    notices = record.get("notices")
    if notices is not None and not (isinstance(notices, list) and all(_is_text(n) for n in notices)):
        problems.append("notices: must be a list of notice or procedure ids")

    for where, item in _mappings(record, "outcomes", OUTCOME_KEYS, problems):
        if item.get("kind") not in OUTCOME_KINDS:
            problems.append(f"{where}.kind: {item.get('kind')!r} is not one of {', '.join(OUTCOME_KINDS)}")
        if as_date(item.get("date")) is None:
            problems.append(f"{where}.date: required, a date YYYY-MM-DD")
        if item.get("value") is not None and not (_is_number(item["value"]) and item["value"] >= 0):
            problems.append(f"{where}.value: must be a number of at least 0")

    seen_indicators: set[str] = set()
    for where, item in _mappings(record, "indicators", INDICATOR_KEYS, problems):
        code = item.get("indicator")
        if not (isinstance(code, str) and CODE_PATTERN.fullmatch(code)) or code in RESERVED_INDICATORS:
            problems.append(f"{where}.indicator: required, a lower-case code other than {', '.join(RESERVED_INDICATORS)}")
        elif code in seen_indicators:
            problems.append(f"{where}.indicator: {code!r} appears twice")
        seen_indicators.add(code)
        if not _is_text(item.get("title")):
            problems.append(f"{where}.title: required")
        baseline = item.get("baseline")
        if baseline is not None and not (isinstance(baseline, dict) and _is_number(baseline.get("value"))
                                         and isinstance(baseline.get("year"), int)):
            problems.append(f"{where}.baseline: must be a mapping with a numeric value and a year")
        starts = []
        for j, period in enumerate(item.get("periods") or []):
            pwhere = f"{where}.periods[{j}]"
            if not isinstance(period, dict) or set(map(str, period)) - PERIOD_KEYS:
                problems.append(f"{pwhere}: must be a mapping with start, end, target and actual")
                continue
            start, end = as_date(period.get("start")), as_date(period.get("end"))
            if start is None or end is None or end < start:
                problems.append(f"{pwhere}: start and end are required dates, end not before start")
            starts.append(start)
            for value_key in ("target", "actual"):
                if period.get(value_key) is not None and not _is_number(period[value_key]):
                    problems.append(f"{pwhere}.{value_key}: must be a number")
        if len(starts) != len(set(starts)):
            problems.append(f"{where}.periods: two periods start on the same day")
    return problems


def participant_key(item: dict) -> tuple[str, str]:
    """Who an organisation entry is, in its role: its orgnr when it has one, else its name."""
    orgnr = clean_orgnr(item.get("orgnr"))
    return str(item.get("role")), orgnr or slug(str(item.get("name", "")))


def slug(text: str) -> str:
    return re.sub(r"\W+", "-", text.casefold()).strip("-")


# --- to_canonical: flatten each partnership into the staged tables ---------------------------------
def current_phase(phases: dict) -> str | None:
    """The latest phase, in the programme's order, that has started."""
    started = [p for p in PHASES if p in phases]
    return started[-1] if started else None


def _lineage(row) -> dict:
    return {"source_file": row.source_file, "source_row": row.source_row, "source_sha256": row.source_sha256}


def flatten(record: dict, lineage: dict) -> dict[str, list[dict]]:
    """One partnership as rows of the staged tables."""
    pid = record["partnership_id"]
    phases = {p: {k: as_date(v) for k, v in span.items()} for p, span in (record.get("phases") or {}).items()}
    outcomes = sorted(record.get("outcomes") or [], key=lambda o: as_date(o["date"]))
    public = record.get("public_partners") or []
    companies = record.get("companies") or []
    partnership = {
        "partnership_id": pid, "source_id": SOURCE_ID, "title": record["title"].strip(),
        "sector": record.get("sector"), "phase": current_phase(phases),
        **{f"{p}_start": phases.get(p, {}).get("start") for p in PHASES},
        "outcome": outcomes[-1]["kind"] if outcomes else None,
        "outcome_date": as_date(outcomes[-1]["date"]) if outcomes else None,
        "public_participant_count": len({participant_key(o)[1] for o in public}),
        "company_count": len({participant_key(o)[1] for o in companies}),
        "notice_ids": ";".join(n.strip() for n in record.get("notices") or []) or None,
        **lineage,
    }
    participants = []
    for item in [*public, *companies]:
        role, key = participant_key(item)
        orgnr = clean_orgnr(item.get("orgnr"))
        participants.append({
            "participant_id": f"{SOURCE_ID}:{pid}:{role}:{key}", "source_id": SOURCE_ID,
            "project_id": None, "partnership_id": pid,
            "participant_org_id": f"NO-BRC-{orgnr}" if orgnr else None, "participant_name": item["name"].strip(),
            "participant_orgnr": orgnr, "country_code": item.get("country") or ("NO" if orgnr else None),
            "role": role, **lineage,
        })
    funding = [{
        "funding_id": f"{SOURCE_ID}:{pid}:funding:{n}", "partnership_id": pid, "source_id": SOURCE_ID,
        "funder": item["funder"].strip(), "programme": item.get("programme"),
        "amount_original": float(item["amount"]), "currency_original": item.get("currency", "NOK"),
        "funding_year": item.get("year"), "funding_award_id": (item.get("award_id") or "").strip() or None,
        **lineage,
    } for n, item in enumerate(record.get("funding") or [], start=1)]
    subject = {"subject_type": "partnership", "subject_id": pid, "source_id": SOURCE_ID, **lineage}
    rows = [{
        **subject, "outcome_id": f"{pid}:phase:{p}", "indicator": "phase",
        "indicator_title": f"Phase: {PARTNERSHIP_PHASES[p]}", "period_start": phases[p]["start"],
        "period_end": phases[p].get("end"), "actual_text": p,
    } for p in PHASES if p in phases]
    rows += [{
        **subject, "outcome_id": f"{pid}:outcome:{n}", "indicator": "outcome",
        "indicator_title": "Outcome of the partnership", "period_start": as_date(o["date"]),
        "period_end": as_date(o["date"]), "actual_text": o["kind"],
        "actual_value": float(o["value"]) if o.get("value") is not None else None,
        "unit": o.get("currency", "NOK") if o.get("value") is not None else None,
    } for n, o in enumerate(outcomes, start=1)]
    for item in record.get("indicators") or []:
        baseline = item.get("baseline") or {}
        indicator = {**subject, "indicator": item["indicator"], "indicator_title": item["title"].strip(),
                     "unit": item.get("unit"), "baseline_value": baseline.get("value"),
                     "baseline_year": baseline.get("year")}
        periods = item.get("periods") or []
        rows += [{**indicator, "outcome_id": f"{pid}:{item['indicator']}:{as_date(p['start']).isoformat()}",
                  "period_start": as_date(p["start"]), "period_end": as_date(p["end"]),
                  "target_value": p.get("target"), "actual_value": p.get("actual")} for p in periods]
        if not periods:
            rows.append({**indicator, "outcome_id": f"{pid}:{item['indicator']}:baseline"})
    return {"partnerships": [partnership], "participants": participants, "partnership_funding": funding,
            "outcomes": rows}


def to_canonical(raw: pd.DataFrame) -> Canonical:
    tables: dict[str, list[dict]] = {"partnerships": [], "participants": [], "partnership_funding": [], "outcomes": []}
    for row in raw.itertuples(index=False):
        for name, rows in flatten(yaml.safe_load(row.record_yaml), _lineage(row)).items():
            tables[name].extend(rows)
    return Canonical(tables={name: pd.DataFrame(rows) for name, rows in tables.items()})


SOURCE = Source(
    source_id=SOURCE_ID,
    funder=FUNDER,
    title="The innovation-partnership register (YAML)",
    detect=detect,
    read=read,
    to_canonical=to_canonical,
)
