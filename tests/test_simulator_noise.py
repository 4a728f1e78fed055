"""The "real" noise profile: each register slip does what it says, at its rate; the profile
is chosen by `--noise` or `Request.noise` and kept by a continued simulation."""

from __future__ import annotations

import json
import re
from datetime import date

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from c360.cli import app
from c360.config import load_settings
from c360.local.simulator import register_slips as slips
from c360.local.simulator.config import RegisterSlips, SimulationConfig
from c360.local.simulator.population import build_population
from c360.local.simulator.runner import Request, Target, simulate
from c360.local.simulator.state import SimulationState, StateError
from c360.local.simulator.typed import CLERK, SELF, typed_identity

START = date(2026, 11, 27)
REAL = SimulationConfig(noise="real")
ALL_CALL_NAMES = {call for names in slips.FORMAL_NAMES.values()
                  for calls in names.values() for call in calls}


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def within(count: float, expected: float, sigmas: float = 4.0) -> bool:
    """A count agrees with a rate: within a few standard deviations of a Poisson count."""
    return abs(count - expected) <= sigmas * max(expected, 1.0) ** 0.5 + 1


def births(n: int, seed: int = 1) -> pd.Series:
    days = rng(seed).integers(0, 70 * 365, n)
    return pd.Series(pd.Timestamp("1940-01-01") + pd.to_timedelta(days, unit="D"))


@pytest.fixture(scope="module")
def real_population():
    return build_population(20_000, 7, START, REAL)


# --- birth dates -------------------------------------------------------------------------------


def test_a_swapped_birth_date_has_day_and_month_exchanged():
    birth = births(100_000)
    typed = slips.swap_day_month(birth, 0.05, rng())
    changed = typed != birth
    eligible = (birth.dt.day <= 12) & (birth.dt.day != birth.dt.month)
    assert not (changed & ~eligible).any()
    assert (typed[changed].dt.day == birth[changed].dt.month).all()
    assert (typed[changed].dt.month == birth[changed].dt.day).all()
    assert (typed[changed].dt.year == birth[changed].dt.year).all()
    assert within(changed.sum(), 0.05 * eligible.sum())


def test_a_digit_slip_types_one_neighbour_digit_and_stays_a_date():
    birth = births(50_000)
    typed = slips.digit_slip(birth, 0.04, rng())
    changed = typed != birth
    assert within(changed.sum(), 0.04 * len(birth))
    for before, after in zip(birth[changed], typed[changed], strict=True):
        a, b = before.strftime("%d%m%Y"), after.strftime("%d%m%Y")
        diff = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
        assert len(diff) == 1 and diff[0][1] in slips.DIGIT_NEIGHBOURS[diff[0][0]], (a, b)


def test_a_year_slip_is_one_or_ten_years_off():
    birth = pd.concat([births(20_000), pd.Series([pd.Timestamp("1968-02-29")] * 200)],
                      ignore_index=True)
    typed = slips.year_slip(birth, 0.5, rng())
    changed = typed != birth
    assert set((typed[changed].dt.year - birth[changed].dt.year).unique()) == {-10, -1, 1, 10}
    assert (typed[changed].dt.month == birth[changed].dt.month).all()
    leap_day = changed & (birth.dt.month == 2) & (birth.dt.day == 29)
    assert set(typed[leap_day].dt.day) == {28}  # 1967, 1969, 1958 and 1978 have no 29th
    assert within(changed.sum(), 0.5 * len(birth), sigmas=6)


def test_placeholder_dates_are_the_declared_ones():
    birth = births(100_000)
    typed = slips.placeholder_dates(birth, 0.03, (0.2, 0.1, 0.2, 0.5), rng())
    changed = typed[typed != birth]
    fixed = {pd.Timestamp(d) for d in ("1900-01-01", "1901-01-01", "1970-01-01")}
    january_1 = (changed.dt.month == 1) & (changed.dt.day == 1)
    assert january_1.all()
    own_year = ~changed.isin(fixed)
    assert (changed[own_year].dt.year == birth[typed != birth][own_year].dt.year).all()
    assert fixed <= set(changed)
    assert within(len(changed), 0.03 * len(birth), sigmas=5)  # a few were 1 January already
    assert within(own_year.sum(), 0.5 * 0.03 * len(birth), sigmas=5)


