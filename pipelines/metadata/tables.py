"""The table registry: every table innofund builds, declared once.

Adding a column is one line here (plus, when new, one line in ``fields.py``); the Parquet schema,
warehouse DDL and comments, datapackage.json schema and data dictionary follow from it.
"""

from __future__ import annotations

from dataclasses import replace

from .fields import FIELDS, PARTNERSHIP_PHASES
from .model import Field, Table

# Major version of the published data model: bump it when a published column is removed or changes meaning.
DATA_MODEL_VERSION = 1


def _cols(*names: str, required: tuple[str, ...] = (), optional: tuple[str, ...] = ()) -> tuple[Field, ...]:
    """The declared fields by name; ``required``/``optional`` tighten or relax NOT NULL for this table only."""
    return tuple(replace(FIELDS[n], required=True) if n in required
                 else replace(FIELDS[n], required=False) if n in optional else FIELDS[n] for n in names)


LINEAGE = ("source_file", "source_row")

AWARDS = Table(
    name="awards",
    title="Awards of public innovation funding",
    title_nb="Tildelinger av offentlige innovasjonsmidler",
    description=(
        "Every grant, loan, guarantee, contract or tax deduction that a Norwegian public funder awarded to an "
        "organisation for research or innovation, with the recipient, the amount in the original currency and "
        "in NOK, the date and the place."
    ),
    description_nb=(
        "Alle tilskudd, lån, garantier, kontrakter og skattefradrag som norske offentlige virkemiddelaktører har "
        "gitt til forskning og innovasjon, med mottaker, beløp i original valuta og i NOK, dato og sted."
    ),
    grain="One row per award: one funder's decision to support one recipient in one project.",
    primary_key=("award_id",),
    fields=_cols(
        "award_id", "source_id", "funder", "project_id", "title", "instrument", "programme", "status",
        "recipient_org_id", "recipient_name",
        "amount_original", "currency_original", "amount_nok", "exchange_rate", "exchange_rate_date",
        "exchange_rate_method",
        "award_date", "award_date_basis", "award_year",
        "kommune_code", "fylke_code", "kommune_code_award_date", "fylke_code_award_date",
        "kommune_code_current", "fylke_code_current", "geography_note",
        "recipient_is_startup", "recipient_is_public_sector", "recipient_match", "recipient_match_confidence",
        "quality_flags",
        *LINEAGE,
    ),
    foreign_keys=(("project_id", "projects", "project_id"), ("recipient_org_id", "organisations", "org_id")),
)

ORGANISATIONS = Table(
    name="organisations",
    title="Recipients and participants, identified across funders",
    title_nb="Mottakere og deltakere, identifisert på tvers av virkemiddelaktører",
    description=(
        "Every organisation that received an award, with its form, industry, place and founding date from "
        "Brønnøysund's Enhetsregisteret. Natural persons (sole proprietorships and people without an orgnr) "
        "appear only under a pseudonym and a neutral label."
    ),
    description_nb=(
        "Alle organisasjoner som har fått en tildeling, med organisasjonsform, næring, kommune og stiftelsesdato "
        "fra Enhetsregisteret. Fysiske personer (enkeltpersonforetak og personer uten organisasjonsnummer) vises "
        "bare med pseudonym."
    ),
    grain="One row per organisation (or pseudonymised person) named as a recipient.",
    primary_key=("org_id",),
    fields=_cols(
        "org_id", "org_name", "org_form", "nace_code", "business_kommune_code", "founding_date",
        "institutional_sector_code", "is_natural_person", "is_public_sector", "identity_basis", "in_business_register",
    ),
)

