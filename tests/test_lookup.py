"""The lookup at contact time (c360/serving) on a real PostgreSQL: keys normalized as dbt
normalizes them, the answers (found, candidates, restricted, none), tokens, the audit and
what the lookup's role may do."""

from __future__ import annotations

import json

import psycopg
import pytest
from fastapi.testclient import TestClient

from c360.config import load_settings
from c360.publishing.publish import publish
from c360.serving.app import create_app
from c360.serving.audit import forget_erased_keys
from c360.serving.keys import normalize
from c360.serving.lookup import run_lookup
from c360.serving.tokens import create_token, revoke_token
from c360.warehouse.bootstrap import bootstrap
from c360.warehouse.roles import LOOKUP_ROLE, ensure_lookup_role
from tests.conftest import dsn_as
from tests.dbt_helpers import as_of, dbt_env, run_dbt

LOOKUP_PASSWORD = "test-lookup-secret"
PRIVACY_KEY = "test-privacy-key-of-the-lookup"

# customer, first name, birth date, restricted, erased, records: (system, key, email, phone, account, card)
CUSTOMERS = [
    ("C1", "Jan Willem", "1980-04-02", False, False, [
        ("finance", "FA0012345", "jan@example.nl", "+31612345678", "FA0012345", None),
        ("store", "1234567890123", None, None, None, "1234567890123")]),
    ("C2", "Anna", "1982-01-09", False, False, [
        ("finance", "FA0000002", "fam.devries@ziggo.nl", "+31201234567", "FA0000002", None)]),
    ("C3", "Piet", "1979-06-30", False, False, [
        ("store", "2000000000003", "fam.devries@ziggo.nl", "+31201234567", None, "2000000000003")]),
    ("C4", "Rita", "1975-03-03", True, False, [
        ("finance", "FA0000004", "rita@example.be", "+32470123456", "FA0000004", None)]),
    ("C5", None, None, False, True, [
        ("finance", "FA0000005", "gone@example.nl", None, "FA0000005", None)]),
]


def build_candidates(dsn: str) -> None:
    """What dbt builds and the lookup's map is published from, in the shape it has."""
    with psycopg.connect(dsn) as conn:
        conn.execute("""
            create schema if not exists marts;
            create table marts.dim_customer (customer_id text, given_name text, date_of_birth date,
                                             is_erased boolean, is_restricted boolean);
            create table marts.customer_xref (customer_id text, source_system text, source_key text,
                                              resolution text);
            create table marts.customer_lookup_keys (customer_id text, key_kind text, key_value text);
            create table marts.customer_360 (customer_id text, country_code text, total_revenue numeric,
                                             open_issue_count integer);
            create table marts.customer_segments (customer_id text, segment text)""")
        for customer_id, name, born, restricted, erased, records in CUSTOMERS:
            conn.execute("insert into marts.dim_customer values (%s, %s, %s, %s, %s)",
                         (customer_id, name, born, erased, restricted))
            if not (restricted or erased):
                conn.execute("insert into marts.customer_360 values (%s, 'NL', 120.50, 1)", (customer_id,))
            for system, key, email, phone, account, card in records:
                conn.execute("insert into marts.customer_xref values (%s, %s, %s, 'exact')",
                             (customer_id, system, key))
                for kind, value in (("email", email), ("phone", phone), ("account", account), ("card", card)):
                    if value is not None:
                        conn.execute("insert into marts.customer_lookup_keys values (%s, %s, %s)",
                                     (customer_id, kind, value))
        conn.execute("insert into marts.customer_segments values ('C1', 'open_service_issue'), "
                     "('C1', 'high_value_at_risk')")


@pytest.fixture(scope="module")
def warehouse(module_databases):
    dsn = module_databases[0]
    with pytest.MonkeyPatch.context() as env:
        for name, value in (("C360_WAREHOUSE_DSN", dsn), ("C360_PRIVACY_KEY", PRIVACY_KEY),
                            ("C360_LOOKUP_PASSWORD", LOOKUP_PASSWORD)):
            env.setenv(name, value)
        bootstrap(dsn)
        build_candidates(dsn)
        publish(dsn, ["customer_360", "customer_segments"], candidate_schema="marts")
        assert ensure_lookup_role(dsn, LOOKUP_PASSWORD)
        yield dsn


