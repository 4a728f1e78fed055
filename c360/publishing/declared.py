"""What marketing and service declare in a dbt model's meta (segments, next best activities).

The list sits in the `meta` of the model that builds from it, so dbt and Python read one
declaration; this finds it and names the file and model when it is missing.
"""

from __future__ import annotations

from pathlib import Path

from c360.config import ConfigError


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
