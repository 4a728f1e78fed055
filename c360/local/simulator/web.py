"""One day of web event logs: `web/YYYY-MM-DD/events-HH.jsonl.gz`.

Visitors browse anonymously on one of their cookies, sometimes log in, sign up
for the newsletter, register for a webinar, chat with an expert or configure a
product. A person on a purchase journey (journeys.py) researches its product
line: page views, a configuration, an expert chat, a store appointment, and the
online order, arriving from the newsletter when that is how they buy. Delivery
is at least once and a little late: some events are written twice, some only in
the next day's files.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import orjson
import pandas as pd

from c360.local.simulator.clock import WEB_HOURS, Day, iso_utc, poisson, utc64
from c360.local.simulator.config import PRODUCT_LINES, SimulationConfig
from c360.local.simulator.files import day_folder, mark_complete
from c360.local.simulator.ids import uuids
from c360.local.simulator.journeys import ORDER, SESSION, Touches
from c360.local.simulator.population import Population
from c360.local.simulator.state import Carry
from c360.local.simulator.truth import truth_rows
from c360.local.simulator.typed import SELF, typed_identity

SITES = {"NL": "https://www.voltwerk.nl", "BE": "https://www.voltwerk.be"}
REFERRERS = (None, "https://www.google.com/", "https://www.bing.com/", "https://www.facebook.com/",
             "https://duckduckgo.com/")
UTMS = (None, {"source": "newsletter", "medium": "email", "campaign": "weekly"},
        {"source": "google", "medium": "cpc", "campaign": "winter-deals"},
        {"source": "facebook", "medium": "social", "campaign": "heat-pump-webinar"})
NEWSLETTER_LISTS = ("weekly", "offers")
WEBINAR_TOPICS = ("Zonnepanelen in de winter", "Warmtepomp of hybride?", "Slim wonen in 30 minuten")
CHAT_TOPICS = ("subsidie", "installatie", "offerte", "levertijd")
TRAIT_KEYS = {
    "login": ("email",),
    "newsletter_signup": ("email",),
    "account_created": ("email", "first_name", "last_name"),
    "webinar_registration": ("email", "first_name", "last_name"),
    "expert_chat": ("email",),
    "appointment_booked": ("first_name", "last_name", "phone", "email", "postal_code"),
    "order_completed": ("email", "first_name", "last_name", "postal_code"),
}
# A web account's e-mail is the person's own, exactly: sign-up confirms it through a link sent
# there, and logging in means typing it. So these events carry it without typos or household
# addresses.
ACCOUNT_EVENTS = ("login", "account_created")
# Chance per session of each step, for a visitor known to the population; a journey's
# configurations, chats, appointments and orders come on top.
STEP_RATES = {"login": 0.4, "account_created": 0.04, "newsletter_signup": 0.05,
              "newsletter_unsubscribe": 0.015, "webinar_registration": 0.02,
              "expert_chat": 0.01, "product_configured": 0.03}
NEWSLETTER_UTM = UTMS[1]
NO_PLAN = -1


def _page(path: str, title: str) -> tuple[str, dict]:
    return "page_view", {"path": path, "title": title}


class SessionWriter:
    """Turns one session's draws into its events, in order."""

    def __init__(self, day: Day, population: Population, carry: Carry, cfg: SimulationConfig,
                 rng: np.random.Generator) -> None:
        self.day, self.population, self.carry, self.cfg, self.rng = day, population, carry, cfg, rng
        self.orders = 0

    def events(self, person: int, u: np.ndarray, plan: tuple) -> list[tuple[str, dict, bool]]:
        """(event_type, properties, logged_in) for one session; person -1 is unknown.
        `plan` is the session's journey touch (line, kind, configure, chat, appointment,
        store, visit_day), its line NO_PLAN for a visit without one."""
        planned, kind, configure, chat, appointment, store, visit_day = plan
        line = PRODUCT_LINES[planned if planned != NO_PLAN else int(u[0] * len(PRODUCT_LINES))]
        out: list[tuple[str, dict, bool]] = []
        logged_in = False

        def add(event: tuple[str, dict]) -> None:
            out.append((event[0], event[1], logged_in))

        add(_page("/", "Voltwerk — duurzaam wonen"))
        pages = int(u[1] * 5) + (planned != NO_PLAN)  # on a journey, at least the line's page
        for k in range(pages):
            add(_page(f"/producten/{line}" + ("" if k == 0 else f"/{int(u[2] * 900) + k}"),
                      f"{line.replace('_', ' ').title()} | Voltwerk"))
        if person < 0:
            if u[3] < STEP_RATES["product_configured"]:
                add(self._configured(line, u))
            return out
        has_account = bool(self.carry.web_account[person])
        if has_account and u[4] < STEP_RATES["login"] * (2 if kind == ORDER else 1):
            logged_in = True
            add(("login", {}))
        elif not has_account and u[4] < STEP_RATES["account_created"]:
            self.carry.web_account[person] = True
            logged_in = True
            add(("account_created", {}))
        subscribed = bool(self.carry.subscribed[person])
        if not subscribed and u[5] < STEP_RATES["newsletter_signup"]:
            self.carry.subscribed[person] = True
            add(("newsletter_signup", {"list": NEWSLETTER_LISTS[int(u[6] * 2)]}))
        elif subscribed and u[5] < STEP_RATES["newsletter_unsubscribe"]:
            self.carry.subscribed[person] = False
            add(("newsletter_unsubscribe", {"list": NEWSLETTER_LISTS[int(u[6] * 2)]}))
        if u[7] < STEP_RATES["webinar_registration"]:
            topic = WEBINAR_TOPICS[int(u[8] * len(WEBINAR_TOPICS))]
            add(("webinar_registration",
                 {"webinar_id": f"WB-{self.day.date:%Y}-{int(u[8] * 40):02d}", "topic": topic}))
        if chat or u[9] < STEP_RATES["expert_chat"]:
            add(("expert_chat", {"topic": CHAT_TOPICS[int(u[10] * len(CHAT_TOPICS))],
                                 "duration_seconds": int(60 + u[10] * 1500)}))
        if configure or u[11] < STEP_RATES["product_configured"]:
            add(self._configured(line, u))
        if appointment:
            add(self._appointment(line, store, visit_day, u))
        if kind == ORDER:
            self.orders += 1
            add(("order_completed", {
                "order_id": f"WO-{self.day.date:%Y%m%d}-{self.orders:06d}",
                "revenue": round(float(20 + u[14] * 1500), 2), "currency": "EUR",
                "product_line": line}))
        if u[15] < self.cfg.unknown_event_rate * 10:
            add(("video_played", {"video_id": f"VID-{int(u[15] * 1e6) % 500:03d}"}))
        return out

    @staticmethod
    def _configured(line: str, u: np.ndarray) -> tuple[str, dict]:
        return "product_configured", {"product_line": line,
                                      "configuration_id": f"CFG-{int(u[14] * 1e9):09d}",
                                      "price": round(float(500 + u[2] * 12000), 2)}

    def _appointment(self, line: str, store: str, visit_day: int, u: np.ndarray
                     ) -> tuple[str, dict]:
        when = (pd.Timestamp(self.day.date) + pd.Timedelta(days=visit_day - self.day.index,
                                                           hours=10 + int(u[6] * 7)))
        return "appointment_booked", {
            "store_code": store, "product_line": line,
            "appointment_at": when.tz_localize("Europe/Amsterdam").isoformat()}


