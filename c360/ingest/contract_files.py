"""The loader of every silo of delimited files, made from its contract (contracts/<silo>.yml).

Each dataset of the contract becomes a `DelimitedContract`: its raw table, its
header (the columns in delivery order), the delimiter, and one field check per
column that the contract constrains, from the column's `type` and `format`,
`required` and closed `values`; a dataset's `at_least_one` becomes a record
rule. Values that parse but are implausible (a `pattern`, a `minimum`, an e-mail
address) load: the raw suite flags them (contracts/QUALITY.md). Each dataset's
`file` glob becomes a `FileKind`, so `load_business_date(silo, ...)` loads any
such silo. The web's JSON Lines and the finance database have loaders of their own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path

from c360.config import ConfigError
from c360.ingest import checks, web
from c360.ingest.contracts import Column, Contract, Dataset, contract
from c360.ingest.delimited import DelimitedContract
from c360.ingest.files import SUCCESS_MARKER, FileKind, load_silo_files
from c360.ingest.report import SiloLoadReport

# A file column's check by (type, format); a type without a format takes its entry under None.
TYPE_CHECKS: Mapping[tuple[str, str | None], Callable[..., checks.Check]] = {
    ("integer", None): checks.integer,
    ("decimal", None): checks.decimal,
    ("date", None): checks.iso_date,
    ("date", "YYYY-MM-DD"): checks.iso_date,
    ("timestamp", "DD-MM-YYYY HH:MM:SS"): checks.dutch_timestamp,
    ("timestamp", "YYYY-MM-DD HH:MM:SS"): checks.local_timestamp,
    ("timestamp", "ISO 8601 with offset"): checks.iso_timestamp_with_offset,
    ("timestamp", "ISO 8601 in UTC"): checks.iso_timestamp_utc,
}
# Types the loader does not parse: any text loads (a required one must be there).
TEXT_TYPES = ("text", "email")
# What DelimitedContract reads: the contract may say so, not ask for something else.
DIALECT = {"quote": '"', "encoding": "utf-8", "header": True, "compression": "none"}


def _problem(where: str, message: str) -> ConfigError:
    return ConfigError(f"contracts/{where}: {message}")


def column_check(column: Column, where: str) -> checks.Check | None:
    """The check of one delivered field, or None when any value (or none) is valid."""
    optional = not column.required
    if column.values and not column.open:
        return checks.one_of(column.name, column.values, optional)
    if column.type == "identifier":
        return dataclasses.replace(checks.identifier(column.name), optional=optional)
    if column.type == "uuid":
        return dataclasses.replace(checks.UUID_CHECK, name=column.name, optional=optional)
    if column.type in TEXT_TYPES:
        return checks.required(column.name) if column.required else None
    made = TYPE_CHECKS.get((column.type, column.format))
    if made is None:
        raise _problem(where, f"column {column.name}: no delimited-file check for type "
                              f"{column.type!r} with format {column.format!r}")
    return made(column.name, optional)


def delimited_contract(d: Dataset) -> DelimitedContract:
    """The loader's contract of one dataset of delimited files."""
    where = f"{d.silo}.yml, dataset {d.name}"
    wrong = {k: d.dialect.get(k, v) for k, v in DIALECT.items() if d.dialect.get(k, v) != v}
    if wrong or not d.dialect.get("delimiter"):
        raise _problem(where, f"the delimited loader reads {DIALECT} with a delimiter, "
                              f"not {wrong or 'without one'}")
    found = (column_check(c, where) for c in d.columns)
    return DelimitedContract(
        raw_table=d.raw_table,
        columns=d.column_names,
        checks=tuple(c for c in found if c is not None),
        delimiter=d.dialect["delimiter"],
        record_checks=(checks.AtLeastOne(d.at_least_one),) if d.at_least_one else (),
    )


@dataclass(frozen=True)
class FileSilo:
    """A silo of delimited files: each dataset's loader contract, and what loads a date."""

    name: str
    datasets: Mapping[str, DelimitedContract]
    kinds: tuple[FileKind, ...]

    def dataset(self, name: str) -> DelimitedContract:
        return self.datasets[name]

    def load_business_date(self, warehouse_dsn: str, landing_dir: Path,
                           business_date: date) -> SiloLoadReport:
        """Load every file of the date's folder that one of the contract's datasets names."""
        return load_silo_files(warehouse_dsn, self.name, landing_dir, business_date, self.kinds)


def _delivery_problem(c: Contract) -> str | None:
    # the loader and the delivery sensor look in <silo>/<date>/ for the _SUCCESS marker
    if c.delivery.get("folder") != f"{c.silo}/YYYY-MM-DD":
        return f"delivery folder must be {c.silo}/YYYY-MM-DD"
    if c.delivery.get("complete_when") != SUCCESS_MARKER:
        return f"complete_when must be {SUCCESS_MARKER}"
    return None


def file_silo_of(c: Contract) -> FileSilo:
    if not c.delimited:
        raise _problem(f"{c.silo}.yml", "not a silo of delimited files")
    problem = _delivery_problem(c)
    if problem:
        raise _problem(f"{c.silo}.yml", problem)
    datasets = {d.name: delimited_contract(d) for d in c.datasets}
    kinds = tuple(datasets[d.name].file_kind(d.file) for d in c.datasets)
    return FileSilo(c.silo, datasets, kinds)


def file_silo(silo: str) -> FileSilo:
    return file_silo_of(contract(silo))


def load_business_date(silo: str, warehouse_dsn: str, landing_dir: Path,
                       business_date: date) -> SiloLoadReport:
    """Load the date's delivery of a silo of delimited files, as its contract declares it."""
    return file_silo(silo).load_business_date(warehouse_dsn, landing_dir, business_date)


def file_loader(silo: str) -> Callable[[str, Path, date], SiloLoadReport]:
    """What loads a file silo's date: the web's own loader for its JSON Lines, else the
    contract's delimited loader."""
    c = contract(silo)
    if c.delimited:
        file_silo_of(c)  # a contract the loader cannot read fails here, where the DAG is made
        return partial(load_business_date, silo)
    formats = {d.dialect.get("format") for d in c.datasets}
    if formats == {"jsonl"}:
        return web.load_business_date
    raise _problem(f"{silo}.yml", f"no loader for files of format {', '.join(map(str, formats))}")
