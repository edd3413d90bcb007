"""Every rule in the registry fails on a crafted row and passes on a clean one (issue 5).

Row rules run through ``evaluate`` on staged frames, set rules through ``run_set_rules`` on crafted core
tables, reader and exclusion rules through the functions that apply them. A rule without a crafted case here
fails ``test_every_published_rule_has_a_crafted_case``.
"""

from datetime import date

import pandas as pd
import pyarrow as pa
import pytest

from assets.core import PROJECT_WITHOUT_AWARD, build_projects
from assets.quality import READER_RULES
from assets.sources import SOURCES
from assets.sources.forskningsradet_soknader import NOT_GRANTED, to_canonical
from assets.sources.parsing import READ_BACKSLASH_ESCAPE, READ_MALFORMED, read_delimited
from data_quality.evaluate import evaluate
from data_quality.reference import kommune_codes
from data_quality.report import rules_table
from data_quality.rules import RULES, SET_RULES, PLAUSIBLE_AMOUNT_NOK, Rule, rules_for
from data_quality.set_checks import run_set_rules
from pipelines.metadata import TABLES, staged

VALID_ORGNR = "923609016"  # Equinor ASA, passes mod 11
SHA = "a" * 64

_COMMON = {"source_id": "forskningsradet_soknader", "funder": "Forskningsrådet", "source_file": "f.csv",
           "source_row": 1, "source_sha256": SHA}
_RECIPIENT = {"recipient_name": "SINTEF AS", "recipient_orgnr": VALID_ORGNR, "recipient_orgnr_raw": VALID_ORGNR,
              "kommune_code": "5001", "kommune_name": "Trondheim", "fylke_code": "50", "fylke_name": "Trøndelag"}
CLEAN = {
    "awards": {**_COMMON, **_RECIPIENT, "award_id": "forskningsradet_soknader:1", "project_id": "forskningsradet:1",
               "title": "Et prosjekt", "instrument": "grant", "programme": "FRIPRO", "status": "Avsluttet",
               "amount_original": 1_000_000.0, "currency_original": "NOK", "award_date": date(2020, 5, 1),
               "award_date_basis": "application_date", "award_year": 2020},
    "projects": {**_COMMON, **_RECIPIENT, "project_id": "forskningsradet:1", "title": "Et prosjekt",
                 "programme": "FRIPRO", "status": "Avsluttet", "start_year": 2020, "end_year": 2023,
                 "amount_applied": 1_200_000.0},
    "participants": {**_COMMON, "source_id": "forskningsradet_eu", "participant_id": "forskningsradet_eu:1",
                     "project_id": "cordis:1", "participant_name": "SINTEF AS", "participant_orgnr": VALID_ORGNR,
                     "country_code": "NO", "role": "coordinator", "amount_original": 50_000.0,
                     "currency_original": "EUR"},
    "partnerships": {**_COMMON, "source_id": "partnerships", "partnership_id": "ip:1", "title": "Fremtidens sykehjem",
                     "sector": "health", "phase": "development", "need_start": date(2018, 1, 1),
                     "dialogue_start": date(2018, 6, 1), "competition_start": date(2019, 1, 1),
                     "development_start": date(2019, 9, 1), "outcome": "solution_in_use",
                     "outcome_date": date(2022, 1, 1), "public_participant_count": 3, "company_count": 2},
    "partnership_funding": {**_COMMON, "source_id": "partnerships", "funding_id": "ip:1:funding:1",
                            "partnership_id": "ip:1", "funder": "Innovasjon Norge", "programme": "Innovasjonspartnerskap",
                            "amount_original": 2_000_000.0, "currency_original": "NOK", "funding_year": 2019,
                            "funding_award_id": None, "award_resolved": False},
    "procurement": {**_COMMON, "source_id": "doffin_notices", "procurement_id": "2019-1:LOT-0001:TEN-0001",
                    "notice_id": "2019-1", "notice_type": "contract_award_notice", "notice_schema": "eforms",
                    "notice_date": date(2019, 9, 1), "buyer_org_id": "NO-BRC-" + VALID_ORGNR,
                    "buyer_name": "Oslo kommune", "is_innovation_partnership": True, "lot_id": "LOT-0001",
                    "tender_id": "TEN-0001", "awarded_value": 5_000_000.0, "value_currency": "NOK",
                    "partnership_id": "ip:1", "link_method": "notice_id"},
}


