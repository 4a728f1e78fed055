"""The simulator's building blocks: identifiers, phone numbers, the mess of hand-typed data."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd
import phonenumbers
import pytest

from c360.local.simulator import mess
from c360.local.simulator.config import SimulationConfig
from c360.local.simulator.ids import ean13, unique_ints, uuids
from c360.local.simulator.pools import all_pools
from c360.local.simulator.population import build_population


@pytest.fixture(scope="module")
def population():
    return build_population(3000, 11, date(2026, 11, 1), SimulationConfig())


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_unique_ints_are_distinct_and_in_range():
    drawn = unique_ints(rng(), 10, 1010, 1000)
    assert sorted(drawn.tolist()) == list(range(10, 1010))
    with pytest.raises(ValueError, match="cannot draw 5 distinct numbers"):
        unique_ints(rng(), 0, 4, 5)


def test_ean13_check_digit_is_valid():
    cards = ean13(np.array([200000000000, 212345678901, 299999999999]))
    for card in cards:
        digits = [int(c) for c in card]
        assert len(card) == 13
        assert sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10 == 0
    assert cards[0] == "2000000000008"


def test_uuids_are_version_4():
    for value in uuids(rng(), 50):
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                            value)


def test_pools_come_from_both_locales_with_prefixes_and_diacritics():
    pools = all_pools(800, 5)
    assert any(name.startswith(("van ", "de ")) for name in pools["NL"].last)
    assert any(name.startswith(("De ", "Van ")) for name in pools["BE"].last)
    assert any(mess.strip_accents(n) != n for n in pools["BE"].female_first)
    assert not any("," in name for pool in pools.values() for name in pool.last)


def test_every_phone_of_the_population_is_valid_for_its_country(population):
    persons = population.persons
    phones = pd.concat([persons[["mobile", "country"]].rename(columns={"mobile": "phone"}),
                        persons[["landline", "country"]].dropna().rename(
                            columns={"landline": "phone"})])
    for phone, country in phones.itertuples(index=False):
        parsed = phonenumbers.parse(phone)
        assert phonenumbers.is_valid_number(parsed), phone
        assert phonenumbers.region_code_for_number(parsed) == country, phone
    mobiles = persons["mobile"]
    assert mobiles[persons["country"] == "NL"].str.startswith("+316").all()
    assert mobiles[persons["country"] == "BE"].str.match(r"\+324[789]").all()
    assert mobiles.is_unique


def test_phone_formats_keep_the_number(population):
    e164 = population.persons["mobile"].head(400).reset_index(drop=True)
    typed = mess.phone_formats(e164, rng(3))
    assert typed.nunique() > 1
    assert (typed != e164).mean() > 0.7  # most are written another way than E.164
    for original, written in zip(e164, typed, strict=True):
        region = "NL" if original.startswith("+31") else "BE"
        parsed = phonenumbers.parse(written, region)
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == original
    assert typed.str.contains("-").any() and typed.str.contains(" ").any()


def test_postal_codes_follow_each_country(population):
    persons = population.persons
    assert persons.loc[persons["country"] == "NL", "postal_code"].str.fullmatch(
        r"[1-9]\d{3} [A-Z]{2}").all()
    assert persons.loc[persons["country"] == "BE", "postal_code"].str.fullmatch(r"\d{4}").all()


def test_typo_changes_a_few_values_by_one_edit():
    names = pd.Series(["Johannes", "Wilhelmina", "Pieternella", "Bartholomeus"] * 250)
    typed = mess.typo(names, 0.1, rng(1))
    changed = typed != names
    assert 0.05 < changed.mean() < 0.15
    for before, after in zip(names[changed], typed[changed], strict=True):
        assert abs(len(before) - len(after)) <= 1 and before[0] == after[0]


def test_name_variants():
    first = pd.Series(["Johannes"] * 200)
    assert set(mess.initials(first, 1.0, rng())) == {"J.", "J"}
    last = pd.Series(["van der Berg"] * 400)
    variants = set(mess.vary_prefix(last, 1.0, rng()))
    assert {"Van der Berg", "Van Der Berg", "Berg", "Berg, van der"} <= variants
    assert mess.strip_accents("Chloë Gisèle") == "Chloe Gisele"
    swapped_first, swapped_last = mess.swap_names(first, last.head(200), 1.0, rng())
    assert (swapped_first == "van der Berg").all() and (swapped_last == "Johannes").all()


def test_account_references_are_typed_in_several_ways():
    refs = mess.account_reference(pd.Series(["FA0012345"] * 500), rng())
    assert {"FA0012345", "fa0012345", "0012345", "12345", "FA 0012345", "Fa0012345"} == set(refs)


def test_email_without_at_is_wrong_but_parseable():
    emails = pd.Series(["piet.jansen@gmail.com", None])
    broken = mess.without_at(emails, np.array([True, True]))
    assert "@" not in broken[0] and broken[0].startswith("piet.jansen")
    assert pd.isna(broken[1])
