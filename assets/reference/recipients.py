"""Recipient identity across funders, and the pseudonyms that keep natural persons out of every output.

Identity, in order: a valid orgnr the source gave (Innovasjon Norge's padded field, CORDIS's ``NO…MVA``,
Forskningsrådet's column; the sources clean them); else the normalised name, matched to an orgnr only when
exactly one orgnr carries that normalised name (confidence 0.9); else the name alone (0.5). A row with an
orgnr is never moved to another orgnr, so two orgnrs are never merged.

Natural persons: a sole proprietorship (ENK) or person form in Brønnøysund; or, without that knowledge, a
name with no organisation marker (PUBLISHING.md). Their id becomes ``NO-PERSON-<HMAC-SHA256>`` keyed by
``INNOFUND_PSEUDONYM_KEY`` (or the file named by ``INNOFUND_PSEUDONYM_KEY_FILE``), their name a neutral label.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import re
import secrets
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from .brreg import NATURAL_PERSON_FORMS, PUBLIC_FORMS

PERSON_LABEL = "natural person (pseudonymised)"
NAME_MATCH_CONFIDENCE = 0.9
NAME_ONLY_CONFIDENCE = 0.5
STARTUP_YEARS = 3
_LEGAL_FORMS = {"aksjeselskap": "as", "allmennaksjeselskap": "asa", "a/s": "as", "a.s.": "as", "a.s": "as"}
# Words that mark an organisation (PUBLISHING.md), matched as whole words; stems match inside compounds.
ORG_WORDS = frozenset("as asa sa ans da ba ks hf iks kf nuf sf ltd limited gmbh ab oy bv nv inc llc plc srl sl sas "
                      "sarl spa ag aps ehf kft sp zoo doo oü uab sia ou eood ood ead".split())
ORG_STEMS = ("kommune", "fylke", "stiftelse", "forening", "universit", "høgskol", "hogskol", "institut", "sykehus",
             "direktorat", "departement", "senter", "center", "centre", "klynge", "cluster", "association",
             "foundation", "selskap", "sameie", "borettslag", "samvirke", "lag ", "laget", "group", "gruppen",
             "company", "council", "agency", "ministry", "museum", "skole", "school", "nettverk", "network",
             "innovasjon", "consult", "holding", "invest", "eiendom", "service", "teknologi", "technolog",
             "chamber", "kammer", "høgskul", "hogskul", "union", "federation", "society", "academy", "akademi", "næring",
             "naering", "hotel", "bank", "energi", "energy", "industri", "kirke",
             "menighet", "rådgiv", "agency", "office", "kontor", "cooperative", "ngo",
             # public bodies and research: never a person's name
             "norges ", "norsk", "statens", "statistisk", "forsk", "research", "eric", "consorti", "coalition",
             "sekretariat", "registerenhet", "sentral", "vesen", "verk", "forbund", "tilsyn", "byrå", "nemnd",
             "arkiv", "bibliotek", "politi", "infrastruct", "programme", "program", "tech", "maritim", "miljø",
             "solutions", "systems", "software", "produksjon", "utvikling", "aquaculture", "havbruk", "fiskeri")


@functools.lru_cache(maxsize=1 << 20)  # recipients repeat: each distinct name is normalised once per process
def normalise_name(name: object) -> str | None:
    """The name as compared: Unicode NFKC, case-folded, punctuation to spaces, legal form spelled one way."""
    if not isinstance(name, str) or not name.strip():
        return None
    text = unicodedata.normalize("NFKC", name).casefold()
    for long, short in _LEGAL_FORMS.items():
        text = re.sub(rf"(?<!\w){re.escape(long)}(?!\w)", short, text)
    text = re.sub(r"[^\w]+", " ", text)
    return re.sub(r"\s+", " ", text).strip() or None


@functools.lru_cache(maxsize=1 << 20)  # a hundred substring tests per name: once per distinct name
def has_org_marker(name: object) -> bool:
    key = normalise_name(name)
    if key is None:
        return False
    return bool(set(key.split()) & ORG_WORDS) or any(stem in f"{key} " for stem in ORG_STEMS)


def pseudonym_key(fallback_file: Path | None = None) -> bytes:
    """The HMAC key: ``INNOFUND_PSEUDONYM_KEY``, or the file ``INNOFUND_PSEUDONYM_KEY_FILE`` names, or else
    ``fallback_file`` (created once with a random key, readable by its owner only), so that pseudonyms stay
    stable from run to run and nobody can recompute them without the key. There is no built-in default key:
    it would let anyone who reads this code re-identify a person from an orgnr."""
    if os.environ.get("INNOFUND_PSEUDONYM_KEY"):
        return os.environ["INNOFUND_PSEUDONYM_KEY"].encode("utf-8")
    named = os.environ.get("INNOFUND_PSEUDONYM_KEY_FILE")
    file = Path(named) if named else fallback_file
    if file is None:
        raise RuntimeError("no pseudonym key: set INNOFUND_PSEUDONYM_KEY or INNOFUND_PSEUDONYM_KEY_FILE "
                           "(see docs/reference-data.md)")
    if not file.is_file():
        if named:
            raise RuntimeError(f"INNOFUND_PSEUDONYM_KEY_FILE {file} does not exist")
        file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return file.read_bytes().strip()


def person_id(identity_key: str, key: bytes) -> str:
    return "NO-PERSON-" + hmac.new(key, identity_key.encode("utf-8"), hashlib.sha256).hexdigest()[:20]


def name_id(normalised: str) -> str:
    """innofund's own id for an organisation known only by name (no orgnr, not a person)."""
    return "INNOFUND-NAME-" + hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:16]


