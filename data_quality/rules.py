"""The rule registry: every data-quality rule, with its id, table, severity, category and SQL test.

Two kinds of rule, both kept here and both published in ``quality/rules.csv``:

- ``Rule`` (row rule): ``fails`` is a DuckDB SQL predicate over a staged table that is TRUE for a failing row
  (NULL counts as passing, so existence rules test for NULL themselves). A rule that compares a row with
  others reads the whole table as ``staged`` and says so with ``compares_rows``. Format rules are generated from the
  table registry's constraints; the rest are written here. Severity ``error`` quarantines the row;
  ``warning`` keeps it and flags it in ``quality_flags``. ``evaluate`` applies them in one pass.
- ``SetRule`` (set rule): SQL over the checked tables as a whole (unique keys, foreign keys, totals that
  reconcile with the landing files, file-level rules). They run as Dagster asset checks over the core Parquet
  files; severity ``error`` blocks the warehouse and the release, so the last good release stays online.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.metadata import TABLES, Table, staged
from pipelines.metadata.fields import PARTNERSHIP_PHASES

SEVERITIES = ("error", "warning")
CATEGORIES = ("existence", "format", "accuracy", "consistency", "cross-source")
# Tables whose staged rows the row rules check. `organisations` has no staged rows (it is resolved from the
# recipients of all sources): its registry suite and the set rules over it check it.
RULED_TABLES = ("awards", "projects", "participants", "partnerships", "partnership_funding", "procurement")


@dataclass(frozen=True)
class Rule:
    rule_id: str
    table: str
    severity: str
    category: str
    description: str
    expected: str
    fails: str
    column: str | None = None  # the offending column, for the per-row error report
    references: tuple[str, ...] = ()  # reference tables the SQL reads (see reference.py)
    compares_rows: bool = False  # uses a window or reads `staged` as a whole: evaluated in its own narrow query

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES or self.category not in CATEGORIES:
            raise ValueError(f"rule {self.rule_id}: bad severity or category")


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def generated_rules(table: Table) -> list[Rule]:
    """Format and existence rules that follow from the registry's column constraints."""
    rules = []
    for f in staged(table).fields:
        col = f'"{f.name}"'
        if f.required:
            rules.append(Rule(f"{table.name}.{f.name}.required", table.name, "error", "existence",
                              f"`{f.name}` must be present.", "not null", f"{col} IS NULL", f.name))
        if f.enum:
            rules.append(Rule(f"{table.name}.{f.name}.code_list", table.name, "error", "format",
                              f"`{f.name}` must be one of the declared codes.", " | ".join(f.enum),
                              f"{col} NOT IN ({_quoted(f.enum)})", f.name))
        if f.pattern:
            rules.append(Rule(f"{table.name}.{f.name}.pattern", table.name, "error", "format",
                              f"`{f.name}` must match its declared pattern.", f.pattern,
                              f"NOT regexp_full_match({col}, '{f.pattern}')", f.name))
        if f.minimum is not None:
            rules.append(Rule(f"{table.name}.{f.name}.minimum", table.name, "error", "accuracy",
                              f"`{f.name}` must be at least {f.minimum:g}.", f">= {f.minimum:g}",
                              f"{col} < {f.minimum}", f.name))
        if f.maximum is not None:
            rules.append(Rule(f"{table.name}.{f.name}.maximum", table.name, "error", "accuracy",
                              f"`{f.name}` must be at most {f.maximum:g}.", f"<= {f.maximum:g}",
                              f"{col} > {f.maximum}", f.name))
    return rules


# Plausible award size in NOK per instrument (low, high). Below `low` but above zero is a likely unit slip
# (thousands), above `high` a likely extra digit; both are flagged, not dropped.
PLAUSIBLE_AMOUNT_NOK: dict[str, tuple[float, float]] = {
    "grant": (1e3, 2e9),
    "loan": (1e4, 5e9),
    "guarantee": (1e4, 5e9),
    "contract": (1e3, 1e10),
    "tax_deduction": (1e3, 1e8),
    "other": (1e3, 5e9),
}
PLAUSIBLE_EXPECTED = "; ".join(f"{k} {lo:g}..{hi:g}" for k, (lo, hi) in PLAUSIBLE_AMOUNT_NOK.items())


def outside_plausible_range(amount: str) -> str:
    """SQL: TRUE when a positive ``amount`` (NOK) is outside the plausible range of the row's instrument."""
    cases = " ".join(f"WHEN '{k}' THEN {amount} NOT BETWEEN {lo} AND {hi}"
                     for k, (lo, hi) in PLAUSIBLE_AMOUNT_NOK.items())
    return f"({amount} > 0 AND CASE instrument {cases} END)"


