"""The build DAG's quality_gate and publish tasks, with alerts e-mailed to a real SMTP server.

The task functions run as the DAG runs them (the Airflow connection
`c360_warehouse`, the business date from the run's context) on the hand-made
warehouse of test_quality_gate, whose candidates were published the day
before. Each fault must stop the night: the gate task fails, nothing is
published, the last publication keeps its rows, and the owner of the broken
silo or layer (config/owners.yml) gets an e-mail naming the rule and the date,
with masked examples and no customer's address. A clean night publishes and
sends nothing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import psycopg
import pytest

from c360.config import Settings, dsn_to_uri
from c360.orchestration.dates import run_logical_date
from c360.orchestration.pipeline import FINANCE, SEGMENTS, STORE
from c360.orchestration.publishing import GateBlocked, check_quality, publish_candidates
from c360.quality.context import data_docs_index
from c360.quality.owners import owner_of
from c360.warehouse.roles import BI_ROLE, ensure_bi_reader
from tests.bi_candidates import BI_CANDIDATE_ROWS
from tests.conftest import dsn_as
from tests.smtp_sink import SENDER, Inbox
from tests.test_quality_gate import (  # noqa: F401  (warehouse is a fixture)
    BUSINESS_DATE,
    FINANCE_KEYS,
    MARKETED,
    PUBLISHED_TABLES,
    SERVICE,
    alerts,
    execute,
    published_state,
    warehouse,
)

# What Airflow hands the tasks of the nightly run for BUSINESS_DATE: a run `c360 run` started,
# and one the silo Assets triggered (no logical date; it ran the morning after).
CONTEXT = {"logical_date": run_logical_date(BUSINESS_DATE)}
ASSET_TRIGGERED = {
    "logical_date": None,
    "dag_run": SimpleNamespace(dag_id="c360_build", run_id="asset_triggered__2026-11-21T05:40:00+00:00",
                               run_after=datetime(2026, 11, 21, 5, 40, tzinfo=UTC)),
}
BI_PASSWORD = "test-bi-reader-secret"
ADDRESS = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
DOCS_URL = "https://quality.example.org/c360"


@pytest.fixture
def night(warehouse: Settings, smtp_inbox: Inbox, monkeypatch) -> Settings:  # noqa: F811
    """The warehouse as the DAG's tasks see it: through the Airflow connection."""
    monkeypatch.setenv("AIRFLOW_CONN_C360_WAREHOUSE", dsn_to_uri(warehouse.warehouse_dsn))
    return warehouse


def customer_addresses(settings: Settings) -> set[str]:
    """Every e-mail address the warehouse holds of a customer, valid or not."""
    with psycopg.connect(settings.warehouse_dsn) as conn:
        rows = conn.execute(
            "select email from raw_finance.accounts union select email from raw_store.loyalty_members"
            " union select caller_email from raw_contact_center.interactions"
            " union select traits ->> 'email' from raw_web.events"
            " union select email from raw_privacy.requests union select email from marts.dim_customer"
        ).fetchall()
    return {email for (email,) in rows if email}


def publications_of_the_night(settings: Settings) -> int:
    with psycopg.connect(settings.warehouse_dsn) as conn:
        return conn.execute(
            "select count(*) from ops.publications where business_date = %s", (BUSINESS_DATE,)
        ).fetchone()[0]


