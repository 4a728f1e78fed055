"""Privacy desk: data-subject requests (contracts/SOURCES.md, section 5). Comma-delimited, UTF-8."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from c360.ingest import checks
from c360.ingest.delimited import DelimitedContract
from c360.ingest.files import load_silo_files
from c360.ingest.report import SiloLoadReport

SOURCE_SYSTEM = "privacy"
RAW_TABLE = "raw_privacy.requests"
IDENTIFIERS = ("email", "phone", "account_id", "card_number")

REQUESTS = DelimitedContract(
    raw_table=RAW_TABLE,
    columns=("request_id", "received_at", "request_type", *IDENTIFIERS),
    checks=(
        # it names the access export's file: nothing that could leave its folder
        checks.identifier("request_id"),
        checks.iso_timestamp_with_offset("received_at"),
        checks.one_of("request_type", ("erasure", "restrict", "access")),
    ),
    delimiter=",",
    record_checks=(checks.AtLeastOne(IDENTIFIERS),),
)

FILE_KINDS = (REQUESTS.file_kind("requests.csv"),)


def load_business_date(warehouse_dsn: str, landing_dir: Path, business_date: date) -> SiloLoadReport:
    """Load the date's data-subject requests."""
    return load_silo_files(warehouse_dsn, SOURCE_SYSTEM, landing_dir, business_date, FILE_KINDS)
