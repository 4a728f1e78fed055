"""The truth for evaluation: which person every identity-bearing record belongs to, and
what drives each person's behaviour.

`truth/identities.csv` (source_system, source_key, person_id) grows by one row
per identity-bearing record as the days are written. `truth/interests.csv`
(person_id, product_line, interest, preferred_channel; behaviour.py) is written
once, when a simulation starts. The pipeline reads neither.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

TRUTH_COLUMNS = ["source_system", "source_key", "person_id"]


def truth_rows(source_system: str, keys: pd.Series, person_ids: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"source_system": source_system, "source_key": keys.to_numpy(),
                         "person_id": person_ids.to_numpy()})


def truth_file(truth_dir: Path) -> Path:
    return truth_dir / "identities.csv"


def start_truth(truth_dir: Path) -> int:
    """A new, header-only truth file; returns its size."""
    truth_dir.mkdir(parents=True, exist_ok=True)
    path = truth_file(truth_dir)
    pd.DataFrame(columns=TRUTH_COLUMNS).to_csv(path, index=False, lineterminator="\n")
    return path.stat().st_size


def write_interests(truth_dir: Path, interests: pd.DataFrame) -> None:
    truth_dir.mkdir(parents=True, exist_ok=True)
    interests.to_csv(truth_dir / "interests.csv", index=False, lineterminator="\n",
                     float_format="%.6f")


def append_truth(truth_dir: Path, rows: pd.DataFrame, expected_size: int) -> int:
    """Append a day's rows after cutting what an interrupted run may have left; returns the
    new size."""
    path = truth_file(truth_dir)
    if not path.exists() or path.stat().st_size < expected_size:
        raise FileNotFoundError(
            f"{path} is missing or shorter than the simulation state expects; "
            "start a new simulation with --reset")
    with path.open("r+b") as f:
        f.truncate(expected_size)
    rows[TRUTH_COLUMNS].to_csv(path, mode="a", header=False, index=False, lineterminator="\n",
                               quoting=csv.QUOTE_MINIMAL)
    return path.stat().st_size
