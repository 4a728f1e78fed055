"""A tiny hand-made night for the Airflow tests: one small delivery per silo and a billing database."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import psycopg

from c360.ingest.contract_files import file_silo
from c360.orchestration.delivery import SUCCESS_MARKER, delivery_folder
from c360.orchestration.pipeline import CONTACT_CENTER, PRIVACY, STORE, WEB
from tests.ingest_helpers import create_billing, fetch, write_delimited, write_jsonl_gz

contact_center = file_silo("contact_center")
privacy = file_silo("privacy")
store = file_silo("store")
POS_LINES = store.dataset("pos_lines")
INTERACTIONS = contact_center.dataset("interactions")
REQUESTS = privacy.dataset("requests")


def deliver_contact_center(landing: Path, day: date) -> None:
    row = {
        "interaction_id": f"CC-{day:%Y%m%d}-000001", "started_at": f"{day:%d-%m-%Y} 09:15:00",
        "channel": "phone", "direction": "inbound", "customer_ref": "fa0000001",
        "caller_name": "Jansen, Piet", "caller_phone": "06-12345678", "caller_email": "",
        "reason": "billing", "handle_seconds": "240", "wait_seconds": "31", "resolved": "Y",
        "first_contact_resolution": "N", "csat": "4", "agent_id": "AG-07",
    }
    write_delimited(delivery_folder(landing, CONTACT_CENTER, day) / "interactions.csv",
                    INTERACTIONS.columns, [[row[c] for c in row]],
                    delimiter=";", line_end="\r\n")


def deliver_web(landing: Path, day: date) -> None:
    event = {
        "event_id": "00000000-0000-0000-0000-000000000001", "event_type": "page_view",
        "occurred_at": f"{day}T09:14:03.123Z", "anonymous_id": "anon-1", "user_id": None,
        "session_id": "sess-1", "page_url": "https://shop.example/p", "referrer": None,
        "utm": None, "properties": {"path": "/p", "title": "P"},
    }
    write_jsonl_gz(delivery_folder(landing, WEB, day) / "events-09.jsonl.gz", [event])


def deliver_store(landing: Path, day: date) -> None:
    line = ["R1", "1", "NL-AMS-01", f"{day} 14:03:12", "SKU-1", "heating", "2", "19.95", "0", "",
            "card"]
    write_delimited(delivery_folder(landing, STORE, day) / "pos_NL-AMS-01.csv",
                    POS_LINES.columns, [line])


def deliver_privacy(landing: Path, day: date) -> None:
    request = ["DSR-1", f"{day}T10:15:00+01:00", "restrict", "anna@example.nl", "", "", ""]
    write_delimited(delivery_folder(landing, PRIVACY, day) / "requests.csv",
                    REQUESTS.columns, [request])


DELIVERIES = {
    CONTACT_CENTER: deliver_contact_center,
    WEB: deliver_web,
    STORE: deliver_store,
    PRIVACY: deliver_privacy,
}


def mark_complete(landing: Path, silo: str, day: date) -> None:
    (delivery_folder(landing, silo, day) / SUCCESS_MARKER).touch()


def deliver_all(landing: Path, day: date, complete: bool = True) -> None:
    for silo, deliver in DELIVERIES.items():
        deliver(landing, day)
        if complete:
            mark_complete(landing, silo, day)


def fill_billing(finance_dsn: str, day: date) -> None:
    """The billing schema with one account, invoice and payment updated on `day`."""
    create_billing(finance_dsn)
    with psycopg.connect(finance_dsn) as conn:
        conn.execute(
            "insert into billing.accounts (account_id, first_name, last_name, country_code, "
            "status, created_at, updated_at) values ('FA0000001', 'Anna', 'van der Berg', 'NL', "
            "'active', %s, %s)", (f"{day} 08:00+01", f"{day} 08:00+01"))
        conn.execute(
            "insert into billing.invoices values ('INV-1', 'FA0000001', %s, %s, 'heating', "
            "100.00, 21.00, 'EUR', 'open', %s)", (day, day, f"{day} 09:00+01"))
        conn.execute(
            "insert into billing.payments values ('PAY-1', 'INV-1', %s, 121.00, 'ideal', %s)",
            (f"{day} 10:00+01", f"{day} 10:00+01"))


def loaded_silos(warehouse_dsn: str) -> dict[str, int]:
    """Rows loaded per silo according to the load ledger."""
    rows = fetch(warehouse_dsn, "select source_system, sum(rows_loaded)::int from ops.load_ledger "
                                "where status = 'loaded' group by 1")
    return dict(rows)


def alerts(warehouse_dsn: str) -> list[tuple]:
    """(source_system, business_date, rule, owner_email) of every alert, in order."""
    return fetch(warehouse_dsn, "select source_system, business_date, rule, owner_email "
                                "from ops.alerts order by alert_id")
