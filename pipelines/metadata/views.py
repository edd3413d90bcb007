"""The analysts' views in the warehouse, declared once: name, description, SQL and a comment per column.

A column named like a registry field takes that field's description; the others say here what they count.
Views use unqualified table names, so the file opens the same in DuckDB 1.x and 2.x, attached or not.
"""

from __future__ import annotations

from dataclasses import dataclass

from .fields import FIELDS
from .model import _sql_str


@dataclass(frozen=True)
class View:
    name: str
    description: str
    sql: str
    column_notes: tuple[tuple[str, str], ...] = ()  # descriptions of columns that are not registry fields
    materialised: bool = False  # stored as a table at build time: a 10M-award aggregate answers in milliseconds

    def describe(self, column: str) -> str:
        notes = dict(self.column_notes)
        if column in notes:
            return notes[column]
        if column in FIELDS:
            return FIELDS[column].description
        raise KeyError(f"view {self.name}: column {column} has no description")

    @property
    def kind(self) -> str:
        return "TABLE" if self.materialised else "VIEW"

    def create(self) -> str:
        return f"CREATE OR REPLACE {self.kind} {self.name} AS {self.sql}"

    def comments(self, columns: list[str]) -> list[str]:
        return [f"COMMENT ON {self.kind} {self.name} IS {_sql_str(self.description)}",
                *(f'COMMENT ON COLUMN {self.name}."{c}" IS {_sql_str(self.describe(c))}' for c in columns)]


_MEASURES = (
    ("awards", "Number of published awards."),
    ("amount_nok", "Sum of the awards' amounts in NOK (amounts without a NOK value are left out of the sum)."),
    ("recipients", "Number of distinct recipients (by recipient_org_id)."),
)

VIEWS: tuple[View, ...] = (
    View(
        "funding_by_year_funder_instrument",
        "Funding per award year, funder and instrument (grant, loan, guarantee, contract, tax deduction).",
        """SELECT award_year, funder, instrument, count(*) AS awards, sum(amount_nok) AS amount_nok,
                  count(DISTINCT recipient_org_id) AS recipients
           FROM awards GROUP BY ALL""",
        _MEASURES, materialised=True,
    ),
    View(
        "funding_by_fylke",
        "Funding per fylke within today's (2024) borders and award year; awards without a resolved fylke "
        "are grouped under an empty fylke.",
        """SELECT fylke_code_current, award_year, count(*) AS awards, sum(amount_nok) AS amount_nok,
                  count(DISTINCT recipient_org_id) AS recipients
           FROM awards GROUP BY ALL""",
        _MEASURES, materialised=True,
    ),
    View(
        "funding_by_kommune",
        "Funding per kommune within today's (2024) borders and award year.",
        """SELECT kommune_code_current, fylke_code_current, award_year, count(*) AS awards,
                  sum(amount_nok) AS amount_nok, count(DISTINCT recipient_org_id) AS recipients
           FROM awards WHERE kommune_code_current IS NOT NULL GROUP BY ALL""",
        _MEASURES, materialised=True,
    ),
    View(
        "funding_by_recipient",
        "Funding per recipient across all funders, with the recipient's resolved identity; natural persons "
        "appear only under their pseudonym.",
        """SELECT a.recipient_org_id, o.org_name, o.org_form, o.is_natural_person, o.is_public_sector,
                  o.identity_basis, count(DISTINCT a.funder) AS funders, count(*) AS awards,
                  sum(a.amount_nok) AS amount_nok, min(a.award_year) AS first_year, max(a.award_year) AS last_year
           FROM awards a LEFT JOIN organisations o ON o.org_id = a.recipient_org_id
           WHERE a.recipient_org_id IS NOT NULL GROUP BY ALL""",
        (("funders", "Number of distinct funders that made awards to the recipient."), *_MEASURES[:2],
         ("first_year", "Earliest award year of the recipient's awards."),
         ("last_year", "Latest award year of the recipient's awards.")),
        materialised=True,
    ),
    View(
        "partnership_outcomes",
        "Each innovation partnership with its phase, its outcome indicators and the follow-on contracts "
        "linked to it in the procurement notices.",
        """SELECT p.partnership_id, p.title, p.sector, p.phase, p.outcome, p.public_participant_count,
                  p.company_count,
                  (SELECT count(*) FROM outcomes o WHERE o.subject_type = 'partnership'
                                                     AND o.subject_id = p.partnership_id) AS indicators,
                  (SELECT count(*) FROM procurement c WHERE c.partnership_id = p.partnership_id
                                                        AND c.awarded_value IS NOT NULL) AS contracts,
                  (SELECT sum(c.awarded_value) FROM procurement c
                    WHERE c.partnership_id = p.partnership_id) AS contract_value
           FROM partnerships p""",
        (("indicators", "Number of outcome indicators recorded for the partnership."),
         ("contracts", "Number of awarded contracts linked to the partnership in procurement notices."),
         ("contract_value", "Sum of the awarded values of those contracts, in their notices' currency.")),
    ),
)