def _sessions(day: Day, population: Population, cfg: SimulationConfig, touches: Touches,
              rng: np.random.Generator) -> pd.DataFrame:
    """Visits without a plan, the journeys' sessions, then anonymous visits."""
    persons, cookies = population.persons, population.cookies
    pool = np.flatnonzero(persons["in_web"].to_numpy())
    weights = persons["activity"].to_numpy()[pool]
    n_browsing = poisson(rng, cfg.web_session_rate * len(pool) * day.season)
    planned = touches.of(SESSION, ORDER)
    person = np.concatenate([pool[rng.choice(len(pool), n_browsing, p=weights / weights.sum())],
                             planned["person"].to_numpy()])
    n_known = len(person)
    first_cookie = np.searchsorted(cookies["person"].to_numpy(), person)
    cookie_count = np.searchsorted(cookies["person"].to_numpy(), person, side="right") - first_cookie
    cookie = first_cookie + (rng.random(n_known) * cookie_count).astype(np.int64)
    n_anonymous = poisson(rng, cfg.anonymous_session_rate * len(persons) * day.season)
    n = n_known + n_anonymous
    unplanned = n - len(planned)

    def plan(column: str, default: object) -> np.ndarray:
        values = planned[column].to_numpy()
        fill = np.full(unplanned, default, dtype=values.dtype if default is not None else object)
        return np.concatenate([fill[:n_browsing], values, fill[n_browsing:]])

    return pd.DataFrame({
        "person": np.concatenate([person, np.full(n_anonymous, -1)]),
        "cookie": np.concatenate([cookie, np.full(n_anonymous, -1)]),
        "anonymous_id": pd.concat([cookies["anonymous_id"].iloc[cookie],
                                   uuids(rng, n_anonymous)], ignore_index=True),
        "country": np.concatenate([persons["country"].to_numpy()[person],
                                   rng.choice(["NL", "BE"], n_anonymous, p=[0.7, 0.3])]),
        "session_id": uuids(rng, n),
        "start": day.local_times(rng, n, WEB_HOURS),
        "line": plan("line", NO_PLAN), "kind": plan("kind", NO_PLAN),
        "configure": plan("configure", False), "chat": plan("chat", False),
        "appointment": plan("appointment", False), "store": plan("store", None),
        "visit_day": plan("visit_day", NO_PLAN), "newsletter": plan("newsletter", False),
    })


