"""The declared customer segments, read from the one file marketers edit.

dbt builds `marts.customer_segments` from the `segments:` list in the `meta` of the
customer_segments model (dbt_project/models/marts/segments/segments.yml); the
quality gate and the run summary read the same list through `load_segments`, so
a segment is declared once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from c360.config import ConfigError, project_root, read_yaml_file
from c360.publishing.declared import declared_entries, repeated_names

SEGMENTS_MODEL = "customer_segments"
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
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
    where = f"segments file {path}, segment {position}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected the fields {', '.join(FIELDS)}, got {entry!r}")
    where = f"{where} ({entry.get('name', 'unnamed')})"
    missing = [f for f in FIELDS if f not in entry]
    unknown = sorted(set(entry) - set(FIELDS))
    if missing or unknown:
        raise ConfigError(f"{where}: missing fields {missing}, unknown fields {unknown}")
    for text in ("name", "description", "owner", "rule"):
        if not isinstance(entry[text], str) or not entry[text].strip():
            raise ConfigError(f"{where}: `{text}` must be non-empty text")
    if not NAME.match(entry["name"]):
        raise ConfigError(f"{where}: the name must be lower_snake_case (a-z, 0-9, _)")
    if ";" in entry["rule"]:
        raise ConfigError(f"{where}: the rule is one SQL condition and may not contain `;`")
    if not isinstance(entry["requires_marketing_consent"], bool):
        raise ConfigError(f"{where}: `requires_marketing_consent` must be true or false")
    return Segment(
        name=entry["name"],
        description=" ".join(entry["description"].split()),
        owner=entry["owner"].strip(),
        rule=" ".join(entry["rule"].split()),
        requires_marketing_consent=entry["requires_marketing_consent"],
    )
