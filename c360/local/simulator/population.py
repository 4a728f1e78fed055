"""The persons behind the silos: names, addresses, contacts, households, and where they appear.

Everything here is drawn once per simulation from the seed: who lives where,
who shares a household (and its phone, e-mail and address), who carries the
name of another person in the same city, who moves, which silos know whom,
and the records each silo holds for a person (billing accounts, loyalty cards,
browser cookies), including the duplicates real silos have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from c360.ingest.contracts import dataset
from c360.local.simulator import mess, register_slips
from c360.local.simulator.behaviour import Behaviour, draw_behaviour
from c360.local.simulator.config import PRODUCT_LINES, SimulationConfig
from c360.local.simulator.ids import ean13, padded, unique_ints, uuids
from c360.local.simulator.pools import EMAIL_DOMAIN_WEIGHTS, EMAIL_DOMAINS, LANDLINE_AREAS, all_pools
from c360.local.simulator.typed import CLERK, SELF, typed_identity, with_missing

NO_DAY = 10**6  # "never" for day numbers: larger than any simulated day
SILOS = ("finance", "store", "web", "contact_center")
POSTCODE_LETTERS = np.array(list("ABCDEGHJKLMNPRSTVWXZ"))
HISTORY_DAYS = 5 * 365
PAYMENT_METHODS = dataset("finance", "payments").values("method")


@dataclass
class Population:
    persons: pd.DataFrame   # one row per person, index = person number
    accounts: pd.DataFrame  # finance billing accounts as the clerks typed them
    cards: pd.DataFrame     # loyalty cards with the enrolment form as filled in
    cookies: pd.DataFrame   # browser cookies of persons (anonymous_id, person)
    behaviour: Behaviour    # hidden interest and preferred channel per person and line

    def account_on(self, day_index: int, persons: pd.Series) -> pd.Series:
        """The account id each of `persons` quotes on that day (their oldest open one), or NaN."""
        accounts = self.accounts[self.accounts["person"].isin(persons)
                                 & (self.accounts["open_day"] <= day_index)]
        first = accounts.sort_values("open_day", kind="stable").drop_duplicates("person")
        return persons.map(first.set_index("person")["account_id"]).astype(object)

    def card_on(self, day_index: int, persons: pd.Series) -> pd.Series:
        """The loyalty card in the wallet of each of `persons` on that day, or NaN."""
        cards = self.cards[self.cards["person"].isin(persons)]
        live = cards[(cards["start_day"] <= day_index) & (cards["end_day"] > day_index)]
        return persons.map(live.drop_duplicates("person", keep="last").set_index("person")[
            "card_number"]).astype(object)


def _zipf_choice(rng: np.random.Generator, pool: np.ndarray, n: int) -> np.ndarray:
    """Sample with a long tail, so some names are common and many are rare.

    The exponent keeps the most common name near the share real ones have: in the
    Netherlands 'De Jong', the most common surname, belongs to about 0.5% of people
    and no first name to much more than 1%. A steeper tail (0.9 gave one surname
    6% of all persons) makes namesakes ten times likelier than in any real
    customer base, and every name-based rule look worse than it is.
    """
    ranks = rng.permutation(len(pool)) + 1
    weights = 1.0 / ranks**0.5
    return pool[rng.choice(len(pool), size=n, p=weights / weights.sum())]


def _house_numbers(rng: np.random.Generator, country: np.ndarray) -> pd.Series:
    base = pd.Series(rng.geometric(1 / 40, len(country)).clip(1, 400).astype(str))
    kind = rng.random(len(country))
    is_nl = country == "NL"
    letter = pd.Series(rng.choice(list("ABCD"), len(country)))
    floor = pd.Series(rng.integers(1, 4, len(country)).astype(str))
    out = base.copy()
    out[is_nl & (kind < 0.12)] = base + letter
    out[is_nl & (kind >= 0.12) & (kind < 0.17)] = base + "-" + floor
    out[~is_nl & (kind < 0.1)] = base + " bus " + floor
    return out


def _addresses(rng: np.random.Generator, country: np.ndarray, pools) -> pd.DataFrame:
    n = len(country)
    out = pd.DataFrame({"street": "", "city": "", "postal_code": ""}, index=range(n))
    for code, pool in pools.items():
        sel = np.flatnonzero(country == code)
        street = _zipf_choice(rng, pool.streets, len(sel))
        city_idx = rng.choice(len(pool.cities), size=len(sel),
                              p=_city_weights(rng, len(pool.cities)))
        area = pool.city_postcode[city_idx]
        if code == "NL":
            area = np.minimum(area + rng.integers(0, 8, len(sel)), 9999)
            letters = (POSTCODE_LETTERS[rng.integers(0, 20, len(sel))].astype(object)
                       + POSTCODE_LETTERS[rng.integers(0, 20, len(sel))].astype(object))
            postal = pd.Series(area).astype(str) + " " + letters
        else:
            postal = pd.Series(area).astype(str)
        out.loc[sel, "street"] = street
        out.loc[sel, "city"] = pool.cities[city_idx]
        out.loc[sel, "postal_code"] = postal.to_numpy()
    out["house_number"] = _house_numbers(rng, country)
    return out


def _city_weights(rng: np.random.Generator, n: int) -> np.ndarray:
    weights = 1.0 / (rng.permutation(n) + 1) ** 1.1  # a few big cities, many villages
    return weights / weights.sum()


def _phones(rng: np.random.Generator, country: np.ndarray, landline: bool) -> pd.Series:
    """E.164 numbers: NL mobiles +316…, BE mobiles +324[789]…, or landlines by area code."""
    n = len(country)
    subscriber = pd.Series(unique_ints(rng, 0, 10**7, n)).astype(str).str.zfill(7)
    is_nl = country == "NL"
    if landline:
        area = np.where(is_nl, rng.choice(LANDLINE_AREAS["NL"], n), rng.choice(LANDLINE_AREAS["BE"], n))
        # Belgian subscriber numbers in these zones start with 2 to 4.
        lead = rng.integers(2, 5, n).astype(str).astype(object)
        subscriber = pd.Series(np.where(is_nl, subscriber, lead + subscriber.str[1:]))
    else:
        # Dutch mobiles are 06-1… to 06-5… and 06-8…; others are pagers and services.
        second = rng.choice(["1", "2", "3", "4", "5", "8"], n).astype(object)
        area = np.where(is_nl, "6" + second + rng.integers(0, 10, n).astype(str).astype(object),
                        "4" + rng.choice(["7", "8", "9"], n).astype(object) + "")
        subscriber = np.where(is_nl, subscriber.str[:6], subscriber)
    return pd.Series(np.where(is_nl, "+31", "+32")) + area + subscriber


def _email_local(first: pd.Series, last: pd.Series, rng: np.random.Generator) -> pd.Series:
    f = mess.per_value(first, lambda v: re.sub(r"[^a-z]", "", mess.strip_accents(v).lower()))
    surname = mess.per_value(last, lambda v: re.sub(r"[^a-z ]", "", mess.strip_accents(v).lower()))
    joined = mess.per_value(surname, lambda v: v.replace(" ", ""))
    core = mess.per_value(surname, lambda v: v.split(" ")[-1])
    year = pd.Series(rng.integers(60, 100, len(first)).astype(str))
    formats = [
        lambda s: f[s] + "." + joined[s], lambda s: f[s] + joined[s],
        lambda s: f[s].str[0] + "." + joined[s], lambda s: f[s] + "_" + core[s],
        lambda s: f[s] + "." + core[s] + year[s], lambda s: f[s].str[0] + joined[s] + year[s],
    ]
    kind = rng.choice(len(formats), len(first), p=[0.35, 0.15, 0.15, 0.1, 0.15, 0.1])
    out = pd.Series("", index=first.index, dtype=object)
    for k, variant in enumerate(formats):
        out[kind == k] = variant(kind == k).to_numpy()
    return out


def _domains(rng: np.random.Generator, country: np.ndarray) -> pd.Series:
    out = pd.Series("", index=range(len(country)), dtype=object)
    for code, domains in EMAIL_DOMAINS.items():
        sel = country == code
        out[sel] = rng.choice(domains, int(sel.sum()), p=EMAIL_DOMAIN_WEIGHTS[code])
    return out


def _deduplicate(emails: pd.Series) -> pd.Series:
    """Two persons never own the same personal address: the mail provider adds digits."""
    out = emails.copy()
    dup = out.duplicated()
    while dup.any():
        local, domain = out[dup].str.split("@").str[0], out[dup].str.split("@").str[1]
        out[dup] = local + (out[dup].index.to_series() % 97).astype(str) + "@" + domain
        dup = out.duplicated()
    return out


def _households(rng: np.random.Generator, n: int, cfg: SimulationConfig) -> np.ndarray:
    """Household number per person: persons living alone are their own household."""
    household = np.arange(n)
    members = rng.permutation(n)[: int(n * cfg.household_share)]
    sizes = rng.choice([2, 3, 4], size=len(members), p=[0.6, 0.25, 0.15])
    start = 0
    for size in sizes:
        group = members[start:start + size]
        if len(group) < 2:
            break
        household[group] = group[0]
        start += size
    return household


def _apply_households(persons: pd.DataFrame, rng: np.random.Generator,
                      cfg: SimulationConfig) -> None:
    head = persons["household"].to_numpy()
    follower = head != np.arange(len(persons))
    shared = ["country", "street", "house_number", "postal_code", "city"]
    persons.loc[follower, shared] = persons.loc[head[follower], shared].to_numpy()
    same_name = follower & (rng.random(len(persons)) < 0.6)
    persons.loc[same_name, "last_name"] = persons["last_name"].to_numpy()[head[same_name]]

    heads = np.unique(head[follower])
    landline = np.full(len(persons), None, dtype=object)
    has_line = heads[rng.random(len(heads)) < cfg.household_landline_rate]
    landline[has_line] = _phones(rng, persons["country"].to_numpy()[has_line], landline=True)
    persons["landline"] = np.where(follower | np.isin(np.arange(len(persons)), has_line),
                                   landline[head], None)

    family = np.full(len(persons), None, dtype=object)
    has_mail = heads[rng.random(len(heads)) < cfg.household_family_email_rate]
    surname = (persons["last_name"].to_numpy()[has_mail].astype(str))
    local = mess.per_value(pd.Series(surname),
                           lambda v: re.sub(r"[^a-z]", "", mess.strip_accents(v).lower()))
    family[has_mail] = ("fam." + local + "." + pd.Series(has_mail).astype(str) + "@"
                        + _domains(rng, persons["country"].to_numpy()[has_mail])).to_numpy()
    persons["family_email"] = np.where(persons["landline"].notna() | follower
                                       | np.isin(np.arange(len(persons)), has_mail),
                                       family[head], None)


def _apply_namesakes(persons: pd.DataFrame, rng: np.random.Generator, rate: float) -> None:
    """Give some persons living alone the name of another person in the same city."""
    alone = np.flatnonzero(persons["household"].to_numpy() == np.arange(len(persons)))
    pairs = rng.permutation(alone)[: 2 * int(len(persons) * rate)].reshape(-1, 2)
    original, namesake = pairs[:, 0], pairs[:, 1]
    copied = ["country", "first_name", "last_name", "gender", "city"]
    persons.loc[namesake, copied] = persons.loc[original, copied].to_numpy()
    # Same city, so the same postal area, but another street and house.
    persons.loc[namesake, "postal_code"] = (
        persons["postal_code"].to_numpy()[original].astype(str))
    persons.loc[namesake, "namesake_of"] = original


def _silo_presence(rng: np.random.Generator, n: int, cfg: SimulationConfig) -> pd.DataFrame:
    """Correlated membership: an engaged customer tends to be known in several silos."""
    common = rng.standard_normal(n)
    shares = {"finance": cfg.finance_share, "store": cfg.store_share, "web": cfg.web_share,
              "contact_center": cfg.contact_center_share}
    out = {}
    for silo, share in shares.items():
        z = 0.6 * common + 0.8 * rng.standard_normal(n)
        out[f"in_{silo}"] = z < np.quantile(z, share)
    frame = pd.DataFrame(out)
    nowhere = ~frame.any(axis=1).to_numpy()
    pick = rng.integers(0, len(SILOS), n)
    for k, silo in enumerate(SILOS):
        frame.loc[nowhere & (pick == k), f"in_{silo}"] = True
    return frame


def build_persons(n: int, seed: int, start: date, cfg: SimulationConfig) -> pd.DataFrame:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    pools = all_pools(cfg.pool_size, seed)
    country = np.where(rng.random(n) < cfg.share_nl, "NL", "BE").astype(object)
    gender = np.where(rng.random(n) < 0.5, "F", "M").astype(object)
    first = np.empty(n, dtype=object)
    last = np.empty(n, dtype=object)
    for code, pool in pools.items():
        for sex, names in (("F", pool.female_first), ("M", pool.male_first)):
            sel = (country == code) & (gender == sex)
            first[sel] = _zipf_choice(rng, names, int(sel.sum()))
        sel = country == code
        last[sel] = _zipf_choice(rng, pool.last, int(sel.sum()))
    persons = pd.DataFrame({
        "person_id": padded("P", np.arange(1, n + 1), 7),
        "country": country, "gender": gender, "first_name": first, "last_name": last,
    })
    # The "real" noise profile draws its part of the population from a stream of its own,
    # so the persons it shares with the default profile are drawn alike.
    real = cfg.noise == "real"
    slip_rng = np.random.default_rng(np.random.SeedSequence([seed, 1, 1]))
    if real:
        register_slips.register_names(persons, cfg.slips, slip_rng)
    persons = pd.concat([persons, _addresses(rng, country, pools)], axis=1)
    age_days = rng.integers(18 * 365, 88 * 365, n)
    persons["birth_date"] = pd.Timestamp(start) - pd.to_timedelta(age_days, unit="D")
    birth_names = persons["last_name"].to_numpy().copy()
    persons["household"] = _households(rng, n, cfg)
    _apply_households(persons, rng, cfg)
    persons["namesake_of"] = -1
    _apply_namesakes(persons, rng, cfg.slips.namesake_rate if real else cfg.namesake_rate)
    if real:
        register_slips.register_households(persons, birth_names, cfg.slips, slip_rng)
    persons["mobile"] = _phones(rng, persons["country"].to_numpy(), landline=False)
    # People choose their e-mail address by the name they go by.
    given = persons["call_name"].fillna(persons["first_name"]) if real else persons["first_name"]
    local = _email_local(given, persons["last_name"], rng)
    persons["email"] = _deduplicate(local + "@" + _domains(rng, persons["country"].to_numpy()))

    movers = rng.random(n) < cfg.mover_rate
    moved_to = _addresses(rng, persons["country"].to_numpy(), pools)
    for column in ("street", "house_number", "postal_code", "city"):
        persons[f"new_{column}"] = np.where(movers, moved_to[column], None)
    persons["move_day"] = np.where(movers, rng.integers(-180, 60, n), NO_DAY)
    persons["move_known_by"] = np.where(movers, rng.choice(["finance", "store"], n), None)

    persons = pd.concat([persons, _silo_presence(rng, n, cfg)], axis=1)
    persons["activity"] = rng.lognormal(0.0, 0.8, n)
    persons["user_id"] = padded("WU", unique_ints(rng, 10**6, 10**8, n), 8)
    persons["web_account_at_start"] = persons["in_web"] & (rng.random(n) < cfg.web_account_share)
    persons["subscribed_at_start"] = persons["in_web"] & (rng.random(n) < cfg.newsletter_share)
    return persons


def _joining_days(rng: np.random.Generator, n: int, cfg: SimulationConfig) -> np.ndarray:
    history = rng.random(n) < cfg.history_share
    return np.where(history, rng.integers(-HISTORY_DAYS, 0, n),
                    rng.integers(0, cfg.joining_horizon_days, n))


def _moved_fields(persons: pd.DataFrame, owners: np.ndarray, silo: str,
                  joined: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Persons as known at joining: movers known to `silo` who moved before joining give the
    new address. Returns that and the day the silo learns of a later move (NO_DAY if never)."""
    known = persons.iloc[owners].reset_index(drop=True).copy()
    knows_move = (known["move_known_by"] == silo).to_numpy()
    moved_before = knows_move & (known["move_day"].to_numpy() <= joined)
    for column in ("street", "house_number", "postal_code", "city"):
        known.loc[moved_before, column] = known.loc[moved_before, f"new_{column}"]
    update_day = np.where(knows_move & ~moved_before, known["move_day"].to_numpy(), NO_DAY)
    # The other silos never hear of the new address.
    new_columns = ["new_street", "new_house_number", "new_postal_code", "new_city"]
    known.loc[~knows_move, new_columns] = None
    return known, update_day


