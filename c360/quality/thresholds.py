"""The gate's thresholds: configuration in config/quality.yml, not code.

C360_QUALITY_FILE names another file. Some thresholds are written into the
committed suites when they are declared; the others are Great Expectations
expectation parameters, passed at every run (see `expectation_parameters`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from c360.config import ConfigError, project_root, read_yaml_file

# What makes a customer implausible as one person (suites/golden.py counts each
# per customer); each has a bound and a share in config/quality.yml, golden_record.
CLUSTER_MEASURES = (
    "birth_dates_far_apart", "names_far_apart", "finance_accounts", "loyalty_cards", "addresses",
)


@dataclass(frozen=True)
class ClusterBound:
    max: int  # what one person plausibly has, passed at every run as `max_<measure>`
    max_share: float  # (suite) share of customers allowed above it


@dataclass(frozen=True)
class Thresholds:
    recent_weeks: int
    min_baseline_rows: int
    min_volume_ratio: float
    max_volume_ratio: float
    min_parse_rate: float
    raw_min_valid_email_share: float
    raw_block_below_email_share: float
    raw_min_valid_enum_share: float
    raw_min_valid_value_share: float
    cluster_bounds: Mapping[str, ClusterBound]  # by CLUSTER_MEASURES
    min_valid_email_share: float
    min_valid_phone_share: float
    countries: tuple[str, ...]
    min_drift_segment_size: int
    min_drift_ratio: float
    max_drift_ratio: float

    def expectation_parameters(self, business_date: date) -> dict[str, Any]:
        """The values the suites refer to as {"$PARAMETER": name}, for one run."""
        return {
            "business_date": business_date.isoformat(),
            "min_volume_ratio": self.min_volume_ratio,
            "max_volume_ratio": self.max_volume_ratio,
            "min_parse_rate": self.min_parse_rate,
            **{f"max_{measure}": bound.max for measure, bound in self.cluster_bounds.items()},
            "countries": list(self.countries),
            "min_drift_ratio": self.min_drift_ratio,
            "max_drift_ratio": self.max_drift_ratio,
        }


def thresholds_file() -> Path:
    override = os.environ.get("C360_QUALITY_FILE")
    return Path(override) if override else project_root() / "config" / "quality.yml"


def load_thresholds(path: Path | None = None) -> Thresholds:
    path = path or thresholds_file()
    data = read_yaml_file(path, "quality file", ": create it or set C360_QUALITY_FILE")

    def get(section: str, key: str) -> Any:
        try:
            return data[section][key]
        except (KeyError, TypeError) as exc:
            raise ConfigError(f"quality file {path} needs `{section}.{key}`") from exc

    def bound(measure: str) -> ClusterBound:
        value = get("golden_record", measure)
        try:
            return ClusterBound(max=int(value["max"]), max_share=float(value["max_share"]))
        except (KeyError, TypeError) as exc:
            raise ConfigError(
                f"quality file {path} needs `golden_record.{measure}` as {{max: ..., max_share: ...}}"
            ) from exc

    try:
        return Thresholds(
            recent_weeks=int(get("delivery", "recent_weeks")),
            min_baseline_rows=int(get("delivery", "min_baseline_rows")),
            min_volume_ratio=float(get("delivery", "min_volume_ratio")),
            max_volume_ratio=float(get("delivery", "max_volume_ratio")),
            min_parse_rate=float(get("delivery", "min_parse_rate")),
            raw_min_valid_email_share=float(get("raw", "min_valid_email_share")),
            raw_block_below_email_share=float(get("raw", "block_below_email_share")),
            raw_min_valid_enum_share=float(get("raw", "min_valid_enum_share")),
            raw_min_valid_value_share=float(get("raw", "min_valid_value_share")),
            cluster_bounds={measure: bound(measure) for measure in CLUSTER_MEASURES},
            min_valid_email_share=float(get("contact_details", "min_valid_email_share")),
            min_valid_phone_share=float(get("contact_details", "min_valid_phone_share")),
            countries=tuple(str(c) for c in get("contact_details", "countries")),
            min_drift_segment_size=int(get("segment_drift", "min_published_size")),
            min_drift_ratio=float(get("segment_drift", "min_ratio")),
            max_drift_ratio=float(get("segment_drift", "max_ratio")),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"quality file {path}: {exc}") from exc
