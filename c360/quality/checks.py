"""A check: one validation definition of the gate, with its data, its suite and its owner.

Each suite module returns checks; `declare.py` turns them into GX objects. A
check's data is a SQL query that yields `row_key` (contract.ROW_KEY), so every
failed row can be named to its owner without personal data. Queries of a
day's deliveries select it with contract.BUSINESS_DATE_SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from great_expectations.expectations import Expectation


@dataclass(frozen=True)
class Check:
    name: str  # the validation definition, and the data asset it validates
    owner: str  # a silo or layer of config/owners.yml
    query: str
    suite: str
    expectations: Sequence[Expectation]


def parameter(name: str) -> dict[str, str]:
    """A value given at run time (thresholds.Thresholds.expectation_parameters)."""
    return {"$PARAMETER": name}
