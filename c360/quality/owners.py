"""Owners of the silos and layers: configuration, not code (QUALITY.md, "Owners").

A YAML file maps each owner to a name and an e-mail address; by default
`config/owners.yml` in the project, or the file that C360_OWNERS_FILE names. A
silo's owner is the key its contract names (`owner:` in contracts/<silo>.yml), so
a new silo of an existing owner needs no entry; a layer's owner is its own key.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from c360.config import ConfigError, project_root, read_yaml_file
from c360.ingest.contracts import all_contracts
from c360.orchestration.pipeline import OWNED_AREAS

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Owner:
    name: str
    email: str


def owners_file() -> Path:
    override = os.environ.get("C360_OWNERS_FILE")
    return Path(override) if override else project_root() / "config" / "owners.yml"


def load_owners(path: Path | None = None) -> dict[str, Owner]:
    """Every owner in the file, checked: each silo and layer present, with a name and an e-mail."""
    path = path or owners_file()
    data = read_yaml_file(path, "owners file", ": create it or set C360_OWNERS_FILE")
    if not isinstance(data, dict):
        raise ConfigError(f"owners file {path} must map each silo to a name and an email")
    missing = [area for area in OWNED_AREAS if area not in data]
    if missing:
        raise ConfigError(f"owners file {path} has no owner for: {', '.join(missing)}")
    owners = {}
    for area, entry in data.items():
        name = entry.get("name") if isinstance(entry, dict) else None
        email = entry.get("email") if isinstance(entry, dict) else None
        if not name or not email or not EMAIL.match(str(email)):
            raise ConfigError(
                f"owners file {path}: `{area}` needs a `name` and a valid `email`, got {entry!r}"
            )
        owners[area] = Owner(name=str(name), email=str(email))
    return owners


def owner_key(area: str) -> str:
    """The owners file's key for a silo (its contract's owner) or a layer (its own name)."""
    return next((c.owner for c in all_contracts() if c.silo == area), area)


def owner_of(area: str, path: Path | None = None) -> Owner:
    owners = load_owners(path)
    key = owner_key(area)
    if key not in owners:
        raise ConfigError(f"no owner for `{key}` in {path or owners_file()}")
    return owners[key]
