"""Stores: point-of-sale lines per store and loyalty member changes (contracts/SOURCES.md, 4).

Comma-delimited, UTF-8, LF line ends, dot as decimal mark.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from c360.ingest import checks
from c360.ingest.delimited import DelimitedContract
from c360.ingest.files import load_silo_files
from c360.ingest.report import SiloLoadReport

SOURCE_SYSTEM = "store"
POS_TABLE = "raw_store.pos_lines"
LOYALTY_TABLE = "raw_store.loyalty_members"
Y_OR_N = ("Y", "N")

POS_LINES = DelimitedContract(
    raw_table=POS_TABLE,
    columns=(
        "receipt_id", "line_no", "store_code", "sold_at", "sku", "product_line", "quantity",
        "unit_price", "discount", "loyalty_card", "payment_method",
    ),
    checks=(
        checks.required("receipt_id"),
        checks.integer("line_no"),
        checks.required("store_code"),
        checks.local_timestamp("sold_at"),
        checks.integer("quantity"),
        checks.decimal("unit_price"),
        checks.decimal("discount"),
        checks.one_of("payment_method", ("cash", "card", "mobile", "voucher")),
    ),
    delimiter=",",
)

LOYALTY_MEMBERS = DelimitedContract(
    raw_table=LOYALTY_TABLE,
    columns=(
        "card_number", "first_name", "last_name", "email", "phone", "postal_code",
        "house_number", "birth_date", "marketing_opt_in", "enrolled_at", "updated_at",
    ),
    checks=(
        checks.required("card_number"),
        checks.iso_date("birth_date", optional=True),
        checks.one_of("marketing_opt_in", Y_OR_N),
        checks.local_timestamp("enrolled_at"),
        checks.local_timestamp("updated_at"),
    ),
    delimiter=",",
)

FILE_KINDS = (
    POS_LINES.file_kind("pos_*.csv"),
    LOYALTY_MEMBERS.file_kind("loyalty_members.csv"),
)


def load_business_date(warehouse_dsn: str, landing_dir: Path, business_date: date) -> SiloLoadReport:
    """Load the date's POS files (one per store that traded) and loyalty member changes."""
    return load_silo_files(warehouse_dsn, SOURCE_SYSTEM, landing_dir, business_date, FILE_KINDS)
