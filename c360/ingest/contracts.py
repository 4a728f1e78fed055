"""The silos' contracts, declared once in `contracts/<silo>.yml` and read here.

A contract file holds:

- `silo`, `owner` (a key of the owners file, config/owners.yml), `description`;
- `delivery`: `kind` (`files` in the landing zone or a `database`), where the data
  is (`folder` under C360_LANDING_DIR, or `connection` and `schema`), `complete_when`
  (the marker file of a complete day) and `timing`;
- `datasets`, by name: `raw_table`, `file` (a glob within the day's folder; `file_name`
  when the name carries a part), `dialect` (format, delimiter, quote, encoding,
  byte_order_mark, line_end, header, compression), `key` (the columns that identify
  a row), `identity` (`fields` that identify a person; `source_key`, the record key
  under which marts.customer_xref lists the record), and `columns`, in delivery order.

A column has a `type`: a PostgreSQL type for a database's column; for a file's,
`text`, `integer`, `decimal`, `date`, `timestamp` (with its `format`), `uuid` or
`object` (a JSON object). `required` means a value is always delivered;
`values` lists the allowed values (a mapping when each value has notes), `open`
that other values are kept, `enforced` that the source database refuses others;
`pattern` is a regular expression a value matches, `personal` marks personal data.

Generated from the files: the billing schema (`billing_tables_sql`, `billing_keys_sql`),
and docs/contracts.md (`python -m c360.ingest.contracts docs > docs/contracts.md`).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any

from c360.config import ConfigError, project_root, read_yaml_file
from c360.orchestration.pipeline import INGEST_SILOS

DATABASE = "database"
# How a file's column is stored in the raw layer: as delivered text, objects as jsonb.
FILE_RAW_TYPES = {"object": "jsonb"}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    values: tuple[str, ...] = ()
    value_notes: Mapping[str, Any] = field(default_factory=dict)
    open: bool = False
    enforced: bool = False
    format: str | None = None
    pattern: str | None = None
    personal: bool = False
    default: str | None = None
    references: str | None = None
    description: str = ""


@dataclass(frozen=True)
class Dataset:
    silo: str
    name: str
    kind: str
    raw_table: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    description: str = ""
    file: str | None = None
    file_name: str | None = None
    dialect: Mapping[str, Any] = field(default_factory=dict)
    identity: Mapping[str, Any] = field(default_factory=dict)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.silo}.{self.name} has no column {name!r}")

    def values(self, name: str) -> tuple[str, ...]:
        return self.column(name).values

    def raw_type(self, column: Column) -> str:
        """The column's type in the raw layer: a database's own, a file's as delivered text."""
        if self.kind == DATABASE:
            return column.type
        return FILE_RAW_TYPES.get(column.type, "text")


@dataclass(frozen=True)
class Contract:
    silo: str
    owner: str
    description: str
    delivery: Mapping[str, Any]
    datasets: tuple[Dataset, ...]

    def dataset(self, name: str) -> Dataset:
        for dataset in self.datasets:
            if dataset.name == name:
                return dataset
        raise KeyError(f"the {self.silo} contract has no dataset {name!r}")


def contracts_dir() -> Path:
    """contracts/ beside config/ in the project (C360_PROJECT_DIR in an image)."""
    return project_root() / "contracts"


def _built(kind: type, attrs: Mapping[str, Any], where: str) -> Any:
    known = {f.name for f in fields(kind)}
    unknown = sorted(set(attrs) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}")
    try:
        return kind(**attrs)
    except TypeError as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def _column(name: str, attrs: Mapping[str, Any], where: str) -> Column:
    attrs = dict(attrs)
    values = attrs.pop("values", ())
    if isinstance(values, Mapping):
        attrs["value_notes"] = dict(values)
    return _built(Column, {"name": name, **attrs, "values": tuple(str(v) for v in values)},
                  f"{where}, column {name}")


def _dataset(silo: str, kind: str, name: str, attrs: Mapping[str, Any], where: str) -> Dataset:
    attrs = dict(attrs)
    where = f"{where}, dataset {name}"
    columns = tuple(_column(c, a or {}, where) for c, a in (attrs.pop("columns", None) or {}).items())
    return _built(Dataset, {"silo": silo, "name": name, "kind": kind, "columns": columns,
                            **attrs, "key": tuple(attrs.get("key", ()))}, where)


def read_contract(path: Path) -> Contract:
    """One contract file, checked for unknown keys; a ConfigError names the file and the key."""
    data = read_yaml_file(path, "contract file")
    if not isinstance(data, dict):
        raise ConfigError(f"contract file {path} must be a mapping")
    data = dict(data)
    silo, kind = data.get("silo"), (data.get("delivery") or {}).get("kind")
    datasets = tuple(_dataset(silo, kind, name, attrs, str(path))
                     for name, attrs in (data.pop("datasets", None) or {}).items())
    return _built(Contract, {**data, "datasets": datasets}, str(path))


@cache
def _contracts(folder: Path) -> tuple[Contract, ...]:
    return tuple(read_contract(folder / f"{silo}.yml") for silo in INGEST_SILOS)


def all_contracts() -> tuple[Contract, ...]:
    """Every silo's contract, in the order the nightly run ingests them."""
    return _contracts(contracts_dir())


