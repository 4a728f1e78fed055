"""What a gate run found, expectation by expectation, read from GX's checkpoint results."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from great_expectations.checkpoint.checkpoint import CheckpointResult
from great_expectations.core.expectation_validation_result import ExpectationValidationResult


@dataclass(frozen=True)
class Outcome:
    """One expectation of one validation definition."""

    validation: str
    owner: str  # silo or layer of config/owners.yml
    suite: str
    expectation: str
    column: str | None
    success: bool
    severity: str = "critical"  # GX's: "warning" is told and counted, but does not block
    rows_checked: int | None = None
    unexpected_count: int | None = None
    observed_value: Any = None
    examples: list[dict[str, Any]] = field(default_factory=list)  # row keys of failing rows
    description: str | None = None
    error: str | None = None  # the query or the expectation could not run
    docs_url: str | None = None

    @property
    def blocking(self) -> bool:
        """Whether failing it keeps the candidates from being published."""
        return self.severity == "critical" or self.error is not None

    @property
    def rule(self) -> str:
        """How an alert names the failed expectation."""
        target = f"({self.column})" if self.column else ""
        return f"{self.suite}.{self.expectation}{target}" + ("" if self.blocking else " [warning]")


@dataclass(frozen=True)
class GateResult:
    business_date: date
    run_name: str
    run_by: str
    run_at: datetime
    outcomes: list[Outcome]
    data_docs: Path

    @property
    def success(self) -> bool:
        """True when nothing blocks publishing (warnings may remain)."""
        return bool(self.outcomes) and not any(o.blocking for o in self.failures)

    @property
    def failures(self) -> list[Outcome]:
        """Every failed expectation, blocking or a warning."""
        return [o for o in self.outcomes if not o.success]

    def summary(self) -> str:
        blocking = [o for o in self.failures if o.blocking]
        warnings = len(self.failures) - len(blocking)
        verdict = "passed" if self.success else f"failed on {len(blocking)}"
        lines = [f"quality gate {verdict} of {len(self.outcomes)} expectations for {self.business_date}, "
                 f"with {warnings} warnings (data docs: {self.data_docs})"]
        lines += [f"  {o.owner}: {o.validation} {o.rule}" for o in blocking]
        return "\n".join(lines)


def _error(result: ExpectationValidationResult) -> str | None:
    info = result.exception_info or {}
    # GX reports one exception for the expectation, or one per metric it computed.
    infos = [info] if "raised_exception" in info else list(info.values())
    raised = [i for i in infos if isinstance(i, dict) and i.get("raised_exception")]
    messages = [i.get("exception_message") for i in raised]
    return "; ".join(str(m) for m in messages) if messages else None


def _outcome(
    validation: str, owner: str, suite: str, result: ExpectationValidationResult, docs_url: str | None
) -> Outcome:
    config = result.expectation_config
    details = result.result or {}
    error = _error(result)
    return Outcome(
        validation=validation,
        owner=owner,
        suite=suite,
        expectation=config.type,
        column=config.kwargs.get("column") or ",".join(config.kwargs.get("column_list") or []) or None,
        success=bool(result.success) and error is None,
        severity=str(config.severity.value),
        rows_checked=details.get("element_count"),
        unexpected_count=details.get("unexpected_count"),
        observed_value=details.get("observed_value"),
        examples=[dict(row) for row in details.get("partial_unexpected_index_list") or []],
        description=config.description,
        error=error,
        docs_url=docs_url,
    )


def outcomes(
    checkpoint_result: CheckpointResult,
    owners: Mapping[str, str],
    docs_url: Callable[[Any], str | None],
) -> list[Outcome]:
    """Every expectation's outcome; `owners` maps a validation (its data asset) to its owner."""
    found = []
    for identifier, validation in checkpoint_result.run_results.items():
        name = validation.meta["active_batch_definition"]["data_asset_name"]
        url = docs_url(identifier)
        found += [_outcome(name, owners[name], validation.suite_name, r, url) for r in validation.results]
    return found
