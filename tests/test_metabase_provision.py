"""`c360 metabase-provision` against a stand-in Metabase over HTTP (tests/metabase_standin.py).

No Metabase runs here: the stand-in speaks the endpoints the provisioning uses and records
every request, so the tests see what a first run creates and that a second run writes nothing.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from typer.testing import CliRunner

from c360.bi.cards import load_dashboard
from c360.bi.metabase import MetabaseError, target_from_env
from c360.bi.provision import DATABASE_NAME, provision
from c360.cli import app
from c360.config import ConfigError
from tests.metabase_standin import metabase_standin

ADMIN = ("admin@example.org", "a-long-admin-secret-42")
ENV = {
    "C360_METABASE_ADMIN_EMAIL": ADMIN[0],
    "C360_METABASE_ADMIN_PASSWORD": ADMIN[1],
    "C360_METABASE_WAREHOUSE_DSN": "host=warehouse-db port=5432 dbname=warehouse user=bi_reader",
    "C360_BI_READER_PASSWORD": "bi-reader-secret",
}


@pytest.fixture
def metabase(monkeypatch):
    with metabase_standin() as (url, state):
        for name, value in ENV.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("C360_METABASE_URL", url)
        yield state


def test_a_first_run_sets_everything_up_and_a_second_run_changes_nothing(metabase):
    spec = load_dashboard()
    changes = provision(target_from_env(), spec)

    assert metabase.admin == ADMIN and ("POST", "/api/setup") in metabase.writes()
    [database] = metabase.databases.values()
    assert database["name"] == DATABASE_NAME and database["engine"] == "postgres"
    assert database["details"] == {"host": "warehouse-db", "port": 5432, "dbname": "warehouse",
                                   "user": "bi_reader", "password": "bi-reader-secret", "ssl": False}
    cards = {card["name"]: card for card in metabase.cards.values()}
    assert sorted(cards) == sorted(card.name for card in spec.cards)
    for card in spec.cards:
        query = cards[card.name]["dataset_query"]
        assert (query["type"], query["database"]) == ("native", database["id"])
        assert query["native"]["query"] == card.sql
        assert cards[card.name]["display"] == card.display
    [dashboard] = metabase.dashboards.values()
    assert dashboard["name"] == "c360 — customers and segments"
    assert [d["card_id"] for d in dashboard["dashcards"]] == [cards[card.name]["id"] for card in spec.cards]
    places = {(d["row"], d["col"]) for d in dashboard["dashcards"]}
    assert len(places) == len(spec.cards), "cards must not lie on top of each other"
    assert len(changes) == 1 + 1 + len(spec.cards) + 2  # admin, database, cards, dashboard and its cards

    before = len(metabase.requests)
    assert provision(target_from_env(), spec) == []
    second_run = metabase.requests[before:]
    assert ("POST", "/api/session") in second_run
    assert [r for r in second_run if r[0] != "GET" and r[1] != "/api/session"] == []
    assert (len(metabase.databases), len(metabase.cards), len(metabase.dashboards)) == (1, len(spec.cards), 1)


def test_an_edited_card_is_updated_in_place_and_a_new_one_joins_the_dashboard(metabase):
    spec = load_dashboard()
    provision(target_from_env(), spec)
    [dashboard] = metabase.dashboards.values()
    moved = dashboard["dashcards"][0]
    moved["row"], moved["col"] = 40, 12  # a user moved a card: it keeps its place
    dashboard["tabs"] = [{"id": 900, "name": "Overview"}]  # and gave the dashboard a tab
    for dashcard in dashboard["dashcards"]:
        dashcard["dashboard_tab_id"] = 900

    edited = replace(spec.cards[1], sql=spec.cards[1].sql.replace("desc", "asc"))
    added = replace(spec.cards[2], name="Segment sizes again")
    before = len(metabase.requests)
    cards = (*spec.cards[:1], edited, *spec.cards[2:], added)
    changes = provision(target_from_env(), replace(spec, cards=cards))

    writes = [r for r in metabase.requests[before:] if r[0] != "GET" and r[1] != "/api/session"]
    edited_id = next(c["id"] for c in metabase.cards.values() if c["name"] == edited.name)
    assert writes == [("PUT", f"/api/card/{edited_id}"), ("POST", "/api/card"),
                      ("PUT", f"/api/dashboard/{dashboard['id']}")]
    assert changes == [f"card {edited.name!r} updated", f"card {added.name!r} created",
                       f"dashboard {spec.name!r}: 1 card(s) placed"]
    assert metabase.cards[edited_id]["dataset_query"]["native"]["query"] == edited.sql
    dashcards = metabase.dashboards[dashboard["id"]]["dashcards"]
    assert len(dashcards) == len(spec.cards) + 1
    assert (dashcards[0]["id"], dashcards[0]["row"], dashcards[0]["col"]) == (moved["id"], 40, 12)
    added_id = next(c["id"] for c in metabase.cards.values() if c["name"] == added.name)
    assert (dashcards[-1]["card_id"], dashcards[-1]["row"]) == (added_id, 40 + moved["size_y"])
    assert dashcards[-1]["dashboard_tab_id"] == 900
    assert metabase.dashboards[dashboard["id"]]["tabs"] == [{"id": 900, "name": "Overview"}]


def test_a_database_that_moved_is_pointed_at_the_warehouse_again(metabase, monkeypatch):
    spec = load_dashboard()
    provision(target_from_env(), spec)
    monkeypatch.setenv("C360_METABASE_WAREHOUSE_DSN", "host=db.example.org port=6432 dbname=warehouse")
    assert provision(target_from_env(), spec) == [
        f"database {DATABASE_NAME!r} now reaches db.example.org:6432/warehouse as bi_reader"]
    [database] = metabase.databases.values()
    assert (database["details"]["host"], database["details"]["port"]) == ("db.example.org", 6432)


def test_a_wrong_admin_password_is_refused_by_name(metabase, monkeypatch):
    provision(target_from_env(), load_dashboard())
    monkeypatch.setenv("C360_METABASE_ADMIN_PASSWORD", "not-the-password")
    with pytest.raises(MetabaseError, match="did not accept C360_METABASE_ADMIN_EMAIL and "
                                            "C360_METABASE_ADMIN_PASSWORD.*401.*did not match"):
        provision(target_from_env(), load_dashboard())


def test_an_unreachable_metabase_says_where_it_looked(monkeypatch):
    with metabase_standin() as (url, _state):
        pass  # stopped: nothing listens there any more
    for name, value in (ENV | {"C360_METABASE_URL": url}).items():
        monkeypatch.setenv(name, value)
    with pytest.raises(MetabaseError, match=f"cannot reach Metabase at {url}"):
        provision(target_from_env(), load_dashboard())


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("C360_METABASE_URL", "", "C360_METABASE_URL is not set"),
    ("C360_METABASE_URL", "metabase:3000", "must start with http:// or https://"),
    ("C360_METABASE_ADMIN_PASSWORD", "", "C360_METABASE_ADMIN_PASSWORD is not set"),
    ("C360_METABASE_WAREHOUSE_DSN", "host=warehouse-db dbname=warehouse user=c360",
     "logs in as 'c360': Metabase reads the warehouse as bi_reader"),
    ("C360_METABASE_WAREHOUSE_DSN", "host=warehouse-db user=bi_reader", "names no dbname"),
    ("C360_METABASE_WAREHOUSE_DSN", "host=warehouse-db dbname=warehouse port=x", "port 'x', not a number"),
    ("C360_METABASE_WAREHOUSE_DSN", "not a dsn", "is not a PostgreSQL DSN"),
    ("C360_BI_READER_PASSWORD", "", "no password of bi_reader: set C360_BI_READER_PASSWORD"),
])
def test_bad_settings_are_refused_with_their_name(monkeypatch, variable, value, message):
    for name, setting in (ENV | {"C360_METABASE_URL": "http://metabase:3000", variable: value}).items():
        monkeypatch.setenv(name, setting)
    with pytest.raises(ConfigError, match=message):
        target_from_env()


def test_the_command_reports_what_it_did_and_then_that_nothing_changed(metabase):
    runner = CliRunner()
    first = runner.invoke(app, ["metabase-provision"])
    assert first.exit_code == 0, first.output
    assert f"admin {ADMIN[0]} created" in first.output and "card 'Segment sizes' created" in first.output
    second = runner.invoke(app, ["metabase-provision"])
    assert second.exit_code == 0, second.output
    assert "nothing to change" in second.output and "created" not in second.output


def test_the_command_names_a_missing_setting(metabase, monkeypatch):
    monkeypatch.delenv("C360_METABASE_ADMIN_EMAIL")
    result = CliRunner().invoke(app, ["metabase-provision"])
    assert result.exit_code == 1
    assert "C360_METABASE_ADMIN_EMAIL is not set" in result.output
    assert metabase.requests == []
