"""bi_reader's session defaults as `c360 up` sets them from the configuration, on a real
PostgreSQL: read-only by default and without write grants either way, statements and
idle transactions cut off after C360_BI_STATEMENT_TIMEOUT, and a changed setting applied
when roles are set up again."""

from __future__ import annotations

import time

import psycopg
import pytest

from c360.config import ConfigError, load_settings
from c360.local.lifecycle import start_everything
from c360.warehouse.roles import BI_ROLE, ensure_bi_reader
from tests.conftest import dsn_as

BI_PASSWORD = "test-bi-reader-secret"


@pytest.fixture
def bi_up(c360_env, monkeypatch):
    """`c360 up` on the test warehouse with a short timeout; returns bi_reader's DSN. The role
    is the server's, shared by every test: the default timeout is restored afterwards."""
    monkeypatch.setenv("C360_BI_READER_PASSWORD", BI_PASSWORD)
    monkeypatch.setenv("C360_BI_STATEMENT_TIMEOUT", "300ms")
    warehouse = c360_env["C360_WAREHOUSE_DSN"]
    start_everything(load_settings())
    with psycopg.connect(warehouse) as conn:
        conn.execute("create table published.customer_360 (customer_id text)")
    yield dsn_as(warehouse, BI_ROLE, BI_PASSWORD)
    ensure_bi_reader(warehouse, BI_PASSWORD)


def test_a_write_is_refused_as_read_only_and_without_grants_when_read_write(bi_up):
    with psycopg.connect(bi_up) as conn, pytest.raises(
            psycopg.errors.ReadOnlySqlTransaction, match="read-only transaction"):
        conn.execute("insert into published.customer_360 values ('C1')")
    with psycopg.connect(bi_up) as conn:
        conn.execute("set transaction read write")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="customer_360"):
            conn.execute("insert into published.customer_360 values ('C1')")


def test_a_statement_longer_than_the_configured_timeout_is_cancelled(bi_up):
    with psycopg.connect(bi_up) as conn:
        assert conn.execute("select count(*) from published.customer_360").fetchone() == (0,)
        with pytest.raises(psycopg.errors.QueryCanceled, match="statement timeout"):
            conn.execute("select pg_sleep(3)")


def test_a_transaction_left_idle_longer_than_the_timeout_is_ended(bi_up):
    with psycopg.connect(bi_up) as conn:
        conn.execute("select 1")  # opens the transaction (psycopg's default), then waits
        time.sleep(1)
        with pytest.raises(psycopg.errors.IdleInTransactionSessionTimeout,
                           match="idle-in-transaction timeout"):
            conn.execute("select 1")
        assert conn.closed


def test_a_changed_timeout_is_applied_when_roles_are_set_up_again(bi_up, monkeypatch):
    monkeypatch.setenv("C360_BI_STATEMENT_TIMEOUT", "2min")
    start_everything(load_settings())
    with psycopg.connect(bi_up) as conn:
        shown = [conn.execute(f"show {name}").fetchone()[0]
                 for name in ("statement_timeout", "idle_in_transaction_session_timeout")]
    assert shown == ["2min", "2min"]


@pytest.mark.parametrize("value", ["soon", "0", "0s", "5 minutes", "-1s"])
def test_a_bad_timeout_is_refused_with_the_setting_named(monkeypatch, value):
    monkeypatch.setenv("C360_BI_STATEMENT_TIMEOUT", value)
    with pytest.raises(ConfigError,
                       match=f"C360_BI_STATEMENT_TIMEOUT must be a duration above zero.*got '{value}'"):
        load_settings()
