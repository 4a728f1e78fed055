"""Contact center: the daily interactions export (contracts/SOURCES.md, section 2).

`;`-delimited, `"`-quoted, UTF-8 with an optional byte-order mark, CRLF line ends.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from c360.ingest import checks
from c360.ingest.delimited import DelimitedContract
from c360.ingest.files import load_silo_files
from c360.ingest.report import SiloLoadReport

SOURCE_SYSTEM = "contact_center"
RAW_TABLE = "raw_contact_center.interactions"

INTERACTIONS = DelimitedContract(
    raw_table=RAW_TABLE,
    columns=(
        "interaction_id", "started_at", "channel", "direction", "customer_ref", "caller_name",
        "caller_phone", "caller_email", "reason", "handle_seconds", "wait_seconds", "resolved",
        "first_contact_resolution", "csat", "agent_id",
    ),
    checks=(
        checks.required("interaction_id"),
        checks.dutch_timestamp("started_at"),
        checks.one_of("channel", ("phone", "chat", "email")),
        checks.one_of("direction", ("inbound", "outbound")),
        checks.one_of("reason", (
            "billing", "complaint", "product_info", "return", "delivery", "cancellation", "other",
        )),
        checks.integer("handle_seconds"),
        checks.integer("wait_seconds"),
        checks.one_of("resolved", ("Y", "N")),
        checks.one_of("first_contact_resolution", ("Y", "N")),
        checks.one_of("csat", ("1", "2", "3", "4", "5"), optional=True),
    ),
    delimiter=";",
)

FILE_KINDS = (INTERACTIONS.file_kind("interactions.csv"),)


def load_business_date(warehouse_dsn: str, landing_dir: Path, business_date: date) -> SiloLoadReport:
    """Load the date's interactions file, as far as it is in the landing zone."""
    return load_silo_files(warehouse_dsn, SOURCE_SYSTEM, landing_dir, business_date, FILE_KINDS)
