"""Every column innofund publishes, declared once. Tables pick their columns from here."""

from __future__ import annotations

from .model import Field

INSTRUMENTS = ("grant", "loan", "guarantee", "contract", "tax_deduction", "other")
CURRENCIES = ("NOK", "EUR")
# Innovation partnerships: the phases in order, the roles in the register, and the outcomes that can be observed.
PARTNERSHIP_PHASES = {
    "need": "need clarification (behovsavklaring)",
    "dialogue": "market dialogue (markedsdialog)",
    "competition": "competition (konkurranse): the notice and the choice of partners",
    "development": "development (utvikling) with the chosen partners",
    "procurement": "procurement (anskaffelse) of the developed solution",
    "implementation": "implementation (implementering): the solution taken into use",
}
PUBLIC_ROLES = ("need_owner", "public_partner")
COMPANY_ROLES = ("bidder", "partner", "supplier")
OUTCOME_KINDS = ("follow_on_contract", "solution_in_use", "abandoned")

_FIELDS = [
    # identity and lineage
    Field("award_id", "string", "Stable identifier of the award: `<source_id>:<the source's own key>`.", required=True),
    Field("project_id", "string", "Identifier of the project the award funds: `<funder namespace>:<project number>`; EU projects share the `cordis:` namespace across sources.", required=True),
    Field("source_id", "string", "The landing folder the record came from (see SOURCES.md).", required=True),
    Field("funder", "string", "The public body that made the award.", required=True),
    Field("source_file", "string", "Name of the landing file that held the record.", required=True),
    Field("source_row", "integer", "1-based record number within the source file (records, not lines).", required=True, minimum=1),
    Field("source_sha256", "string", "SHA-256 of the landing file, as hex.", required=True, pattern="^[0-9a-f]{64}$"),
    # what was funded
    Field("title", "string", "Title of the project as the funder gave it; may contain line breaks."),
    Field("instrument", "string", "Kind of support: grant, loan, guarantee, contract, tax_deduction or other.", required=True, enum=INSTRUMENTS),
    Field("programme", "string", "The funder's programme, activity or scheme under which the award was made."),
    Field("status", "string", "Status or phase of the application or project as the funder states it (for example Bevilgning, Avsluttet, SIGNED)."),
    # who got it
    Field("recipient_org_id", "string", "Recipient identifier in the org-id.guide scheme: `NO-BRC-<orgnr>` for Norwegian units; a pseudonym `NO-PERSON-<hash>` for natural persons."),
    Field("recipient_name", "string", "Recipient name as given by the funder; natural persons are replaced by a neutral label."),
    Field("recipient_orgnr", "string", "Nine-digit Norwegian organisation number when the source gave one that passes mod 11.", pattern="^[0-9]{9}$"),
    Field("recipient_orgnr_raw", "string", "The organisation number exactly as the source wrote it (internal: never published)."),
    # money
    Field("amount_original", "number", "Amount awarded, in the currency the funder used; for Forskningsrådet the whole project period.", minimum=0),
    Field("currency_original", "string", "ISO 4217 code of `amount_original`.", enum=CURRENCIES),
    Field("amount_nok", "number", "Amount awarded in Norwegian kroner (converted when the original currency is not NOK).", minimum=0),
    Field("exchange_rate", "number", "NOK per unit of the original currency used for the conversion; 1 for NOK."),
    Field("exchange_rate_date", "date", "Date of the exchange rate used."),
    Field("exchange_rate_method", "string", "How the exchange rate was chosen (for example `identity` or `norges_bank_daily_on_award_date`)."),
    Field("amount_applied", "number", "Amount the applicant asked for, in the original currency.", minimum=0),
    # when
    Field("award_date", "date", "Date of the award decision, or the best date the source gives (see `award_date_basis`)."),
    Field("award_date_basis", "string", "What `award_date` stands for in this source (for example `application_date`, `decision_date`, `contract_signature_date`)."),
    Field("award_year", "integer", "Calendar year of `award_date`.", minimum=1990, maximum=2100),
    Field("start_year", "integer", "First year of the project.", minimum=1990, maximum=2100),
    Field("end_year", "integer", "Last year of the project.", minimum=1990, maximum=2100),
    # where
    Field("kommune_code", "string", "Kommune number as the source gave it, zero-padded to four digits.", pattern="^[0-9]{4}$"),
    Field("kommune_name", "string", "Kommune name as the source gave it."),
    Field("fylke_code", "string", "Fylke number as the source gave it, zero-padded to two digits.", pattern="^[0-9]{2}$"),
    Field("fylke_name", "string", "Fylke name as the source gave it."),
    Field("kommune_code_current", "string", "Kommune number in today's (2024) structure, through SSB's change tables; empty when a split makes it ambiguous.", pattern="^[0-9]{4}$"),
    Field("fylke_code_current", "string", "Fylke number in today's (2024) structure.", pattern="^[0-9]{2}$"),
    Field("geography_note", "string", "Why the current kommune or fylke could not be given (for example `ambiguous_split`, `abroad_or_several`)."),
    Field("kommune_code_award_date", "string", "Kommune number in the structure in force on the award date (SSB KLASS changes); empty when the bundled history does not reach back or a merge makes it ambiguous.", pattern="^[0-9]{4}$"),
    Field("fylke_code_award_date", "string", "Fylke number in the structure in force on the award date.", pattern="^[0-9]{2}$"),
    # organisations (Brønnøysund) and enrichment coverage
    Field("org_id", "string", "Organisation identifier: `NO-BRC-<orgnr>`, `NO-PERSON-<pseudonym>` for a natural person, or `INNOFUND-NAME-<hash>` for an organisation known only by name.", required=True),
    Field("org_name", "string", "The organisation's name as a funder gave it; a natural person's is replaced by a neutral label."),
    Field("org_form", "string", "Organisation form code in Enhetsregisteret (AS, ASA, ENK, KOMM, FYLK, STAT, ...); empty when the unit is not in the bundled register snapshot."),
    Field("nace_code", "string", "Main industry code (NACE/SN2007, `naeringskode1`) in Enhetsregisteret.", pattern="^[0-9]{2}[.][0-9]{3}$"),
    Field("business_kommune_code", "string", "Kommune of the unit's business address in Enhetsregisteret (today's structure).", pattern="^[0-9]{4}$"),
    Field("founding_date", "date", "Founding date (`stiftelsesdato`) in Enhetsregisteret."),
    Field("institutional_sector_code", "string", "Institutional sector code (SSB) in Enhetsregisteret; codes beginning with 6 are general government."),
    Field("is_natural_person", "boolean", "True for a sole proprietorship (ENK) or a person, and for a recipient without an orgnr whose name carries no organisation marker: published only under a pseudonym.", required=True),
    Field("is_public_sector", "boolean", "True for a public organisation form (KOMM, FYLK, STAT, SF, KF, FKF, IKS, ADOS, ORGL) or a general-government sector code; empty when not in the register snapshot."),
    Field("identity_basis", "string", "How the organisation was identified (the `recipient_match` of its mentions).", enum=("orgnr", "name_to_orgnr", "name_only", "person")),
    Field("in_business_register", "boolean", "True when the unit is in the bundled Enhetsregisteret snapshot (or a landing file of it).", required=True),
    Field("awards_total", "integer", "Published awards of the source.", required=True, minimum=0),
    Field("with_recipient_resolved", "integer", "Awards whose recipient is identified by an orgnr (given, or matched by name).", required=True, minimum=0),
    Field("with_recipient_pseudonymised", "integer", "Awards whose recipient is a natural person, published under a pseudonym.", required=True, minimum=0),
    Field("with_kommune_current", "integer", "Awards with a kommune in today's (2024) structure.", required=True, minimum=0),
    Field("with_amount_nok", "integer", "Awards with an amount in NOK (as given or converted).", required=True, minimum=0),
    Field("share_recipient_resolved", "number", "with_recipient_resolved / awards_total.", minimum=0, maximum=1),
    Field("share_kommune_current", "number", "with_kommune_current / awards_total.", minimum=0, maximum=1),
    Field("share_amount_nok", "number", "with_amount_nok / awards_total.", minimum=0, maximum=1),
    # recipient profile
    Field("recipient_is_startup", "boolean", "True when the recipient was founded at most three years before the award (Innovasjon Norge's definition of an entrepreneur)."),
    Field("recipient_is_public_sector", "boolean", "True when the recipient's organisation form is public (KOMM, FYLK, STAT, ...)."),
    Field("recipient_match", "string", "How the recipient was identified: `orgnr` (the source's orgnr), `name_to_orgnr` (its normalised name is the name of exactly one orgnr), `name_only` (known by name alone), `person` (a natural person, pseudonymised) or `none`.", enum=("orgnr", "name_to_orgnr", "name_only", "person", "none")),
    Field("recipient_match_confidence", "number", "Confidence of the recipient match, from 0 to 1.", minimum=0, maximum=1),
    # EU project context (CORDIS reference tables)
    Field("topic_code", "string", "Code of the call topic the project answers, for example `HORIZON-CL5-2022-D3-01-06` (CORDIS)."),
    Field("topic_title", "string", "Title of the call topic the project answers (CORDIS topics table)."),
    Field("legal_basis", "string", "Programme parts (legal basis) the project is funded under, as `code title`, separated by `; `, the main part first (CORDIS legalBasis table)."),
    Field("science_fields", "string", "Fields of science of the project in the European Science Vocabulary, as paths such as `/natural sciences/biological sciences`, separated by `; ` (CORDIS euroSciVoc table)."),
    Field("total_cost", "number", "Total eligible cost of the participation, in `currency_original` (CORDIS `totalCost`).", minimum=0),
    # participants
    Field("participant_id", "string", "Stable identifier of a participation: `<source_id>:<the source's own key>`.", required=True),
    Field("partnership_id", "string", "Identifier of an innovation partnership in the register."),
    Field("participant_org_id", "string", "Participant identifier in the org-id.guide scheme (`NO-BRC-<orgnr>`, or the source's own scheme abroad); a pseudonym for natural persons."),
    Field("participant_name", "string", "Participant name as the source gave it; natural persons are replaced by a neutral label."),
    Field("participant_orgnr", "string", "Nine-digit Norwegian organisation number of the participant when known (internal).", pattern="^[0-9]{9}$"),
    Field("country_code", "string", "ISO 3166-1 alpha-2 country of the participant (CORDIS's EL and UK are mapped to GR and GB).", pattern="^[A-Z]{2}$"),
    Field("role", "string", "The participant's role: for projects coordinator, participant, partner, third party; for partnerships need_owner, public_partner, bidder, partner, supplier."),
    # quality bookkeeping
    Field("quality_flags", "string", "Semicolon-separated ids of the warning-level rules the row failed; empty when it passed all."),
    Field("rule_ids", "string", "Semicolon-separated ids of the data-quality rules the record failed.", required=True),
    Field("severity", "string", "Most severe level among the failed rules.", required=True, enum=("error", "warning")),
    Field("table_name", "string", "Table the record was headed for.", required=True),
    Field("raw_record", "string", "The record's raw values as JSON, exactly as read (internal: never published)."),
    Field("read_status", "string", "Whether the file could be read: `ok`, or `unreadable` with a reason.", required=True),
    Field("read_problem", "string", "Why the file could not be read, when it could not."),
    Field("rows_read", "integer", "Records read from the file (records, not lines).", required=True, minimum=0),
    Field("rows_published", "integer", "Records that reached a published dataset.", required=True, minimum=0),
    Field("rows_quarantined", "integer", "Records held back by an error-level rule.", required=True, minimum=0),
    Field("rows_excluded", "integer", "Records left out of scope by a named exclusion rule.", required=True, minimum=0),
    Field("balanced", "boolean", "True when rows_read = rows_published + rows_quarantined + rows_excluded.", required=True),
    Field("rule_id", "string", "Identifier of a data-quality or exclusion rule.", required=True),
    Field("records", "integer", "Number of source records counted in the row.", required=True, minimum=0),
    Field("reason", "string", "Why the record was excluded, in words.", required=True),
    # innovation partnerships
    Field("sector", "string", "Sector of the need the partnership addresses (for example health and care, construction, transport), as the register gives it."),
    Field("phase", "string", "Current phase of the partnership: the latest of need, dialogue, competition, development, procurement, implementation that has started.", enum=tuple(PARTNERSHIP_PHASES)),
    *(Field(f"{phase}_start", "date", f"Start of the {words} phase.") for phase, words in PARTNERSHIP_PHASES.items()),
    Field("outcome", "string", "The latest observed outcome: follow_on_contract (a follow-on contract awarded), solution_in_use (the solution taken into use) or abandoned; empty while none is observed.", enum=OUTCOME_KINDS),
    Field("outcome_date", "date", "When the latest outcome happened."),
    Field("public_participant_count", "integer", "Public organisations in the partnership (need owners and other public partners), counted once each.", minimum=0),
    Field("company_count", "integer", "Companies in the partnership (bidders, partners, suppliers), counted once each.", minimum=0),
    Field("notice_ids", "string", "Procurement notices or procedures the register links to the partnership, semicolon-separated."),
    # partnership funding
    Field("funding_id", "string", "Identifier of a funding entry: `partnerships:<partnership id>:funding:<n>`.", required=True),
    Field("funding_year", "integer", "Year the funding was granted.", minimum=1990, maximum=2100),
    Field("funding_award_id", "string", "The award the register cites for this funding (an `award_id`), kept as text even when no published award has it."),
    Field("award_resolved", "boolean", "True when `funding_award_id` names an award published in `awards`."),
    # procurement notices
    Field("procurement_id", "string", "Identifier of a notice row: `doffin_notices:<notice id>:<lot id>[:<tender id>]`.", required=True),
    Field("notice_id", "string", "Identifier of the notice: the eForms notice id (BT-701) or, in the older TED schema, the sender's document number.", required=True),
    Field("notice_type", "string", "Kind of notice: contract_notice (a call for competition) or contract_award_notice (the result).", enum=("contract_notice", "contract_award_notice")),
    Field("notice_schema", "string", "Schema the notice was written in: eforms (UBL) or ted (the older TED R2.0.9 forms).", enum=("eforms", "ted")),
    Field("procedure_id", "string", "Identifier the notices of one procedure share: eForms ContractFolderID (BT-04), or the TED reference number."),
    Field("notice_date", "date", "Date the notice was issued or dispatched (BT-05)."),
    Field("notice_title", "string", "Title of the procurement as the notice gives it (Norwegian when the notice has it)."),
    Field("buyer_org_id", "string", "The buyer's identifier, `NO-BRC-<orgnr>`, when the notice gives a valid orgnr."),
    Field("buyer_name", "string", "The buyer's name as the notice gives it."),
    Field("procedure_type", "string", "Procedure type code (BT-105, eForms codelist procurement-procedure-type); `innovation` is an innovation partnership. Old TED PT_* elements are mapped to the same codes."),
    Field("procedure_type_label", "string", "Norwegian label of `procedure_type` from DFØ's eForms codelist."),
    Field("is_innovation_partnership", "boolean", "True when the procedure is an innovation partnership (BT-105 `innovation`, or TED `PT_INNOVATION_PARTNERSHIP`)."),
    Field("innovative_procurement", "string", "Innovative-procurement codes of the lot (BT-776, eForms codelist innovative-acquisition), semicolon-separated."),
    Field("innovative_procurement_label", "string", "Norwegian labels of `innovative_procurement` from DFØ's eForms codelist, ` | `-separated."),
    Field("lot_id", "string", "The lot within the notice (eForms `LOT-0001`, TED lot number); empty when the notice has no lots."),
    Field("lot_title", "string", "Title of the lot."),
    Field("estimated_value", "number", "Estimated value of the lot (BT-27), or of the procedure when it has a single lot, excluding VAT.", minimum=0),
    Field("tender_id", "string", "The winning tender within the notice (eForms `TEN-0001`)."),
    Field("supplier_org_id", "string", "The awarded supplier's identifier, `NO-BRC-<orgnr>`, when the notice gives a valid orgnr; for a group of tenderers, the group leader."),
    Field("supplier_name", "string", "The awarded supplier's name as the notice gives it; for a group of tenderers, the group leader."),
    Field("awarded_value", "number", "Value of the winning tender (BT-720), excluding VAT.", minimum=0),
    Field("value_currency", "string", "ISO 4217 currency of `estimated_value` and `awarded_value`.", pattern="^[A-Z]{3}$"),
    Field("contract_date", "date", "Date the contract was concluded (BT-145)."),
    Field("link_method", "string", "How the notice was linked to `partnership_id`: notice_id (the register lists the notice or its procedure) or buyer_title (the buyer is a public partner and the titles match); empty when not linked.", enum=("notice_id", "buyer_title")),
    # outcomes, in the manner of IATI results: subject -> indicator -> baseline, and target and actual per period
    Field("outcome_id", "string", "Identifier of an outcome row: `<subject id>:<indicator>[:<period or n>]`.", required=True),
    Field("subject_type", "string", "What the row is about: a funded project or an innovation partnership.", required=True, enum=("project", "partnership")),
    Field("subject_id", "string", "The `project_id` or `partnership_id` the row is about.", required=True),
    Field("indicator", "string", "What is measured: `status` (a project's status as its funder states it), `phase` and `outcome` (of a partnership), or an indicator code from the register.", required=True),
    Field("indicator_title", "string", "The indicator in words."),
    Field("unit", "string", "Unit of the values (for example `count`, `percent`, `NOK`); empty for status, phase and outcome rows."),
    Field("baseline_value", "number", "Value of the indicator before the project or partnership (IATI baseline)."),
    Field("baseline_year", "integer", "Year of the baseline.", minimum=1990, maximum=2100),
    Field("period_start", "date", "First day of the period the target and actual refer to; for a phase its start, for an outcome its date."),
    Field("period_end", "date", "Last day of the period; empty while a phase is still running."),
    Field("target_value", "number", "Value aimed for in the period."),
    Field("actual_value", "number", "Value achieved in the period; for a follow-on contract its value."),
    Field("actual_text", "string", "The status, phase or outcome as text, for rows that are not measured in numbers."),
    # headline figures
    Field("figure", "string", "Name of the headline figure.", required=True),
    Field("value", "number", "The figure, computed from the published tables at each run.", required=True),
    Field("definition", "string", "What exactly is counted, and from which table.", required=True),
    Field("offending_column", "string", "The column whose value broke the rule; empty when the rule is about the whole record."),
    Field("offending_value", "string", "The value that broke the rule, as text; left empty for names and for organisation numbers of records without a valid one, so that no personal data is published."),
]

FIELDS: dict[str, Field] = {f.name: f for f in _FIELDS}
if len(FIELDS) != len(_FIELDS):
    raise ValueError("a field is declared twice")
