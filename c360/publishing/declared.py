"""What marketing and service declare in a dbt model's meta (segments, next best activities).

The list sits in the `meta` of the model that builds from it, so dbt and Python read one
declaration; this finds it and names the file and model when it is missing.
"""

from __future__ import annotations

import re
from pathlib import Path

from c360.config import ConfigError

NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def declared_entries(data: object, path: Path, what: str, model_name: str, key: str) -> list:
    """The non-empty list `config: meta: <key>:` of model `model_name` in a parsed YAML file."""
    models = data.get("models") if isinstance(data, dict) else None
    model = next(
        (m for m in models or () if isinstance(m, dict) and m.get("name") == model_name), None
    )
    if model is None:
        raise ConfigError(f"{what} {path} has no model `{model_name}` under `models:`")
    entries = ((model.get("config") or {}).get("meta") or {}).get(key)
    if not isinstance(entries, list) or not entries:
        raise ConfigError(
            f"{what} {path}: model `{model_name}` needs a non-empty list `config: meta: {key}:`"
        )
    return entries


def repeated_names(names: list[str]) -> list[str]:
    return sorted({n for n in names if names.count(n) > 1})


def checked_entry(entry: object, where: str, fields: tuple[str, ...],
                  texts: tuple[str, ...]) -> tuple[dict, str]:
    """The declared entry, checked for what every declaration needs: exactly `fields`, the
    `texts` non-empty, a lower_snake_case name, a true-or-false `requires_marketing_consent`.
    Returns it with `where` extended by its name, for the caller's own checks."""
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected the fields {', '.join(fields)}, got {entry!r}")
    where = f"{where} ({entry.get('name', 'unnamed')})"
    missing = [f for f in fields if f not in entry]
    unknown = sorted(set(entry) - set(fields))
    if missing or unknown:
        raise ConfigError(f"{where}: missing fields {missing}, unknown fields {unknown}")
    for text in texts:
        if not isinstance(entry[text], str) or not entry[text].strip():
            raise ConfigError(f"{where}: `{text}` must be non-empty text")
    if not NAME.match(entry["name"]):
        raise ConfigError(f"{where}: the name must be lower_snake_case (a-z, 0-9, _)")
    if not isinstance(entry["requires_marketing_consent"], bool):
        raise ConfigError(f"{where}: `requires_marketing_consent` must be true or false")
    return entry, where
