"""Writing a silo's day folder the way its contract describes: dialects, BOM, `_SUCCESS`."""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from c360.ingest.contracts import dataset


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    line_end: str
    bom: bool = False


LINE_ENDS = {"CRLF": "\r\n", "LF": "\n"}


def dialect_of(silo: str, name: str) -> Dialect:
    """The contract's dialect; where it leaves line ends open, LF."""
    declared = dataset(silo, name).dialect
    return Dialect(declared["delimiter"], LINE_ENDS[declared.get("line_end", "LF")])


CONTACT_CENTER = dialect_of("contact_center", "interactions")
STORE = dialect_of("store", "pos_lines")
PRIVACY = dialect_of("privacy", "requests")


def day_folder(landing: Path, silo: str, day: date) -> Path:
    """`$C360_LANDING_DIR/<silo>/YYYY-MM-DD/`, emptied: a day is always written whole."""
    folder = landing / silo / day.isoformat()
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def write_csv(path: Path, frame: pd.DataFrame, dialect: Dialect) -> None:
    """Header row, fields quoted only when they hold the delimiter, a quote or a line break."""
    frame.to_csv(path, sep=dialect.delimiter, index=False, lineterminator=dialect.line_end,
                 quoting=csv.QUOTE_MINIMAL, quotechar='"', na_rep="",
                 encoding="utf-8-sig" if dialect.bom else "utf-8")


def mark_complete(folder: Path) -> None:
    (folder / "_SUCCESS").touch()