def build_accounts(persons: pd.DataFrame, seed: int, cfg: SimulationConfig) -> pd.DataFrame:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2]))
    holders = np.flatnonzero(persons["in_finance"].to_numpy())
    second = holders[rng.random(len(holders)) < cfg.second_account_rate]
    owners = np.concatenate([holders, second])
    n = len(owners)
    opened = _joining_days(rng, n, cfg)
    first_opened = dict(zip(holders.tolist(), opened[: len(holders)].tolist(), strict=True))
    # A second account comes after the first: a new contract, a second address, a business.
    later = np.array([first_opened[p] for p in second.tolist()], dtype=np.int64)
    opened[len(holders):] = later + rng.integers(1, 400, len(second))
    known, move_update = _moved_fields(persons, owners, "finance", opened)
    typed = typed_identity(known, cfg, CLERK, rng)
    typed = with_missing(typed, ["first_name", "email", "phone", "birth_date"],
                         cfg.missing_rate, rng)
    typed["postal_code"] = _postal_code_variants(typed["postal_code"], rng)
    fault_email = rng.random(n) < cfg.fault_rate
    typed["email"] = mess.without_at(typed["email"], fault_email)
    typed["birth_date"] = _future_birth_dates(typed["birth_date"], rng, cfg.fault_rate)
    closes = rng.random(n) < cfg.close_rate
    accounts = pd.DataFrame({
        "account_id": padded("FA", unique_ints(rng, 1, 10**7, n), 7),
        "person": owners,
        "open_day": opened,
        "close_day": np.where(closes, np.maximum(opened, 0) + rng.integers(1, 365, n), NO_DAY),
        "move_update_day": move_update,
        "product_line": rng.choice(PRODUCT_LINES, n, p=[0.3, 0.15, 0.2, 0.15, 0.2]),
        "monthly_fee": np.round(rng.lognormal(3.6, 0.6, n), 2),
        "billing_day": rng.integers(1, 29, n),
        "pay_method": rng.choice(PAYMENT_METHODS, n,
                                 p=[0.3, 0.1, 0.4, 0.1, 0.1]),
        "email_fault": fault_email,
    })
    accounts = pd.concat([accounts, typed], axis=1)
    for column in ("street", "house_number", "postal_code", "city"):
        accounts[f"new_{column}"] = known[f"new_{column}"].to_numpy()
    return accounts