# Roles a participant can have (see the `role` field).
PARTICIPANT_ROLES = ("coordinator", "participant", "partner", "third_party",
                     "need_owner", "public_partner", "bidder", "supplier")

_DUPLICATE = "row_number() OVER (PARTITION BY {key} ORDER BY source_file, source_row) > 1"
_PHASE_STARTS = "[" + ", ".join(f"{p}_start" for p in PARTNERSHIP_PHASES) + "]"
_ORGNR_GIVEN = "recipient_orgnr_raw IS NOT NULL AND NOT regexp_full_match(trim(recipient_orgnr_raw), '0+')"
_NAME_KEY = "lower(regexp_replace(recipient_name, '[\\s.,;:/()&''\"-]+', '', 'g'))"
_NAMES_DIFFER = (f"recipient_orgnr IN (SELECT recipient_orgnr FROM staged WHERE recipient_orgnr IS NOT NULL "
                 f"GROUP BY recipient_orgnr HAVING count(DISTINCT funder) > 1 AND count(DISTINCT {_NAME_KEY}) > 1)")


def geography_rules(table: str) -> list[Rule]:
    """Place rules for a table that carries the source's kommune and fylke codes."""
    return [
        Rule(f"{table}.geography.fylke_of_kommune", table, "warning", "consistency",
             "The kommune number begins with the fylke number given beside it.", "substr(kommune,1,2) = fylke",
             "kommune_code IS NOT NULL AND fylke_code IS NOT NULL AND substr(kommune_code, 1, 2) <> fylke_code",
             "fylke_code"),
        Rule(f"{table}.geography.kommune_unknown", table, "warning", "accuracy",
             "The kommune number exists in SSB's kommune list (2020–2023 or 2024 structure).",
             "a kommune code valid 2020–2024",
             "kommune_code IS NOT NULL AND kommune_code NOT IN (SELECT kommune_code FROM ref_kommune_codes)",
             "kommune_code", ("ref_kommune_codes",)),
        Rule(f"{table}.geography.fylke_unknown", table, "warning", "accuracy",
             "The fylke number is one of SSB's fylker (2020–2023 or 2024 structure).",
             "a fylke code valid 2020–2024",
             "fylke_code IS NOT NULL AND fylke_code NOT IN (SELECT DISTINCT left(kommune_code, 2) FROM ref_kommune_codes)",
             "fylke_code", ("ref_kommune_codes",)),
    ]


