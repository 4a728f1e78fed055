"""The gate's suites, one module per family (contracts/QUALITY.md)."""

from __future__ import annotations

from c360.quality.checks import Check
from c360.quality.suites import (
    attribution,
    bi,
    consent,
    contact,
    delivery,
    drift,
    golden,
    history,
    prediction,
    raw,
)
from c360.quality.thresholds import Thresholds


def all_checks(thresholds: Thresholds) -> list[Check]:
    return [
        *raw.checks(thresholds),
        *delivery.checks(thresholds),
        *golden.checks(thresholds),
        *contact.checks(thresholds),
        *consent.checks(thresholds),
        *drift.checks(thresholds),
        *prediction.checks(thresholds),
        *attribution.checks(thresholds),
        *bi.checks(thresholds),
        *history.checks(thresholds),
    ]
