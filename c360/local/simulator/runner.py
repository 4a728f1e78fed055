"""`c360 simulate`: a new simulation, or the next days of an existing one.

Per business day, in order: the file silos' folders (each ends with
`_SUCCESS`), the billing database's changes in one transaction, the truth rows,
then the saved state. A run that stops half-way re-writes that day next time.
A new simulation first writes its hidden behaviour to `truth/interests.csv`.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pandas as pd
import psycopg

from c360.local.simulator.clock import Day
from c360.local.simulator.config import NOISE_PROFILES, SimulationConfig, unknown_profile
from c360.local.simulator.contact_center import simulate_contact_center
from c360.local.simulator.finance import simulate_finance
from c360.local.simulator.finance_db import billing_has_rows, drop_billing, load_finance_day
from c360.local.simulator.journeys import Journeys
from c360.local.simulator.population import Population, build_population
from c360.local.simulator.privacy import simulate_privacy
from c360.local.simulator.state import Carry, SimulationState, StateError, StateStore
from c360.local.simulator.store import catalog, simulate_store
from c360.local.simulator.truth import append_truth, start_truth, write_interests
from c360.local.simulator.web import simulate_web

FILE_SILOS = ("contact_center", "web", "store", "privacy")
STEPS_PER_DAY = 6  # progress steps per business day


@dataclass(frozen=True)
class Target:
    """Where a simulation writes."""

    landing_dir: Path
    truth_dir: Path
    state_dir: Path
    finance_dsn: str


@dataclass(frozen=True)
class Request:
    days: int
    people: int | None = None
    start: date | None = None
    seed: int | None = None
    reset: bool = False
    config: SimulationConfig | None = None
    noise: str | None = None  # "default" or "real" for a new simulation; None keeps the config's


@dataclass
class Summary:
    first_day: date
    last_day: date
    persons: int
    households: int
    rows: dict[str, int]       # rows written by this run, per output
    seconds: float
    noise: str = "default"     # the simulation's noise profile


Progress = Callable[[str], None]


def reset_target(target: Target) -> None:
    for silo in FILE_SILOS:
        shutil.rmtree(target.landing_dir / silo, ignore_errors=True)
    shutil.rmtree(target.truth_dir, ignore_errors=True)
    shutil.rmtree(target.state_dir, ignore_errors=True)
    with psycopg.connect(target.finance_dsn) as conn:
        drop_billing(conn)


def _check_empty(target: Target) -> None:
    used = [s for s in FILE_SILOS if (target.landing_dir / s).exists()
            and any((target.landing_dir / s).iterdir())]
    if used:
        raise StateError(
            f"the landing zone {target.landing_dir} already holds data for {', '.join(used)} "
            "but no simulation state was found; pass --reset to start a new simulation there")
    with psycopg.connect(target.finance_dsn) as conn:
        if billing_has_rows(conn):
            raise StateError("the finance database already holds billing data but no "
                             "simulation state was found; pass --reset to replace it")


def _new_simulation(request: Request, target: Target, store: StateStore,
                    progress: Progress) -> tuple[SimulationState, Population, Carry]:
    missing = [name for name, value in (("--people", request.people), ("--start", request.start),
                                        ("--seed", request.seed)) if value is None]
    if missing:
        raise StateError(f"a new simulation needs {', '.join(missing)}")
    _check_empty(target)
    config = request.config or SimulationConfig()
    if request.noise is not None:
        config = replace(config, noise=request.noise)
    progress("population")
    population = build_population(request.people, request.seed, request.start, config)
    store.save_population(population)
    write_interests(target.truth_dir, population.behaviour.truth(population.persons["person_id"]))
    state = SimulationState(seed=request.seed, people=request.people, start=request.start,
                            config=config, truth_bytes=start_truth(target.truth_dir))
    return state, population, Carry.initial(population)


def _existing_simulation(request: Request, store: StateStore
                         ) -> tuple[SimulationState, Population, Carry]:
    state, population, carry = store.load()
    asked = {"--people": (request.people, state.people), "--start": (request.start, state.start),
             "--seed": (request.seed, state.seed)}
    differ = [f"{name} {given} (it has {kept})" for name, (given, kept) in asked.items()
              if given is not None and given != kept]
    if differ:
        raise StateError("an existing simulation continues with its own settings, but "
                         f"{'; '.join(differ)} was given; pass --reset to start a new one")
    if request.noise is not None and request.noise != state.config.noise:
        raise StateError(f"an existing simulation continues with its noise profile "
                         f"{state.config.noise!r}, but --noise {request.noise} was given; "
                         "pass --reset to start a new one")
    if request.config is not None and request.config != state.config:
        raise StateError("an existing simulation continues with the rates it started with; "
                         "pass --reset to use other rates")
    return state, population, carry


def simulate(request: Request, target: Target, progress: Progress = lambda step: None
             ) -> Summary:
    """Write the next `request.days` business days (the first ones for a new simulation)."""
    if request.days < 1:
        raise StateError(f"--days must be at least 1, got {request.days}")
    if request.people is not None and request.people < 10:
        raise StateError(f"--people must be at least 10, got {request.people}")
    if request.noise is not None and request.noise not in NOISE_PROFILES:
        raise StateError(f"--noise: {unknown_profile(request.noise)}")
    began = time.monotonic()
    if request.reset:
        reset_target(target)
    store = StateStore(target.state_dir)
    if store.exists():
        state, population, carry = _existing_simulation(request, store)
    else:
        state, population, carry = _new_simulation(request, target, store, progress)
    cfg = state.config
    items = catalog(state.seed)
    journeys = Journeys(population.behaviour, population.persons, state.seed, state.start, cfg)
    rows: dict[str, int] = {}
    first = state.days_written
    for index in range(first, first + request.days):
        day = Day.of(state.start, index, state.seed)
        counts, truth = _simulate_day(day, population, carry, cfg, target, items, journeys,
                                      progress)
        progress(f"{day.date} truth")
        state.truth_bytes = append_truth(target.truth_dir, truth, state.truth_bytes)
        counts["truth identities"] = len(truth)
        state.days_written = index + 1
        for key, count in counts.items():
            rows[key] = rows.get(key, 0) + count
            state.rows[key] = state.rows.get(key, 0) + count
        store.save_day(state, carry)
    persons = population.persons
    return Summary(
        first_day=Day.of(state.start, first, state.seed).date,
        last_day=Day.of(state.start, state.days_written - 1, state.seed).date,
        persons=len(persons),
        households=int((persons["household"].value_counts() > 1).sum()),
        rows=rows,
        seconds=time.monotonic() - began,
        noise=cfg.noise,
    )


def _simulate_day(day: Day, population: Population, carry: Carry, cfg: SimulationConfig,
                  target: Target, items: pd.DataFrame, journeys: Journeys, progress: Progress
                  ) -> tuple[dict[str, int], pd.DataFrame]:
    """Write one business day everywhere; returns the rows per output and the truth rows."""
    landing = target.landing_dir
    touches = journeys.touches(day.index)
    progress(f"{day.date} contact center")
    interactions, cc_truth = simulate_contact_center(day, population, carry, cfg, touches, landing)
    progress(f"{day.date} web")
    events, web_truth = simulate_web(day, population, carry, cfg, touches, landing)
    progress(f"{day.date} stores")
    pos_lines, members, store_truth = simulate_store(day, population, carry, cfg, touches, landing,
                                                     items)
    progress(f"{day.date} privacy")
    requests = simulate_privacy(day, population, cfg, landing)
    progress(f"{day.date} finance")
    finance = simulate_finance(day, population, carry, cfg)
    load_finance_day(target.finance_dsn, finance)
    counts = {
        "contact_center interactions": interactions,
        "web events": events,
        "store pos lines": pos_lines,
        "store loyalty members": members,
        "privacy requests": requests,
        "finance accounts (new)": len(finance.new_accounts),
        "finance account updates": len(finance.account_updates),
        "finance invoices (new)": len(finance.new_invoices),
        "finance invoice updates": len(finance.invoice_updates),
        "finance payments": len(finance.new_payments),
    }
    truth = pd.concat([finance.truth, store_truth, web_truth, cc_truth], ignore_index=True)
    return counts, truth