WRITTEN_RULES = [
    # awards
    Rule("awards.award_id.unique", "awards", "error", "consistency",
         "Each award id occurs once; later duplicates are quarantined.", "unique",
         _DUPLICATE.format(key="award_id"), "award_id", compares_rows=True),
    Rule("awards.amount.missing", "awards", "error", "existence",
         "An award with money has an amount the reader could parse.", "a number",
         "amount_original IS NULL AND instrument <> 'tax_deduction'", "amount_original"),
    Rule("awards.amount.currency_missing", "awards", "error", "consistency",
         "An amount says which currency it is in, or it cannot be converted to NOK.", "a currency",
         "amount_original IS NOT NULL AND currency_original IS NULL", "currency_original"),
    Rule("awards.amount.zero_grant", "awards", "warning", "accuracy",
         "A granted award of zero is unusual (reduced to nothing, or data entry).", "> 0",
         "amount_original = 0 AND instrument <> 'tax_deduction'", "amount_original"),
    Rule("awards.amount.implausible", "awards", "warning", "accuracy",
         "A NOK amount lies within the plausible range for its instrument.", PLAUSIBLE_EXPECTED,
         f"currency_original = 'NOK' AND {outside_plausible_range('amount_original')}", "amount_original"),
    Rule("awards.award_date.missing", "awards", "warning", "existence",
         "The award has a date.", "a date", "award_date IS NULL", "award_date"),
    Rule("awards.award_date.range", "awards", "error", "accuracy",
         "The award date lies between 1990 and one year after today.", "1990-01-01 .. today + 1 year",
         "award_date < DATE '1990-01-01' OR award_date > current_date + INTERVAL 1 YEAR", "award_date"),
    Rule("awards.award_year.matches_date", "awards", "error", "consistency",
         "The award year is the year of the award date.", "award_year = year(award_date)",
         "award_year <> year(award_date)", "award_year"),
    Rule("awards.recipient.name_missing", "awards", "warning", "existence",
         "The recipient has a name.", "not empty", "recipient_name IS NULL OR trim(recipient_name) = ''",
         "recipient_name"),
    Rule("awards.recipient.orgnr_missing", "awards", "warning", "existence",
         "The recipient has an organisation number (empty and `0` count as missing).", "9 digits",
         "recipient_orgnr_raw IS NULL OR regexp_full_match(trim(recipient_orgnr_raw), '0+')", "recipient_orgnr_raw"),
    Rule("awards.recipient.orgnr_mod11", "awards", "warning", "format",
         "A given organisation number passes the mod-11 check (internal ids and typos fail).", "mod 11 valid",
         f"{_ORGNR_GIVEN} AND recipient_orgnr IS NULL", "recipient_orgnr_raw"),
    Rule("awards.cross_source.orgnr_names", "awards", "warning", "cross-source",
         "Funders that name the same organisation number agree on its name (spacing, case and punctuation aside).",
         "one name per orgnr across funders", _NAMES_DIFFER, "recipient_orgnr", compares_rows=True),
    Rule("awards.title.missing", "awards", "warning", "existence",
         "The award names its project.", "not empty", "title IS NULL OR trim(title) = ''", "title"),
    *geography_rules("awards"),
    Rule("awards.instrument.unclassified", "awards", "warning", "consistency",
         "The funder's scheme maps to a known instrument (an unknown scheme gives `other`).", "not other",
         "instrument = 'other'", "instrument"),
    # projects
    Rule("projects.project_id.unique", "projects", "error", "consistency",
         "Each project id occurs once; later duplicates are quarantined.", "unique",
         _DUPLICATE.format(key="project_id"), "project_id", compares_rows=True),
    Rule("projects.period.order", "projects", "warning", "consistency",
         "A project does not end before it starts.", "end_year >= start_year", "end_year < start_year", "end_year"),
    Rule("projects.period.too_long", "projects", "warning", "accuracy",
         "A project runs for at most 15 years (centres of excellence run ten).", "end_year - start_year <= 15",
         "end_year - start_year > 15", "end_year"),
    Rule("projects.title.missing", "projects", "warning", "existence",
         "The project has a title.", "not empty", "title IS NULL OR trim(title) = ''", "title"),
    *geography_rules("projects"),
    # participants
    Rule("participants.participant_id.unique", "participants", "error", "consistency",
         "Each participation id occurs once; later duplicates are quarantined.", "unique",
         _DUPLICATE.format(key="participant_id"), "participant_id", compares_rows=True),
    Rule("participants.parent.missing", "participants", "error", "existence",
         "A participation belongs to a project or to a partnership.", "project_id or partnership_id",
         "project_id IS NULL AND partnership_id IS NULL", "project_id"),
    Rule("participants.amount.currency_missing", "participants", "error", "consistency",
         "An amount says which currency it is in.", "a currency",
         "amount_original IS NOT NULL AND currency_original IS NULL", "currency_original"),
    Rule("participants.role.code_list", "participants", "warning", "format",
         "The role is one of the known participant roles.", " | ".join(PARTICIPANT_ROLES),
         f"role IS NOT NULL AND role NOT IN ({_quoted(PARTICIPANT_ROLES)})", "role"),
    Rule("participants.name.missing", "participants", "warning", "existence",
         "The participant has a name.", "not empty",
         "participant_name IS NULL OR trim(participant_name) = ''", "participant_name"),
    Rule("participants.country.missing", "participants", "warning", "existence",
         "The participant's country is known.", "ISO 3166-1 alpha-2", "country_code IS NULL", "country_code"),
    Rule("participants.orgnr.norwegian_missing", "participants", "warning", "existence",
         "A Norwegian participant has a valid organisation number.", "9 digits, mod 11",
         "country_code = 'NO' AND participant_orgnr IS NULL", "participant_orgnr"),
    # partnerships, their funding and procurement
    Rule("partnerships.partnership_id.unique", "partnerships", "error", "consistency",
         "Each partnership id occurs once in the register; later duplicates are quarantined.", "unique",
         _DUPLICATE.format(key="partnership_id"), "partnership_id", compares_rows=True),
    Rule("partnerships.phases.order", "partnerships", "warning", "consistency",
         "Phases start in the programme's order: need, dialogue, competition, development, procurement, "
         "implementation.", "start dates ascending",
         f"list_filter({_PHASE_STARTS}, lambda x: x IS NOT NULL) <> "
         f"list_sort(list_filter({_PHASE_STARTS}, lambda x: x IS NOT NULL))"),
    Rule("partnerships.outcome.before_need", "partnerships", "warning", "consistency",
         "An outcome does not happen before the partnership's need phase started.", "outcome_date >= need_start",
         "outcome_date < need_start"),
    Rule("partnerships.companies.missing", "partnerships", "warning", "existence",
         "A partnership past its competition phase names its companies.", "company_count > 0",
         "company_count = 0 AND (development_start IS NOT NULL OR procurement_start IS NOT NULL)"),
    Rule("partnership_funding.funding_id.unique", "partnership_funding", "error", "consistency",
         "Each funding entry occurs once; later duplicates are quarantined.", "unique",
         _DUPLICATE.format(key="funding_id"), "funding_id", compares_rows=True),
    Rule("partnership_funding.award.unresolved", "partnership_funding", "warning", "cross-source",
         "An award id the register cites names an award published in `awards`.", "a published award",
         "funding_award_id IS NOT NULL AND NOT award_resolved"),
    Rule("procurement.procurement_id.unique", "procurement", "error", "consistency",
         "Each notice, lot and tender occurs once; a notice delivered twice is quarantined the second time.",
         "unique", _DUPLICATE.format(key="procurement_id"), "procurement_id", compares_rows=True),
    Rule("procurement.buyer.orgnr_missing", "procurement", "warning", "existence",
         "The notice names its buyer with a valid Norwegian organisation number.", "NO-BRC-<orgnr>",
         "buyer_org_id IS NULL"),
    Rule("procurement.award.value_missing", "procurement", "warning", "existence",
         "An awarded tender has a value.", "a number", "tender_id IS NOT NULL AND awarded_value IS NULL"),
]


