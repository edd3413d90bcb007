"""Every column innofund publishes, declared once. Tables pick their columns from here."""

from __future__ import annotations

from .model import Field

INSTRUMENTS = ("grant", "loan", "guarantee", "contract", "tax_deduction", "other")
CURRENCIES = ("NOK", "EUR")

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
    # recipient profile
    Field("recipient_is_startup", "boolean", "True when the recipient was founded at most three years before the award (Innovasjon Norge's definition of an entrepreneur)."),
    Field("recipient_is_public_sector", "boolean", "True when the recipient's organisation form is public (KOMM, FYLK, STAT, ...)."),
    Field("recipient_match", "string", "How the recipient was identified: `orgnr`, `name` (normalised name match), `person` (pseudonymised) or `none`."),
    Field("recipient_match_confidence", "number", "Confidence of the recipient match, from 0 to 1.", minimum=0, maximum=1),
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
    Field("reason", "string", "Why the record was excluded, in words.", required=True),
    Field("offending_column", "string", "The column whose value broke the rule; empty when the rule is about the whole record."),
    Field("offending_value", "string", "The value that broke the rule, as text; left empty for names and for organisation numbers of records without a valid one, so that no personal data is published."),
]

FIELDS: dict[str, Field] = {f.name: f for f in _FIELDS}
if len(FIELDS) != len(_FIELDS):
    raise ValueError("a field is declared twice")
