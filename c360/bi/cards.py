"""The starter dashboard's declaration (config/metabase.yml): its name and native SQL cards.

One file a data engineer extends; the provisioning (c360/bi/provision.py) turns each card
into a Metabase question, and tests run each query as bi_reader on the published tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from c360.config import ConfigError, project_root, read_yaml_file

# What each display needs: (dimensions, metrics); None means one or more.
DISPLAYS = {
    "bar": (None, None),
    "row": (None, None),
    "line": (None, None),
    "pie": (1, 1),
    "scalar": (0, 1),
    "table": (None, None),
}
CARD_FIELDS = {"name", "description", "display", "dimensions", "metrics", "sql"}
COLUMN_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class Card:
    name: str
    description: str
    display: str
    dimensions: tuple[str, ...]
    metrics: tuple[str, ...]
    sql: str

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the query returns, in order."""
        return self.dimensions + self.metrics

    def visualization_settings(self) -> dict:
        """Metabase's settings naming which columns the chart draws."""
        if self.display in ("bar", "row", "line"):
            return {"graph.dimensions": list(self.dimensions), "graph.metrics": list(self.metrics)}
        if self.display == "pie":
            return {"pie.dimension": self.dimensions[0], "pie.metric": self.metrics[0]}
        if self.display == "scalar":
            return {"scalar.field": self.metrics[0]}
        return {}  # a table shows every column the query returns


@dataclass(frozen=True)
class DashboardSpec:
    name: str
    description: str
    cards: tuple[Card, ...]


def dashboard_file() -> Path:
    return project_root() / "config" / "metabase.yml"


def load_dashboard(path: Path | None = None) -> DashboardSpec:
    """The declared dashboard, or a ConfigError naming the file, the card and what is wrong."""
    path = path or dashboard_file()
    content = read_yaml_file(path, "the Metabase dashboard file")
    if not isinstance(content, dict) or not isinstance(content.get("dashboard"), dict) \
            or not isinstance(content.get("cards"), list) or not content["cards"]:
        raise ConfigError(f"{path}: needs a `dashboard` (name, description) and a non-empty list `cards`")
    head = content["dashboard"]
    name = head.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{path}: the dashboard needs a name")
    cards = tuple(_card(path, n, entry) for n, entry in enumerate(content["cards"], start=1))
    names = [card.name for card in cards]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(f"{path}: card names must be unique (cards are matched by name): "
                          f"{', '.join(repeated)}")
    return DashboardSpec(name.strip(), str(head.get("description") or "").strip(), cards)


def _card(path: Path, number: int, entry: object) -> Card:
    where = f"{path}, card {number}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: a card is a mapping of {', '.join(sorted(CARD_FIELDS))}")
    where = f"{path}, card {entry.get('name') or number}"
    unknown = sorted(set(entry) - CARD_FIELDS)
    missing = sorted(CARD_FIELDS - {"description"} - set(entry))
    if unknown or missing:
        raise ConfigError(f"{where}: " + "; ".join(
            part for part in (unknown and f"unknown fields {', '.join(unknown)}",
                              missing and f"missing fields {', '.join(missing)}") if part))
    for field in ("name", "sql"):
        if not isinstance(entry[field], str) or not entry[field].strip():
            raise ConfigError(f"{where}: `{field}` must be a non-empty text")
    display = entry["display"]
    if display not in DISPLAYS:
        raise ConfigError(f"{where}: display {display!r} is not one of {', '.join(DISPLAYS)}")
    dimensions = _columns(where, entry, "dimensions")
    metrics = _columns(where, entry, "metrics")
    for field, columns, wanted in (("dimensions", dimensions, DISPLAYS[display][0]),
                                   ("metrics", metrics, DISPLAYS[display][1])):
        if len(columns) != wanted if wanted is not None else not columns:
            count = "one or more" if wanted is None else str(wanted)
            raise ConfigError(f"{where}: a {display} card has {count} {field}, got {len(columns)}")
    repeated = sorted({c for c in dimensions + metrics if (dimensions + metrics).count(c) > 1})
    if repeated:
        raise ConfigError(f"{where}: a column is named twice: {', '.join(repeated)}")
    return Card(entry["name"].strip(), str(entry.get("description") or "").strip(), display,
                dimensions, metrics, entry["sql"].strip())


def _columns(where: str, entry: dict, field: str) -> tuple[str, ...]:
    columns = entry[field]
    if not isinstance(columns, list) or not all(isinstance(c, str) and COLUMN_NAME.match(c) for c in columns):
        raise ConfigError(f"{where}: `{field}` must be a list of lower_snake_case column names, "
                          f"got {columns!r}")
    return tuple(columns)
