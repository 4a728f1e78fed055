"""Simulated days: their random streams, seasonality and local timestamps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

AMSTERDAM = "Europe/Amsterdam"
BRUSSELS = "Europe/Brussels"

# Busier on Saturdays, a quiet Sunday; December is the peak, summer the dip.
WEEKDAY_FACTOR = (0.9, 0.9, 0.95, 1.0, 1.15, 1.5, 0.5)
MONTH_FACTOR = (0.85, 0.8, 0.9, 0.95, 1.0, 0.9, 0.8, 0.85, 0.95, 1.0, 1.2, 1.6)
# Share of the day's activity per local hour.
SHOP_HOURS = np.array([0] * 9 + [4, 7, 9, 10, 10, 10, 11, 12, 11, 8, 6, 2] + [0] * 3, float)
OFFICE_HOURS = np.array([0] * 8 + [8, 12, 12, 11, 9, 10, 11, 10, 9, 7, 4, 3] + [0] * 4, float)
WEB_HOURS = np.array([1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2, 4, 5, 5, 5, 6, 5, 5, 5, 5, 6, 7,
                      9, 10, 9, 6, 3], float)


@dataclass(frozen=True)
class Day:
    index: int       # 0 is the first simulated business date
    date: date
    seed: int

    @classmethod
    def of(cls, start: date, index: int, seed: int) -> Day:
        return cls(index, start + timedelta(days=index), seed)

    def rng(self, stream: int) -> np.random.Generator:
        """One independent stream per silo and day: a day's data never depends on how many
        days were simulated in one go."""
        return np.random.default_rng(np.random.SeedSequence([self.seed, 100, self.index, stream]))

    @property
    def season(self) -> float:
        return WEEKDAY_FACTOR[self.date.weekday()] * MONTH_FACTOR[self.date.month - 1]

    @property
    def is_sunday(self) -> bool:
        return self.date.weekday() == 6

    def local_times(self, rng: np.random.Generator, n: int, hours: np.ndarray,
                    tz: str = AMSTERDAM) -> pd.DatetimeIndex:
        """`n` random moments of this day in local time `tz`, spread by the hour profile."""
        hour = rng.choice(24, size=n, p=hours / hours.sum())
        offset = hour * 3_600_000 + rng.integers(0, 3_600_000, n)
        naive = pd.Timestamp(self.date) + pd.to_timedelta(offset, unit="ms")
        return pd.DatetimeIndex(naive).tz_localize(
            tz, ambiguous=np.zeros(n, dtype=bool), nonexistent="shift_forward")


def poisson(rng: np.random.Generator, mean: float) -> int:
    return int(rng.poisson(max(mean, 0.0)))


def utc64(moments: pd.DatetimeIndex | pd.Series) -> np.ndarray:
    """Timezone-aware moments as naive UTC datetime64, the cheap form to carry and format."""
    return pd.DatetimeIndex(moments).tz_convert("UTC").tz_localize(None).to_numpy()


def iso_utc(values: np.ndarray, unit: str = "ms") -> np.ndarray:
    """'2026-11-21T09:14:03.123Z' (numpy formats in C; pandas strftime is far slower)."""
    return np.datetime_as_string(values, unit=unit, timezone="UTC")


def local_dates(values: np.ndarray, tz: str = AMSTERDAM) -> np.ndarray:
    """The local calendar date (datetime64[D]) of naive-UTC moments."""
    local = pd.DatetimeIndex(values).tz_localize("UTC").tz_convert(tz).tz_localize(None)
    return local.to_numpy().astype("datetime64[D]")


def compact_dates(dates: np.ndarray) -> pd.Series:
    """'20261121', as ids carry dates."""
    return pd.Series(np.datetime_as_string(dates, unit="D"), dtype=object).str.replace(
        "-", "", regex=False)


def wall_clock_text(local: np.ndarray) -> pd.Series:
    """'YYYY-MM-DD HH:MM:SS' of naive local datetime64 values."""
    return pd.Series(np.datetime_as_string(local, unit="s"), dtype=object).str.replace(
        "T", " ", regex=False)


def local_text(moments: pd.DatetimeIndex, tz: str = AMSTERDAM, day_first: bool = False
               ) -> pd.Series:
    """'YYYY-MM-DD HH:MM:SS' in local time `tz`, or 'DD-MM-YYYY HH:MM:SS' with day_first."""
    text = wall_clock_text(pd.DatetimeIndex(moments).tz_convert(tz).tz_localize(None).to_numpy())
    if day_first:
        text = text.str[8:10] + "-" + text.str[5:7] + "-" + text.str[:4] + text.str[10:]
    return text
