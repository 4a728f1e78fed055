"""The tasks and settings the ingest DAG files wire together.

The file silos' DAGs are made from their contracts (dags/ingest_files.py, with
`file_silo_doc` and `c360.ingest.contract_files.file_loader`); finance's DAG file
names its extractor. This module gives them the shared parts: the DAG's arguments (nightly schedule in
Amsterdam time, owner, retries), the `_SUCCESS` sensor with its deadline, the
load task that emits the silo's Asset, and the owner alert on failure. The
loaders themselves (c360/ingest/) know nothing of Airflow.

Retries are configuration (defaults in brackets): C360_TASK_RETRIES [2] and
C360_RETRY_DELAY_SECONDS [120] for every task; the finance extract, which can
meet a source that is down, gets C360_FINANCE_RETRIES [4] with exponential
backoff up to C360_MAX_RETRY_DELAY_SECONDS [1800].
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import Asset, task
from airflow.sdk.bases.sensor import PokeReturnValue
from airflow.sdk.exceptions import AirflowSkipException

from c360.config import ConfigError, load_settings
from c360.ingest.contracts import contract
from c360.ingest.report import ContractViolation, SiloLoadReport
from c360.orchestration.connections import FINANCE_CONN_ID, WAREHOUSE_CONN_ID, connection_dsn
from c360.orchestration.dates import AMSTERDAM, NIGHTLY_CRON
from c360.orchestration.delivery import DeliveryWait, delivery_folder, is_delivered
from c360.orchestration.failures import ContractFailure, business_date, failure_callback
from c360.orchestration.pipeline import BUSINESS_DATE_EXTRA, FINANCE, ingest_dag_id, raw_asset_uri
from c360.orchestration.run_lock import wait_for_warehouse
from c360.quality.alerts import CONTRACT, MISSING_DELIVERY, send_alert
from c360.quality.owners import owner_of

NIGHTLY_SCHEDULE = "C360_NIGHTLY_SCHEDULE"
# The first business date the DAGs know; catchup is off, so it only bounds the UI.
START_DATE = datetime(2026, 1, 1, tzinfo=AMSTERDAM)
# A sensor that has not seen `_SUCCESS` nor reached its deadline after this long has hung.
SENSOR_TIMEOUT = timedelta(hours=30)

FileLoader = Callable[[str, Path, date], SiloLoadReport]


def raw_asset(silo: str) -> Asset:
    """The Asset an ingest DAG updates; the build DAG schedules on these."""
    return Asset(raw_asset_uri(silo))


def tell_business_date(context: dict[str, Any], silo: str, day: date) -> None:
    """Put the date loaded on the silo's Asset event: a build the Assets start takes it from there."""
    context["outlet_events"][raw_asset(silo)].extra = {BUSINESS_DATE_EXTRA: day.isoformat()}


def nightly_schedule() -> bool:
    """Whether the DAGs keep their times. `c360 run --executor` turns them off for the scheduler
    it starts: only the dates it runs are run (not tonight's), and the build follows its Assets."""
    return os.environ.get(NIGHTLY_SCHEDULE, "on") != "off"


def int_env(name: str, default: int) -> int:
    text = os.environ.get(name) or str(default)
    if not text.isdigit():
        raise ConfigError(f"{name} must be a whole number, got {text!r}")
    return int(text)


SCHEDULE_DOC = """\
- **Schedule**: nightly at 02:30 Europe/Amsterdam; the run at D+1 02:30 loads business date D.
  One run at a time (`max_active_runs` 1): a second business date (a backfill, a re-run)
  waits until the first is done, so two dates never load a silo side by side.
- **Owner**: {owner} ({email}), alerted in `ops.alerts` (and by e-mail when SMTP is
  set) when a task fails after its retries (rule `task_failed`)."""

FILE_SILO_DOC = """
Each file is checked against contracts/{silo}.yml: bad rows go to `ops.quarantine`,
the rest loads, and `ops.load_ledger` shows rows read = loaded + quarantined. Loads are
idempotent per file content and business date.

{schedule}
- **Waits** for `{silo}/D/_SUCCESS` (reschedule-mode sensor, every
  `C360_DELIVERY_POKE_SECONDS`) until `C360_DELIVERY_DEADLINE` on D+1 (default 06:00).
  Past the deadline the owner is alerted (rule `missing_delivery`), the load is skipped
  and the run goes on without this silo's data for D.
- **Contract violation** (a missing or unknown column, a corrupt gzip, a non-UTF-8
  file): the file is quarantined whole, the task fails without retrying and the owner
  is alerted (rule `contract`); the other silos are separate DAGs and go on.
- **Emits** the Asset `{asset}` for the build DAG.
"""

FINANCE_DOC = """
{schedule}
- **Source down**: the extract is retried with exponential backoff
  (`C360_FINANCE_RETRIES`, `C360_RETRY_DELAY_SECONDS`, `C360_MAX_RETRY_DELAY_SECONDS`);
  after the last attempt the owner is alerted (rule `source_unreachable`).
- **Contract violation** (a missing table or column): the task fails without retrying
  and the owner is alerted (rule `contract`).
- **Emits** the Asset `{asset}` for the build DAG.
"""


def file_silo_doc(silo: str) -> str:
    """A file silo's own description, from its contract: what it is and what loads where."""
    c = contract(silo)
    loads = [f"- `{silo}/D/{d.file_name or d.file}` into `{d.raw_table}`: {' '.join(d.description.split())}"
             for d in c.datasets]
    return "\n".join([f"# Ingest: {silo}", "", " ".join(c.description.split()), "",
                      "Loads:", "", *loads, "", " ".join(str(c.delivery.get("timing", "")).split())])


