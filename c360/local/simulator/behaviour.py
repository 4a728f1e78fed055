"""Why persons buy: a hidden interest and a preferred channel per person and product line.

Drawn once per simulation from the seed, from a stream of their own, and written to
`truth/interests.csv` (docs/simulator-behaviour.md), so a model can be checked against
what it should find:

- `interest`: the purchases of the line the person makes per 30 days, averaged over
  the year, at the default rates. Heavy-tailed: most persons rarely buy a line, a few
  buy it often. Age, household, country, the silos that know the person and a
  general appetite shared by all lines shift it; solar and heat pumps share a
  homeowner's appetite of their own.
- `preferred_channel`: where the person turns for the line, among the channels they
  can use: `store` (researches online or not at all, buys in a store), `web`
  (researches and orders online), `email` (comes to the site from the newsletter and
  orders there), `phone` (calls the contact center for advice, then buys in a store).
  Older persons lean to the store and the phone, younger ones to the web; a person
  tends to one channel across lines.

journeys.py turns these into research, contacts and purchases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from c360.local.simulator.config import PRODUCT_LINES, SimulationConfig

CHANNELS: tuple[str, ...] = ("store", "web", "email", "phone")
STORE, WEB, EMAIL, PHONE = range(len(CHANNELS))
# Mean purchases per person per 30 days, by line: durables are bought rarely, the big
# installations more rarely still.
MEAN_INTEREST = {"appliances": 0.12, "smart_home": 0.08, "solar": 0.015, "heat_pumps": 0.01,
                 "service": 0.05}
INTEREST_SPREAD = 1.1     # of the log interest a line has of its own
APPETITE_SPREAD = 0.6     # of the log interest shared by all lines of a person
# How much each channel appeals per line (columns in CHANNELS' order): advice-heavy
# installations go to the store and the phone, gadgets to the web.
CHANNEL_APPEAL = {
    "appliances": (0.8, 0.6, -0.6, -1.0),
    "smart_home": (0.1, 1.0, -0.3, -1.2),
    "solar": (0.5, 0.1, -0.6, 0.4),
    "heat_pumps": (0.6, -0.1, -0.8, 0.6),
    "service": (-0.2, 0.3, -0.8, 0.9),
}
CHANNEL_HABIT = 1.0       # spread of a person's own leaning per channel, shared by lines


@dataclass
class Behaviour:
    """The hidden values, per person (rows) and product line (columns, PRODUCT_LINES' order)."""

    interest: np.ndarray      # float, purchases per 30 days at the default rates
    channel: np.ndarray       # int, index into CHANNELS
    usable: np.ndarray        # bool per person and channel
    home_store: np.ndarray    # the store code each person goes to

    def truth(self, person_ids: pd.Series) -> pd.DataFrame:
        """person_id, product_line, interest, preferred_channel: one row per person and line."""
        n, lines = self.interest.shape
        return pd.DataFrame({
            "person_id": np.repeat(person_ids.to_numpy(), lines),
            "product_line": np.tile(np.array(PRODUCT_LINES, dtype=object), n),
            "interest": np.round(self.interest.ravel(), 6),
            "preferred_channel": np.array(CHANNELS, dtype=object)[self.channel.ravel()],
        })


def _ages(persons: pd.DataFrame, start: date) -> np.ndarray:
    return ((pd.Timestamp(start) - persons["birth_date"]).dt.days / 365.25).to_numpy()


def _interest(persons: pd.DataFrame, age: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = len(persons)
    household = persons["household"].map(persons["household"].value_counts()).to_numpy() > 1
    nl = (persons["country"] == "NL").to_numpy()
    # Owners of a house, mostly past thirty, are the ones who install solar and heat pumps.
    owner = np.log(1 / (1 + np.exp(-(age - 33) / 6)))
    green = 0.6 * rng.standard_normal(n)
    shift = {
        "appliances": 0.4 * household,
        "smart_home": -0.02 * (age - 45),
        "solar": owner + green + 0.2 * household,
        "heat_pumps": owner + green + 0.3 * nl,
        "service": 0.015 * (age - 45),
    }
    # Members of the loyalty programme and web visitors are the shop's regular customers.
    regular = (0.5 * persons["in_store"].to_numpy() + 0.3 * persons["in_web"].to_numpy()
               + 0.3 * np.log(persons["activity"].to_numpy()))
    appetite = APPETITE_SPREAD * rng.standard_normal(n) + regular
    own = INTEREST_SPREAD * rng.standard_normal((n, len(PRODUCT_LINES)))
    log_interest = own + appetite[:, None] + np.column_stack([shift[line] for line in PRODUCT_LINES])
    raw = np.exp(log_interest)
    means = np.array([MEAN_INTEREST[line] for line in PRODUCT_LINES])
    return raw / raw.mean(axis=0) * means


def _channels(persons: pd.DataFrame, age: np.ndarray, rng: np.random.Generator
              ) -> tuple[np.ndarray, np.ndarray]:
    n = len(persons)
    in_web = persons["in_web"].to_numpy()
    usable = np.column_stack([np.ones(n, bool), in_web, in_web,
                              persons["in_contact_center"].to_numpy()])
    older = (age - 45) / 20
    belgian = (persons["country"] == "BE").to_numpy()
    person = np.column_stack([
        0.3 * older + 0.3 * belgian + 0.5 * persons["in_store"].to_numpy(),
        -0.7 * older + 0.5 * in_web,
        -0.1 * older + 0.5 * persons["subscribed_at_start"].to_numpy(),
        0.6 * older,
    ]) + CHANNEL_HABIT * rng.standard_normal((n, len(CHANNELS)))
    appeal = np.array([CHANNEL_APPEAL[line] for line in PRODUCT_LINES])
    utility = person[:, None, :] + appeal[None, :, :] + rng.gumbel(
        size=(n, len(PRODUCT_LINES), len(CHANNELS)))
    utility[~np.broadcast_to(usable[:, None, :], utility.shape)] = -np.inf
    return utility.argmax(axis=2), usable


def draw_behaviour(persons: pd.DataFrame, seed: int, start: date, cfg: SimulationConfig
                   ) -> Behaviour:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 6]))
    age = _ages(persons, start)
    interest = _interest(persons, age, rng)
    channel, usable = _channels(persons, age, rng)
    home_store = np.empty(len(persons), dtype=object)
    country = persons["country"].to_numpy()
    for code in ("NL", "BE"):
        stores = [s.code for s in cfg.stores if s.country == code]
        chosen = country == code
        home_store[chosen] = rng.choice(stores, int(chosen.sum()))
    return Behaviour(interest=interest, channel=channel, usable=usable, home_store=home_store)
