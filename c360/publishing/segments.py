"""The declared customer segments, read from the one file marketers edit.

dbt builds `marts.customer_segments` from the `segments:` list in the `meta` of the
customer_segments model (dbt_project/models/marts/segments/segments.yml); the
quality gate and the run summary read the same list through `load_segments`, so
a segment is declared once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from c360.config import ConfigError, project_root, read_yaml_file
from c360.publishing.declared import checked_entry, declared_entries, repeated_names

SEGMENTS_MODEL = "customer_segments"
FIELDS = ("name", "description", "owner", "rule", "requires_marketing_consent")


@dataclass(frozen=True)
class Segment:
    name: str
    description: str
    owner: str
    rule: str  # a SQL condition over the columns of customer_360
    requires_marketing_consent: bool


def segments_file() -> Path:
    return project_root() / "dbt_project" / "models" / "marts" / "segments" / "segments.yml"


def load_segments(path: Path | None = None) -> list[Segment]:
    """Every declared segment, in file order, checked; a ConfigError names what is wrong and where."""
    path = path or segments_file()
    data = read_yaml_file(path, "segments file")
    entries = declared_entries(data, path, "segments file", SEGMENTS_MODEL, "segments")
    segments = [_segment(entry, position, path) for position, entry in enumerate(entries, start=1)]
    names = [s.name for s in segments]
    duplicates = repeated_names(names)
    if duplicates:
        raise ConfigError(f"segments file {path}: segment names must be unique, repeated: {duplicates}")
    return segments


def _segment(entry: object, position: int, path: Path) -> Segment:
    entry, where = checked_entry(entry, f"segments file {path}, segment {position}", FIELDS,
                                 ("name", "description", "owner", "rule"))
    if ";" in entry["rule"]:
        raise ConfigError(f"{where}: the rule is one SQL condition and may not contain `;`")
    return Segment(
        name=entry["name"],
        description=" ".join(entry["description"].split()),
        owner=entry["owner"].strip(),
        rule=" ".join(entry["rule"].split()),
        requires_marketing_consent=entry["requires_marketing_consent"],
    )
