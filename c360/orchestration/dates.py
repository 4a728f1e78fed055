"""Business dates and the nightly run that processes them (docs/contracts.md).

The run for business date D starts after 02:00 on D+1, Europe/Amsterdam. The
DAGs use a cron trigger at 02:30, so a run's logical date is that moment and
its business date is the calendar day before it, in Amsterdam.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NIGHTLY_CRON = "30 2 * * *"
NIGHTLY_RUN_TIME = time(2, 30)


def business_date_for_run(logical_date: datetime) -> date:
    """The business date a nightly run processes."""
    return logical_date.astimezone(AMSTERDAM).date() - timedelta(days=1)


def run_logical_date(business_date: date) -> datetime:
    """The logical date of the nightly run that processes `business_date`."""
    return datetime.combine(business_date + timedelta(days=1), NIGHTLY_RUN_TIME, tzinfo=AMSTERDAM)


def end_of_business_date(business_date: date) -> datetime:
    """The first instant after `business_date` in Amsterdam (an exclusive upper bound)."""
    return datetime.combine(business_date + timedelta(days=1), time(0), tzinfo=AMSTERDAM)


def date_range(start: date, end: date) -> list[date]:
    if end < start:
        raise ValueError(f"end date {end} is before start date {start}")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
