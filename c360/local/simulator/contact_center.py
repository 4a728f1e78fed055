"""One day of the contact center's export: `contact_center/YYYY-MM-DD/interactions.csv`.

Callers are persons (mostly billing customers) and a share of unknown callers;
persons on a purchase journey (journeys.py) ask for advice about it.
Agents type what they hear: an account id in any form, a card number, the
name as 'First Last' or 'Last, First', a phone number as captured. A matter
that is not resolved comes back on a later day, without first-contact
resolution.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from c360.ingest.contracts import dataset
from c360.local.simulator import mess
from c360.local.simulator.clock import OFFICE_HOURS, Day, local_text, poisson
from c360.local.simulator.config import SimulationConfig
from c360.local.simulator.files import CONTACT_CENTER, Dialect, day_folder, mark_complete, write_csv
from c360.local.simulator.journeys import CALL, Touches
from c360.local.simulator.population import Population
from c360.local.simulator.state import Carry
from c360.local.simulator.truth import truth_rows
from c360.local.simulator.typed import AGENT, typed_identity

INTERACTIONS = dataset("contact_center", "interactions")
COLUMNS = list(INTERACTIONS.column_names)
# Weights in the contract's order of the values; most advice is asked on a journey.
REASONS = INTERACTIONS.values("reason")
REASON_WEIGHTS = (0.3, 0.14, 0.06, 0.12, 0.17, 0.07, 0.14)
CHANNELS = INTERACTIONS.values("channel")
AGENTS = 80
NO_PERSON = -1


def _callers(day: Day, population: Population, carry: Carry, cfg: SimulationConfig,
             touches: Touches, rng: np.random.Generator) -> pd.DataFrame:
    """Who contacts the center today, why, and by which channel (None: any)."""
    persons = population.persons
    pool = np.flatnonzero(persons["in_contact_center"].to_numpy())
    weights = persons["activity"].to_numpy()[pool]
    n = poisson(rng, cfg.contact_rate * len(persons) * day.season)
    person = pool[rng.choice(len(pool), n, p=weights / weights.sum())] if len(pool) else []
    person = np.where(rng.random(n) < cfg.anonymous_contact_rate, NO_PERSON, person)
    new = pd.DataFrame({"person": person.astype(np.int64),
                        "reason": rng.choice(REASONS, n, p=REASON_WEIGHTS), "follow_up": False,
                        "channel": None})
    # Advice before a purchase: a call from who buys by phone, a chat or e-mail from others.
    advice = touches.of(CALL)
    asks = pd.DataFrame({"person": advice["person"].to_numpy(), "reason": "product_info",
                         "follow_up": False,
                         "channel": np.where(advice["chat"].to_numpy(dtype=bool),
                                             rng.choice(["chat", "email"], len(advice)), "phone")})
    due = carry.open_matters[carry.open_matters["day"] == day.index]
    carry.open_matters = carry.open_matters[carry.open_matters["day"] != day.index]
    follow_ups = pd.DataFrame({"person": due["person"].to_numpy(), "reason": due["reason"],
                               "follow_up": True, "channel": None})
    return pd.concat([new, asks, follow_ups], ignore_index=True)


def _customer_refs(callers: pd.DataFrame, population: Population, day_index: int,
                   cfg: SimulationConfig, rng: np.random.Generator) -> pd.Series:
    """An account id as typed, a card number, or nothing."""
    account = population.account_on(day_index, callers["person"])
    card = population.card_on(day_index, callers["person"])
    wants = rng.random(len(callers)) < cfg.customer_ref_rate
    typed_account = mess.account_reference(account.fillna("FA0000000"), rng)
    refs = pd.Series(None, index=callers.index, dtype=object)
    use_card = wants & card.notna().to_numpy() & (account.isna().to_numpy()
                                                   | (rng.random(len(callers)) < 0.3))
    use_account = wants & account.notna().to_numpy() & ~use_card
    refs[use_account] = typed_account[use_account]
    refs[use_card] = card[use_card]
    return refs


def _caller_names(first: pd.Series, last: pd.Series, cfg: SimulationConfig,
                  rng: np.random.Generator) -> pd.Series:
    draw = rng.random(len(first))
    names = first.fillna("") + " " + last.fillna("")
    names[draw < 0.3] = (last.fillna("") + ", " + first.fillna(""))[draw < 0.3]
    names = names.str.strip(" ,")
    quirk = rng.random(len(first))
    rate = cfg.quirky_field_rate
    names[quirk < rate / 3] = (names + ' "terugbellen"')[quirk < rate / 3]
    names[(quirk >= rate / 3) & (quirk < 2 * rate / 3)] = (names + "; via balie")[
        (quirk >= rate / 3) & (quirk < 2 * rate / 3)]
    names[(quirk >= 2 * rate / 3) & (quirk < rate)] = (names + "\nzie ticket")[
        (quirk >= 2 * rate / 3) & (quirk < rate)]
    names[draw > 0.92] = None
    return names.replace("", None)


def _details(callers: pd.DataFrame, channel: np.ndarray, population: Population, day_index: int,
             cfg: SimulationConfig, rng: np.random.Generator) -> pd.DataFrame:
    known = callers["person"].to_numpy() != NO_PERSON
    persons = population.persons.iloc[np.where(known, callers["person"].to_numpy(), 0)]
    typed = typed_identity(persons, cfg, AGENT, rng)
    phone_rate = np.select([channel == "phone", channel == "chat"], [0.7, 0.2], 0.05)
    email_rate = np.select([channel == "email", channel == "chat"], [1.0, 0.5], 0.15)
    details = pd.DataFrame({
        "customer_ref": _customer_refs(callers, population, day_index, cfg, rng),
        "caller_name": _caller_names(typed["first_name"], typed["last_name"], cfg, rng),
        "caller_phone": typed["phone"].where(rng.random(len(callers)) < phone_rate),
        "caller_email": typed["email"].where(rng.random(len(callers)) < email_rate),
    })
    details[~known] = None
    return details


def _outcomes(callers: pd.DataFrame, channel: np.ndarray, cfg: SimulationConfig,
              rng: np.random.Generator) -> pd.DataFrame:
    n = len(callers)
    follow_up = callers["follow_up"].to_numpy()
    resolved = rng.random(n) < np.where(follow_up, 0.9, cfg.resolved_rate)
    handle = np.round(rng.lognormal(np.where(channel == "email", 5.0, 5.7), 0.6, n)).astype(int)
    handle = np.where(rng.random(n) < cfg.fault_rate, -handle, handle)  # wrong but parseable
    wait = np.round(rng.exponential(np.select([channel == "phone", channel == "chat"],
                                              [90, 30], 3600), n)).astype(int)
    happy = rng.choice([3, 4, 5], n, p=[0.2, 0.4, 0.4])
    unhappy = rng.choice([1, 2, 3], n, p=[0.4, 0.4, 0.2])
    csat = pd.Series(np.where(resolved, happy, unhappy).astype(str))
    csat[rng.random(n) >= cfg.csat_response_rate] = None
    return pd.DataFrame({
        "handle_seconds": handle, "wait_seconds": wait,
        "resolved": np.where(resolved, "Y", "N"),
        "first_contact_resolution": np.where(resolved & ~follow_up, "Y", "N"),
        "csat": csat,
    })


def simulate_contact_center(day: Day, population: Population, carry: Carry,
                            cfg: SimulationConfig, touches: Touches, landing: Path
                            ) -> tuple[int, pd.DataFrame]:
    """Write the day's interactions; returns the row count and the truth rows."""
    rng = day.rng(2)
    callers = _callers(day, population, carry, cfg, touches, rng)
    n = len(callers)
    planned = callers.pop("channel").to_numpy()
    channel = np.where(pd.isna(planned), rng.choice(CHANNELS, n, p=[0.6, 0.25, 0.15]), planned)
    started = day.local_times(rng, n, OFFICE_HOURS)
    order = np.argsort(started.asi8, kind="stable")
    callers, channel, started = callers.iloc[order].reset_index(drop=True), channel[order], \
        started[order]
    outcomes = _outcomes(callers, channel, cfg, rng)
    reopen = (outcomes["resolved"] == "N").to_numpy() & (rng.random(n) < 0.7) & (
        callers["person"].to_numpy() != NO_PERSON)
    carry.open_matters = pd.concat([carry.open_matters, pd.DataFrame({
        "person": callers["person"].to_numpy()[reopen],
        "day": day.index + rng.integers(1, 6, int(reopen.sum())),
        "reason": callers["reason"].to_numpy()[reopen]})], ignore_index=True)
    sequence = pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(6)
    frame = pd.concat([pd.DataFrame({
        "interaction_id": f"CC-{day.date:%Y%m%d}-" + sequence,
        "started_at": local_text(started, day_first=True),
        "channel": channel,
        "direction": np.where(callers["follow_up"] & (rng.random(n) < 0.4), "outbound",
                              np.where(rng.random(n) < 0.05, "outbound", "inbound")),
    }), _details(callers, channel, population, day.index, cfg, rng), pd.DataFrame({
        "reason": callers["reason"].to_numpy()}), outcomes], axis=1)
    frame["agent_id"] = "AG" + pd.Series(rng.integers(1, AGENTS + 1, n)).astype(str).str.zfill(3)

    folder = day_folder(landing, "contact_center", day.date)
    bom = bool(rng.random() < cfg.contact_center_bom_rate)
    write_csv(folder / "interactions.csv", frame[COLUMNS],
              Dialect(CONTACT_CENTER.delimiter, CONTACT_CENTER.line_end, bom=bom))
    mark_complete(folder)

    identified = frame[["customer_ref", "caller_name", "caller_phone", "caller_email"]].notna().any(
        axis=1).to_numpy()
    person_ids = population.persons["person_id"].to_numpy()[callers["person"].to_numpy()[identified]]
    return n, truth_rows("contact_center", frame["interaction_id"][identified],
                         pd.Series(person_ids))
