"""Expectations that several suites share, spelled once."""

from __future__ import annotations

from collections.abc import Iterable

import great_expectations.expectations as gxe
from great_expectations.expectations.metadata_types import FailureSeverity

from c360.quality.checks import parameter
from c360.quality.contract import EMAIL_PATTERN


def flagged(*expectations: gxe.Expectation) -> list[gxe.Expectation]:
    """Expectations whose failure is told to the owner and counted, but does not block publishing."""
    for expectation in expectations:
        expectation.severity = FailureSeverity.WARNING
    return list(expectations)


def valid_email(column: str, mostly: float) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToMatchRegex(
        column=column, regex=EMAIL_PATTERN, mostly=mostly,
        description=f"at least {mostly:.0%} of the non-empty `{column}` values look like e-mail addresses",
    )


def one_of(column: str, values: Iterable[str], mostly: float = 1.0) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=sorted(values), mostly=mostly)


def not_after_business_date(column: str, mostly: float) -> gxe.Expectation:
    """A date that cannot lie after the business date (a birth date, an invoice date)."""
    return gxe.ExpectColumnValuesToBeBetween(
        column=column, max_value=parameter("business_date"), mostly=mostly,
        description=f"`{column}` is not after the business date",
    )


def required(column: str) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToNotBeNull(column=column)


def not_negative(column: str, mostly: float) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0, mostly=mostly)