# --- given names -----------------------------------------------------------------------------


def test_compound_name_variants_spell_the_same_letters():
    first = pd.Series(["Anne-Marie", "Jan Peter", "Jan-Willem", "Kees"] * 2000)
    typed = slips.compound_forms(first, 1.0, rng())
    assert (typed[first == "Kees"] == "Kees").all()
    assert {"Anne-Marie", "Anne Marie", "Annemarie"} == set(typed[first == "Anne-Marie"])
    assert {"Jan-Peter", "Jan Peter", "Janpeter"} == set(typed[first == "Jan Peter"])
    assert all(slips.same_letters(a, b) for a, b in zip(first, typed, strict=True))
    sometimes = slips.compound_forms(first, 0.3, rng(1))
    assert within((sometimes != first).sum(), 0.3 * 0.75 * len(first) * 2 / 3, sigmas=5)


def test_initials_of_a_compound_name():
    first = pd.Series(["Jan-Willem", "Marie Claire", "Johannes"] * 500)
    typed = slips.compound_initials(first, 1.0, rng())
    assert set(typed[first == "Jan-Willem"]) == {"J.W.", "JW"}
    assert set(typed[first == "Marie Claire"]) == {"M.C.", "MC"}
    assert (typed[first == "Johannes"] == "Johannes").all()


def test_call_names_come_from_the_declared_list(real_population):
    persons = real_population.persons
    formal = persons["call_name"].notna()
    assert within(formal.sum(), RegisterSlips().formal_name_share * len(persons), sigmas=5)
    for first, call, sex in persons.loc[formal, ["first_name", "call_name", "gender"]].itertuples(
            index=False):
        assert call in slips.FORMAL_NAMES[sex][first], (first, call)
    first = persons["first_name"].reset_index(drop=True)
    typed = slips.call_names(first, persons["call_name"].reset_index(drop=True), 0.86, rng())
    changed = typed != first
    assert set(typed[changed]) <= ALL_CALL_NAMES
    assert within(changed.sum(), 0.86 * formal.sum())


def test_billing_uses_formal_names_and_store_forms_call_names(real_population):
    persons = real_population.persons
    has_call = persons["call_name"].notna()
    sample = persons[has_call].iloc[np.arange(20_000) % int(has_call.sum())]
    store = typed_identity(sample, REAL, SELF, rng(2))["first_name"]
    billing = typed_identity(sample, REAL, CLERK, rng(3))["first_name"]
    calls = sample["call_name"].to_numpy()
    store_share, billing_share = (store == calls).mean(), (billing == calls).mean()
    # The call-name rates, less what typos, initials and the like did to the name.
    assert 0.7 < store_share < 0.86 and 0.2 < billing_share < 0.3
    assert (billing == sample["first_name"].to_numpy()).mean() > 2 * billing_share


def test_two_slips_in_one_name():
    names = pd.Series(["Wilhelmina", "Bartholomeus", "Pieternella"] * 20_000)
    typed = slips.two_slips(names, 0.006, rng())
    changed = typed != names
    assert within(changed.sum(), 0.006 * len(names), sigmas=5)
    for before, after in zip(names[changed], typed[changed], strict=True):
        assert before[0] == after[0] and abs(len(before) - len(after)) <= 2
        assert sum(a != b for a, b in zip(before, after, strict=False)) >= 1


# --- surnames ---------------------------------------------------------------------------------