def staged_frame(table: str, rows: list[dict]) -> pd.DataFrame:
    """Rows in the staged schema, as the staging layer writes them (the Parquet round trip types them)."""
    schema = staged(TABLES[table]).arrow_schema(nullable=True)
    return pa.Table.from_pylist(rows, schema=schema).to_pandas()


def _second(table: str, **changes) -> dict:
    key = TABLES[table].primary_key[0]
    return {**CLEAN[table], key: CLEAN[table][key] + "-2", "source_row": 2, **changes}


# Written row rules: rows (as changes to the clean row) whose LAST row must fail the rule.
ROW_CASES: dict[str, list[dict]] = {
    "awards.award_id.unique": [{}, {"source_row": 2}],
    "awards.amount.missing": [{"amount_original": None}],
    "awards.amount.currency_missing": [{"currency_original": None}],
    "awards.amount.zero_grant": [{"amount_original": 0.0}],
    "awards.amount.implausible": [{"amount_original": 3e9}],
    "awards.award_date.missing": [{"award_date": None, "award_year": None}],
    "awards.award_date.range": [{"award_date": date(1985, 3, 1), "award_year": 1985}],
    "awards.award_year.matches_date": [{"award_year": 2019}],
    "awards.recipient.name_missing": [{"recipient_name": " "}],
    "awards.recipient.orgnr_missing": [{"recipient_orgnr_raw": "0", "recipient_orgnr": None}],
    "awards.recipient.orgnr_mod11": [{"recipient_orgnr_raw": "123456789", "recipient_orgnr": None}],
    "awards.cross_source.orgnr_names": [{}, {"award_id": "innovasjon_norge_tildelinger:7", "source_row": 2,
                                             "funder": "Innovasjon Norge", "recipient_name": "Sintef Energi AS"}],
    "awards.title.missing": [{"title": ""}],
    "awards.geography.fylke_of_kommune": [{"fylke_code": "03"}],
    "awards.geography.kommune_unknown": [{"kommune_code": "1201", "fylke_code": None}],  # Bergen before 2020
    "awards.geography.fylke_unknown": [{"kommune_code": None, "fylke_code": "12"}],  # Hordaland before 2020
    "projects.project_id.unique": [{}, {"source_row": 2}],
    "projects.period.order": [{"start_year": 2020, "end_year": 2019}],
    "projects.period.too_long": [{"start_year": 2000, "end_year": 2020}],
    "projects.title.missing": [{"title": None}],
    "projects.geography.fylke_of_kommune": [{"kommune_code": "0301"}],
    "projects.geography.kommune_unknown": [{"kommune_code": "5099"}],
    "projects.geography.fylke_unknown": [{"kommune_code": None, "fylke_code": "99"}],
    "participants.participant_id.unique": [{}, {"source_row": 2}],
    "participants.parent.missing": [{"project_id": None, "partnership_id": None}],
    "participants.amount.currency_missing": [{"currency_original": None}],
    "participants.role.code_list": [{"role": "sponsor"}],
    "participants.name.missing": [{"participant_name": None}],
    "participants.country.missing": [{"country_code": None}],
    "participants.orgnr.norwegian_missing": [{"participant_orgnr": None}],
    "awards.instrument.unclassified": [{"instrument": "other"}],
    "partnerships.partnership_id.unique": [{}, {"source_row": 2}],
    "partnerships.phases.order": [{"dialogue_start": date(2017, 6, 1)}],
    "partnerships.outcome.before_need": [{"outcome_date": date(2017, 1, 1)}],
    "partnerships.companies.missing": [{"company_count": 0}],
    "partnership_funding.funding_id.unique": [{}, {"source_row": 2}],
    "partnership_funding.award.unresolved": [{"funding_award_id": "innovasjon_norge_tildelinger:404"}],
    "procurement.procurement_id.unique": [{}, {"source_row": 2}],
    "procurement.buyer.orgnr_missing": [{"buyer_org_id": None}],
    "procurement.award.value_missing": [{"awarded_value": None}],
}


