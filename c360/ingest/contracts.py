"""The silos' contracts, declared once in `contracts/<silo>.yml` and read here.

A contract file holds:

- `silo`, `owner` (a key of the owners file, config/owners.yml), `description`;
- `delivery`: `kind` (`files` in the landing zone or a `database`), where the data
  is (`folder` under C360_LANDING_DIR, or `connection` and `schema`), `complete_when`
  (the marker file of a complete day) and `timing`;
- `datasets`, by name: `raw_table`, `file` (a glob within the day's folder; `file_name`
  when the name carries a part), `dialect` (format, delimiter, quote, encoding,
  byte_order_mark, line_end, header, compression), `key` (the columns that identify
  a row), `at_least_one` (columns of which a record must fill one), `identity`
  (`fields` that identify a person; `source_key`, the record key under which
  marts.customer_xref lists the record), and `columns`, in delivery order.

A column has a `type`: a PostgreSQL type for a database's column; for a file's,
`text`, `integer`, `decimal`, `date`, `timestamp` (with its `format`), `uuid`,
`identifier` (letters, digits, '-' and '_', safe in a file name), `email` (text
whose share of valid addresses is checked, never refused) or `object` (a JSON
object). `required` means a value is always delivered; `values` lists the allowed
values (a mapping when each value has notes), `open` that other values are kept,
`enforced` that the source database refuses others; `pattern` is a regular
expression a value matches, `minimum` the least plausible number,
`not_after_business_date` a date that cannot be later; `personal` marks personal data.

The file `contracts/<silo>.yml` is the silo: the pipeline ingests every silo that
has one, the database silos first. Generated from the files: the billing schema
(`billing_tables_sql`, `billing_keys_sql`), the raw tables of the silos of delimited
files (`raw_file_tables_sql`, applied by the warehouse bootstrap), their dbt sources
and docs/contracts.md (`python -m c360.ingest.contracts write`, `make contracts`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from c360.config import ConfigError, project_root, read_yaml_file

DATABASE = "database"
DELIMITED = "csv"
# How a file's column is stored in the raw layer: as delivered text, objects as jsonb.
FILE_RAW_TYPES = {"object": "jsonb"}
# The load metadata every raw file table has after its columns (010_raw.sql says what each holds).
FILE_LOAD_COLUMNS = (("_batch_id", "bigint      not null"), ("_business_date", "date        not null"),
                     ("_source_name", "text        not null"), ("_line_number", "bigint      not null"),
                     ("_loaded_at", "timestamptz not null default now()"))


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
    minimum: int | float | None = None
    not_after_business_date: bool = False
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
    at_least_one: tuple[str, ...] = ()
    identity: Mapping[str, Any] = field(default_factory=dict)

    @property
    def delimited(self) -> bool:
        return self.dialect.get("format") == DELIMITED

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

    @property
    def delimited(self) -> bool:
        """A silo of delimited files, which the contract alone loads, checks and describes."""
        return self.delivery.get("kind") != DATABASE and all(d.delimited for d in self.datasets)

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
                            **attrs, "key": tuple(attrs.get("key", ())),
                            "at_least_one": tuple(attrs.get("at_least_one", ()))}, where)


def read_contract(path: Path) -> Contract:
    """One contract file, checked for unknown keys; a ConfigError names the file and the key."""
    data = read_yaml_file(path, "contract file")
    if not isinstance(data, dict):
        raise ConfigError(f"contract file {path} must be a mapping")
    data = dict(data)
    silo, kind = data.get("silo"), (data.get("delivery") or {}).get("kind")
    if silo != path.stem:
        raise ConfigError(f"{path}: `silo` must be the file's name, {path.stem}")
    datasets = tuple(_dataset(silo, kind, name, attrs, str(path))
                     for name, attrs in (data.pop("datasets", None) or {}).items())
    return _built(Contract, {**data, "datasets": datasets}, str(path))


@cache
def _contracts(folder: Path) -> tuple[Contract, ...]:
    found = [read_contract(path) for path in sorted(folder.glob("*.yml"))]
    if not found:
        raise ConfigError(f"no contract files (<silo>.yml) in {folder}: the project needs contracts/")
    # A pulled database first: it is the slowest to fail when its source is down.
    return tuple(sorted(found, key=lambda c: c.delivery.get("kind") != DATABASE))


def all_contracts() -> tuple[Contract, ...]:
    """Every silo's contract, in the order the nightly run ingests them: the database
    silos, then the file silos, each by name."""
    return _contracts(contracts_dir())


def delimited_contracts() -> tuple[Contract, ...]:
    return tuple(c for c in all_contracts() if c.delimited)


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


def _schema_table(d: Dataset) -> tuple[str, str]:
    schema, table = d.raw_table.split(".")
    return schema, table


def raw_file_tables_sql() -> str:
    """The raw tables of the silos of delimited files: the contract's columns as delivered
    text, then the load metadata; partitioned by business date (c360/ingest/partitions.py)."""
    statements = []
    for c in delimited_contracts():
        schemas = dict.fromkeys(_schema_table(d)[0] for d in c.datasets)
        statements += [f"create schema if not exists {schema};" for schema in schemas]
        for d in c.datasets:
            columns = [(col.name, d.raw_type(col), col.format) for col in d.columns]
            columns += [(name, definition, None) for name, definition in FILE_LOAD_COLUMNS]
            width = max(len(name) for name, _, _ in columns) + 1
            lines = [f"    {name:<{width}}{definition}" for name, definition, _ in columns]
            lines = [line + ("," if n < len(lines) - 1 else "") + (f"  -- {fmt}" if fmt else "")
                     for n, (line, (_, _, fmt)) in enumerate(zip(lines, columns, strict=True))]
            statements.append(f"create table if not exists {d.raw_table} (\n" + "\n".join(lines)
                              + "\n) partition by list (_business_date);")
    return "\n\n".join(statements) + "\n"


def _text(value: str) -> str:
    """A YAML scalar for `value`: plain where YAML reads it back as the same string."""
    try:
        if yaml.safe_load(value) == value and not value.startswith(("'", '"')):
            return value
    except yaml.YAMLError:
        pass
    return json.dumps(value, ensure_ascii=False)


# How fresh dbt expects a silo's raw layer: a nightly delivery, one night late at most.
DBT_FRESHNESS = """    config:
      loaded_at_field: _loaded_at
      freshness:
        warn_after: {count: 26, period: hour}
        error_after: {count: 50, period: hour}"""


def dbt_sources_path(silo: str) -> Path:
    return project_root() / "dbt_project" / "models" / "staging" / silo / f"_{silo}__sources.yml"


def _column_description(c: Column) -> str:
    parts = [_cell(c.description)] if c.description else []
    if c.format:
        parts.append(f"Format {c.format}.")
    if c.values:
        parts.append("One of " + ", ".join(c.values) + (", or another." if c.open else "."))
    return " ".join(parts)


def dbt_sources_yaml(c: Contract) -> str:
    """A silo of delimited files' dbt sources: a source per raw schema, every column with
    its description, personal ones tagged pii, required key columns tested not null."""
    lines = [f"# Generated from contracts/{c.silo}.yml by `make contracts`: edit that file, not this one.",
             "version: 2", "", "sources:"]
    for schema in dict.fromkeys(_schema_table(d)[0] for d in c.datasets):
        lines += [f"  - name: {schema}", f"    description: {_text(_cell(c.description))}",
                  f"    schema: {schema}", "    loader: c360.ingest.contract_files",
                  f"    meta: {{owner: {c.owner}}}", DBT_FRESHNESS, "    tables:"]
        for d in (d for d in c.datasets if _schema_table(d)[0] == schema):
            lines.append(f"      - name: {_schema_table(d)[1]}")
            if d.description:
                lines.append(f"        description: {_text(_cell(d.description))}")
            lines.append("        columns:")
            for col in d.columns:
                lines.append(f"          - name: {col.name}")
                description = _column_description(col)
                if description:
                    lines.append(f"            description: {_text(description)}")
                if col.required and col.name in d.key:
                    lines.append("            data_tests: [not_null]")
                if col.personal:
                    lines.append("            tags: ['pii']")
    return "\n".join(lines) + "\n"


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
    if c.minimum is not None:
        rules.append(f"at least {c.minimum}")
    if c.not_after_business_date:
        rules.append("not after the business date")
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
    if d.at_least_one:
        facts.append(("at least one of", ", ".join(f"`{k}`" for k in d.at_least_one)))
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
             "Generated from `contracts/*.yml` by `make contracts`: edit those files, not this one.",
             "Owners are keys of the owners file (`config/owners.yml`, or `C360_OWNERS_FILE`)."]
    for c in all_contracts():
        lines += ["", f"## {c.silo}", "", _cell(c.description), "",
                  "| | |", "| --- | --- |", f"| owner | `{c.owner}` |",
                  *(f"| delivery: {k.replace('_', ' ')} | {_cell(v)} |" for k, v in c.delivery.items())]
        for d in c.datasets:
            lines += _dataset_markdown(c, d)
    return "\n".join(lines) + "\n"


def generated_files() -> dict[Path, str]:
    """Every file made from the contracts, by path: docs/contracts.md and the dbt sources
    of the silos of delimited files."""
    files = {project_root() / "docs" / "contracts.md": docs_markdown()}
    files.update({dbt_sources_path(c.silo): dbt_sources_yaml(c) for c in delimited_contracts()})
    return files


def write_generated() -> list[Path]:
    """Write the files made from the contracts; returns those whose text changed."""
    changed = []
    for path, text in generated_files().items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


COMMANDS = {"docs": docs_markdown,
            "billing-ddl": lambda: billing_tables_sql() + "\n" + billing_keys_sql(),
            "raw-ddl": raw_file_tables_sql,
            "write": lambda: "".join(f"wrote {p}\n" for p in write_generated())}

if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) == 2 else ""
    if command not in COMMANDS:
        sys.exit(f"usage: python -m c360.ingest.contracts {{{'|'.join(COMMANDS)}}}")
    sys.stdout.write(COMMANDS[command]())
