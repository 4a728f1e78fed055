"""What `c360 demo` simulates and runs; its own module so the CLI shows the defaults without
importing the demo's machinery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class DemoPlan:
    # issue 9's demo: 14 nights of 10,000 persons in about 14 minutes on a 2-core machine
    people: int = 10_000
    days: int = 14
    start: date = date(2026, 11, 2)
    seed: int = 360

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days - 1)
