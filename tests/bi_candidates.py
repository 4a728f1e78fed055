"""Hand-made candidates of the BI layer's facts and dimensions (c360/quality/suites/bi.py),
made with the columns and types of their dbt contracts: one row per fact, keyed to the
dimensions' rows and to a customer of the hand-made customer_360, for the gate tests'
warehouses (tests/test_quality_gate.py and the tests that reuse it)."""

from __future__ import annotations

from datetime import date

import psycopg

from c360.publishing.segments import load_segments
from c360.quality.suites.bi import BI_TABLES
from tests.test_metabase_cards import contract_columns

CHANNELS = ("store", "web", "finance", "phone")
STORE, LINE = "NL-AMS-01", "solar"
# read at import, from the checkout: a test may point the project elsewhere (a stand-in dbt project)
CONTRACTS = {table: contract_columns(table) for table in BI_TABLES}


def _insert(conn: psycopg.Connection, table: str, **values: object) -> None:
    columns = ", ".join(values)
    conn.execute(f"insert into marts.{table} ({columns}) values ({', '.join(['%s'] * len(values))})",
                 tuple(values.values()))


def bi_candidates(conn: psycopg.Connection, customer_id: str, day: date) -> None:
    """Create the BI layer's candidates in schema marts and fill them, every key joining."""
    for table in BI_TABLES:
        columns = ", ".join(f"{name} {data_type}" for name, data_type in CONTRACTS[table])
        conn.execute(f"create table marts.{table} ({columns})")
    key = int(day.strftime("%Y%m%d"))
    _insert(conn, "dim_date", date_key=key, calendar_date=day)
    for channel in CHANNELS:
        _insert(conn, "dim_channel", channel=channel, description=f"the {channel} channel")
    _insert(conn, "dim_product_line", product_line=LINE, is_declared=True)
    _insert(conn, "dim_store", store_code=STORE, city_code="AMS", country_code="NL")
    for segment in load_segments():
        _insert(conn, "dim_segment", segment=segment.name,
                requires_marketing_consent=segment.requires_marketing_consent)
    keys = {"date_key": key, "product_line": LINE, "customer_id": customer_id}
    _insert(conn, "fct_purchase_lines", purchase_line_id=f"store:{STORE}:R1:1", channel="store",
            store_code=STORE, amount=100, **keys)
    _insert(conn, "fct_web_sessions", session_id="S1", channel="web", store_code=STORE, **keys)
    _insert(conn, "fct_invoices", invoice_id="I1", channel="finance", due_date_key=key, **keys)
    _insert(conn, "fct_invoice_payments", payment_id="P1", invoice_id="I1", channel="finance", **keys)
    _insert(conn, "fct_contact_interactions", interaction_id="CC1", channel="phone", date_key=key,
            customer_id=customer_id)


# The rows bi_candidates makes per table, as a publication counts them.
BI_CANDIDATE_ROWS = {table: 1 for table in BI_TABLES} | {
    "dim_channel": len(CHANNELS), "dim_segment": len(load_segments())}