def lookup_conn(dsn: str) -> psycopg.Connection:
    return psycopg.connect(dsn_as(dsn, LOOKUP_ROLE, LOOKUP_PASSWORD), autocommit=True)


def ask(dsn: str, kind: str, value: str) -> tuple[str, dict]:
    with lookup_conn(dsn) as conn:
        answer = run_lookup(conn, kind, value, PRIVACY_KEY, "cli:tester")
    return answer.result, json.loads(answer.body)


def audit_rows(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute("select caller, key_kind, key_hash, result from ops.lookup_audit "
                            "order by audit_id").fetchall()


# Keys as callers and agents type them: spaces, (0), 00 and national forms, case, slips.
INPUTS = [
    "06 1234 5678", "+31 (0)6 12345678", "0031612345678", "0470 12 34 56", "0470123456", "02 123 45 67",
    "020-1234567", "+32 2 123 45 67", "12345", "1234567", "  12345678", "", "Jan@Example.NL ",
    "jan@gmial.com", "jan@googlemail.com", "jan@hotmial.nl", "JÖRG@web.de", "no-at-sign.nl", "a@b.c",
    "FA0012345", "fa 12345", "fa12345", "FA12345678", " 1234567890123 ", "1234 5678 9012 3",
    "12345\n", "+3161234567", "+31612345678", "x@y.nl\t",
]


def test_keys_are_normalized_as_dbt_normalizes_them(module_databases, tmp_path):
    """The same inputs through the contact-center staging model (a caller's phone and e-mail,
    the agent's customer_ref as account or card) and through c360.serving.keys."""
    dsn = module_databases[1]  # a database of its own: dbt's staging view only
    bootstrap(dsn)
    with psycopg.connect(dsn) as conn:
        conn.execute("create table raw_contact_center.interactions_any "
                     "partition of raw_contact_center.interactions default")
    with psycopg.connect(dsn) as conn, conn.cursor().copy(
            "copy raw_contact_center.interactions (interaction_id, customer_ref, caller_phone, caller_email,"
            " _business_date, _batch_id, _line_number, _loaded_at, _source_name) from stdin") as copy:
        for n, value in enumerate(INPUTS):
            copy.write_row((f"CC-{n}", value, value, value, "2026-11-02", 1, n + 1, "2026-11-03T00:00:00Z",
                            "interactions.csv"))
    run_dbt(dbt_env(dsn, tmp_path), "run", "--select", "stg_contact_center__interactions",
            *as_of("2026-11-02"))
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("select interaction_id, phone_e164, email, ref_account_id, ref_card_number "
                            "from staging.stg_contact_center__interactions").fetchall()
    in_sql = {int(i.removeprefix("CC-")): (p, e, a, c) for i, p, e, a, c in rows}
    in_python = {n: tuple(normalize(kind, v) for kind in ("phone", "email", "account", "card"))
                 for n, v in enumerate(INPUTS)}
    assert in_python == in_sql
    assert in_python[0][0] == "+31612345678" and in_python[13][1] == "jan@gmail.com"


def test_a_key_one_customer_holds_answers_with_the_360_and_segments(warehouse):
    result, body = ask(warehouse, "phone", "06-12 34 56 78")
    assert result == "found"
    assert body["customer"]["customer_id"] == "C1"
    assert body["segments"] == ["high_value_at_risk", "open_service_issue"]
    assert "propensities" not in body and "next_best_activity" not in body
    assert ask(warehouse, "account", "fa 12345")[1]["customer"]["customer_id"] == "C1"
    assert ask(warehouse, "card", "1234567890123")[1]["customer"]["customer_id"] == "C1"


def test_a_household_key_answers_with_candidates_not_a_guess(warehouse):
    for kind, value in (("phone", "020 123 45 67"), ("email", "Fam.DeVries@ziggo.nl")):
        result, body = ask(warehouse, kind, value)
        assert result == "candidates"
        assert body["candidates"] == [{"customer_id": "C2", "first_name": "Anna", "birth_year": 1982},
                                      {"customer_id": "C3", "first_name": "Piet", "birth_year": 1979}]


def test_restricted_answers_only_that_and_erased_or_unknown_nothing(warehouse):
    assert ask(warehouse, "email", "rita@example.be") == ("restricted", {"restricted": True})
    assert ask(warehouse, "email", "gone@example.nl") == ("none", {"result": "none"})
    assert ask(warehouse, "phone", "0612000000") == ("none", {"result": "none"})
    assert ask(warehouse, "phone", "12")[0] == "invalid"


def test_propensities_and_next_best_activity_once_published(warehouse):
    # the columns of the dbt models' contracts (customer_propensity, next_best_activity)
    with psycopg.connect(warehouse) as conn:
        conn.execute("""
            create table marts.customer_propensity (
                customer_id text, product_line text, scored_for date, propensity double precision,
                decile smallint, model_version text);
            insert into marts.customer_propensity values
                ('C1', 'solar', '2026-11-20', 0.12, 4, 'solar-v1'),
                ('C1', 'heat_pumps', '2026-11-20', 0.42, 1, 'heat_pumps-v1'),
                ('C2', 'solar', '2026-11-20', 0.3, 2, 'solar-v1');
            create table marts.next_best_activity (
                customer_id text, business_date date, activity text, kind text, priority integer,
                product_line text, channel text, reason text, requires_marketing_consent boolean,
                valid_until date);
            insert into marts.next_best_activity values
                ('C1', '2026-11-20', 'resolve_open_complaint', 'service', 1, null, 'phone',
                 'open complaint since 2026-11-18', false, '2026-11-21')""")
    try:
        publish(warehouse, ["customer_propensity", "next_best_activity"], candidate_schema="marts")
        result, body = ask(warehouse, "phone", "0612345678")
        assert body["propensities"] == [
            {"product_line": "heat_pumps", "scored_for": "2026-11-20", "propensity": 0.42, "decile": 1,
             "model_version": "heat_pumps-v1"},
            {"product_line": "solar", "scored_for": "2026-11-20", "propensity": 0.12, "decile": 4,
             "model_version": "solar-v1"},
        ]
        assert body["next_best_activity"] == {
            "business_date": "2026-11-20", "activity": "resolve_open_complaint", "kind": "service",
            "priority": 1, "product_line": None, "channel": "phone",
            "reason": "open complaint since 2026-11-18", "requires_marketing_consent": False,
            "valid_until": "2026-11-21"}
    finally:
        with psycopg.connect(warehouse) as conn:
            conn.execute("drop table published.customer_propensity, published.next_best_activity")


def test_every_lookup_is_audited_without_the_key(warehouse):
    before = len(audit_rows(warehouse))
    ask(warehouse, "email", "jan@example.nl")
    ask(warehouse, "phone", "12")
    rows = audit_rows(warehouse)[before:]
    assert [(caller, kind, result) for caller, kind, _, result in rows] == [
        ("cli:tester", "email", "found"), ("cli:tester", "phone", "invalid")]
    assert len(rows[0][2]) == 64 and rows[1][2] is None
    assert "jan@example.nl" not in repr(audit_rows(warehouse))


def test_the_api_requires_a_token_and_audits_its_system(warehouse):
    token = create_token(warehouse, "cc-desk")
    with TestClient(create_app(load_settings())) as client:
        key = {"phone": "+31 6 1234 5678"}
        assert client.post("/lookup", json=key).status_code == 401
        assert client.post("/lookup", json=key, headers={"Authorization": "Bearer wrong"}).status_code == 401
        answer = client.post("/lookup", json=key, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200 and answer.json()["customer"]["customer_id"] == "C1"
        none = client.post("/lookup", json={"email": "x@y.nl"}, headers={"Authorization": f"Bearer {token}"})
        assert none.status_code == 404
        two = client.post("/lookup", json={"email": "x@y.nl", "phone": "0612345678"},
                          headers={"Authorization": f"Bearer {token}"})
        assert two.status_code == 422
    assert audit_rows(warehouse)[-2:][0][:2] == ("cc-desk", "phone")
    assert revoke_token(warehouse, "cc-desk")


def test_the_lookup_role_reads_what_it_answers_from_and_nothing_else(warehouse):
    with lookup_conn(warehouse) as conn:
        assert conn.execute("select count(*) from serving.lookup_keys").fetchone()[0] > 0
        conn.execute("select 1 from published.customer_360 limit 1")
    forbidden = ["select 1 from raw_web.events", "select 1 from ops.quarantine",
                 "select 1 from marts.dim_customer", "select 1 from ops.lookup_audit",
                 "select request_id, matched_on from ops.privacy_request_log",
                 "select token_hash, created_at from ops.lookup_tokens",
                 "insert into published.customer_360 (customer_id) values ('X')",
                 "delete from serving.lookup_keys", "update ops.lookup_audit set result = 'none'"]
    for statement in forbidden:
        with lookup_conn(warehouse) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)


def test_an_erasure_clears_the_audits_hashes_of_the_persons_keys(warehouse):
    ask(warehouse, "email", "anna@example.nl")
    with psycopg.connect(warehouse) as conn:
        hashed = conn.execute("select key_hash from ops.lookup_audit order by audit_id desc").fetchone()
        conn.execute("create temporary table identifier_hashes (identifier_hash text)")
        conn.execute("insert into identifier_hashes values (%s)", hashed)
        assert forget_erased_keys(conn) == 1
        left = conn.execute("select count(*) from ops.lookup_audit where key_hash = %s", hashed)
        assert left.fetchone() == (0,)


def test_a_restriction_or_erasure_after_the_publication_holds_at_once(warehouse):
    """The privacy step carried out a restriction of C1 and an erasure of C3 after the night's
    publication: the map and the 360 still hold them, the lookup (CLI and API) must not."""
    with psycopg.connect(warehouse) as conn:
        conn.execute("insert into ops.privacy_request_log (request_id, request_type, outcome, customer_id,"
                     " matched_on, business_date) values ('R-1', 'restrict', 'restricted', 'C1', 'email',"
                     " '2026-11-21'), ('R-2', 'erasure', 'erased', 'C3', 'card', '2026-11-21')")
        published = conn.execute("select count(*) from published.customer_360"
                                 " where customer_id in ('C1', 'C3')").fetchone()
    assert published == (2,), "the test needs both still published"
    token = create_token(warehouse, "cc-desk")
    before = len(audit_rows(warehouse))
    try:
        for kind, value in (("phone", "06 1234 5678"), ("card", "1234567890123"), ("account", "fa 12345")):
            assert ask(warehouse, kind, value) == ("restricted", {"restricted": True})
        # the household's landline: the erased one is no candidate, not even a restricted one
        assert ask(warehouse, "phone", "020 123 45 67") == ask(warehouse, "account", "FA0000002")
        assert ask(warehouse, "phone", "020 123 45 67")[1]["customer"]["customer_id"] == "C2"
        assert ask(warehouse, "card", "2000000000003") == ("none", {"result": "none"})
        with TestClient(create_app(load_settings())) as client:
            bearer = {"Authorization": f"Bearer {token}"}
            restricted = client.post("/lookup", json={"email": "jan@example.nl"}, headers=bearer)
            assert (restricted.status_code, restricted.json()) == (200, {"restricted": True})
            erased = client.post("/lookup", json={"card": "2000000000003"}, headers=bearer)
            assert (erased.status_code, erased.json()) == (404, {"result": "none"})
        results = [result for *_, result in audit_rows(warehouse)[before:]]
        assert results == ["restricted"] * 3 + ["found"] * 3 + ["none", "restricted", "none"]
    finally:
        revoke_token(warehouse, "cc-desk")
        with psycopg.connect(warehouse) as conn:
            conn.execute("delete from ops.privacy_request_log where request_id in ('R-1', 'R-2')")
