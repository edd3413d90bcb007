"""The rule registry: every data-quality rule, with its id, table, severity, category and SQL test.

A rule's ``fails`` is a DuckDB SQL predicate over the staged table that is TRUE for a failing row (NULL
counts as passing, so existence rules test for NULL themselves). Format rules are generated from the table
registry's constraints; the rest are written here. Severity ``error`` quarantines the row; ``warning`` keeps
it and flags it in ``quality_flags``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.metadata import TABLES, Table, staged
from pipelines.metadata.fields import PARTNERSHIP_PHASES

SEVERITIES = ("error", "warning")
CATEGORIES = ("existence", "format", "accuracy", "consistency", "cross-source")


@dataclass(frozen=True)
class Rule:
    rule_id: str
    table: str
    severity: str
    category: str
    description: str
    expected: str
    fails: str

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
                              f"`{f.name}` must be present.", "not null", f"{col} IS NULL"))
        if f.enum:
            rules.append(Rule(f"{table.name}.{f.name}.code_list", table.name, "error", "format",
                              f"`{f.name}` must be one of the declared codes.", " | ".join(f.enum),
                              f"{col} NOT IN ({_quoted(f.enum)})"))
        if f.pattern:
            rules.append(Rule(f"{table.name}.{f.name}.pattern", table.name, "error", "format",
                              f"`{f.name}` must match its declared pattern.", f.pattern,
                              f"NOT regexp_full_match({col}, '{f.pattern}')"))
        if f.minimum is not None:
            rules.append(Rule(f"{table.name}.{f.name}.minimum", table.name, "error", "accuracy",
                              f"`{f.name}` must be at least {f.minimum:g}.", f">= {f.minimum:g}",
                              f"{col} < {f.minimum}"))
        if f.maximum is not None:
            rules.append(Rule(f"{table.name}.{f.name}.maximum", table.name, "error", "accuracy",
                              f"`{f.name}` must be at most {f.maximum:g}.", f"<= {f.maximum:g}",
                              f"{col} > {f.maximum}"))
    return rules


_DUPLICATE = "row_number() OVER (PARTITION BY {key} ORDER BY source_file, source_row) > 1"
_PHASE_STARTS = "[" + ", ".join(f"{p}_start" for p in PARTNERSHIP_PHASES) + "]"

WRITTEN_RULES = [
    # awards
    Rule("awards.award_id.unique", "awards", "error", "consistency",
         "Each award id occurs once; later duplicates are quarantined.", "unique",
         _DUPLICATE.format(key="award_id")),
    Rule("awards.amount.missing", "awards", "error", "existence",
         "An award with money has an amount the reader could parse.", "a number",
         "amount_original IS NULL AND instrument <> 'tax_deduction'"),
    Rule("awards.amount.zero_grant", "awards", "warning", "accuracy",
         "A granted award of zero is unusual (reduced to nothing, or data entry).", "> 0",
         "amount_original = 0 AND instrument <> 'tax_deduction'"),
    Rule("awards.amount.implausible", "awards", "warning", "accuracy",
         "Amount within the plausible range for the instrument (grants up to NOK 2 billion).", "<= 2e9",
         "amount_original > 2e9"),
    Rule("awards.award_date.missing", "awards", "warning", "existence",
         "The award has a date.", "a date", "award_date IS NULL"),
    Rule("awards.award_date.range", "awards", "error", "accuracy",
         "The award date lies between 1990 and one year after today.", "1990-01-01 .. today + 1 year",
         "award_date < DATE '1990-01-01' OR award_date > current_date + INTERVAL 1 YEAR"),
    Rule("awards.recipient.name_missing", "awards", "warning", "existence",
         "The recipient has a name.", "not empty", "recipient_name IS NULL OR trim(recipient_name) = ''"),
    Rule("awards.recipient.orgnr_missing", "awards", "warning", "existence",
         "The recipient has an organisation number.", "9 digits",
         "recipient_orgnr_raw IS NULL OR regexp_full_match(trim(recipient_orgnr_raw), '0+')"),
    Rule("awards.recipient.orgnr_mod11", "awards", "warning", "format",
         "A given organisation number passes the mod-11 check (internal ids and typos fail).", "mod 11 valid",
         "recipient_orgnr_raw IS NOT NULL AND NOT regexp_full_match(trim(recipient_orgnr_raw), '0+') "
         "AND recipient_orgnr IS NULL"),
    Rule("awards.geography.fylke_of_kommune", "awards", "warning", "consistency",
         "The kommune number begins with the fylke number given beside it.", "substr(kommune,1,2) = fylke",
         "kommune_code IS NOT NULL AND fylke_code IS NOT NULL AND substr(kommune_code, 1, 2) <> fylke_code"),
    Rule("awards.title.missing", "awards", "warning", "existence",
         "The award names its project.", "not empty", "title IS NULL OR trim(title) = ''"),
    Rule("awards.instrument.unclassified", "awards", "warning", "consistency",
         "The funder's scheme maps to a known instrument (an unknown scheme gives `other`).", "not other",
         "instrument = 'other'"),
    # projects
    Rule("projects.project_id.unique", "projects", "error", "consistency",
         "Each project id occurs once; later duplicates are quarantined.", "unique",
         _DUPLICATE.format(key="project_id")),
    Rule("projects.period.order", "projects", "warning", "consistency",
         "A project does not end before it starts.", "end_year >= start_year", "end_year < start_year"),
    Rule("projects.title.missing", "projects", "warning", "existence",
         "The project has a title.", "not empty", "title IS NULL OR trim(title) = ''"),
    # participants
    Rule("participants.participant_id.unique", "participants", "error", "consistency",
         "Each participant id occurs once; later duplicates are quarantined.", "unique",
         _DUPLICATE.format(key="participant_id")),
    # partnerships, their funding and procurement
    Rule("partnerships.partnership_id.unique", "partnerships", "error", "consistency",
         "Each partnership id occurs once in the register; later duplicates are quarantined.", "unique",
         _DUPLICATE.format(key="partnership_id")),
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
         _DUPLICATE.format(key="funding_id")),
    Rule("partnership_funding.award.unresolved", "partnership_funding", "warning", "cross-source",
         "An award id the register cites names an award published in `awards`.", "a published award",
         "funding_award_id IS NOT NULL AND NOT award_resolved"),
    Rule("procurement.procurement_id.unique", "procurement", "error", "consistency",
         "Each notice, lot and tender occurs once; a notice delivered twice is quarantined the second time.",
         "unique", _DUPLICATE.format(key="procurement_id")),
    Rule("procurement.buyer.orgnr_missing", "procurement", "warning", "existence",
         "The notice names its buyer with a valid Norwegian organisation number.", "NO-BRC-<orgnr>",
         "buyer_org_id IS NULL"),
    Rule("procurement.award.value_missing", "procurement", "warning", "existence",
         "An awarded tender has a value.", "a number", "tender_id IS NOT NULL AND awarded_value IS NULL"),
]


def rules_for(table_name: str) -> list[Rule]:
    return [r for r in RULES if r.table == table_name]


CHECKED_TABLES = ("awards", "projects", "participants", "partnerships", "partnership_funding", "procurement")
RULES: list[Rule] = [rule for name in CHECKED_TABLES for rule in generated_rules(TABLES[name])] + WRITTEN_RULES

_ids = [r.rule_id for r in RULES]
if len(_ids) != len(set(_ids)):
    raise ValueError("a rule id is declared twice")
