"""Failure handling shared by every c360 DAG: the owner hears of a task that failed for good.

Use `failure_callback(area)` as `on_failure_callback` in a DAG's default_args,
with the silo or layer whose owner should be told (config/owners.yml).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from c360.orchestration.connections import WAREHOUSE_CONN_ID, connection_dsn
from c360.orchestration.dates import business_date_for_run
from c360.orchestration.pipeline import BUSINESS_DATE_EXTRA
from c360.quality.alerts import SOURCE_UNREACHABLE, TASK_FAILED, send_alert


class ContractFailure(AirflowFailException):
    """A silo's delivery broke its contract; the owner was alerted when this was raised.

    A subclass of AirflowFailException so Airflow fails the task without
    retrying: the same file would be refused again.
    """


def business_date(context: dict[str, Any]) -> date:
    """The run's business date. A build the silos' Assets started has no logical date: it takes
    the latest date its triggering Asset events were loaded for, else the night it ran after."""
    if context.get("logical_date"):
        return business_date_for_run(context["logical_date"])
    loaded = [date.fromisoformat(event.extra[BUSINESS_DATE_EXTRA])
              for events in (context.get("triggering_asset_events") or {}).values()
              for event in events if (event.extra or {}).get(BUSINESS_DATE_EXTRA)]
    return max(loaded) if loaded else business_date_for_run(context["dag_run"].run_after)


def alert_owner_on_failure(area: str, context: dict[str, Any]) -> None:
    """Tell the owner of `area` that a task failed after its last retry."""
    exc = context.get("exception")
    if isinstance(exc, ContractFailure):
        return  # alerted with the contract details when it was raised
    from c360.ingest.finance import FinanceUnreachable

    ti = context["ti"]
    rule = SOURCE_UNREACHABLE if isinstance(exc, FinanceUnreachable) else TASK_FAILED
    send_alert(
        connection_dsn(WAREHOUSE_CONN_ID),
        area,
        business_date(context),
        rule,
        0,
        f"task {ti.task_id} of {ti.dag_id} failed after {ti.try_number} attempt(s): {exc}. "
        f"Fix the cause and re-run the date with `c360 run`.",
    )


def failure_callback(area: str) -> Callable[[dict[str, Any]], None]:
    """An on_failure_callback that alerts the owner of `area` (a silo or a layer)."""
    return functools.partial(alert_owner_on_failure, area)