def rules_for(table_name: str) -> list[Rule]:
    return [r for r in RULES if r.table == table_name]


RULES: list[Rule] = [rule for name in RULED_TABLES for rule in generated_rules(TABLES[name])] + WRITTEN_RULES


# --- set rules ------------------------------------------------------------------------------------------
# Views a set rule can read: the core tables by name, `reconciliation` (one row per landing file) and
# `raw_amounts` (source_id, source_file, source_row, amount_text: the amount as the landing file wrote it).
FILE_VIEWS = ("reconciliation", "raw_amounts")
EU_SOURCES = ("forskningsradet_eu", "cordis_projects")


# An award the 360Giving standard cannot carry: it needs an amount, a currency and a date.
GIVING360_LEFT_OUT_RULE = "giving360.amount_or_date.missing"
GIVING360_LEFT_OUT = "amount_original IS NULL OR award_date IS NULL OR currency_original IS NULL"


@dataclass(frozen=True)
class SetRule:
    """A rule over whole tables. ``checked`` is SQL giving one number (rows or files looked at); ``failing``
    is SQL giving the failing rows as ``source_id, source_file, source_row, offending_value`` (``source_row``
    NULL when the rule is about a whole file)."""

    rule_id: str
    table: str
    severity: str
    category: str
    description: str
    expected: str
    reads: tuple[str, ...]
    checked: str
    failing: str
    column: str | None = None
    check_name: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES or self.category not in CATEGORIES:
            raise ValueError(f"rule {self.rule_id}: bad severity or category")

    @property
    def dagster_name(self) -> str:
        return self.check_name or self.rule_id.replace(".", "__")


def unique_key_rule(table: Table) -> SetRule:
    keys = ", ".join(table.primary_key)
    return SetRule(
        f"{table.name}.primary_key.unique", table.name, "error", "consistency",
        f"No two published {table.name} share `{keys}`.", "unique", (table.name,),
        f"SELECT count(*) FROM {table.name}",
        f"SELECT source_id, source_file, source_row, concat_ws(' | ', {keys}) FROM "
        f"(SELECT *, count(*) OVER (PARTITION BY {keys}) AS copies FROM {table.name}) WHERE copies > 1",
        table.primary_key[0])


def foreign_key_rule(table: Table, column: str, target: str, target_column: str) -> SetRule:
    return SetRule(
        f"{table.name}.{column}.foreign_key", table.name, "error", "consistency",
        f"Every published `{column}` names a published row of `{target}`.", f"{target}.{target_column}",
        (table.name, target),
        f"SELECT count(*) FROM {table.name} WHERE {column} IS NOT NULL",
        f"SELECT source_id, source_file, source_row, {column} FROM {table.name} t WHERE {column} IS NOT NULL "
        f"AND NOT EXISTS (SELECT 1 FROM {target} r WHERE r.{target_column} = t.{column})",
        column)