def crafted_rows(rule: Rule) -> list[dict]:
    """The rows that make ``rule`` fail on the last one; generated rules get a value that breaks their constraint."""
    if rule.rule_id in ROW_CASES:
        return [{**CLEAN[rule.table], **changes} for changes in ROW_CASES[rule.rule_id]]
    column = rule.rule_id.split(".")[1]
    field = staged(TABLES[rule.table]).field(column)
    kind = rule.rule_id.rsplit(".", 1)[1]
    broken = {"required": None, "code_list": "XYZ", "pattern": "12ab",
              "minimum": (field.minimum or 0) - 1, "maximum": (field.maximum or 0) + 1}[kind]
    return [{**CLEAN[rule.table], column: broken}]


@pytest.mark.parametrize("table", sorted(CLEAN))
def test_clean_rows_pass_every_rule_of_their_table(table):
    rows = [CLEAN[table], _second(table)]
    result = evaluate(staged_frame(table, rows), rules_for(table))
    assert {k: v for k, v in result.rule_counts.items() if v} == {}
    assert len(result.accepted) == 2 and result.quarantined.empty and result.failures.empty
    assert result.accepted["quality_flags"].isna().all()


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.rule_id)
def test_row_rule_fails_on_its_crafted_row(rule):
    rows = crafted_rows(rule)
    result = evaluate(staged_frame(rule.table, rows), rules_for(rule.table))
    failures = result.failures.loc[result.failures["rule_id"] == rule.rule_id]
    assert len(rows) - 1 in set(failures["row"]), f"{rule.rule_id} did not fail on its crafted row"
    assert result.rule_counts[rule.rule_id] == len(failures) >= 1
    assert set(failures["severity"]) == {rule.severity}
    assert len(result.accepted) + len(result.quarantined) == len(rows)
    if rule.severity == "error":
        assert result.quarantined["rule_ids"].str.split(";").map(lambda ids: rule.rule_id in ids).sum() == len(failures)
    else:
        flagged = result.accepted["quality_flags"].fillna("").str.split(";").map(lambda ids: rule.rule_id in ids)
        flagged_quarantined = result.quarantined["quality_flags"].fillna("").str.split(";").map(lambda ids: rule.rule_id in ids)
        assert flagged.sum() + flagged_quarantined.sum() == len(failures), "a warning flags the row"
        assert flagged.sum() >= 1 or not result.quarantined.empty


def test_same_orgnr_named_alike_by_two_funders_is_not_a_conflict():
    other = {"award_id": "innovasjon_norge_tildelinger:7", "source_row": 2, "funder": "Innovasjon Norge",
             "recipient_name": "Sintef  A.S"}
    rows = [CLEAN["awards"], {**CLEAN["awards"], **other, "recipient_name": "sintef as"}]
    result = evaluate(staged_frame("awards", rows), rules_for("awards"))
    assert result.rule_counts["awards.cross_source.orgnr_names"] == 0


def test_error_quarantines_warning_flags_and_both_are_reported_once_per_rule():
    rows = [CLEAN["awards"],
            {**_second("awards"), "amount_original": None, "title": ""},  # error + warning
            {**_second("awards"), "award_id": "x:3", "source_row": 3, "title": ""}]  # warning only
    result = evaluate(staged_frame("awards", rows), rules_for("awards"))
    assert list(result.accepted["source_row"]) == [1, 3]
    assert result.accepted["quality_flags"].isna().tolist() == [True, False]
    assert result.accepted["quality_flags"].iloc[1] == "awards.title.missing"
    (q,) = result.quarantined.itertuples()
    assert (q.source_row, q.rule_ids, q.severity, q.quality_flags) == (2, "awards.amount.missing", "error",
                                                                       "awards.title.missing")
    assert list(zip(result.failures["row"], result.failures["source_row"], result.failures["rule_id"],
                    result.failures["severity"])) == [
        (1, 2, "awards.amount.missing", "error"), (1, 2, "awards.title.missing", "warning"),
        (2, 3, "awards.title.missing", "warning")]


def test_failures_never_show_names_or_orgnr_of_records_without_a_valid_one():
    person = "Kari Nordmann"
    rows = [{**CLEAN["awards"], "recipient_name": person, "recipient_orgnr_raw": "12345678901",
             "recipient_orgnr": None, "kommune_code": "1201", "fylke_code": None},
            {**_second("awards"), "award_id": "x:3", "source_row": 3, "recipient_name": " "}]
    result = evaluate(staged_frame("awards", rows), rules_for("awards"))
    shown = result.failures.set_index(["source_row", "rule_id"])["offending_value"]
    assert pd.isna(shown[(1, "awards.recipient.orgnr_mod11")])
    assert shown[(1, "awards.geography.kommune_unknown")] == "1201"
    assert pd.isna(shown[(3, "awards.recipient.name_missing")])
    assert not result.failures.astype(str).apply(lambda c: c.str.contains(person) | c.str.contains("12345678901")).any().any()
    # A valid orgnr is public (Enhetsregisteret) and is shown.
    rows = [{**CLEAN["awards"], **changes} for changes in ROW_CASES["awards.cross_source.orgnr_names"]]
    named = evaluate(staged_frame("awards", rows), rules_for("awards")).failures
    assert set(named.loc[named["rule_id"] == "awards.cross_source.orgnr_names", "offending_value"]) == {VALID_ORGNR}


