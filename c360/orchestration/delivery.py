"""When a file silo's delivery for a business date is complete, and how long to wait for it.

A silo's folder for date D is complete when it holds `_SUCCESS`
(docs/contracts.md). The ingest DAG waits for it until a deadline: a local
time on D+1 (C360_DELIVERY_DEADLINE, default 06:00 Europe/Amsterdam). The
deadline is absolute, not "so long after the run started", so a backfill of an
old date that never got its `_SUCCESS` does not wait at all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from c360.config import ConfigError
from c360.orchestration.dates import AMSTERDAM

SUCCESS_MARKER = "_SUCCESS"
DEFAULT_DEADLINE = "06:00"
DEFAULT_POKE_SECONDS = 300


def delivery_folder(landing_dir: Path, silo: str, business_date: date) -> Path:
    return landing_dir / silo / business_date.isoformat()


def is_delivered(landing_dir: Path, silo: str, business_date: date) -> bool:
    return (delivery_folder(landing_dir, silo, business_date) / SUCCESS_MARKER).is_file()


@dataclass(frozen=True)
class DeliveryWait:
    """How the `_SUCCESS` sensor waits: its deadline (local time on D+1) and poke interval."""

    deadline: time
    poke_seconds: int

    def deadline_for(self, business_date: date) -> datetime:
        return datetime.combine(business_date + timedelta(days=1), self.deadline, tzinfo=AMSTERDAM)

    @classmethod
    def from_env(cls) -> DeliveryWait:
        text = os.environ.get("C360_DELIVERY_DEADLINE") or DEFAULT_DEADLINE
        try:
            deadline = time.fromisoformat(text)
        except ValueError as exc:
            raise ConfigError(
                f"C360_DELIVERY_DEADLINE must be a local time like 06:00, got {text!r}"
            ) from exc
        poke_text = os.environ.get("C360_DELIVERY_POKE_SECONDS") or str(DEFAULT_POKE_SECONDS)
        if not poke_text.isdigit() or int(poke_text) < 1:
            raise ConfigError(
                f"C360_DELIVERY_POKE_SECONDS must be a whole number of seconds, got {poke_text!r}"
            )
        return cls(deadline=deadline, poke_seconds=int(poke_text))