def contract(silo: str) -> Contract:
    for found in all_contracts():
        if found.silo == silo:
            return found
    raise KeyError(f"no contract for silo {silo!r}")


def dataset(silo: str, name: str) -> Dataset:
    return contract(silo).dataset(name)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def billing_tables_sql() -> str:
    """The billing schema's tables as the finance contract declares them, without keys."""
    finance = contract("finance")
    schema = finance.delivery["schema"]
    statements = [f"create schema {schema};"]
    for table in finance.datasets:
        lines = []
        for c in table.columns:
            line = f"    {c.name} {c.type}" + (" not null" if c.required else "")
            if c.default is not None:
                line += f" default {_literal(c.default)}"
            if c.enforced:
                line += f" check ({c.name} in ({', '.join(map(_literal, c.values))}))"
            lines.append(line)
        statements.append(f"create table {schema}.{table.name} (\n" + ",\n".join(lines) + "\n);")
    return "\n\n".join(statements) + "\n"


def billing_keys_sql() -> str:
    """The billing tables' primary and foreign keys: apart, so a bulk load can precede them."""
    finance = contract("finance")
    schema = finance.delivery["schema"]
    statements = []
    for table in finance.datasets:
        parts = [f"add primary key ({', '.join(table.key)})"]
        parts += [f"add foreign key ({c.name}) references {schema}.{c.references}"
                  for c in table.columns if c.references]
        statements.append(f"alter table {schema}.{table.name} " + ", ".join(parts) + ";")
    return "\n".join(statements) + "\n"


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _shown(value: object) -> object:
    return {True: "yes", False: "no"}.get(value, value) if isinstance(value, bool) else value


def _rule(c: Column) -> str:
    rules = []
    if c.format:
        rules.append(f"format `{c.format}`")
    if c.pattern:
        rules.append(f"matches `{c.pattern}`")
    if c.values:
        rules.append("one of " + ", ".join(f"`{v}`" for v in c.values)
                     + (" (others kept)" if c.open else "")
                     + (" (the database refuses others)" if c.enforced else ""))
    if c.default is not None:
        rules.append(f"default `{c.default}`")
    if c.references:
        rules.append(f"refers to {c.references}")
    return "; ".join(rules)


def _value_notes(c: Column) -> list[str]:
    if not c.value_notes:
        return []
    lines = ["", f"`{c.name}` values:", ""]
    for value, note in c.value_notes.items():
        if isinstance(note, Mapping):
            note = "; ".join(f"{k}: {', '.join(map(str, v)) or 'none'}" if isinstance(v, list)
                             else f"{k}: {v}" for k, v in note.items())
        lines.append(f"- `{value}`: {_cell(note)}")
    return lines


def _dataset_markdown(contract_: Contract, d: Dataset) -> list[str]:
    lines = ["", f"### {contract_.silo}.{d.name}", "", _cell(d.description), ""]
    facts = [("raw table", f"`{d.raw_table}`"), ("key", ", ".join(f"`{k}`" for k in d.key))]
    if d.file:
        facts.append(("file", f"`{d.file_name or d.file}`"))
    facts += [(f"dialect: {k.replace('_', ' ')}", _cell(v if k == "note" else f"`{_shown(v)}`"))
              for k, v in d.dialect.items()]
    facts += [(f"identity: {k.replace('_', ' ')}",
               ", ".join(f"`{v}`" for v in value) if isinstance(value, list) else _cell(value))
              for k, value in d.identity.items()]
    lines += ["| | |", "| --- | --- |", *(f"| {k} | {v} |" for k, v in facts), ""]
    lines += ["| column | type | required | personal | rule | description |",
              "| --- | --- | --- | --- | --- | --- |"]
    lines += [f"| `{c.name}` | {c.type} | {'yes' if c.required else ''} | "
              f"{'yes' if c.personal else ''} | {_rule(c)} | {_cell(c.description)} |"
              for c in d.columns]
    for c in d.columns:
        lines += _value_notes(c)
    return lines


def docs_markdown() -> str:
    """docs/contracts.md: every contract as tables, made from the contract files."""
    lines = ["# Source contracts", "",
             "Generated from `contracts/*.yml` by `make contracts-doc`: edit those files, not this one.",
             "Owners are keys of the owners file (`config/owners.yml`, or `C360_OWNERS_FILE`)."]
    for c in all_contracts():
        lines += ["", f"## {c.silo}", "", _cell(c.description), "",
                  "| | |", "| --- | --- |", f"| owner | `{c.owner}` |",
                  *(f"| delivery: {k.replace('_', ' ')} | {_cell(v)} |" for k, v in c.delivery.items())]
        for d in c.datasets:
            lines += _dataset_markdown(c, d)
    return "\n".join(lines) + "\n"


COMMANDS = {"docs": docs_markdown,
            "billing-ddl": lambda: billing_tables_sql() + "\n" + billing_keys_sql()}

if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) == 2 else ""
    if command not in COMMANDS:
        sys.exit(f"usage: python -m c360.ingest.contracts {{{'|'.join(COMMANDS)}}}")
    sys.stdout.write(COMMANDS[command]())