def test_kommune_lookup_covers_2020_to_2024_and_leaves_out_the_placeholder():
    codes = kommune_codes().set_index("kommune_code")
    assert codes.loc["3001", "valid_to_year"] == 2023  # Halden in Viken
    assert codes.loc["3101", "valid_from_year"] == 2024  # Halden in Østfold
    assert pd.isna(codes.loc["0301", "valid_to_year"])
    assert "9999" not in codes.index and "1201" not in codes.index
    assert codes.index.str.fullmatch(r"\d{4}").all() and codes.index.is_unique


# --- set rules -----------------------------------------------------------------------------------------------
def core_frame(table: str, rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist([{k: v for k, v in r.items() if k in TABLES[table].column_names} for r in rows],
                                schema=TABLES[table].arrow_schema(nullable=True))


def clean_views(**changes) -> dict:
    award = {**CLEAN["awards"], "amount_nok": 1_000_000.0, "recipient_org_id": f"NO-BRC-{VALID_ORGNR}"}
    rec = {"source_id": "forskningsradet_soknader", "source_file": "f.csv", "source_sha256": SHA, "read_status": "ok",
           "read_problem": None, "rows_read": 2, "rows_published": 1, "rows_quarantined": 0, "rows_excluded": 1,
           "balanced": True}
    views = {
        "awards": [award],
        "projects": [CLEAN["projects"], {**CLEAN["projects"], "project_id": "cordis:1", "source_row": 9}],
        "participants": [CLEAN["participants"],
                         {**CLEAN["participants"], "participant_id": "partnerships:1", "source_id": "partnerships",
                          "project_id": None, "partnership_id": "ip:1", "role": "partner"}],
        "partnerships": [CLEAN["partnerships"]],
        "partnership_funding": [CLEAN["partnership_funding"]],
        "procurement": [CLEAN["procurement"]],
        "organisations": [{"org_id": f"NO-BRC-{VALID_ORGNR}", "org_name": "SINTEF AS", "org_form": "AS",
                           "is_natural_person": False, "in_business_register": True, "identity_basis": "orgnr"}],
        "reconciliation": [rec],
        "raw_amounts": [{"source_id": "forskningsradet_soknader", "source_file": "f.csv", "source_row": 1,
                         "amount_text": "1 000 000,00"}],
    }
    for name, rows in changes.items():
        views[name] = rows(views[name]) if callable(rows) else rows
    out = {name: core_frame(name, rows) for name, rows in views.items() if name in TABLES}
    out["raw_amounts"] = pd.DataFrame(views["raw_amounts"], columns=["source_id", "source_file", "source_row", "amount_text"])
    return out


_EU = {"project_id": "cordis:1", "currency_original": "EUR", "amount_nok": 1_000_000.0}
SET_CASES = {
    "awards.primary_key.unique": {"awards": lambda a: a + [{**a[0], "source_row": 2}]},
    "projects.primary_key.unique": {"projects": lambda p: p + [{**p[0], "source_row": 3}]},
    "participants.primary_key.unique": {"participants": lambda p: p + [{**p[0], "source_row": 2}]},
    "awards.project_id.foreign_key": {"awards": lambda a: [{**a[0], "project_id": "forskningsradet:404"}]},
    "participants.project_id.foreign_key": {"participants": lambda p: [{**p[0], "project_id": "cordis:404"}]},
    "participants.partnership_id.foreign_key": {"participants": lambda p: [{**p[1], "partnership_id": "ip:404"}]},
    "partnerships.primary_key.unique": {"partnerships": lambda p: p + [{**p[0], "source_row": 2}]},
    "partnership_funding.primary_key.unique": {"partnership_funding": lambda p: p + [{**p[0], "source_row": 2}]},
    "partnership_funding.partnership_id.foreign_key": {"partnership_funding": lambda p: [{**p[0], "partnership_id": "ip:404"}]},
    "procurement.primary_key.unique": {"procurement": lambda p: p + [{**p[0], "source_row": 2}]},
    "procurement.partnership_id.foreign_key": {"procurement": lambda p: [{**p[0], "partnership_id": "ip:404"}]},
    "reconciliation.balanced": {"reconciliation": lambda r: [{**r[0], "rows_read": 3, "balanced": False}]},
    "reconciliation.file_unreadable": {"reconciliation": lambda r: r + [{**r[0], "source_file": "x.csv",
                                       "read_status": "unreadable", "read_problem": "x.csv: empty file", "rows_read": 0,
                                       "rows_published": 0, "rows_excluded": 0}]},
    "reconciliation.zero_records": {"reconciliation": lambda r: r + [{**r[0], "source_file": "e.csv", "rows_read": 0,
                                    "rows_published": 0, "rows_excluded": 0}]},
    "reconciliation.amount_totals": {"raw_amounts": lambda r: [{**r[0], "amount_text": "1 000 100,00"}]},
    "awards.amount_nok.plausible": {"awards": lambda a: [{**a[0], "amount_nok": 5e9}]},
    # an award without a date: published, but it cannot be a 360Giving grant
    "giving360.amount_or_date.missing": {"awards": lambda a: [{**a[0], "award_date": None}]},
    "awards.recipient_org_id.foreign_key": {"awards": lambda a: [{**a[0], "recipient_org_id": "NO-BRC-000000404"}]},
    # an ENK published under its orgnr and name
    "organisations.person.not_pseudonymised": {"organisations": lambda o: [{**o[0], "org_form": "ENK",
                                                                            "is_natural_person": True}]},
    "awards.cross_source.eu_totals": {"awards": lambda a: a + [
        {**a[0], **_EU, "award_id": "forskningsradet_eu:1", "source_id": "forskningsradet_eu", "amount_original": 100_000.0},
        {**a[0], **_EU, "award_id": "cordis_projects:1", "source_id": "cordis_projects", "amount_original": 120_000.0}]},
}


def test_clean_tables_pass_every_set_rule():
    eu_agree = {"awards": lambda a: a + [
        {**a[0], **_EU, "award_id": "forskningsradet_eu:1", "source_id": "forskningsradet_eu", "amount_original": 100_000.0},
        {**a[0], **_EU, "award_id": "cordis_projects:1", "source_id": "cordis_projects", "amount_original": 100_000.4}]}
    results = run_set_rules(SET_RULES, clean_views(**eu_agree))
    assert {r.rule.rule_id: r.rows_failed for r in results if not r.passed} == {}
    assert all(r.rows_checked >= 1 for r in results), "every set rule looked at something"


@pytest.mark.parametrize("rule", SET_RULES, ids=lambda r: r.rule_id)
def test_set_rule_fails_on_its_crafted_table(rule):
    (result,) = run_set_rules([rule], clean_views(**SET_CASES[rule.rule_id]))
    assert not result.passed and result.rows_failed >= 1
    assert set(result.failures["rule_id"]) == {rule.rule_id}
    assert result.failures["offending_value"].notna().all()


def test_amount_totals_read_the_raw_text_independently():
    for text, balanced in [("1000000.0", True), ("1000000,00", True), ("1.000.000,00", True), ("1,000,000.00", True),
                           ("1\u00a0000\u202f000", True), ("100000", False), ("", False)]:
        (result,) = run_set_rules([r for r in SET_RULES if r.rule_id == "reconciliation.amount_totals"],
                                  clean_views(raw_amounts=lambda r, t=text: [{**r[0], "amount_text": t}]))
        assert result.passed is balanced, text


# --- reader and exclusion rules ---------------------------------------------------------------------------
def test_reader_rules_fail_on_crafted_records_and_pass_on_clean_ones(tmp_path):
    clean = tmp_path / "clean.csv"
    clean.write_text('a,b\n1,"x ""quoted"" y"\n2,z\n', encoding="utf-8")
    assert read_delimited(clean, ",", backslash_escapes_suspect=True).problems == {}
    short = tmp_path / "short.csv"
    short.write_text("a,b\n1,x\n2\n", encoding="utf-8")
    assert read_delimited(short, ",").problems[2][0] == READ_MALFORMED
    escaped = tmp_path / "escaped.csv"
    escaped.write_text('a,b\n1,"say \\"hi\\" now"\n', encoding="utf-8")
    assert read_delimited(escaped, ",", backslash_escapes_suspect=True).problems[1][0] == READ_BACKSLASH_ESCAPE


def test_exclusion_rules_fail_on_crafted_records_and_pass_on_clean_ones(fixtures):
    raw = pd.read_csv(fixtures / "forskningsradet" / "soknader2_sample.csv", dtype=str, keep_default_na=False).head(6)
    raw = raw.assign(source_file="f.csv", source_row=range(1, 7), source_sha256=SHA,
                     prosjektfase=["Avsluttet", "Avslag", "Bevilgning", "Mottatt", "Vurderes", "Avsluttet"])
    canonical = to_canonical(raw)
    assert list(canonical.exclusions["source_row"]) == [2, 4, 5]
    assert set(canonical.exclusions["rule_id"]) == {NOT_GRANTED.rule_id}
    assert list(canonical.tables["awards"]["source_row"]) == [1, 3, 6]

    projects = [staged_frame("projects", [CLEAN["projects"], _second("projects")])]
    core = build_projects(projects, award_project_ids={CLEAN["projects"]["project_id"]})
    assert list(core.exclusions["rule_id"]) == [PROJECT_WITHOUT_AWARD]
    assert list(core.exclusions["source_row"]) == [2] and core.table.num_rows == 1


# Reader and exclusion rules whose crafted case lives beside the source or layer that applies them:
# rule id -> (test file, test function, the name the test uses for the rule).
TESTED_ELSEWHERE = {
    "cordis_projects.no_norwegian_participant": (
        "sources/test_cordis_projects.py", "test_verbatim_rows_have_no_norwegian_participant_and_are_excluded_by_name",
        "NO_NORWEGIAN_PARTICIPANT"),
    "cordis_projects.reference_without_kept_project": (
        "sources/test_cordis_projects.py", "test_reference_rows_join_kept_projects_or_are_excluded",
        "REFERENCE_WITHOUT_KEPT_PROJECT"),
    "core.participant_without_project": (
        "test_participants.py", "test_participants_of_published_projects_only",
        "PARTICIPANT_WITHOUT_PROJECT"),
    "doffin_notices.not_contract_or_award_notice": (
        "test_partnership_sources.py", "test_prior_information_notice_is_excluded_by_name", "NOT_CONTRACT_OR_AWARD"),
    "procurement.not_innovation_related": (
        "test_partnership_outcomes.py", "test_unrelated_notice_is_excluded_and_every_file_balances",
        "PROCUREMENT_NOT_INNOVATION"),
    "read.invalid_structure": (
        "test_partnership_sources.py", "test_register_problems_name_file_record_and_rule", "READ_INVALID_STRUCTURE"),
    "skattefunn.duplicate_across_files": (
        "sources/test_skattefunn.py", "test_duplicates_across_the_2024_files_are_removed_and_counted", "DUPLICATE_ACROSS_FILES"),
    "skattefunn.not_approved": ("sources/test_skattefunn.py", "test_approvals_become_tax_deduction_awards_without_amounts",
                                "NOT_APPROVED"),
}


def _test_source(relative: str, function: str) -> str:
    import ast
    from pathlib import Path

    tree = ast.parse((Path(__file__).parent / relative).read_text(encoding="utf-8"))
    (node,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function]
    return ast.unparse(node)


def test_every_published_rule_has_a_crafted_case():
    exclusions = [{"rule_id": r.rule_id, "table": "raw", "severity": "exclusion", "category": "existence",
                   "description": r.description, "expected": "in scope"} for s in SOURCES.values() for r in s.exclusion_rules]
    published = set(rules_table({}, READER_RULES + exclusions, {}, 0)["rule_id"])
    tested_here = {READ_MALFORMED, READ_BACKSLASH_ESCAPE, NOT_GRANTED.rule_id, PROJECT_WITHOUT_AWARD}
    row_rules = {r.rule_id for r in RULES if crafted_rows(r)}
    assert published - row_rules - set(SET_CASES) - tested_here - set(TESTED_ELSEWHERE) == set()


@pytest.mark.parametrize("rule_id", sorted(TESTED_ELSEWHERE))
def test_rules_tested_elsewhere_are_asserted_there(rule_id):
    relative, function, name = TESTED_ELSEWHERE[rule_id]
    assert name in _test_source(relative, function), f"{function} does not assert {rule_id}"


def test_registry_has_at_least_40_rules_over_at_least_4_tables():
    published = rules_table({}, READER_RULES, {}, 0)
    assert len(published) >= 40
    assert published["table"].nunique() >= 4
    assert {"awards", "projects", "participants", "reconciliation"} <= set(published["table"])
    assert set(published["category"]) == {"existence", "format", "accuracy", "consistency", "cross-source"}
    assert set(PLAUSIBLE_AMOUNT_NOK) == set(TABLES["awards"].field("instrument").enum)


# --- the generated checks and suites ----------------------------------------------------------------------
def test_one_dagster_check_per_set_rule_blocking_exactly_when_error():
    from assets import all_assets, all_checks

    core_assets = {key.to_user_string() for a in all_assets() for key in a.keys if key.to_user_string().startswith("core_")}
    assert {"core_awards", "core_projects", "core_participants", "core_partnerships"} <= core_assets
    specs = {spec.name: spec for check in all_checks() for spec in check.check_specs}
    for rule in SET_RULES:
        spec = specs[rule.dagster_name]
        assert spec.blocking == (rule.severity == "error"), rule.rule_id
        core_asset = f"core_{rule.reads[0]}"
        single = len(rule.reads) == 1 and core_asset in core_assets
        assert spec.asset_key.to_user_string() == (core_asset if single else "quality"), rule.rule_id


def test_suite_validates_in_batches_and_writes_data_docs(tmp_path):
    from data_quality.expectations import parquet_batches, validate_batches
    from pipelines.storage import write_parquet

    awards = [{**CLEAN["awards"], "award_id": f"a:{i}", "source_row": i + 1, "amount_nok": 10.0} for i in range(5)]
    awards[3]["amount_nok"] = -1.0  # breaks the registry's minimum, in the second batch
    path = tmp_path / "awards.parquet"
    write_parquet(path, core_frame("awards", awards))
    docs = tmp_path / "data-docs"
    results = validate_batches({TABLES["awards"]: parquet_batches(path, batch_rows=2)}, batch_rows=2, docs_dir=docs)
    result = results["awards"]
    assert not result.success and result.rows == 5
    assert result.failed == [{"expectation": "expect_column_values_to_be_between", "column": "amount_nok",
                              "unexpected_count": 1, "rows": "rows 3-4"}]
    pages = sorted(p.parent.parent.name for p in (docs / "validations").rglob("*.html"))
    assert pages == ["awards-rows-1-2", "awards-rows-3-4", "awards-rows-5-5"]
    assert (docs / "index.html").is_file() and not list(tmp_path.glob(".data-docs*")), "built aside, then swapped in"


def test_the_data_docs_render_what_the_blocking_check_validated_and_only_while_it_is_current(tmp_path):
    import os

    from data_quality.expectations import kept_validations, render_data_docs, validate_parquet
    from pipelines.storage import write_parquet

    awards = [{**CLEAN["awards"], "award_id": f"a:{i}", "source_row": i + 1, "amount_nok": 10.0} for i in range(3)]
    path, keep = tmp_path / "awards.parquet", tmp_path / "validations_awards.json"
    write_parquet(path, core_frame("awards", awards))
    checked = validate_parquet(TABLES["awards"], path, batch_rows=2, keep=keep)
    kept = kept_validations(keep, path)
    assert kept == checked.validations and [v["run_name"] for v in kept] == ["awards-rows-1-2", "awards-rows-3-3"]
    render_data_docs({TABLES["awards"]: kept}, tmp_path / "data-docs")
    pages = sorted(p.parent.parent.name for p in (tmp_path / "data-docs" / "validations").rglob("*.html"))
    assert pages == ["awards-rows-1-2", "awards-rows-3-3"]
    page = next((tmp_path / "data-docs" / "validations").rglob("awards-rows-1-2/*/*.html")).read_text("utf-8")
    assert "amount_nok" in page
    # the table rewritten after the check: its kept results no longer describe it
    awards[0]["amount_nok"] = -1.0
    write_parquet(path, core_frame("awards", awards))
    os.utime(path, ns=(1, 1))
    assert kept_validations(keep, path) is None
    assert kept_validations(tmp_path / "never_checked.json", path) is None
