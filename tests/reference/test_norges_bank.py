"""Norges Bank rates on the real fixtures: SDMX CSV in both locales, the daily history, and conversion."""

import datetime as dt

import pandas as pd
import pytest

from assets.reference import norges_bank
from assets.reference.assets import BUNDLED


@pytest.fixture(scope="module")
def history(fixtures):
    return norges_bank.read_rates(fixtures / "norges_bank" / "norges_bank_daily_nok_1999_2025.csv")


def test_sdmx_csv_norwegian_locale_decimal_comma_and_unit_mult(fixtures):
    rates = norges_bank.read_sdmx_csv((fixtures / "norges_bank" / "exr_A_SEK_NOK_locale_no.csv").read_bytes())
    # "100,19" NOK per 100 SEK (UNIT_MULT=2) is 1.0019 NOK per krona.
    assert rates["nok_per_unit"].round(6).tolist() == [1.0019, 0.9503]
    assert rates["rate_date"].tolist() == [dt.date(2021, 1, 1), dt.date(2022, 1, 1)]


def test_sdmx_csv_english_locale(fixtures):
    # The same answer as locale=en writes it: decimal point, the same codes.
    text = (fixtures / "norges_bank" / "exr_A_SEK_NOK_locale_no.csv").read_text(encoding="utf-8")
    english = text.replace("100,19", "100.19").replace("95,03", "95.03").replace("Årlig", "Annual")
    rates = norges_bank.read_sdmx_csv(english.encode("utf-8"))
    assert rates["nok_per_unit"].round(6).tolist() == [1.0019, 0.9503]


def test_sdmx_csv_refuses_a_non_number_naming_the_record(fixtures):
    text = (fixtures / "norges_bank" / "exr_A_SEK_NOK_locale_no.csv").read_text(encoding="utf-8")
    with pytest.raises(norges_bank.RateFileError, match=r"rates.csv: record 2: OBS_VALUE"):
        norges_bank.read_sdmx_csv(text.replace("95,03", "n/a").encode())


def test_daily_history_sek_per_100_and_annual_average_agrees(history):
    sek_2021 = history.loc[(history["currency"] == "SEK")
                           & history["rate_date"].map(lambda d: d.year == 2021), "nok_per_unit"]
    assert round(sek_2021.mean() * 100, 2) == 100.19  # Norges Bank's published 2021 average


def test_eos_grant_of_2015_converted_at_a_rate_of_that_period(history):
    # An EØS grant decided on Saturday 2015-02-21 takes Friday 2015-02-20's EUR rate.
    grant = pd.DataFrame({"amount_original": [200000.0], "currency_original": ["EUR"],
                          "award_date": [dt.date(2015, 2, 21)]})
    out = norges_bank.convert(grant, history).iloc[0]
    assert out["exchange_rate_date"] == dt.date(2015, 2, 20)
    assert 8.0 < out["exchange_rate"] < 9.0
    assert out["amount_nok"] == round(200000 * out["exchange_rate"], 2)
    assert out["exchange_rate_method"] == norges_bank.METHOD


def test_no_rate_within_a_week_leaves_nok_empty(history):
    grant = pd.DataFrame({"amount_original": [1.0, 5.0], "currency_original": ["EUR", "NOK"],
                          "award_date": [dt.date(1998, 6, 1), dt.date(1998, 6, 1)]})
    out = norges_bank.convert(grant, history)
    assert pd.isna(out["amount_nok"].iloc[0]) and out["amount_nok"].iloc[1] == 5.0
    assert out["exchange_rate_method"].tolist()[1] == "identity"


def test_bundle_is_the_fixture_history(fixtures):
    bundled = BUNDLED / "norges_bank_rates" / "norges_bank_daily_nok_1999_2025.csv"
    assert bundled.read_bytes() == (fixtures / "norges_bank" / "norges_bank_daily_nok_1999_2025.csv").read_bytes()
    assert (BUNDLED / "norges_bank_rates" / "PROVENANCE.md").is_file()