def dag_doc(silo: str, intro: str) -> str:
    """The DAG file's own description, then how every ingest DAG behaves, said once here."""
    owner = owner_of(silo)
    schedule = SCHEDULE_DOC.format(owner=owner.name, email=owner.email)
    common = FINANCE_DOC if silo == FINANCE else FILE_SILO_DOC
    return intro.rstrip() + "\n" + common.format(
        schedule=schedule, silo=silo, asset=raw_asset_uri(silo)
    )


def dag_args(silo: str, doc: str) -> dict[str, Any]:
    """Arguments of an ingest DAG: id, nightly schedule in Amsterdam time, owner, retries,
    tags, and `doc_md` from the DAG file's docstring `doc` plus the shared behaviour."""
    retry_delay = timedelta(seconds=int_env("C360_RETRY_DELAY_SECONDS", 120))
    default_args: dict[str, Any] = {
        "owner": owner_of(silo).name,
        "retries": int_env("C360_TASK_RETRIES", 2),
        "retry_delay": retry_delay,
        "on_failure_callback": failure_callback(silo),
        "on_execute_callback": wait_for_warehouse,
    }
    if silo == FINANCE:
        default_args.update({
            "retries": int_env("C360_FINANCE_RETRIES", 4),
            "retry_exponential_backoff": 2.0,
            "max_retry_delay": timedelta(seconds=int_env("C360_MAX_RETRY_DELAY_SECONDS", 1800)),
        })
    return {
        "dag_id": ingest_dag_id(silo),
        "schedule": NIGHTLY_CRON if nightly_schedule() else None,
        "start_date": START_DATE,
        "catchup": False,
        "max_active_runs": 1,
        "tags": ["c360", "ingest", silo],
        "default_args": default_args,
        "doc_md": dag_doc(silo, doc),
    }


def settle(report: SiloLoadReport) -> dict[str, Any]:
    """Alert the owner and fail the task when files were refused whole; else a summary for XCom."""
    try:
        report.raise_for_contract()
    except ContractViolation as exc:
        send_alert(
            connection_dsn(WAREHOUSE_CONN_ID),
            report.source_system,
            report.business_date,
            CONTRACT,
            sum(f.rows_quarantined for f in exc.failures),
            f"{exc}. The refused files are in ops.quarantine; the rest of the silo loaded.",
        )
        raise ContractFailure(str(exc)) from exc
    return {
        "business_date": report.business_date.isoformat(),
        "files": len(report.files),
        "rows_read": report.rows_read,
        "rows_loaded": report.rows_loaded,
        "rows_quarantined": report.rows_quarantined,
    }


def wait_for_delivery(silo: str):
    """A reschedule-mode sensor on the date's `_SUCCESS`; at the deadline it alerts and gives up.

    It returns whether the delivery arrived. After the deadline the owner is
    alerted and the DAG run goes on: the load task is skipped, so the run
    succeeds without this silo's data for the date and emits no Asset event.
    """
    wait = DeliveryWait.from_env()

    @task.sensor(
        task_id="wait_for_delivery",
        mode="reschedule",
        poke_interval=wait.poke_seconds,
        timeout=SENSOR_TIMEOUT.total_seconds(),
    )
    def wait_for_delivery(**context: Any) -> PokeReturnValue:
        day = business_date(context)
        landing_dir = load_settings().landing_dir
        if is_delivered(landing_dir, silo, day):
            return PokeReturnValue(is_done=True, xcom_value=True)
        deadline = wait.deadline_for(day)
        # A sensor's job is to compare with the clock; loaders never read it.
        if datetime.now(UTC) < deadline:
            return PokeReturnValue(is_done=False)
        folder = delivery_folder(landing_dir, silo, day)
        send_alert(
            connection_dsn(WAREHOUSE_CONN_ID),
            silo,
            day,
            MISSING_DELIVERY,
            0,
            f"no _SUCCESS in {folder} by the deadline {deadline.isoformat()}: the delivery "
            f"for {day} is missing or incomplete. The nightly run goes on without {silo} "
            f"data for {day}; re-run the date with `c360 run` once it is delivered.",
        )
        return PokeReturnValue(is_done=True, xcom_value=False)

    return wait_for_delivery()


def load_file_silo(silo: str, loader: FileLoader, delivered):
    """The load task of a file silo: runs `loader` for the run's business date once delivered."""

    @task(task_id="load", outlets=[raw_asset(silo)])
    def load(delivered: bool, **context: Any) -> dict[str, Any]:
        day = business_date(context)
        if not delivered:
            raise AirflowSkipException(f"no complete delivery of {silo} for {day}: nothing loaded")
        warehouse = connection_dsn(WAREHOUSE_CONN_ID)
        summary = settle(loader(warehouse, load_settings().landing_dir, day))
        tell_business_date(context, silo, day)
        return summary

    return load(delivered)


def extract_finance(extractor: Callable[[str, str, date], SiloLoadReport]):
    """The finance extract: incremental by `updated_at`, over the `c360_finance` connection."""

    @task(task_id="extract", outlets=[raw_asset(FINANCE)])
    def extract(**context: Any) -> dict[str, Any]:
        finance = connection_dsn(FINANCE_CONN_ID)
        warehouse = connection_dsn(WAREHOUSE_CONN_ID)
        day = business_date(context)
        summary = settle(extractor(finance, warehouse, day))
        tell_business_date(context, FINANCE, day)
        return summary

    return extract()
