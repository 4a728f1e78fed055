"""Run the quality gate for a business date: the checkpoint, data docs, the record, the alerts.

The build DAG calls `run_gate` after dbt and `require_passed` before publishing,
so a failed gate fails its task and nothing is published (QUALITY.md).
"""

from __future__ import annotations

import getpass
import os
from datetime import UTC, date, datetime

from great_expectations.core.run_identifier import RunIdentifier

from c360.config import ConfigError, Settings
from c360.quality.context import DOCS_SITE, data_docs_index, open_context, shared_docs_url
from c360.quality.declare import CHECKPOINT
from c360.quality.report import alert_owners, record
from c360.quality.results import GateResult, outcomes
from c360.quality.suites import all_checks, consent
from c360.quality.thresholds import load_thresholds
from c360.warehouse.bootstrap import bootstrap


class GateFailed(RuntimeError):
    """The gate found data that must not be published; the message lists what and whose."""


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        return f"uid {os.getuid()}"


def run_gate(
    settings: Settings, business_date: date, *, alert: bool = True, run_by: str | None = None
) -> GateResult:
    """Validate the business date's deliveries and the candidates; alert owners of failures."""
    thresholds = load_thresholds()
    owners = {check.name: check.owner for check in all_checks(thresholds)}
    bootstrap(settings.warehouse_dsn)  # ops.quality_results and the segment-size record
    context = open_context(settings, business_date)
    run_by = run_by or _who()
    run_at = datetime.now(UTC)
    run_id = RunIdentifier(run_name=f"gate {business_date} by {run_by}", run_time=run_at)
    parameters = {**thresholds.expectation_parameters(business_date), **consent.expectation_parameters()}

    def docs_url(identifier) -> str | None:
        urls = context.get_docs_sites_urls(resource_identifier=identifier, site_name=DOCS_SITE)
        return shared_docs_url(settings, urls[0]["site_url"]) if urls else None

    checkpoint = context.checkpoints.get(CHECKPOINT)
    committed = {definition.name for definition in checkpoint.validation_definitions}
    if committed != owners.keys():
        raise ConfigError(
            f"{settings.expectations_dir} does not hold the checks the code declares "
            f"(only committed: {sorted(committed - owners.keys())}, "
            f"only in code: {sorted(owners.keys() - committed)}): "
            "run `python -m c360.quality.declare` and commit expectations/"
        )
    checkpoint_result = checkpoint.run(expectation_parameters=parameters, run_id=run_id)
    # Once for the whole run: GX's UpdateDataDocsAction rebuilds the site per validation.
    context.build_data_docs(
        site_names=[DOCS_SITE], resource_identifiers=list(checkpoint_result.run_results)
    )
    result = GateResult(
        business_date=business_date,
        run_name=run_id.run_name,
        run_by=run_by,
        run_at=run_at,
        outcomes=outcomes(checkpoint_result, owners, docs_url),
        data_docs=data_docs_index(settings),
    )
    record(settings.warehouse_dsn, result)
    if alert:
        alert_owners(settings.warehouse_dsn, result)
    return result


def require_passed(result: GateResult) -> None:
    """Raise GateFailed unless every expectation passed: the task fails, publishing does not run."""
    if not result.success:
        raise GateFailed(result.summary())
