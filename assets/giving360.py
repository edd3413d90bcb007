"""The awards as a 360Giving grants package (standard 1.4), for GrantNav-style tools.

Each award with an amount and a date becomes a grant; awards without either are left out of this file only
(they stay in every other format) and counted under the rule ``giving360.amount_or_date.missing``. Natural
persons appear as ``recipientIndividual`` under their pseudonym, never by name.
"""

from __future__ import annotations

import pandas as pd

PREFIX = "360G-innofund-"
SCHEMA_VERSION = "1.4"
# Funders' identifiers on the org-id.guide scheme (Brønnøysund for Norwegian bodies).
FUNDER_IDS = {"Forskningsrådet": "NO-BRC-970141669", "Innovasjon Norge": "NO-BRC-986399445",
              "European Commission": "XI-EC"}
EXCLUSION_RULE = "giving360.amount_or_date.missing"


def _text(value) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def grant(row) -> dict:
    title = _text(row.title) or f"{_text(row.instrument) or 'award'} from {row.funder}"
    description = "; ".join(p for p in (_text(row.title), _text(row.programme) and f"programme {row.programme}",
                                        _text(row.instrument) and f"instrument {row.instrument}") if p) or title
    out = {
        "id": PREFIX + row.award_id,
        "title": title,
        "description": description,
        "currency": row.currency_original,
        "amountAwarded": float(row.amount_original),
        "awardDate": row.award_date.isoformat(),
        "fundingOrganization": [{"id": FUNDER_IDS.get(row.funder, f"innofund-funder-{row.funder}"),
                                 "name": row.funder}],
    }
    recipient = {"id": _text(row.recipient_org_id) or f"innofund-unknown-{row.award_id}",
                 "name": _text(row.recipient_name) or "unknown recipient"}
    if recipient["id"].startswith("NO-PERSON-"):
        out["recipientIndividual"] = recipient
    else:
        out["recipientOrganization"] = [recipient]
    if _text(row.programme):
        out["grantProgramme"] = [{"title": row.programme}]
    return out


def package(awards: pd.DataFrame) -> tuple[dict, int]:
    """(the grants package, how many awards were left out by ``EXCLUSION_RULE``)."""
    usable = awards["amount_original"].notna() & awards["award_date"].notna() & awards["currency_original"].notna()
    grants = [grant(row) for row in awards.loc[usable].sort_values("award_id").itertuples(index=False)]
    return {"grants": grants, "version": SCHEMA_VERSION, "title": "innofund: awards of Norwegian public innovation funders",
            "license": "http://publications.europa.eu/resource/authority/licence/NLOD_2_0"}, int((~usable).sum())
