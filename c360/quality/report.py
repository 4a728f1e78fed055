"""Keep every outcome of a gate run in ops.quality_results and alert the owner of every failure."""

from __future__ import annotations

import json
from datetime import date

import psycopg

from c360.quality.alerts import Alert, send_alert
from c360.quality.results import GateResult, Outcome


def record(warehouse_dsn: str, result: GateResult) -> None:
    with psycopg.connect(warehouse_dsn) as conn, conn.cursor() as cur:
        cur.executemany(
            """insert into ops.quality_results
                   (run_name, run_by, run_at, business_date, validation, owner_area, suite,
                    expectation, column_name, severity, success, rows_checked, unexpected_count,
                    observed_value, examples, error, docs_url)
               values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            [
                (result.run_name, result.run_by, result.run_at, result.business_date, o.validation,
                 o.owner, o.suite, o.expectation, o.column, o.severity, o.success, o.rows_checked,
                 o.unexpected_count, None if o.observed_value is None else str(o.observed_value),
                 json.dumps(o.examples, default=str), o.error, o.docs_url)
                for o in result.outcomes
            ],
        )


def alert_message(outcome: Outcome, business_date: date) -> str:
    consequence = (
        "nothing was published" if outcome.blocking
        else "this is a warning, which does not block publishing; the rows are counted in the quality report"
    )
    lines = [
        f"The quality gate for business date {business_date} failed `{outcome.rule}`"
        f" in validation {outcome.validation}; {consequence}.",
    ]
    if outcome.description:
        lines.append(f"What it checks: {outcome.description}")
    if outcome.error:
        lines.append(f"It could not run: {outcome.error}")
    if outcome.rows_checked is not None:
        lines.append(f"Rows checked: {outcome.rows_checked}; rows failing: {outcome.unexpected_count}")
    if outcome.observed_value is not None:
        lines.append(f"Observed: {outcome.observed_value}")
    if outcome.examples:
        lines.append("Example rows (their keys; the values stay in the warehouse):")
        lines += [f"  {json.dumps(row, default=str, ensure_ascii=False)}" for row in outcome.examples]
    if outcome.docs_url:
        lines.append(f"Full report: {outcome.docs_url}")
    return "\n".join(lines)


def _already_told(warehouse_dsn: str, business_date: date) -> set[tuple[str, str, int]]:
    with psycopg.connect(warehouse_dsn) as conn:
        rows = conn.execute(
            "select source_system, rule, rows_affected from ops.alerts where business_date = %s",
            (business_date,),
        ).fetchall()
    return {(area, rule, rows) for area, rule, rows in rows}


def alert_owners(warehouse_dsn: str, result: GateResult) -> list[Alert]:
    """One alert per failed expectation, to the owner of its silo or layer.

    A validation whose query could not run fails every expectation with the
    same error; its owner gets that once. A re-run of the same business date (a
    retry) does not repeat an alert its owner already has for the same rows.
    """
    alerts, told = [], set()
    before = _already_told(warehouse_dsn, result.business_date)
    for outcome in result.failures:
        key = (outcome.validation, outcome.error) if outcome.error else (outcome.validation, outcome.rule)
        if key in told or (outcome.owner, outcome.rule, outcome.unexpected_count or 0) in before:
            continue
        told.add(key)
        alerts.append(send_alert(
            warehouse_dsn,
            outcome.owner,
            result.business_date,
            outcome.rule,
            outcome.unexpected_count or 0,
            alert_message(outcome, result.business_date),
        ))
    return alerts
