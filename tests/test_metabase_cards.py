"""Every card of the starter dashboard (config/metabase.yml) runs as bi_reader on a real publication.

No Metabase here: what Metabase would run is each card's SQL, as bi_reader, on schema
`published`. The published tables are made the way a night makes them (c360's publish, from
candidates in `marts`), with the columns and types of the dbt models' enforced contracts, so a
card naming a column the contract lacks fails here before it fails on a dashboard.
"""

from __future__ import annotations

import re
from decimal import Decimal

import psycopg
import pytest
import yaml

from c360.bi.cards import load_dashboard
from c360.config import ConfigError, project_root
from c360.publishing.publish import publish
from c360.warehouse.bootstrap import bootstrap
from c360.warehouse.roles import BI_ROLE, ensure_bi_reader
from tests.conftest import dsn_as

BI_PASSWORD = "test-bi-reader-secret"
PUBLISHED_TABLE = re.compile(r"\bpublished\.([a-z_][a-z0-9_]*)")

# A small publication: four customers, their segments, propensities and activities.
ROWS = {
    "customer_360": (
        ("customer_id", "country_code", "consent_state", "total_revenue", "rfm_recency_score",
         "rfm_frequency_score"),
        [("C1", "NL", "opted_in", Decimal("100.00"), 5, 5),
         ("C2", "NL", "opted_out", Decimal("50.00"), 3, 3),
         ("C3", "BE", "unknown", None, None, None),
         ("C4", None, "unknown", Decimal("10.00"), 1, 1)],
    ),
    "customer_segments": (
        ("customer_id", "segment"),
        [("C1", "high_value_at_risk"), ("C1", "new_customer"), ("C2", "lapsed")],
    ),
    "customer_propensity": (
        ("customer_id", "product_line", "decile"),
        [("C1", "heat_pumps", 1), ("C2", "heat_pumps", 2), ("C3", "solar", 1), ("C4", "solar", 9)],
    ),
    "next_best_activity": (
        ("customer_id", "kind", "activity", "channel"),
        [("C1", "offer", "cross_sell_solar", "email"), ("C2", "service", "resolve_complaint", "phone"),
         ("C3", "offer", "cross_sell_solar", "email")],
    ),
}

# What the starter cards show of that publication.
EXPECTED = {
    "Customers": [(4,)],
    "Customers by country": [("NL", 2), ("BE", 1), ("unknown", 1)],
    "Segment sizes": [("high_value_at_risk", 1), ("lapsed", 1), ("new_customer", 1)],
    "Revenue by RFM segment": [("champions", Decimal("100.00"), 1), ("loyal", Decimal("50.00"), 1),
                               ("hibernating", Decimal("10.00"), 1), ("no purchase", 0, 1)],
    "Marketing consent": [("unknown", 2), ("opted_in", 1), ("opted_out", 1)],
    "Next best activities tonight": [("service", "resolve_complaint", "phone", 1),
                                     ("offer", "cross_sell_solar", "email", 2)],
    "Likely buyers by product line": [("heat_pumps", 2), ("solar", 1)],
}


def contract_columns(model: str) -> list[tuple[str, str]]:
    """(name, data type) of a dbt model's declared columns, from its YAML."""
    for path in sorted((project_root() / "dbt_project" / "models").rglob("*.yml")):
        for entry in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models") or []:
            if entry.get("name") == model:
                columns = [(c["name"], c.get("data_type")) for c in entry.get("columns") or []]
                assert columns and all(t for _, t in columns), f"{model} declares no typed columns ({path})"
                return columns
    raise AssertionError(f"no dbt model {model!r} declares its columns: a card reads published.{model}")


def card_tables() -> list[str]:
    return sorted({t for card in load_dashboard().cards for t in PUBLISHED_TABLE.findall(card.sql)})