RECIPIENT_COLUMNS = ["identity_key", "org_id", "orgnr", "name", "match", "confidence", "is_natural_person"]


def resolve(mentions: pd.DataFrame, units: pd.DataFrame, key: bytes) -> pd.DataFrame:
    """``mentions`` has ``name, orgnr`` (one row per recipient mention, any source). Returns one row per
    identity key (``orgnr:<n>`` or ``name:<normalised>``) with its org id, how it was matched and whether it is
    a natural person. ``units`` are Brønnøysund units (``brreg.UNIT_COLUMNS``)."""
    m = mentions.assign(norm=mentions["name"].map(normalise_name))
    m = m.loc[m["orgnr"].notna() | m["norm"].notna()]
    with_orgnr = m.loc[m["orgnr"].notna()]
    # Normalised name -> orgnr, from the mentions with an orgnr and from Brønnøysund; ambiguous names drop out.
    named = pd.concat([with_orgnr[["norm", "orgnr"]],
                       pd.DataFrame({"norm": units["name"].map(normalise_name), "orgnr": units["orgnr"]})]).dropna()
    per_name = named.drop_duplicates().groupby("norm")["orgnr"].agg(lambda s: s.iloc[0] if len(s) == 1 else None)
    forms = dict(zip(units["orgnr"], units["org_form"]))
    # A name Brønnøysund registers for a unit that is not a person is an organisation's name wherever it appears.
    registered = {n for n, f in zip(units["name"].map(normalise_name), units["org_form"])
                  if n and f not in NATURAL_PERSON_FORMS}

    def is_person(orgnr: str | None, name: str | None) -> bool:
        form = forms.get(orgnr) if orgnr else None
        if form:
            return form in NATURAL_PERSON_FORMS
        return normalise_name(name) not in registered and not has_org_marker(name)

    rows, person_by_orgnr = [], {}
    # The first name given for each orgnr, and the first spelling of each normalised name (whole columns at once).
    first_names = with_orgnr.groupby("orgnr", sort=True)["name"].first()
    for orgnr, name in zip(first_names.index, first_names.to_numpy()):
        name = name if isinstance(name, str) else None
        person = person_by_orgnr[orgnr] = is_person(orgnr, name)
        rows.append((f"orgnr:{orgnr}", None, orgnr, name, "orgnr", 1.0, person))
    spellings = m.loc[m["orgnr"].isna()].groupby("norm", sort=True)["name"].first()
    for norm, name in zip(spellings.index, spellings.to_numpy()):
        orgnr = per_name.get(norm)
        if isinstance(orgnr, str):
            # Matched to an orgnr, the name takes that orgnr's identity whole: same id, same person flag.
            person = person_by_orgnr.get(orgnr, is_person(orgnr, name))
            rows.append((f"name:{norm}", None, orgnr, name, "name_to_orgnr", NAME_MATCH_CONFIDENCE, person))
        else:
            rows.append((f"name:{norm}", None, None, name, "name_only", NAME_ONLY_CONFIDENCE, is_person(None, name)))
    out = pd.DataFrame(rows, columns=RECIPIENT_COLUMNS)
    out["org_id"] = [
        person_id(f"orgnr:{o}" if isinstance(o, str) else k, key) if p
        else (f"NO-BRC-{o}" if isinstance(o, str) else name_id(k.removeprefix("name:")))
        for k, o, p in zip(out["identity_key"].to_numpy(dtype=object), out["orgnr"].to_numpy(dtype=object),
                           out["is_natural_person"].to_numpy(dtype=bool))]
    out.loc[out["is_natural_person"], "match"] = "person"
    return out


