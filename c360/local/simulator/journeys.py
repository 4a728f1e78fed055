"""Purchase journeys: the research, contacts and purchases that a person's interest drives.

A journey of a person for a product line ends on its decision day: it starts at a rate
of the person's interest (behaviour.py), times the line's time of year and the day of
the week, and about half of them end in a purchase. Before the decision day, over a
lead time that is longer for big installations, come its web sessions about the line
(page views, a configuration, an expert chat, a store appointment) and calls to the
contact center; on the day itself the purchase, in the journey's channel (mostly the
preferred one): a web order, a web order from the newsletter, or a receipt in the
person's store, often after researching online.

Each decision day draws its journeys from its own stream (clock.Day.rng), so the
touches of any day can be computed again on any later run: `--days 1` needs no carry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from c360.local.simulator.behaviour import EMAIL, PHONE, STORE, WEB, Behaviour
from c360.local.simulator.clock import WEEKDAY_FACTOR, Day
from c360.local.simulator.config import SimulationConfig

JOURNEY_STREAM = 7
CONVERSION = 0.5          # journeys that end in a purchase
LOYALTY = 0.8             # journeys in the preferred channel
HORIZON = 28              # days of research at most before a decision
# Per line, in PRODUCT_LINES' order.
# The time of year, January first: gifts and deals at the year's end; solar before
# summer; heat pumps before the heating season; service when things break, in winter.
LINE_MONTHS = np.array([
    (0.9, 0.8, 0.9, 0.9, 0.9, 0.8, 0.8, 0.9, 0.9, 1.0, 1.4, 1.6),
    (0.8, 0.7, 0.8, 0.8, 0.8, 0.7, 0.7, 0.8, 0.9, 1.0, 1.6, 1.9),
    (0.6, 0.8, 1.3, 1.7, 1.7, 1.4, 1.0, 0.9, 0.9, 0.7, 0.5, 0.5),
    (1.1, 1.0, 0.9, 0.8, 0.6, 0.5, 0.5, 0.8, 1.3, 1.6, 1.5, 1.0),
    (1.4, 1.2, 1.0, 0.8, 0.7, 0.7, 0.7, 0.8, 1.0, 1.2, 1.3, 1.3),
])
LINE_MONTHS = LINE_MONTHS / LINE_MONTHS.mean(axis=1, keepdims=True)
LEAD_DAYS = np.array([4.0, 5.0, 18.0, 21.0, 2.0])           # mean research days
CONFIGURE = np.array([0.15, 0.4, 0.6, 0.6, 0.02])          # a configuration in the research
CHAT = np.array([0.05, 0.08, 0.2, 0.25, 0.1])             # an expert chat in the research
APPOINTMENT = np.array([0.1, 0.1, 0.5, 0.6, 0.2])         # store buyers who book a visit
# Research sessions per journey, by channel (CHANNELS' order): phone people look little.
SESSIONS = np.array([0.8, 1.3, 1.0, 0.3])
CALLS_PHONE = 0.85        # advice calls of a journey in the phone channel
CALLS_OTHER = 0.02        # and of any other
WEEKDAY_MEAN = float(np.mean(WEEKDAY_FACTOR))

TOUCH_COLUMNS = ("day", "person", "line", "kind", "configure", "chat", "appointment",
                 "newsletter", "store", "visit_day")
SESSION, ORDER, CALL, RECEIPT = range(4)


@dataclass
class Touches:
    """One day's planned touches: web sessions (ORDER ones end in an order), calls
    (`chat` True for a chat or e-mail rather than a call) and store receipts."""

    frame: pd.DataFrame

    def of(self, *kinds: int) -> pd.DataFrame:
        return self.frame[self.frame["kind"].isin(kinds)].reset_index(drop=True)


class Journeys:
    """The touches of each day, from the journeys decided on the days around it."""

    def __init__(self, behaviour: Behaviour, persons: pd.DataFrame, seed: int, start: date,
                 cfg: SimulationConfig) -> None:
        self.behaviour, self.seed, self.start, self.cfg = behaviour, seed, start, cfg
        self.country = persons["country"].to_numpy()
        self.in_cc = persons["in_contact_center"].to_numpy()
        self.open = {(c, sunday): [s.code for s in cfg.stores
                                   if s.country == c and (s.open_on_sunday or not sunday)]
                     for c in ("NL", "BE") for sunday in (False, True)}
        self._decided: dict[int, pd.DataFrame] = {}

    def touches(self, day_index: int) -> Touches:
        # A decision's research lies before it, and a receipt on a day with the stores
        # closed comes the day after.
        wanted = range(max(day_index - 1, 0), day_index + HORIZON)
        self._decided = {k: v for k, v in self._decided.items() if k in wanted}
        for k in wanted:
            if k not in self._decided:
                self._decided[k] = self._decide(k)
        every = pd.concat([self._decided[k] for k in wanted], ignore_index=True)
        return Touches(every[every["day"] == day_index].reset_index(drop=True))

    def _decide(self, k: int) -> pd.DataFrame:
        day = Day.of(self.start, k, self.seed)
        rng = day.rng(JOURNEY_STREAM)
        b = self.behaviour
        season = LINE_MONTHS[:, day.date.month - 1] * WEEKDAY_FACTOR[day.date.weekday()] / WEEKDAY_MEAN
        rate = b.interest * season * self.cfg.purchase_scale / 30 / CONVERSION
        person, line = np.nonzero(rng.random(rate.shape) < rate)
        m = len(person)
        u = rng.random((m, 5))
        converts = u[:, 0] < CONVERSION
        other = np.argmax(b.usable[person] * rng.random((m, b.usable.shape[1])), axis=1)
        channel = np.where(u[:, 1] < LOYALTY, b.channel[person, line], other)
        lead = np.minimum(1 + np.floor(rng.exponential(LEAD_DAYS[line])), HORIZON - 1).astype(int)
        store, visit_day = self._store_visit(person, day)

        # Research sessions, on days before the decision.
        n_sessions = np.where(b.usable[person, WEB], rng.poisson(SESSIONS[channel]), 0)
        j = np.repeat(np.arange(m), n_sessions)
        first = np.r_[True, j[1:] != j[:-1]] if len(j) else np.zeros(0, bool)
        buys_in_store = converts & ((channel == STORE) | (channel == PHONE))
        sessions = self._rows(
            j, k - 1 - np.floor(rng.random(len(j)) * lead[j]).astype(int), person, line, SESSION,
            configure=first & (u[j, 2] < CONFIGURE[line[j]]),
            chat=first & (u[j, 3] < CHAT[line[j]]),
            appointment=first & buys_in_store[j] & (u[j, 4] < APPOINTMENT[line[j]]),
            newsletter=channel[j] == EMAIL, store=store, visit_day=visit_day)
        # The purchase.
        online = np.flatnonzero(converts & ((channel == WEB) | (channel == EMAIL)))
        orders = self._rows(online, np.full(len(online), k), person, line, ORDER,
                            newsletter=channel[online] == EMAIL, store=store, visit_day=visit_day)
        offline = np.flatnonzero(buys_in_store)
        receipts = self._rows(offline, visit_day[offline], person, line, RECEIPT, store=store,
                              visit_day=visit_day)
        # Calls for advice: the phone channel's way of researching, now and then anyone's.
        calls_wanted = rng.poisson(np.where(channel == PHONE, CALLS_PHONE, CALLS_OTHER)
                                   ) * self.in_cc[person]
        c = np.repeat(np.arange(m), calls_wanted)
        calls = self._rows(c, k - 1 - np.floor(rng.random(len(c)) * lead[c]).astype(int), person,
                           line, CALL, chat=(channel[c] != PHONE) & (rng.random(len(c)) < 0.7),
                           store=store, visit_day=visit_day)
        return pd.concat([sessions, orders, receipts, calls], ignore_index=True)

    def _store_visit(self, person: np.ndarray, day: Day) -> tuple[np.ndarray, np.ndarray]:
        """The store a purchase of the day happens in, and the day: the person's own store,
        else one open that day in their country, else their own the day after."""
        store = self.behaviour.home_store[person].copy()
        visit_day = np.full(len(person), day.index)
        for country in ("NL", "BE"):
            open_codes = self.open[(country, day.is_sunday)]
            closed = (self.country[person] == country) & ~np.isin(store, open_codes)
            if open_codes:
                store[closed] = open_codes[0]
            else:
                visit_day[closed] += 1
        return store, visit_day

    @staticmethod
    def _rows(j: np.ndarray, days: np.ndarray, person: np.ndarray, line: np.ndarray, kind: int,
              store: np.ndarray, visit_day: np.ndarray, configure: np.ndarray | bool = False,
              chat: np.ndarray | bool = False, appointment: np.ndarray | bool = False,
              newsletter: np.ndarray | bool = False) -> pd.DataFrame:
        n = len(j)
        return pd.DataFrame({
            "day": days.astype(np.int64), "person": person[j].astype(np.int64),
            "line": line[j].astype(np.int64), "kind": np.full(n, kind),
            "configure": np.broadcast_to(configure, n), "chat": np.broadcast_to(chat, n),
            "appointment": np.broadcast_to(appointment, n),
            "newsletter": np.broadcast_to(newsletter, n),
            "store": store[j], "visit_day": visit_day[j].astype(np.int64),
        }, columns=list(TOUCH_COLUMNS))