ENRICHMENT = Table(
    name="enrichment",
    title="Enrichment coverage per source",
    title_nb="Dekningsgrad for berikelse per kilde",
    description=(
        "For every source: how many published awards have an identified recipient, a kommune in today's "
        "structure and an amount in NOK."
    ),
    description_nb="For hver kilde: hvor mange tildelinger som har identifisert mottaker, dagens kommune og beløp i NOK.",
    grain="One row per source.",
    primary_key=("source_id",),
    fields=_cols(
        "source_id", "awards_total", "with_recipient_resolved", "with_recipient_pseudonymised",
        "with_kommune_current", "with_amount_nok", "share_recipient_resolved", "share_kommune_current",
        "share_amount_nok",
    ),
)

PARTICIPANTS = Table(
    name="participants",
    title="Participants in funded projects and innovation partnerships",
    title_nb="Deltakere i finansierte prosjekter og innovasjonspartnerskap",
    description=(
        "Every organisation taking part in a funded project (all CORDIS partners of a project with a Norwegian "
        "participant, so the project keeps its whole context) or in an innovation partnership, with its role."
    ),
    description_nb="Alle organisasjoner som deltar i et finansiert prosjekt eller et innovasjonspartnerskap, med rolle.",
    grain="One row per organisation per project or partnership in a given role.",
    primary_key=("participant_id",),
    fields=_cols(
        "participant_id", "source_id", "project_id", "partnership_id", "participant_org_id", "participant_name",
        "country_code", "role", "amount_original", "currency_original",
        "total_cost",
        "quality_flags", *LINEAGE,
        optional=("project_id",),  # a partnership's participant belongs to no project
    ),
    foreign_keys=(("project_id", "projects", "project_id"), ("partnership_id", "partnerships", "partnership_id")),
)

PROJECTS = Table(
    name="projects",
    title="Funded innovation and research projects",
    title_nb="Finansierte innovasjons- og forskningsprosjekter",
    description=(
        "Projects that received at least one award, with their title, programme, period, status and lead "
        "organisation."
    ),
    description_nb="Prosjekter som har fått minst én tildeling, med tittel, program, periode, status og ansvarlig organisasjon.",
    grain="One row per project as its funder numbers it; EU projects are one row across sources.",
    primary_key=("project_id",),
    fields=_cols(
        "project_id", "source_id", "funder", "title", "programme", "status", "start_year", "end_year",
        "recipient_org_id", "recipient_name", "amount_applied", "kommune_code", "fylke_code",
        "topic_code", "topic_title", "legal_basis", "science_fields",
        "quality_flags", *LINEAGE,
    ),
)

RECONCILIATION = Table(
    name="reconciliation",
    title="Record reconciliation per landing file",
    title_nb="Avstemming av poster per fil",
    description="For every landing file: records read, published, quarantined and excluded; they must balance.",
    description_nb="For hver fil: poster lest, publisert, satt i karantene og utelatt; de skal gå opp.",
    grain="One row per landing file.",
    primary_key=("source_id", "source_file"),
    fields=_cols(
        "source_id", "source_file", "source_sha256", "read_status", "read_problem",
        "rows_read", "rows_published", "rows_quarantined", "rows_excluded", "balanced",
    ),
)

EXCLUSIONS = Table(
    name="exclusions",
    title="Records left out of scope",
    description="Records that were read but are out of scope, each with the named rule that excluded it.",
    grain="One row per excluded source record.",
    primary_key=("source_file", "source_row"),
    fields=_cols("source_id", *LINEAGE, "rule_id", "reason"),
    published=False,
)

QUARANTINE = Table(
    name="quarantine",
    title="Records held back by data-quality rules",
    description="Records that failed an error-level rule, with the rule ids and the raw values as read.",
    grain="One row per quarantined source record and target table.",
    primary_key=("table_name", "source_file", "source_row"),
    fields=_cols("source_id", *LINEAGE, "table_name", "rule_ids", "severity", "raw_record"),
    published=False,
)