def identity_keys(names: pd.Series, orgnrs: pd.Series) -> pd.Series:
    """The identity key of each mention (``orgnr:`` first, else ``name:``), None when it has neither."""
    norm = names.map({n: normalise_name(n) for n in names.dropna().unique()})  # each distinct name once
    by_orgnr, by_name = ("orgnr:" + orgnrs.astype(object)), ("name:" + norm.astype(object))
    keys = by_orgnr.where(orgnrs.notna(), by_name)
    return pd.Series(keys.to_numpy(dtype=object), index=names.index, dtype=object).where(keys.notna(), None)


def name_keys(names: pd.Series) -> pd.Series:
    """Each name normalised (each distinct name once)."""
    return names.map({n: normalise_name(n) for n in names.dropna().unique()})


def person_name_keys(resolved: pd.DataFrame) -> set[str]:
    """The normalised names of the natural persons in the identity map."""
    return set(name_keys(resolved.loc[resolved["is_natural_person"].eq(True), "name"]).dropna())


def organisations(recipients: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """One row per org id: Brønnøysund's facts for an orgnr it knows; a person's row keeps only the flag."""
    facts = units.set_index("orgnr")
    first = recipients.drop_duplicates("org_id").set_index("org_id")
    out = pd.DataFrame({"org_id": first.index, "is_natural_person": first["is_natural_person"].to_numpy(dtype=bool),
                        "identity_basis": first["match"].to_numpy()})
    orgnr = first["orgnr"].to_numpy(dtype=object)
    known = first["orgnr"].isin(facts.index).to_numpy(dtype=bool)
    for column, source in (("org_form", "org_form"), ("nace_code", "nace_code"),
                           ("business_kommune_code", "kommune_code"), ("founding_date", "founding_date"),
                           ("institutional_sector_code", "institutional_sector_code")):
        values = facts[source].reindex(orgnr).to_numpy(dtype=object)
        out[column] = pd.Series(values, dtype=object).where(known, None)
    out["in_business_register"] = known
    # A person's row shows the neutral label; an organisation whose first name is a person's (a name typed on its
    # row) shows none rather than the person's.
    names = pd.Series(first["name"].to_numpy(dtype=object), dtype=object)
    names = names.where(~name_keys(names).isin(person_name_keys(recipients)).to_numpy(), None)
    out["org_name"] = names.where(~out["is_natural_person"], PERSON_LABEL)
    out["is_public_sector"] = [
        (f in PUBLIC_FORMS or (isinstance(s, str) and s.startswith("6"))) if k else None
        for f, s, k in zip(out["org_form"].to_numpy(dtype=object),
                           out["institutional_sector_code"].to_numpy(dtype=object), known)]
    # A person's register facts stay out of the published row: only the form says "ENK".
    person = out["is_natural_person"]
    for column in ("nace_code", "business_kommune_code", "founding_date", "institutional_sector_code"):
        out.loc[person, column] = None
    return out.sort_values("org_id").reset_index(drop=True)


def is_startup(founding: pd.Series, award_date: pd.Series) -> pd.Series:
    """Founded at most three years before the award (Innovasjon Norge's own definition of an entrepreneur)."""
    def flag(f, a):
        if f is None or a is None or pd.isna(f) or pd.isna(a):
            return None
        try:
            limit = a.replace(year=a.year - STARTUP_YEARS)
        except ValueError:  # 29 February
            limit = a.replace(year=a.year - STARTUP_YEARS, day=28)
        return bool(limit <= f <= a)
    return pd.Series([flag(f, a) for f, a in zip(objects(founding), objects(award_date))], index=award_date.index,
                     dtype=object)


def objects(values: pd.Series) -> np.ndarray:
    """The values as Python objects with None for missing: iterating an Arrow-backed column value by value is
    many times slower than iterating this array."""
    return np.where(values.isna().to_numpy(), None, values.to_numpy(dtype=object))