@pytest.fixture(scope="module")
def bi_reader_dsn(module_databases) -> str:
    """A warehouse whose published tables, made by c360's publish, hold ROWS; bi_reader's DSN."""
    dsn, _finance = module_databases
    bootstrap(dsn)
    ensure_bi_reader(dsn, BI_PASSWORD)
    tables = card_tables()
    with psycopg.connect(dsn) as conn:
        conn.execute("create schema if not exists marts")  # dbt's schema of candidates
        for table in tables:
            columns = ", ".join(f'"{name}" {data_type}' for name, data_type in contract_columns(table))
            conn.execute(f"create table marts.{table} ({columns})")
            names, rows = ROWS.get(table, ((), []))
            for row in rows:
                conn.execute(f"insert into marts.{table} ({', '.join(names)}) values "
                             f"({', '.join(['%s'] * len(row))})", row)
    publish(dsn, tables, candidate_schema="marts")
    return dsn_as(dsn, BI_ROLE, BI_PASSWORD)


def run_card(dsn: str, sql: str) -> tuple[list[str], list[tuple]]:
    with psycopg.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute(sql)
        return [column.name for column in cursor.description], cursor.fetchall()


@pytest.mark.parametrize("card", load_dashboard().cards, ids=lambda card: card.name)
def test_each_card_runs_as_bi_reader_and_returns_the_columns_it_draws(bi_reader_dsn, card):
    columns, _rows = run_card(bi_reader_dsn, card.sql)
    assert columns == list(card.columns)


def test_the_starter_cards_show_what_was_published(bi_reader_dsn):
    cards = {card.name: card for card in load_dashboard().cards}
    assert set(EXPECTED) <= set(cards), "a starter card was renamed or removed: update EXPECTED"
    shown = {name: run_card(bi_reader_dsn, cards[name].sql)[1] for name in EXPECTED}
    assert shown == EXPECTED


def test_a_card_reading_beyond_published_is_refused_to_bi_reader(bi_reader_dsn):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        run_card(bi_reader_dsn, "select count(*) as customers from marts.customer_360")


def test_a_card_naming_a_column_the_contract_lacks_fails(bi_reader_dsn):
    with pytest.raises(psycopg.errors.UndefinedColumn):
        run_card(bi_reader_dsn, "select region, count(*) as customers from published.customer_360 group by 1")


GOOD_CARD = {"name": "Customers by country", "display": "bar", "dimensions": ["country_code"],
             "metrics": ["customers"], "sql": "select 1"}


@pytest.mark.parametrize(("content", "message"), [
    ("cards: []", "needs a `dashboard` .* and a non-empty list `cards`"),
    ({"dashboard": {"name": " "}, "cards": [GOOD_CARD]}, "the dashboard needs a name"),
    ([GOOD_CARD | {"display": "donut"}], "display 'donut' is not one of bar, row, line, pie, scalar, table"),
    ([GOOD_CARD | {"display": "pie", "metrics": ["customers", "revenue"]}],
     "a pie card has 1 metrics, got 2"),
    ([GOOD_CARD | {"display": "scalar"}], "a scalar card has 0 dimensions, got 1"),
    ([GOOD_CARD | {"metrics": []}], "a bar card has one or more metrics, got 0"),
    ([GOOD_CARD | {"dimensions": ["Country"]}],
     "`dimensions` must be a list of lower_snake_case column names"),
    ([GOOD_CARD | {"metrics": ["country_code"]}], "a column is named twice: country_code"),
    ([{k: v for k, v in GOOD_CARD.items() if k != "sql"}], "missing fields sql"),
    ([GOOD_CARD | {"colour": "red"}], "unknown fields colour"),
    ([GOOD_CARD | {"sql": "  "}], "`sql` must be a non-empty text"),
    ([GOOD_CARD, GOOD_CARD], "card names must be unique .*: Customers by country"),
    (["select 1"], "card 1: a card is a mapping"),
    ("cards: [", "is not valid YAML"),
])
def test_a_bad_dashboard_file_is_refused_with_what_is_wrong(tmp_path, content, message):
    if isinstance(content, list):
        content = {"dashboard": {"name": "c360"}, "cards": content}
    path = tmp_path / "metabase.yml"
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content))
    with pytest.raises(ConfigError, match=message):
        load_dashboard(path)


def test_a_missing_dashboard_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match=f"the Metabase dashboard file {tmp_path / 'none.yml'} not found"):
        load_dashboard(tmp_path / "none.yml")