def _traits(events: pd.DataFrame, population: Population, cfg: SimulationConfig,
            rng: np.random.Generator) -> list[dict | None]:
    """What visitors typed on the events that ask for it; None where nothing was typed."""
    keys = events["event_type"].map(TRAIT_KEYS)
    asks = (keys.notna() & (events["person"] >= 0)).to_numpy()
    asks = asks & ~((events["event_type"] == "order_completed") & events["logged_in"]).to_numpy()
    asks = asks & ~((events["event_type"] == "expert_chat") & (rng.random(len(events)) < 0.5)
                    ).to_numpy()
    out: list[dict | None] = [None] * len(events)
    rows = np.flatnonzero(asks)
    if not len(rows):
        return out
    typed = typed_identity(population.persons.iloc[events["person"].to_numpy()[rows]], cfg, SELF,
                           rng)
    blanks = rng.random((len(rows), 5)) < cfg.missing_rate
    account = events["event_type"].iloc[rows].isin(ACCOUNT_EVENTS).to_numpy()
    typed.loc[account, "email"] = population.persons["email"].to_numpy()[
        events["person"].to_numpy()[rows][account]]
    records = typed.to_dict("records")
    for i, (row, record) in enumerate(zip(rows, records, strict=True)):
        wanted = keys.iloc[row]
        traits = {k: record[k] for j, k in enumerate(wanted)
                  if record[k] is not None and not (blanks[i, j] and j > 0)}
        out[row] = traits or None
    return out


def _lines(events: pd.DataFrame, traits: list[dict | None], population: Population
           ) -> list[bytes]:
    user_ids = population.persons["user_id"].to_numpy()
    lines = []
    for row, trait in zip(events.itertuples(index=False), traits, strict=True):
        props = row.properties
        record = {
            "event_id": row.event_id, "event_type": row.event_type,
            "occurred_at": row.occurred_at, "anonymous_id": row.anonymous_id,
            "user_id": user_ids[row.person] if row.logged_in else None,
            "session_id": row.session_id,
            "page_url": SITES[row.country] + props.get("path", "/" + row.event_type.replace("_", "-")),
            "referrer": row.referrer if row.first else SITES[row.country] + "/",
            "utm": row.utm if row.first else None,
        }
        if trait:
            record["traits"] = trait
        record["properties"] = props
        lines.append(orjson.dumps(record))
    return lines


def _write_files(folder: Path, lines: list[bytes], hours: np.ndarray) -> None:
    for hour in np.unique(hours):
        chosen = [lines[i] for i in np.flatnonzero(hours == hour)]
        data = b"\n".join(chosen) + b"\n"
        (folder / f"events-{hour:02d}.jsonl.gz").write_bytes(gzip.compress(data, mtime=0))