def test_prefix_slips():
    last = pd.Series(["van der Berg"] * 3000 + ["Jansen"] * 100)
    typed = slips.prefix_slips(last, 1.0, rng())
    assert {"vd Berg", "v.d. Berg", "vanderberg", "Berg, van der", "Berg",
            "van van der Berg"} == set(typed[:3000])
    assert (typed[3000:] == "Jansen").all()
    assert (typed[:3000] == "van van der Berg").mean() < 0.08  # the rare one
    assert slips._prefix_slip("De Smet", 0.5) == "desmet"
    some = slips.prefix_slips(last, 0.1, rng(1))
    assert within((some != last).sum(), 0.1 * 3000)


def test_married_names():
    last = pd.Series(["de Vries"] * 4)
    partner = pd.Series(["Jansen"] * 4)
    use = pd.Series(["own", "partner_own", "own_partner", "partner"])
    assert slips.married_names(last, partner, use, 0.0, rng()).tolist() == [
        "de Vries", "Jansen-de Vries", "de Vries-Jansen", "Jansen"]
    cut = slips.married_names(pd.Series(["de Vries"] * 10_000), pd.Series(["Jansen"] * 10_000),
                              pd.Series(["partner_own"] * 10_000), 0.3, rng())
    assert within((cut == "Jansen").sum(), 3000)
    assert set(cut) == {"Jansen", "Jansen-de Vries"}


def test_married_women_carry_their_partners_name(real_population):
    persons = real_population.persons
    married = persons["partner_name"].notna()
    assert married.sum() > 100
    wives = persons[married]
    heads = persons.loc[wives["household"].to_numpy()]
    assert (wives["gender"] == "F").all() and (heads["gender"] == "M").all()
    assert (wives["partner_name"].to_numpy() == heads["last_name"].to_numpy()).all()
    assert (wives["last_name"].to_numpy() != heads["last_name"].to_numpy()).all()
    shares = wives["name_use"].value_counts(normalize=True)
    weights = np.array(RegisterSlips().name_use_weights)
    for use, weight in zip(slips.NAME_USES, weights / weights.sum(), strict=True):
        assert abs(shares[use] - weight) < 0.06, (use, shares[use])


# --- the population -----------------------------------------------------------------------------


def test_namesakes_share_a_full_name_in_their_town_at_the_real_rate(real_population):
    persons = real_population.persons
    namesakes = persons[persons["namesake_of"] >= 0]
    assert len(namesakes) == int(len(persons) * RegisterSlips().namesake_rate)
    originals = persons.loc[namesakes["namesake_of"].to_numpy()]
    for column in ("first_name", "last_name", "city"):
        assert (namesakes[column].to_numpy() == originals[column].to_numpy()).all()
    common = {name for names in slips.COMMON_FULL_NAMES.values() for name in names}
    full = set(zip(namesakes["first_name"], namesakes["last_name"], strict=True))
    assert len(full & common) >= 5
    # Pairs of persons living alone take a common name; a head's family keeps its own.
    head = persons["household"].to_numpy()
    heads = np.unique(head[head != np.arange(len(persons))])
    alone = ~namesakes.index.isin(heads) & ~originals.index.isin(heads)
    common_share = np.mean([n in common for n in zip(namesakes["first_name"][alone],
                                                     namesakes["last_name"][alone], strict=True)])
    assert abs(common_share - RegisterSlips().common_namesake_share) < 0.08


def test_the_population_holds_compound_names(real_population):
    first = real_population.persons["first_name"]
    compound = first.isin([n for names in slips.COMPOUND_NAMES.values() for n in names])
    assert within(compound.sum(), RegisterSlips().compound_name_share * len(first), sigmas=5)


def test_the_real_profile_draws_the_default_population_alike():
    """The real profile's own draws come from streams of their own: streets, households, birth
    dates and phones are those of the default profile with the same seed (but for its extra
    namesakes, who take another person's country, town and postal area; the draws that
    follow per country, such as e-mail domains, differ from there on)."""
    default = build_population(3000, 11, START, SimulationConfig()).persons
    real = build_population(3000, 11, START, REAL).persons
    kept = (real["namesake_of"] < 0).to_numpy()  # a namesake takes the country of another
    for column in ("street", "household", "birth_date", "mobile"):
        assert (default[column][kept] == real[column][kept]).all(), column
    assert "call_name" not in default.columns and "partner_name" not in default.columns


