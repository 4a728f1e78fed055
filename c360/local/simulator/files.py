"""Writing a silo's day folder the way SOURCES.md describes: dialects, BOM, `_SUCCESS`."""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    line_end: str
    bom: bool = False


CONTACT_CENTER = Dialect(delimiter=";", line_end="\r\n")
STORE = Dialect(delimiter=",", line_end="\n")
PRIVACY = Dialect(delimiter=",", line_end="\n")


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
