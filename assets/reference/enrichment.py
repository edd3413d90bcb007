"""Pure functions that enrich core rows from the reference data: recipient identity (with pseudonyms),
place (as given, as of the award date, today's), and the amount in NOK with its rate, rate date and method."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from . import norges_bank, recipients as rcp, ssb_regions
from .brreg import PUBLIC_FORMS

@dataclass(frozen=True)
class Reference:
    """What enrichment reads: resolved recipients, Brønnøysund units, SSB regions, Norges Bank rates."""

    recipients: pd.DataFrame
    units: pd.DataFrame
    regions: ssb_regions.Regions
    rates: pd.DataFrame


COVERAGE_COLUMNS = ["source_id", "awards_total", "with_recipient_resolved", "with_recipient_pseudonymised",
                    "with_kommune_current", "with_amount_nok", "share_recipient_resolved", "share_kommune_current",
                    "share_amount_nok"]


def _lookup(frame: pd.DataFrame, names: str, orgnrs: str, resolved: pd.DataFrame) -> pd.DataFrame:
    """Each row's recipient (by identity key) from the resolved recipients; rows without one get NaN."""
    keys = rcp.identity_keys(frame[names], frame[orgnrs])
    return resolved.set_index("identity_key").reindex(keys.to_numpy()).set_index(frame.index)


def identify(frame: pd.DataFrame, resolved: pd.DataFrame, name_col: str, orgnr_col: str, id_col: str,
             found: pd.DataFrame | None = None) -> pd.DataFrame:
    """Set ``id_col`` to the resolved org id and replace a natural person's name with the neutral label.
    Ids a source gave that are not Norwegian (CORDIS's PIC abroad) are kept. ``found`` is the rows' recipients
    (``_lookup``), when the caller has them already."""
    found = _lookup(frame, name_col, orgnr_col, resolved) if found is None else found
    person = found["is_natural_person"].eq(True).to_numpy()
    out = frame.copy(deep=False)  # copy-on-write: the columns set below are new, the rest shared
    given = out[id_col] if id_col in out else pd.Series(None, index=out.index, dtype=object)
    keep_given = given.notna() & ~given.astype(str).str.startswith("NO-BRC-") & ~person
    out[id_col] = given.where(keep_given, found["org_id"])
    # A name the identity map ties to a natural person is not shown on any row, even an organisation's (a typed
    # name on another orgnr): that row shows its organisation's own first name instead, or none.
    person_names = rcp.person_name_keys(resolved)
    clash = ~person & rcp.name_keys(out[name_col]).isin(person_names).to_numpy()
    canonical = found["name"].where(~rcp.name_keys(found["name"]).isin(person_names), None)
    out[name_col] = out[name_col].where(~clash, canonical).where(~person, rcp.PERSON_LABEL)
    return out


def enrich_awards(awards: pd.DataFrame, resolved: pd.DataFrame, units: pd.DataFrame,
                  regions: ssb_regions.Regions, rates: pd.DataFrame) -> pd.DataFrame:
    """Recipient, place and NOK for staged-and-checked award rows (internal columns still present)."""
    found = _lookup(awards, "recipient_name", "recipient_orgnr", resolved)
    out = identify(awards, resolved, "recipient_name", "recipient_orgnr", "recipient_org_id", found)
    out["recipient_match"] = found["match"].where(found["match"].notna(), "none")
    out["recipient_match_confidence"] = found["confidence"].astype(float).fillna(0.0)
    # Brønnøysund's facts per orgnr, computed once per unit and spread over the rows by orgnr.
    facts = units.drop_duplicates("orgnr").set_index("orgnr")
    founded = facts["founding_date"].where(facts["founding_date"].notna(), facts["registration_date"])
    public = pd.Series([f in PUBLIC_FORMS or str(s or "").startswith("6") for f, s in
                        zip(facts["org_form"].to_numpy(dtype=object),
                            facts["institutional_sector_code"].to_numpy(dtype=object))], index=facts.index, dtype=object)
    orgnr = found["orgnr"].to_numpy(dtype=object)
    known = found["orgnr"].isin(facts.index).to_numpy(dtype=bool)
    founding = pd.Series(founded.reindex(orgnr).to_numpy(dtype=object), index=out.index, dtype=object).where(known, None)
    out["recipient_is_startup"] = rcp.is_startup(founding, out["award_date"])
    out["recipient_is_public_sector"] = pd.Series(public.reindex(orgnr).to_numpy(dtype=object), index=out.index,
                                                  dtype=object).where(known, None)
    # One resolution per distinct place and period (see ssb_regions.period_start), not per row.
    start = ssb_regions.period_start(regions)
    keys = list(zip(*(rcp.objects(out[c]) for c in ("kommune_code", "fylke_code", "kommune_name", "fylke_name")),
                    out["award_date"].map(start)))
    resolved_places = {key: ssb_regions.place(*key, regions) for key in set(keys)}
    places = [resolved_places[key] for key in keys]
    for column in ("kommune_code_award_date", "fylke_code_award_date", "kommune_code_current", "fylke_code_current"):
        out[column] = [getattr(p, column) for p in places]
    out["geography_note"] = [p.note for p in places]
    money = norges_bank.convert(out[["amount_original", "currency_original", "award_date"]], rates)
    for column in money.columns:
        out[column] = money[column]
    return out


def coverage(awards: pd.DataFrame) -> pd.DataFrame:
    """Per source: awards, and how many have a resolved recipient, a current kommune, a NOK amount."""
    if awards.empty:
        return pd.DataFrame({c: pd.Series([], dtype="str" if c == "source_id" else
                                          ("float64" if c.startswith("share") else "int64")) for c in COVERAGE_COLUMNS})
    flags = pd.DataFrame({
        "source_id": awards["source_id"],
        "awards_total": 1,
        "with_recipient_resolved": awards["recipient_org_id"].fillna("").str.startswith("NO-BRC-").astype(int),
        "with_recipient_pseudonymised": awards["recipient_org_id"].fillna("").str.startswith("NO-PERSON-").astype(int),
        "with_kommune_current": awards["kommune_code_current"].notna().astype(int),
        "with_amount_nok": awards["amount_nok"].notna().astype(int),
    })
    out = flags.groupby("source_id", as_index=False).sum()
    for what in ("recipient_resolved", "kommune_current", "amount_nok"):
        out[f"share_{what}"] = (out[f"with_{what}"] / out["awards_total"]).round(4)
    return out[COVERAGE_COLUMNS].sort_values("source_id").reset_index(drop=True)


def mask_personal(text: object, personal: frozenset[str]) -> object:
    """``text`` unless it holds a natural person's name or orgnr (exactly, or inside raw JSON): then None."""
    if not isinstance(text, str) or not personal:
        return text
    if text.strip() in personal:
        return None
    if text.startswith("{"):
        import json
        try:
            record = json.loads(text)
        except ValueError:
            return None
        if isinstance(record, dict):
            return json.dumps({k: (None if isinstance(v, str) and (v.strip() in personal or v.strip().lstrip("0") in personal) else v)
                               for k, v in record.items()}, ensure_ascii=False)
    return text