def test_typed_birth_dates_slip_at_the_real_rates(real_population):
    persons = real_population.persons.iloc[np.arange(100_000) % len(real_population.persons)]
    typed = typed_identity(persons, REAL, SELF, rng(4))
    s = RegisterSlips()
    changed = (typed["birth_date"].to_numpy() != persons["birth_date"].to_numpy()).sum()
    total = s.birth_digit_rate + s.birth_year_rate + s.placeholder_date_rate
    swap = s.day_month_swap_rate * ((persons["birth_date"].dt.day <= 12).mean())
    assert within(changed, (total + swap) * len(persons), sigmas=5)
    billing = typed_identity(persons, REAL, CLERK, rng(5))
    changed = (billing["birth_date"].to_numpy() != persons["birth_date"].to_numpy()).sum()
    assert within(changed, (total + swap) * s.billing_birth_factor * len(persons), sigmas=5)


# --- the profile's settings -----------------------------------------------------------------------


def test_an_unknown_profile_names_the_valid_ones():
    with pytest.raises(ValueError, match="unknown noise profile 'noisy'; the valid ones are: "
                                         "default, real"):
        SimulationConfig(noise="noisy")


def test_the_profile_round_trips_through_the_state_and_old_states_are_default():
    state = SimulationState(seed=1, people=50, start=START, config=REAL)
    again = SimulationState.from_json(state.to_json())
    assert again.config == REAL and again.config.slips == RegisterSlips()
    data = json.loads(state.to_json())
    del data["config"]["noise"], data["config"]["slips"]  # a state from before the profiles
    assert SimulationState.from_json(json.dumps(data)).config == SimulationConfig()


def make_target(root, dsn: str) -> Target:
    return Target(root / "landing", root / "truth", root / "simulation", dsn)


def test_the_profile_persists_across_a_continued_simulation(tmp_path, new_database):
    target = make_target(tmp_path, new_database("noise"))
    first = simulate(Request(days=1, people=200, start=START, seed=3, noise="real"), target)
    assert first.noise == "real"
    state = json.loads((target.state_dir / "state.json").read_text())
    assert state["config"]["noise"] == "real"
    summary = simulate(Request(days=1), target)
    assert summary.noise == "real"
    with pytest.raises(StateError, match="its noise profile 'real', but --noise default"):
        simulate(Request(days=1, noise="default"), target)
    assert simulate(Request(days=1, noise="real"), target).noise == "real"
    with pytest.raises(StateError, match="--noise: unknown noise profile 'loud'; the valid "
                                         "ones are: default, real"):
        simulate(Request(days=1, noise="loud"), target)


def unwrapped(output: str) -> str:
    return " ".join(output.split())


def test_cli_accepts_noise_real_and_names_the_valid_profiles(c360_env):
    runner = CliRunner()
    result = runner.invoke(app, ["simulate", "--people", "60", "--days", "1", "--start",
                                 "2026-11-02", "--seed", "3", "--noise", "loud"])
    assert result.exit_code == 1
    assert ("unknown noise profile 'loud'; the valid ones are: default, real"
            in unwrapped(result.output))
    result = runner.invoke(app, ["simulate", "--people", "60", "--days", "1", "--start",
                                 "2026-11-02", "--seed", "3", "--noise", "real"])
    assert result.exit_code == 0, result.output
    assert re.search(r"noise profile\s*│\s*real", result.output)
    result = runner.invoke(app, ["simulate", "--days", "1"])
    assert result.exit_code == 0, result.output
    assert re.search(r"noise profile\s*│\s*real", result.output)
    state = load_settings().landing_dir.parent / "simulation" / "state.json"
    assert json.loads(state.read_text())["config"]["noise"] == "real"
