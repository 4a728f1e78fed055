"""One day of the privacy desk: `privacy/YYYY-MM-DD/requests.csv`.

A person asks to be forgotten, to stop marketing and profiling, or to see what
is held, and identifies themselves with whatever they have at hand: an e-mail,
a phone number, an account id, a card number (at least one).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from c360.ingest.contracts import dataset
from c360.local.simulator import mess
from c360.local.simulator.clock import OFFICE_HOURS, Day, poisson
from c360.local.simulator.config import SimulationConfig
from c360.local.simulator.files import PRIVACY, day_folder, mark_complete, write_csv
from c360.local.simulator.population import Population

REQUESTS = dataset("privacy", "requests")
COLUMNS = list(REQUESTS.column_names)
REQUEST_TYPES = REQUESTS.values("request_type")


def _iso_with_offset(moments: pd.DatetimeIndex) -> pd.Series:
    """'2026-11-21T10:15:00+01:00'"""
    text = pd.Series(moments.strftime("%Y-%m-%dT%H:%M:%S%z"), dtype=object)
    return text.str[:-2] + ":" + text.str[-2:]


def requests_of(day: Day, population: Population, cfg: SimulationConfig,
                rng: np.random.Generator) -> pd.DataFrame:
    persons = population.persons
    n = poisson(rng, cfg.privacy_request_rate * len(persons))
    who = rng.choice(len(persons), n, replace=False) if n else np.array([], dtype=np.int64)
    account = population.account_on(day.index, pd.Series(who))
    card = population.card_on(day.index, pd.Series(who))
    give = rng.random((n, 4)) < [0.8, 0.3, 0.4, 0.3]
    email = persons["email"].iloc[who].reset_index(drop=True).where(give[:, 0])
    phone = mess.phone_formats(persons["mobile"].iloc[who].reset_index(drop=True), rng).where(
        give[:, 1])
    account = account.where(give[:, 2])
    card = card.where(give[:, 3])
    nothing = email.isna() & phone.isna() & account.isna() & card.isna()
    email[nothing] = persons["email"].iloc[who].to_numpy()[nothing.to_numpy()]
    moments = day.local_times(rng, n, OFFICE_HOURS)
    order = np.argsort(moments.asi8, kind="stable")
    return pd.DataFrame({
        "request_id": f"PR-{day.date:%Y%m%d}-" + pd.Series(np.arange(1, n + 1)).astype(str)
        .str.zfill(4),
        "received_at": _iso_with_offset(moments[order]),
        "request_type": rng.choice(REQUEST_TYPES, n, p=[0.3, 0.4, 0.3]),
        "email": email.to_numpy()[order], "phone": phone.to_numpy()[order],
        "account_id": account.to_numpy()[order], "card_number": card.to_numpy()[order],
    })


def simulate_privacy(day: Day, population: Population, cfg: SimulationConfig,
                     landing: Path) -> int:
    requests = requests_of(day, population, cfg, day.rng(5))
    folder = day_folder(landing, "privacy", day.date)
    write_csv(folder / "requests.csv", requests[COLUMNS], PRIVACY)
    mark_complete(folder)
    return len(requests)