# An award amount read straight from the landing file's text, independently of the source's parser, so the
# totals reconcile against a second reading (decimal comma or point; the last mark is the decimal mark).
SQL_MACROS = (
    "CREATE OR REPLACE MACRO amount_text_clean(t) AS regexp_replace(t, '[\\s\\x{00A0}\\x{202F}]', '', 'g')",
    "CREATE OR REPLACE MACRO amount_from_clean(s) AS TRY_CAST(CASE "
    "WHEN contains(s, ',') AND contains(s, '.') AND instr(reverse(s), ',') < instr(reverse(s), '.') "
    "THEN replace(replace(s, '.', ''), ',', '.') "
    "WHEN contains(s, ',') AND contains(s, '.') THEN replace(s, ',', '') "
    "ELSE replace(s, ',', '.') END AS DOUBLE)",
    "CREATE OR REPLACE MACRO amount_from_text(t) AS amount_from_clean(amount_text_clean(t))",
)

_FILE_TOTALS = """
WITH core AS (
  SELECT source_id, source_file, sum(amount_original) AS published_total FROM awards
  WHERE source_id IN (SELECT DISTINCT source_id FROM raw_amounts) GROUP BY ALL),
raw AS (
  SELECT r.source_id, r.source_file, sum(amount_from_text(r.amount_text)) AS raw_total FROM raw_amounts r
  JOIN awards a USING (source_id, source_file, source_row) GROUP BY ALL),
totals AS (
  SELECT source_id, source_file, coalesce(published_total, 0) AS published_total,
         coalesce(raw_total, 0) AS raw_total FROM core FULL JOIN raw USING (source_id, source_file))
"""

_EU_TOTALS = f"""
WITH per_source AS (
  SELECT project_id, source_id, sum(amount_original) AS total FROM awards
  WHERE source_id IN ({_quoted(EU_SOURCES)}) AND currency_original = 'EUR' GROUP BY ALL),
compared AS (
  SELECT project_id, min(total) AS low, max(total) AS high FROM per_source GROUP BY project_id
  HAVING count(*) = {len(EU_SOURCES)})
"""

# Published rows that would expose a natural person: an organisation row of a person without a pseudonym or
# with a name, or any award, project or participant naming a person's id with a name other than the label.
PERSON_LABEL = "natural person (pseudonymised)"
_PERSON_EXPOSED = f"""
SELECT NULL, NULL, NULL, org_id FROM organisations
WHERE is_natural_person AND (NOT starts_with(org_id, 'NO-PERSON-') OR org_name IS DISTINCT FROM '{PERSON_LABEL}')
UNION ALL
SELECT source_id, source_file, source_row, recipient_org_id FROM awards a
WHERE recipient_org_id IN (SELECT org_id FROM organisations WHERE is_natural_person)
  AND recipient_name IS DISTINCT FROM '{PERSON_LABEL}'
UNION ALL
SELECT source_id, source_file, source_row, recipient_org_id FROM projects p
WHERE recipient_org_id IN (SELECT org_id FROM organisations WHERE is_natural_person)
  AND recipient_name IS DISTINCT FROM '{PERSON_LABEL}'
UNION ALL
SELECT source_id, source_file, source_row, participant_org_id FROM participants
WHERE starts_with(participant_org_id, 'NO-PERSON-') AND participant_name IS DISTINCT FROM '{PERSON_LABEL}'
"""

