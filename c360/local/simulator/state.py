"""What a simulation remembers between runs, so `--days 1` writes the next night.

The state lives outside the landing zone (beside truth/): the seed and size,
the days already written, the population, and what carries over from one day
to the next (open invoices, late web events, open contact-center matters,
newsletter subscriptions, ...). Each day's random draws
come from its own stream (clock.Day.rng), so simulating 30 days at once or
1 + 29 days gives the same files, rows and truth.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from c360.local.simulator.config import SimulationConfig
from c360.local.simulator.population import Population

STATE_VERSION = 2  # since the population holds its behaviour and no store visits are carried


@dataclass
class Carry:
    """Everything that one day hands to the next."""

    open_invoices: pd.DataFrame
    late_web_lines: list[tuple[bytes, int]]  # held back to the next day, with their cookie
    open_matters: pd.DataFrame          # person, day, reason
    subscribed: np.ndarray              # per person: on the newsletter list
    web_account: np.ndarray             # per person: has a web login
    identified_cookies: np.ndarray      # per cookie: already typed traits or logged in
    card_opt_in: np.ndarray             # per card: current marketing opt-in

    @classmethod
    def initial(cls, population: Population) -> Carry:
        persons = population.persons
        return cls(
            open_invoices=pd.DataFrame(columns=["invoice_id", "account_id", "due_day", "pay_day",
                                                "amount", "method"]),
            late_web_lines=[],
            open_matters=pd.DataFrame({"person": pd.Series(dtype=np.int64),
                                       "day": pd.Series(dtype=np.int64),
                                       "reason": pd.Series(dtype=object)}),
            subscribed=persons["subscribed_at_start"].to_numpy().copy(),
            web_account=persons["web_account_at_start"].to_numpy().copy(),
            identified_cookies=np.zeros(len(population.cookies), dtype=bool),
            card_opt_in=population.cards["opt_in"].to_numpy().copy(),
        )


@dataclass
class SimulationState:
    seed: int
    people: int
    start: date
    config: SimulationConfig
    days_written: int = 0
    truth_bytes: int = 0          # size of truth/identities.csv after the last complete day
    rows: dict[str, int] = field(default_factory=dict)  # totals per output, for the summary

    def to_json(self) -> str:
        return json.dumps({
            "version": STATE_VERSION, "seed": self.seed, "people": self.people,
            "start": self.start.isoformat(), "days_written": self.days_written,
            "truth_bytes": self.truth_bytes, "rows": self.rows, "config": self.config.to_dict(),
        }, indent=2)

    @classmethod
    def from_json(cls, text: str) -> SimulationState:
        data = json.loads(text)
        if data.get("version") != STATE_VERSION:
            raise StateError(f"simulation state version {data.get('version')} is not "
                             f"{STATE_VERSION}; start a new simulation with --reset")
        return cls(seed=data["seed"], people=data["people"],
                   start=date.fromisoformat(data["start"]),
                   config=SimulationConfig.from_dict(data["config"]),
                   days_written=data["days_written"], truth_bytes=data["truth_bytes"],
                   rows=data["rows"])


class StateError(RuntimeError):
    """The saved simulation does not fit what was asked; the message says why."""


class StateStore:
    """The state folder: state.json, population.pkl, carry-<days written>.pkl."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @property
    def state_file(self) -> Path:
        return self.folder / "state.json"

    def exists(self) -> bool:
        return self.state_file.exists()

    def load(self) -> tuple[SimulationState, Population, Carry]:
        try:
            state = SimulationState.from_json(self.state_file.read_text())
            with (self.folder / "population.pkl").open("rb") as f:
                population = pickle.load(f)
            with self._carry_file(state.days_written).open("rb") as f:
                carry = pickle.load(f)
        except (OSError, ValueError, KeyError, pickle.UnpicklingError) as exc:
            raise StateError(f"cannot read the simulation state in {self.folder}: {exc}; "
                             "start a new simulation with --reset") from exc
        return state, population, carry

    def save_population(self, population: Population) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._write(self.folder / "population.pkl", population)

    def _carry_file(self, days_written: int) -> Path:
        return self.folder / f"carry-{days_written}.pkl"

    def save_day(self, state: SimulationState, carry: Carry) -> None:
        """Carry first, then state.json, which names the carry of the last complete day;
        a run that stops in between leaves the previous day's state intact."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._write(self._carry_file(state.days_written), carry)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(state.to_json())
        tmp.replace(self.state_file)
        for old in self.folder.glob("carry-*.pkl"):
            if old != self._carry_file(state.days_written):
                old.unlink()

    @staticmethod
    def _write(path: Path, value: object) -> None:
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