PARTNERSHIPS = Table(
    name="partnerships",
    title="Innovation partnerships",
    title_nb="Innovasjonspartnerskap",
    description=(
        "Innovation partnerships between public bodies and companies, from the programme's register: the need, "
        "the sector, when each phase started, the current phase, and what the partnership led to (a follow-on "
        "contract, the solution taken into use, or abandoned)."
    ),
    description_nb=(
        "Innovasjonspartnerskap mellom offentlige virksomheter og bedrifter, fra programmets register: behovet, "
        "sektoren, når hver fase startet, gjeldende fase og hva partnerskapet førte til."
    ),
    grain="One row per innovation partnership in the register.",
    primary_key=("partnership_id",),
    fields=_cols(
        "partnership_id", "source_id", "title", "sector", "phase",
        *(f"{phase}_start" for phase in PARTNERSHIP_PHASES),
        "outcome", "outcome_date", "public_participant_count", "company_count", "notice_ids",
        "quality_flags", *LINEAGE,
        required=("partnership_id", "title"),
    ),
)

PARTNERSHIP_FUNDING = Table(
    name="partnership_funding",
    title="Funding of innovation partnerships",
    title_nb="Finansiering av innovasjonspartnerskap",
    description=(
        "Money each innovation partnership received from Innovasjon Norge and other funders, as the register "
        "records it, with the award it cites and whether that award is published in `awards`."
    ),
    description_nb="Midler hvert innovasjonspartnerskap fikk fra Innovasjon Norge og andre, med tildelingen det viser til.",
    grain="One row per funding entry of a partnership in the register.",
    primary_key=("funding_id",),
    fields=_cols(
        "funding_id", "partnership_id", "source_id", "funder", "programme", "amount_original", "currency_original",
        "funding_year", "funding_award_id", "award_resolved", "quality_flags", *LINEAGE,
        required=("partnership_id", "amount_original", "currency_original"),
    ),
    foreign_keys=(("partnership_id", "partnerships", "partnership_id"),),
)

PROCUREMENT = Table(
    name="procurement",
    title="Procurement notices of innovation partnerships and innovative procurement",
    title_nb="Kunngjøringer av innovasjonspartnerskap og innovative anskaffelser",
    description=(
        "Contract notices and contract award notices (Doffin/TED, eForms or the older TED schema) that are "
        "innovation partnerships, are marked as innovative procurement (BT-776), or belong to a partnership in "
        "the register: the buyer, the procedure type, the lots, and the awarded suppliers and values."
    ),
    description_nb=(
        "Kunngjøringer av konkurranse og tildeling som er innovasjonspartnerskap, innovative anskaffelser eller "
        "hører til et partnerskap i registeret: oppdragsgiver, prosedyre, delkontrakter, leverandører og verdier."
    ),
    grain="One row per notice, lot and winning tender; a lot without a winner (or a contract notice) has one row.",
    primary_key=("procurement_id",),
    fields=_cols(
        "procurement_id", "notice_id", "notice_type", "notice_schema", "source_id", "procedure_id", "notice_date",
        "notice_title", "buyer_org_id", "buyer_name", "procedure_type", "procedure_type_label",
        "is_innovation_partnership", "innovative_procurement", "innovative_procurement_label",
        "lot_id", "lot_title", "estimated_value", "tender_id", "supplier_org_id", "supplier_name",
        "awarded_value", "value_currency", "contract_date", "partnership_id", "link_method",
        "quality_flags", *LINEAGE,
        required=("notice_type", "notice_schema"),
    ),
    foreign_keys=(("partnership_id", "partnerships", "partnership_id"),),
)

