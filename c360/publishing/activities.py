"""The declared next best activities, read from the one file service and marketing edit.

dbt builds `marts.next_best_activity_candidates` from the `activities:` list in the
`meta` of that model (dbt_project/models/marts/next_best_activity/activities.yml);
`load_activities` reads the same list for CI and the quality gate (which activities may
reach a customer without marketing consent), so an activity is declared once. The checks
here are the ones a SQL error at night would explain badly: an unknown channel or
column, a missing priority, a name twice, an offer ranked before service.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from c360.config import ConfigError, project_root, read_yaml_file
from c360.publishing.declared import checked_entry, declared_entries, repeated_names

ACTIVITIES_MODEL = "next_best_activity_candidates"
FIELDS = ("name", "description", "owner", "kind", "priority", "scope", "condition", "channel",
          "reason", "requires_marketing_consent", "cooldown_days")
KINDS = ("service", "offer")
SCOPES = ("customer", "product_line")
CHANNELS = ("store", "web", "email", "phone")
CHANNEL_SOURCES = ("preferred", "complaint")
# What an activity's condition and reason may read besides customer_360's columns: the
# context next_best_activity_candidates.sql builds.
SERVICE_COLUMNS = ("has_open_complaint", "open_complaint_date", "open_complaint_channel",
                   "overdue_invoice_count", "overdue_amount", "days_overdue", "preferred_channel")
LINE_COLUMNS = ("product_line", "propensity", "propensity_decile", "line_preferred_channel",
                "channel_confidence", "channel_evidence_count", "days_since_line_research")
SQL_WORDS = frozenset({"and", "or", "not", "is", "null", "true", "false", "in", "between", "like",
    "ilike", "case", "when", "then", "else", "end", "as", "distinct", "from", "interval", "any",
    "all", "some", "date", "text", "integer", "numeric", "boolean"})
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
QUOTED = re.compile(r"'(?:[^']|'')*'")


@dataclass(frozen=True)
class Activity:
    name: str
    description: str
    owner: str
    kind: str
    priority: int
    scope: str
    condition: str  # a SQL condition over customer_360, the service state and, per line, the line
    channel: str
    reason: str  # a SQL text expression over the same columns
    requires_marketing_consent: bool
    cooldown_days: int


def activities_file() -> Path:
    return project_root() / "dbt_project" / "models" / "marts" / "next_best_activity" / "activities.yml"


def customer_360_models_file() -> Path:
    return project_root() / "dbt_project" / "models" / "marts" / "customer_360" / "_customer_360__models.yml"


def customer_360_columns() -> frozenset[str]:
    """The documented columns of customer_360, as its model file declares them."""
    models = read_yaml_file(customer_360_models_file(), "customer_360 model file")["models"]
    model = next(m for m in models if m["name"] == "customer_360")
    return frozenset(c["name"] for c in model["columns"])


def load_activities(path: Path | None = None) -> list[Activity]:
    """Every declared activity, in file order, checked; a ConfigError names what is wrong and where."""
    path = path or activities_file()
    data = read_yaml_file(path, "activities file")
    entries = declared_entries(data, path, "activities file", ACTIVITIES_MODEL, "activities")
    known = customer_360_columns() | set(SERVICE_COLUMNS)
    activities = [_activity(entry, position, path, known) for position, entry in enumerate(entries, start=1)]
    names = [a.name for a in activities]
    duplicates = repeated_names(names)
    if duplicates:
        raise ConfigError(f"activities file {path}: activity names must be unique, repeated: {duplicates}")
    offers = [a for a in activities if a.kind == "offer"]
    early = sorted(o.name for o in offers
                   if any(o.priority <= s.priority for s in activities if s.kind == "service"))
    if early:
        raise ConfigError(f"activities file {path}: service comes first, so every offer needs a "
                          f"priority after every service activity's: {early}")
    return activities


def unknown_columns(expression: str, known: set[str] | frozenset[str]) -> list[str]:
    """Names in a SQL expression that are neither known columns, SQL words nor functions."""
    bare = QUOTED.sub("''", expression)
    names = []
    for match in IDENTIFIER.finditer(bare):
        word = match.group().lower()
        called = bare[match.end():].lstrip().startswith("(")
        cast = bare[:match.start()].rstrip().endswith("::")
        if word not in known and word not in SQL_WORDS and not called and not cast:
            names.append(match.group())
    return sorted(set(names))


def _activity(entry: object, position: int, path: Path, known: frozenset[str]) -> Activity:
    entry, where = checked_entry(entry, f"activities file {path}, activity {position}", FIELDS,
                                 ("name", "description", "owner", "condition", "reason"))
    for number in ("priority", "cooldown_days"):
        value = entry[number]
        least = 1 if number == "priority" else 0
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ConfigError(f"{where}: `{number}` must be a whole number"
                              + (" from 1" if number == "priority" else " of days, 0 or more"))
    choices = {"kind": KINDS, "scope": SCOPES, "channel": CHANNELS + CHANNEL_SOURCES}
    for field, allowed in choices.items():
        if entry[field] not in allowed:
            raise ConfigError(
                f"{where}: unknown {field} {entry[field]!r}, expected one of {', '.join(allowed)}")
    if entry["kind"] == "offer" and not entry["requires_marketing_consent"]:
        raise ConfigError(f"{where}: an offer sells, so it requires marketing consent")
    columns = known | set(LINE_COLUMNS) if entry["scope"] == "product_line" else known
    for expression in ("condition", "reason"):
        if ";" in entry[expression]:
            raise ConfigError(f"{where}: the {expression} is one SQL expression and may not contain `;`")
        strangers = unknown_columns(entry[expression], columns)
        if strangers:
            raise ConfigError(f"{where}: the {expression} reads unknown columns {strangers} "
                              f"(a {entry['scope']} activity reads customer_360's columns"
                              + (", the service state and the line's" if entry["scope"] == "product_line"
                                 else " and the service state") + ")")
    return Activity(
        name=entry["name"],
        description=" ".join(entry["description"].split()),
        owner=entry["owner"].strip(),
        kind=entry["kind"],
        priority=entry["priority"],
        scope=entry["scope"],
        condition=" ".join(entry["condition"].split()),
        channel=entry["channel"],
        reason=" ".join(entry["reason"].split()),
        requires_marketing_consent=entry["requires_marketing_consent"],
        cooldown_days=entry["cooldown_days"],
    )