def _postal_code_variants(postal: pd.Series, rng: np.random.Generator) -> pd.Series:
    kind = rng.random(len(postal))
    out = postal.copy()
    out[kind < 0.3] = postal[kind < 0.3].str.replace(" ", "", regex=False)
    out[(kind >= 0.3) & (kind < 0.35)] = postal[(kind >= 0.3) & (kind < 0.35)].str.lower()
    return out


def _future_birth_dates(birth: pd.Series, rng: np.random.Generator, rate: float) -> pd.Series:
    """Wrong but parseable: a birth date typed with the current century turned around."""
    out = birth.copy()
    mask = (rng.random(len(birth)) < rate) & birth.notna().to_numpy()
    out[mask] = pd.Timestamp("2090-01-01") + pd.to_timedelta(rng.integers(0, 3650, int(mask.sum())),
                                                               unit="D")
    return out


def build_cards(persons: pd.DataFrame, seed: int, cfg: SimulationConfig) -> pd.DataFrame:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 3]))
    members = np.flatnonzero(persons["in_store"].to_numpy())
    enrolled = _joining_days(rng, len(members), cfg)
    replaced = rng.random(len(members)) < cfg.replaced_card_rate
    replace_day = enrolled[replaced] + rng.integers(30, 900, int(replaced.sum()))
    owners = np.concatenate([members, members[replaced]])
    start_day = np.concatenate([enrolled, replace_day])
    end_day = np.full(len(owners), NO_DAY)
    end_day[np.flatnonzero(replaced)] = replace_day
    n = len(owners)
    known, move_update = _moved_fields(persons, owners, "store", start_day)
    typed = typed_identity(known, cfg, SELF, rng)
    typed = with_missing(typed, ["email", "phone", "birth_date", "house_number"],
                         cfg.missing_rate, rng)
    fault_email = rng.random(n) < cfg.fault_rate
    typed["email"] = mess.without_at(typed["email"], fault_email)
    typed["birth_date"] = _future_birth_dates(typed["birth_date"], rng, cfg.fault_rate)
    cards = pd.DataFrame({
        "card_number": ean13(unique_ints(rng, 2 * 10**11, 3 * 10**11, n)),
        "person": owners,
        "start_day": start_day,
        "end_day": end_day,
        "move_update_day": move_update,
        "opt_in": rng.random(n) < 0.55,
        "email_fault": fault_email,
    })
    cards = pd.concat([cards, typed.drop(columns=["street", "city"])], axis=1)
    for column in ("house_number", "postal_code"):
        cards[f"new_{column}"] = known[f"new_{column}"].to_numpy()
    return cards


def build_cookies(persons: pd.DataFrame, seed: int, cfg: SimulationConfig) -> pd.DataFrame:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 4]))
    visitors = np.flatnonzero(persons["in_web"].to_numpy())
    weights = np.array(cfg.extra_cookie_weights)
    counts = rng.choice(np.arange(1, len(weights) + 1), len(visitors), p=weights / weights.sum())
    owners = np.repeat(visitors, counts)
    return pd.DataFrame({"anonymous_id": uuids(rng, len(owners)), "person": owners})


def build_population(n: int, seed: int, start: date, cfg: SimulationConfig) -> Population:
    if n < 10:
        raise ValueError(f"a population needs at least 10 persons, got {n}")
    persons = build_persons(n, seed, start, cfg)
    return Population(
        persons=persons,
        accounts=build_accounts(persons, seed, cfg),
        cards=build_cards(persons, seed, cfg),
        cookies=build_cookies(persons, seed, cfg),
        behaviour=draw_behaviour(persons, seed, start, cfg),
    )
