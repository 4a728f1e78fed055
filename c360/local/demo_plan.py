"""What `c360 demo` simulates and runs; its own module so the CLI shows the defaults without
importing the demo's machinery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class DemoPlan:
    # two weeks of nights for a population large enough to show merges, segments and drift
    people: int = 10_000
    days: int = 14
    start: date = date(2026, 11, 2)
    seed: int = 360

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days - 1)