# Each fault (QUALITY.md), whose owner must hear of it, about which rule, with which evidence.
FAULTS = {
    "a silo's e-mails all invalid": (
        "update raw_finance.accounts set email = replace(email, '.nl', '')",  # jan0@example
        FINANCE, "raw_finance_accounts.expect_column_values_to_match_regex(email)", len(FINANCE_KEYS),
        ["*****0001 @ "],  # the account's last digits: which record, not whose
    ),
    "a consent-requiring segment with an opted-out customer": (
        f"update marts.dim_customer set marketing_consent = false where customer_id = '{MARKETED[0]}'",
        SEGMENTS, "segment_consent.expect_column_values_to_be_in_set(segment)", 1,
        [f"high_value_at_risk:{MARKETED[0]}:no marketing consent"],
    ),
    "an offer to a customer without marketing consent": (
        f"update marts.next_best_activity set activity = 'win_back_lapsed', kind = 'offer',"
        f" requires_marketing_consent = true where customer_id = '{SERVICE[0]}'",
        SEGMENTS, "activity_consent.expect_column_values_to_be_in_set(activity_without_consent)", 1,
        [f"{SERVICE[0]}:win_back_lapsed:no marketing consent"],
    ),
    "a segment shrinking by 80 %": (
        "delete from marts.customer_segments"
        f" where customer_id in ({', '.join(repr(c) for c in MARKETED[10:])})",
        SEGMENTS, "segment_size_drift.expect_column_values_to_be_between(size_ratio)", 1,
        ["high_value_at_risk (now 10, last published 50)"],
    ),
    "a stale silo": (
        f"delete from ops.load_ledger where source_system = 'store' and business_date = '{BUSINESS_DATE}'",
        STORE, "silo_freshness.expect_column_values_to_be_between(latest_business_date)", 1,
        [str(BUSINESS_DATE - timedelta(days=1))],
    ),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_blocks_the_night_and_emails_its_owner_the_evidence(night, smtp_inbox, monkeypatch, fault):
    statement, area, rule, rows, evidence = FAULTS[fault]
    monkeypatch.setenv("C360_DATA_DOCS_URL", DOCS_URL)
    before = published_state(night)
    addresses = customer_addresses(night)
    execute(night, statement)

    with pytest.raises(GateBlocked, match=rule.split("(")[0]):
        check_quality(CONTEXT)  # the DAG's publish task is downstream: it does not run

    assert published_state(night) == before, "the last publication changed"
    assert publications_of_the_night(night) == 0
    owner = owner_of(area)
    mails = smtp_inbox.mails
    assert mails, "nobody was e-mailed"
    assert {r for m in mails for r in m.recipients} == {owner.email}, "an alert went to the wrong owner"
    assert {m.sender for m in mails} == {SENDER}
    [mail] = [m for m in mails if m.subject == f"[c360] {area} {BUSINESS_DATE}: {rule}"]
    assert f"business date:  {BUSINESS_DATE}" in mail.body and f"rule:           {rule}" in mail.body
    assert f"rows affected:  {rows}" in mail.body
    assert "nothing was published" in mail.body
    for text in evidence:
        assert text in mail.body, f"{text!r} missing from the alert:\n{mail.body}"
    assert f"Full report: {DOCS_URL}/validations/" in mail.body, mail.body
    for m in mails:
        leaked = {a for a in ADDRESS.findall(m.body) if a in addresses}
        assert not leaked and not any(a in m.body for a in addresses), f"customer addresses leaked: {m.body}"
        assert not [k for k in FINANCE_KEYS if k in m.body], f"account numbers leaked: {m.body}"
    assert len(alerts(night)) == len(mails), "every alert is recorded in ops.alerts and e-mailed once"


def test_a_clean_night_publishes_records_segment_sizes_and_emails_nobody(night, smtp_inbox, monkeypatch):
    monkeypatch.setenv("C360_BI_READER_PASSWORD", BI_PASSWORD)
    ensure_bi_reader(night.warehouse_dsn, BI_PASSWORD)

    summary = check_quality(ASSET_TRIGGERED)
    published = publish_candidates(ASSET_TRIGGERED)

    assert summary["business_date"] == str(BUSINESS_DATE) and summary["data_docs"] == str(
        data_docs_index(night))
    assert published == {"published.customer_360": 60, "published.customer_segments": 55,
                         "published.customer_propensity": 0, "published.next_best_activity": 11,
                         "published.customer_360_daily": 60, "published.segment_membership_history": 55,
                         "published.attribution_by_content": 3, "published.attribution_by_campaign": 3,
                         "published.attribution_by_product_line": 3,
                         **{f"published.{t}": rows for t, rows in BI_CANDIDATE_ROWS.items()}}
    assert smtp_inbox.mails == [] and alerts(night) == []
    with psycopg.connect(night.warehouse_dsn) as conn:
        candidates = {
            table: conn.execute(f"select * from marts.{table} order by 1, 2").fetchall()
            for table in PUBLISHED_TABLES
        }
        run_by = conn.execute("select distinct run_by from ops.quality_results").fetchall()
        sizes = conn.execute(
            "select segment, size from ops.published_segment_sizes where business_date = %s order by 1",
            (BUSINESS_DATE,),
        ).fetchall()
    assert published_state(night) == candidates
    assert sizes == [("high_value_at_risk", 50), ("open_service_issue", 5)]
    assert run_by == [("airflow c360_build asset_triggered__2026-11-21T05:40:00+00:00",)]
    with psycopg.connect(dsn_as(night.warehouse_dsn, BI_ROLE, BI_PASSWORD)) as conn:
        assert conn.execute("select count(*) from published.customer_segments").fetchone() == (55,)