def simulate_web(day: Day, population: Population, carry: Carry, cfg: SimulationConfig,
                 touches: Touches, landing: Path) -> tuple[int, pd.DataFrame]:
    """Write the day's event files; returns the lines written and the truth rows."""
    rng = day.rng(3)
    sessions = _sessions(day, population, cfg, touches, rng)
    writer = SessionWriter(day, population, carry, cfg, rng)
    draws = rng.random((len(sessions), 16))
    plans = zip(*(sessions[c].to_numpy() for c in ("line", "kind", "configure", "chat",
                                                   "appointment", "store", "visit_day")), strict=True)
    rows = []
    for s, (person, plan) in enumerate(zip(sessions["person"].to_numpy(), plans, strict=True)):
        for k, (event_type, props, logged_in) in enumerate(writer.events(person, draws[s], plan)):
            rows.append((s, k, event_type, props, logged_in))
    events = pd.DataFrame(rows, columns=["session", "step", "event_type", "properties",
                                         "logged_in"])
    session = sessions.iloc[events["session"].to_numpy()].reset_index(drop=True)
    events = pd.concat([events, session], axis=1)
    gap = pd.to_timedelta(events["step"] * 40 + rng.integers(0, 40, len(events)), unit="s")
    day_end = (pd.Timestamp(day.date) + pd.Timedelta(days=1)).tz_localize("Europe/Amsterdam")
    moment = (events["start"] + gap).clip(upper=day_end - pd.Timedelta(milliseconds=1))
    events["occurred_at"] = iso_utc(utc64(moment))
    events["event_id"] = uuids(rng, len(events)).to_numpy()
    events["first"] = events["step"] == 0
    referrer = rng.choice(np.array(REFERRERS, dtype=object), len(events))
    utm = rng.choice(np.array(UTMS, dtype=object), len(events))
    # Who buys from the newsletter comes to the site through its links.
    from_newsletter = events["newsletter"].to_numpy(dtype=bool)
    referrer[from_newsletter] = None
    utm[from_newsletter] = NEWSLETTER_UTM
    events["referrer"], events["utm"] = referrer, utm
    traits = _traits(events, population, cfg, rng)
    lines = _lines(events, traits, population)

    # The cookie each line identifies (-1 when it carries no traits and no login): a cookie
    # enters the truth on the day its first identifying line is delivered, late or not.
    identifying = pd.Series([t is not None for t in traits]) | events["logged_in"]
    line_cookie = np.where(identifying.to_numpy(), events["cookie"].to_numpy(), -1)
    hours = pd.DatetimeIndex(moment).hour.to_numpy()
    late = rng.random(len(lines)) < cfg.late_event_rate
    keep = np.flatnonzero(~late)
    held_lines = [line for line, _ in carry.late_web_lines]
    held_cookies = [cookie for _, cookie in carry.late_web_lines]
    todays = [lines[i] for i in keep] + list(held_lines)
    todays_cookies = np.concatenate([line_cookie[keep], np.array(held_cookies, dtype=np.int64)])
    todays_hours = np.concatenate([hours[keep], rng.integers(0, 6, len(held_lines))])
    carry.late_web_lines = [(lines[i], int(line_cookie[i])) for i in np.flatnonzero(late)]
    twice = np.flatnonzero(rng.random(len(todays)) < cfg.duplicate_event_rate)
    again_hour = np.minimum(todays_hours[twice] + rng.integers(0, 2, len(twice)), 23)
    folder = day_folder(landing, "web", day.date)
    _write_files(folder, todays + [todays[i] for i in twice],
                 np.concatenate([todays_hours, again_hour]).astype(int))
    mark_complete(folder)

    cookie = np.unique(todays_cookies[todays_cookies >= 0])
    cookie = cookie[~carry.identified_cookies[cookie]]
    carry.identified_cookies[cookie] = True
    owners = population.cookies["person"].to_numpy()[cookie]
    return len(todays) + len(twice), truth_rows(
        "web", population.cookies["anonymous_id"].iloc[cookie],
        pd.Series(population.persons["person_id"].to_numpy()[owners]))
