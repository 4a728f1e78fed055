"""The privacy step's deadlines: a request still open near the law's month is alerted to the
privacy owner, and an access export is removed once its retention is over."""

from __future__ import annotations

from datetime import date, timedelta

import psycopg
import pytest

from c360.config import load_settings
from c360.privacy.nightly import apply_privacy_requests
from c360.warehouse.bootstrap import bootstrap

NIGHT = date(2026, 11, 30)
MATCHES = """
    create schema if not exists marts;
    create table marts.privacy_request_matches (
        request_id text, request_type text, received_at timestamptz, business_date date,
        status text, customer_id text, matched_on text, candidate_customers int, handled_outcome text
    );
    insert into marts.privacy_request_matches values
        ('PR-OLD', 'erasure', '2026-11-02 10:00+01', '2026-11-02', 'unmatched', null, null, 0, null),
        ('PR-NEW', 'erasure', '2026-11-20 10:00+01', '2026-11-20', 'ambiguous', null, null, 2, null);
"""


@pytest.fixture
def warehouse(warehouse_dsn, tmp_path, monkeypatch):
    monkeypatch.setenv("C360_PRIVACY_EXPORT_DIR", str(tmp_path / "exports"))
    monkeypatch.setenv("C360_WAREHOUSE_DSN", warehouse_dsn)
    monkeypatch.setenv("C360_PRIVACY_KEY", "test-key")
    monkeypatch.setenv("C360_HOME", str(tmp_path))
    bootstrap(warehouse_dsn)
    with psycopg.connect(warehouse_dsn) as conn:
        conn.execute(MATCHES)
    return warehouse_dsn


def alerts(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        query = "select rule, rows_affected, message from ops.alerts order by alert_id"
        return conn.execute(query).fetchall()


def test_a_request_open_past_the_deadline_is_alerted_once(warehouse, monkeypatch):
    monkeypatch.setenv("C360_PRIVACY_DEADLINE_DAYS", "25")
    report = apply_privacy_requests(load_settings(), NIGHT, warehouse)
    assert report.alerted == {"unmatched": ["PR-OLD"], "ambiguous": ["PR-NEW"], "overdue": ["PR-OLD"]}
    [overdue] = [(n, message) for rule, n, message in alerts(warehouse) if rule == "privacy_request_overdue"]
    assert overdue[0] == 1
    assert "still open 25 days or more after they were received (the law gives one month)" in overdue[1]
    assert "PR-OLD" in overdue[1] and "PR-NEW" not in overdue[1]

    again = apply_privacy_requests(load_settings(), NIGHT, warehouse)
    assert again.alerted == {}
    assert len(alerts(warehouse)) == 3


def test_the_deadline_is_configuration(warehouse, monkeypatch):
    monkeypatch.setenv("C360_PRIVACY_DEADLINE_DAYS", "5")
    report = apply_privacy_requests(load_settings(), NIGHT, warehouse)
    assert report.alerted["overdue"] == ["PR-OLD", "PR-NEW"]


def exported(dsn: str, request_id: str, night: date, path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}")
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "insert into ops.privacy_request_log (request_id, request_type, outcome, customer_id, "
            "matched_on, business_date, detail) values (%s, 'access', 'exported', 'C1', 'email', %s, %s)",
            (request_id, night, str(path)))


def test_an_access_export_is_removed_once_its_retention_is_over(warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("C360_PRIVACY_EXPORT_RETENTION_DAYS", "30")
    exports = tmp_path / "exports"
    exported(warehouse, "PR-OCT", NIGHT - timedelta(days=30), exports / "PR-OCT.json")
    exported(warehouse, "PR-NOV", NIGHT - timedelta(days=29), exports / "PR-NOV.json")
    # a path the log holds outside the export folder is never touched
    exported(warehouse, "PR-ELSE", NIGHT - timedelta(days=60), tmp_path / "elsewhere.json")

    report = apply_privacy_requests(load_settings(), NIGHT, warehouse)

    assert report.expired_exports == ["PR-OCT"]
    assert sorted(p.name for p in exports.iterdir()) == ["PR-NOV.json"]
    assert (tmp_path / "elsewhere.json").exists()
    with psycopg.connect(warehouse) as conn:  # the proof that the request was answered stays
        logged = conn.execute("select count(*) from ops.privacy_request_log").fetchone()
    assert logged == (3,)
    assert apply_privacy_requests(load_settings(), NIGHT, warehouse).expired_exports == []