WRITTEN_SET_RULES = [
    SetRule("reconciliation.balanced", "reconciliation", "error", "consistency",
            "Every landing file balances: records read = published + quarantined + excluded.",
            "rows_read = rows_published + rows_quarantined + rows_excluded", ("reconciliation",),
            "SELECT count(*) FROM reconciliation",
            "SELECT source_id, source_file, NULL, printf('read %d, published %d, quarantined %d, excluded %d', "
            "rows_read, rows_published, rows_quarantined, rows_excluded) FROM reconciliation WHERE NOT balanced",
            "rows_read", check_name="reconciliation_balances"),
    SetRule("reconciliation.file_unreadable", "reconciliation", "warning", "format",
            "Every landing file can be read; an unreadable one is reported and the others are still published.",
            "read_status = ok", ("reconciliation",),
            "SELECT count(*) FROM reconciliation",
            "SELECT source_id, source_file, NULL, read_problem FROM reconciliation WHERE read_status <> 'ok'",
            "read_status"),
    SetRule("reconciliation.zero_records", "reconciliation", "warning", "existence",
            "A readable landing file holds at least one record.", "rows_read > 0", ("reconciliation",),
            "SELECT count(*) FROM reconciliation WHERE read_status = 'ok'",
            "SELECT source_id, source_file, NULL, '0 records' FROM reconciliation "
            "WHERE read_status = 'ok' AND rows_read = 0",
            "rows_read"),
    SetRule("reconciliation.amount_totals", "reconciliation", "error", "consistency",
            "Per landing file, the published award amounts add up to the amounts the file states for the same "
            "records, read a second time from the raw text.", "|published - raw| <= 1",
            ("awards", "raw_amounts"),
            _FILE_TOTALS + "SELECT count(*) FROM totals",
            _FILE_TOTALS + "SELECT source_id, source_file, NULL, printf('published %.2f, file %.2f', "
            "published_total, raw_total) FROM totals WHERE abs(published_total - raw_total) > 1",
            "amount_original"),
    SetRule("organisations.person.not_pseudonymised", "organisations", "error", "consistency",
            "A natural person (ENK, or a recipient without an orgnr whose name carries no organisation marker) is "
            "published only under a NO-PERSON pseudonym and the neutral label: no name, no orgnr.",
            "NO-PERSON-<hmac>; label only", ("awards", "organisations", "projects", "participants"),
            f"SELECT (SELECT count(*) FROM organisations) + (SELECT count(*) FROM awards)",
            _PERSON_EXPOSED,
            "recipient_org_id", check_name="natural_persons_pseudonymised"),
    SetRule("awards.amount_nok.plausible", "awards", "warning", "accuracy",
            "Each published amount in NOK, after conversion, lies within the plausible range for its instrument.",
            PLAUSIBLE_EXPECTED, ("awards",),
            "SELECT count(*) FROM awards WHERE amount_nok IS NOT NULL",
            f"SELECT source_id, source_file, source_row, CAST(amount_nok AS VARCHAR) FROM awards "
            f"WHERE {outside_plausible_range('amount_nok')}",
            "amount_nok"),
    SetRule(GIVING360_LEFT_OUT_RULE, "awards", "warning", "existence",
            "An award without an amount, a currency or an award date cannot be a 360Giving grant: it is left out "
            "of `awards.360giving.json` only and stays in every other format.",
            "amount_original, currency_original and award_date", ("awards",),
            "SELECT count(*) FROM awards",
            "SELECT source_id, source_file, source_row, concat_ws(' | ', 'amount ' || coalesce(CAST(amount_original "
            "AS VARCHAR), 'missing'), 'currency ' || coalesce(currency_original, 'missing'), 'date ' || "
            f"coalesce(CAST(award_date AS VARCHAR), 'missing')) FROM awards WHERE {GIVING360_LEFT_OUT}",
            "amount_original"),
    SetRule("awards.cross_source.eu_totals", "awards", "warning", "cross-source",
            "An EU project's EC contribution to Norwegian participants is the same in Forskningsrådet's "
            "bevilgningereu and in CORDIS (within 1 %).", "|forskningsradet_eu - cordis| <= 1 % of the larger",
            ("awards",),
            _EU_TOTALS + f"SELECT count(*) FROM awards WHERE project_id IN (SELECT project_id FROM compared) "
            f"AND source_id IN ({_quoted(EU_SOURCES)})",
            _EU_TOTALS + "SELECT a.source_id, a.source_file, a.source_row, "
            "printf('%s: %.2f vs %.2f EUR', a.project_id, c.low, c.high) FROM awards a JOIN compared c "
            f"USING (project_id) WHERE a.source_id IN ({_quoted(EU_SOURCES)}) "
            "AND c.high - c.low > greatest(1, 0.01 * c.high)",
            "amount_original"),
]


def generated_set_rules() -> list[SetRule]:
    """Unique keys and foreign keys of every ruled table, from the table registry."""
    rules = []
    for name in RULED_TABLES:
        table = TABLES[name]
        rules.append(unique_key_rule(table))
        rules += [foreign_key_rule(table, *fk) for fk in table.foreign_keys]
    return rules


SET_RULES: list[SetRule] = generated_set_rules() + WRITTEN_SET_RULES

_ids = [r.rule_id for r in (*RULES, *SET_RULES)]
if len(_ids) != len(set(_ids)):
    raise ValueError("a rule id is declared twice")
