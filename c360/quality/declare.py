"""Write the gate's checks into the File Data Context: assets, suites, validation definitions, checkpoints.

Run `python -m c360.quality.declare` after changing a suite module or a (suite)
threshold, and commit expectations/. The declaration replaces what the context
held, so the committed project is exactly what the code declares. GX checks
the connection while declaring, so the warehouse must be reachable (it may be
empty).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import great_expectations as gx
import psycopg
from great_expectations.core.batch_definition import BatchDefinition
from great_expectations.data_context import FileDataContext

from c360.config import load_settings
from c360.quality.checks import Check
from c360.quality.context import DATASOURCE, WAREHOUSE_URL_VARIABLE, open_context
from c360.quality.contract import ROW_KEY
from c360.quality.suites import all_checks
from c360.quality.thresholds import load_thresholds

CHECKPOINT = "quality_gate"
BATCH = "as_built"
# Enough evidence for an alert, not a copy of the bad data: the row keys of a few failing
# rows (no personal data in them), never their values, in results, data docs and alerts.
RESULT_FORMAT = {
    "result_format": "SUMMARY",
    "unexpected_index_column_names": [ROW_KEY],
    "partial_unexpected_count": 5,
    "exclude_unexpected_values": True,
}


def _clear(context: FileDataContext) -> None:
    for checkpoint in context.checkpoints.all():
        context.checkpoints.delete(checkpoint.name)
    for definition in context.validation_definitions.all():
        context.validation_definitions.delete(definition.name)
    for suite in context.suites.all():
        context.suites.delete(suite.name)
    if DATASOURCE in context.data_sources.all():
        context.data_sources.delete(DATASOURCE)


def _batch_definition(datasource, check: Check) -> BatchDefinition:
    # GX wants a query to start with SELECT; a subquery may start with WITH.
    query = "select * from (" + " ".join(check.query.split()) + ") as checked"
    asset = datasource.add_query_asset(name=check.name, query=query)
    return asset.add_batch_definition_whole_table(name=BATCH)


def _suites(context: FileDataContext, checks: Sequence[Check]) -> dict[str, gx.ExpectationSuite]:
    suites: dict[str, gx.ExpectationSuite] = {}
    for check in checks:
        if check.suite in suites:
            continue  # several silos share a suite, each through its own validation definition
        suites[check.suite] = context.suites.add(
            gx.ExpectationSuite(name=check.suite, expectations=list(check.expectations))
        )
    return suites


def declare(context: FileDataContext, checks: Sequence[Check]) -> None:
    _clear(context)
    datasource = context.data_sources.add_postgres(
        name=DATASOURCE, connection_string="${" + WAREHOUSE_URL_VARIABLE + "}"
    )
    suites = _suites(context, checks)
    definitions = [
        context.validation_definitions.add(
            gx.ValidationDefinition(
                name=check.name, data=_batch_definition(datasource, check), suite=suites[check.suite]
            )
        )
        for check in checks
    ]
    context.checkpoints.add(
        gx.Checkpoint(
            name=CHECKPOINT,
            validation_definitions=definitions,
            result_format=RESULT_FORMAT,
        )
    )


def declare_project(project_dir: Path | None = None) -> None:
    """Declare every check of c360.quality.suites into the context (the committed one by default)."""
    settings = load_settings()
    # GX connects only after the context is cleared: without a warehouse, stop before that
    psycopg.connect(settings.warehouse_dsn, connect_timeout=10).close()
    declare(open_context(settings, project_dir=project_dir), all_checks(load_thresholds()))


if __name__ == "__main__":
    try:
        declare_project()
    except psycopg.OperationalError as exc:
        raise SystemExit(f"the warehouse is not reachable, expectations/ is unchanged: {exc}") from exc