OUTCOMES = Table(
    name="outcomes",
    title="Outcomes of funded projects and innovation partnerships",
    title_nb="Resultater av finansierte prosjekter og innovasjonspartnerskap",
    description=(
        "What projects and partnerships led to, in the manner of IATI results: for each project or partnership, "
        "its indicators with a baseline, and a target and an actual value per period. Also each project's status "
        "as its funder states it (Forskningsrådet's phase, CORDIS's status), and each partnership's phases and "
        "outcomes."
    ),
    description_nb=(
        "Hva prosjekter og partnerskap førte til, etter IATI-mønster: indikatorer med utgangsverdi, mål og "
        "oppnådd verdi per periode; samt status, faser og utfall."
    ),
    grain="One row per project or partnership, indicator and period (one row per phase, outcome or status).",
    primary_key=("outcome_id",),
    fields=_cols(
        "outcome_id", "subject_type", "subject_id", "source_id", "indicator", "indicator_title", "unit",
        "baseline_value", "baseline_year", "period_start", "period_end", "target_value", "actual_value",
        "actual_text", *LINEAGE,
    ),
)

HEADLINE_FIGURES = Table(
    name="headline_figures",
    title="Headline figures of the innovation-partnership programme",
    title_nb="Nøkkeltall for innovasjonspartnerskap",
    description=(
        "The programme's headline figures (partnerships, public participants, companies involved, follow-on "
        "contracts), computed from the published tables at every run, each with its definition."
    ),
    description_nb="Programmets nøkkeltall, beregnet fra de publiserte tabellene ved hver kjøring, hvert med definisjon.",
    grain="One row per figure.",
    primary_key=("figure",),
    fields=_cols("figure", "value", "definition"),
)

ERRORS = Table(
    name="errors",
    title="Data-quality failures per record, for the source owners",
    title_nb="Avvik per post, til kildeeierne",
    description=(
        "Every rule a record failed, with the column and value that broke it. Names and the organisation numbers "
        "of records without a valid one are left out, so no personal data is published."
    ),
    description_nb="Hver regel en post brøt, med kolonnen og verdien; navn og ugyldige organisasjonsnumre utelates.",
    grain="One row per failed rule per source record and target table.",
    primary_key=("source_id", "source_file", "source_row", "table_name", "rule_id"),
    fields=_cols("source_id", *LINEAGE, "table_name", "rule_id", "severity", "offending_column", "offending_value"),
)

QUARANTINE_SUMMARY = Table(
    name="quarantine_summary",
    title="Quarantined and flagged records per file and rule",
    title_nb="Poster i karantene og med avvik, per fil og regel",
    description="How many records of each landing file failed each data-quality rule, by target table and severity.",
    description_nb="Hvor mange poster i hver fil som brøt hver regel, per måltabell og alvorlighet.",
    grain="One row per landing file, target table and rule.",
    primary_key=("source_id", "source_file", "table_name", "rule_id"),
    fields=_cols("source_id", "source_file", "table_name", "rule_id", "severity", "records"),
    published=False,
)

TABLES: dict[str, Table] = {t.name: t for t in (AWARDS, PROJECTS, PARTICIPANTS, RECONCILIATION, EXCLUSIONS, QUARANTINE, ERRORS)}
TABLES.update({t.name: t for t in (ORGANISATIONS, ENRICHMENT, QUARANTINE_SUMMARY)})
TABLES.update({t.name: t for t in (PARTNERSHIPS, PARTNERSHIP_FUNDING, PROCUREMENT, OUTCOMES, HEADLINE_FIGURES)})

# What each source maps into before checks and enrichment: the core columns it can know, plus internal
# columns that never leave the core layer (raw orgnr, names of places, the file's hash).
_RECIPIENT_EXTRA = ("recipient_orgnr", "recipient_orgnr_raw", "kommune_name", "fylke_name", "source_sha256")
STAGED_EXTRA: dict[str, tuple[str, ...]] = {
    "awards": _RECIPIENT_EXTRA,
    "projects": _RECIPIENT_EXTRA,
    "participants": ("participant_orgnr", "source_sha256"),
}


def staged(table: Table) -> Table:
    extra = tuple(FIELDS[n] for n in STAGED_EXTRA.get(table.name, ("source_sha256",)) if n not in table.column_names)
    return table.with_fields(table.fields + extra, name=f"staged_{table.name}", published=False)
