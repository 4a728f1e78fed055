"""The quality gate on a real PostgreSQL and real Great Expectations.

Each test builds a small, clean, hand-made warehouse (raw layer, load ledger,
candidate marts with the contract's columns, and a previous publication),
injects one fault, runs the gate and checks: the right expectation failed, its
owner was alerted with evidence, nothing was published and the last
publication is intact. A clean warehouse passes, publishes and alerts nobody.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from c360.cli import app
from c360.config import Settings, load_settings
from c360.orchestration.publishing import PUBLISHED_TABLES
from c360.publishing.publish import publish
from c360.quality.context import runtime_dir
from c360.quality.gate import GateFailed, require_passed, run_gate
from c360.quality.owners import owner_of
from c360.quality.results import GateResult
from c360.warehouse.bootstrap import bootstrap
from tests.bi_candidates import bi_candidates

BUSINESS_DATE = date(2026, 11, 20)
# c360.orchestration.publishing's, candidates of the hand-made marts below
CUSTOMERS = [f"C{i:03d}" for i in range(1, 61)]
MARKETED = CUSTOMERS[:50]  # high_value_at_risk: all consented
SERVICE = CUSTOMERS[50:55]  # open_service_issue: no consent needed
OFFERED = MARKETED[40:45]  # tonight's next best activity: an offer, all consented
OWING = CUSTOMERS[55]  # tonight's next best activity: a service one, without consent
FINANCE_KEYS = [f"FA{i:07d}" for i in range(1, 21)]
CARDS = [f"{i:013d}" for i in range(1, 21)]
ANONYMOUS_IDS = [f"anon-{i}" for i in range(1, 16)]
INTERACTIONS = [f"CC-20261120-{i:06d}" for i in range(1, 6)]
ANONYMOUS_CONTACTS = 200
SILOS = ("finance", "contact_center", "web", "store", "privacy")

SCHEMA = """
create schema if not exists marts;
create table marts.dim_customer (
    customer_id text, given_name text, surname text, email text, phone text,
    country_code text, date_of_birth date, marketing_consent boolean,
    is_erased boolean, is_restricted boolean
);
create table marts.customer_xref (customer_id text, source_system text, source_key text);
create table marts.customer_360 (customer_id text, revenue numeric);
create table marts.customer_segments (customer_id text, segment text);
create table marts.customer_360_daily (business_date date, customer_id text);
create table marts.segment_membership_history (customer_id text, segment text, entered_on date, left_on date);
-- the real models' columns: the lookup and BI read them as published
create table marts.customer_propensity (
    customer_id text, product_line text, scored_for date, propensity double precision,
    decile smallint, model_version text
);
create table marts.next_best_activity (
    customer_id text, business_date date, activity text, kind text, priority integer,
    product_line text, channel text, reason text, requires_marketing_consent boolean,
    valid_until date
);
-- attribution: a month's purchases, and each model's credits of them by page, campaign and line
create table marts.attribution_purchase_totals (
    purchase_month date, purchases bigint, revenue numeric(14, 2), store_purchases bigint
);
create table marts.attribution_by_content (
    attribution_model text, purchase_month date, page_path text, page_title text, purchases bigint,
    attributed_purchases numeric(14, 4), attributed_revenue numeric(14, 2), store_purchases bigint,
    store_attributed_revenue numeric(14, 2)
);
create table marts.attribution_by_campaign (
    attribution_model text, purchase_month date, utm_source text, utm_medium text, utm_campaign text,
    purchases bigint, attributed_purchases numeric(14, 4), attributed_revenue numeric(14, 2),
    store_purchases bigint, store_attributed_revenue numeric(14, 2)
);
create table marts.attribution_by_product_line (
    attribution_model text, purchase_month date, product_line text, purchased_product_line text,
    purchases bigint, attributed_purchases numeric(14, 4), attributed_revenue numeric(14, 2),
    store_purchases bigint, store_attributed_revenue numeric(14, 2)
);
-- what dbt's identity resolution normalizes, for the runaway-merge checks
create extension if not exists fuzzystrmatch;
create schema if not exists intermediate;
create table intermediate.int_identity__records (
    source_system text, source_key text, given_canonical text, given_name_folded text,
    surname_folded text, surname_with_prefix_folded text, date_of_birth date,
    postal_code text, house_number text
);
"""


def _date_partitions(conn: psycopg.Connection, day: date) -> None:
    """The partitions of `day` in raw tables partitioned by business date (loaders make their own)."""
    parents = conn.execute(
        "select c.oid::regclass::text from pg_partitioned_table p join pg_class c on c.oid = p.partrelid"
        " join pg_namespace n on n.oid = c.relnamespace where n.nspname like 'raw%%'"
    ).fetchall()
    for (parent,) in parents:
        conn.execute(f"create table if not exists {parent}_{day:%Y%m%d} partition of {parent}"
                     f" for values in ('{day}')")


def _raw_layer(conn: psycopg.Connection, day: date) -> None:
    _date_partitions(conn, day)
    meta = (1, day, "test")
    for n, key in enumerate(FINANCE_KEYS):
        conn.execute(
            "insert into raw_finance.accounts (account_id, first_name, last_name, email, phone,"
            " country_code, date_of_birth, status, created_at, updated_at,"
            " _batch_id, _business_date, _source_name)"
            " values (%s, 'Jan', 'Jansen', %s, '06-12345678', 'NL', '1980-01-01', 'active',"
            " now(), now(), %s, %s, %s)",
            (key, f"jan{n}@example.nl", *meta),
        )
    for n, card in enumerate(CARDS, start=1):
        conn.execute(
            "insert into raw_store.loyalty_members (card_number, email, birth_date, marketing_opt_in,"
            " enrolled_at, updated_at, _batch_id, _business_date, _source_name, _line_number)"
            " values (%s, %s, '1990-05-05', 'Y', '2026-11-20 10:00:00', '2026-11-20 10:00:00',"
            " %s, %s, %s, %s)",
            (card, f"member{n}@example.be", *meta, n),
        )
    for n, anonymous_id in enumerate(ANONYMOUS_IDS, start=1):
        conn.execute(
            "insert into raw_web.events (event_id, event_type, occurred_at, anonymous_id, traits,"
            " _batch_id, _business_date, _source_name, _line_number)"
            " values (%s, 'newsletter_signup', '2026-11-20T09:00:00Z', %s, %s, %s, %s, %s, %s)",
            (f"ev-{n}", anonymous_id, f'{{"email": "web{n}@example.nl"}}', *meta, n),
        )
    for n, interaction in enumerate(INTERACTIONS, start=1):
        conn.execute(
            "insert into raw_contact_center.interactions (interaction_id, started_at, channel, direction,"
            " caller_email, reason, handle_seconds, wait_seconds, resolved, first_contact_resolution,"
            " csat, _batch_id, _business_date, _source_name, _line_number)"
            " values (%s, '20-11-2026 09:15:00', 'phone', 'inbound', %s, 'billing', '300', '20', 'Y',"
            " 'Y', '4', %s, %s, %s, %s)",
            (interaction, f"caller{n}@example.nl", *meta, n),
        )
    # Contacts without caller details (not identity-bearing), one with a negative
    # handle time: wrong but parseable, at a rate that is flagged, not blocking.
    for n in range(len(INTERACTIONS) + 1, ANONYMOUS_CONTACTS + 1):
        conn.execute(
            "insert into raw_contact_center.interactions (interaction_id, started_at, channel, direction,"
            " reason, handle_seconds, wait_seconds, resolved, first_contact_resolution,"
            " _batch_id, _business_date, _source_name, _line_number)"
            " values (%s, '20-11-2026 10:00:00', 'chat', 'inbound', 'other', %s, '5', 'N', 'N',"
            " %s, %s, %s, %s)",
            (f"CC-20261120-{n:06d}", "-60" if n == ANONYMOUS_CONTACTS else "120", *meta, n),
        )
    conn.execute(
        "insert into raw_privacy.requests (request_id, received_at, request_type, email, _batch_id,"
        " _business_date, _source_name, _line_number)"
        " values ('PR-1', '2026-11-20T10:00:00+01:00', 'access', 'someone@example.nl', %s, %s, %s, 1)",
        meta,
    )
    for silo in SILOS:
        for back in range(4):
            conn.execute(
                "insert into ops.load_ledger (source_system, business_date, source_name,"
                " rows_read, rows_loaded, rows_quarantined, status)"
                " values (%s, %s, %s, 200, 200, 0, 'loaded')",
                (silo, day - timedelta(days=back), f"{silo}/file"),
            )


def identity_record(conn: psycopg.Connection, system: str, key: str, given: str | None,
                    surname: str | None, born: str | None, postal: str | None, house: str | None,
                    canonical: str | None = None) -> None:
    """A record as dbt's identity resolution normalizes it, from a lower-case given name(s) and
    surname ('de vries': prefix 'de'); `canonical`, the formal names the first given name
    stands for, defaults to that name itself."""
    conn.execute(
        "insert into intermediate.int_identity__records values (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (system, key, canonical or (given and given.split()[0]), given and given.replace(" ", ""),
         surname and surname.split()[-1], surname and surname.replace(" ", ""), born, postal, house),
    )


def _marts(conn: psycopg.Connection) -> None:
    conn.execute(SCHEMA)
    _attribution(conn)
    bi_candidates(conn, CUSTOMERS[0], BUSINESS_DATE)
    for n, customer in enumerate(CUSTOMERS, start=1):
        consent = customer not in CUSTOMERS[50:]
        conn.execute(
            "insert into marts.dim_customer values"
            " (%s, 'Jan', 'Jansen', %s, %s, %s, '1980-01-01', %s, false, false)",
            (customer, f"c{n}@example.nl", f"+3161234{n:04d}", "NL" if n % 2 else "BE", consent),
        )
        conn.execute("insert into marts.customer_360 values (%s, 100)", (customer,))
    records = (
        [("finance", k) for k in FINANCE_KEYS] + [("store", k) for k in CARDS]
        + [("web", k) for k in ANONYMOUS_IDS] + [("contact_center", k) for k in INTERACTIONS]
    )
    for n, (customer, (system, key)) in enumerate(zip(CUSTOMERS, records, strict=True)):
        conn.execute("insert into marts.customer_xref values (%s, %s, %s)", (customer, system, key))
        # each account holder is a Jan Jansen of their own; the cards carry no name or birth date
        if system == "finance":
            identity_record(conn, system, key, "jan", "jansen", "1980-01-01", f"{1000 + n}AB", "1")
        else:
            identity_record(conn, system, key, None, None, None, None, None)
    for customer in MARKETED:
        conn.execute("insert into marts.customer_segments values (%s, 'high_value_at_risk')", (customer,))
    for customer in SERVICE:
        conn.execute("insert into marts.customer_segments values (%s, 'open_service_issue')", (customer,))
    # history: tonight's snapshot of every customer, and the members' stretches opened the night before
    conn.execute("insert into marts.customer_360_daily select %s, customer_id from marts.customer_360",
                 (BUSINESS_DATE,))
    conn.execute("insert into marts.segment_membership_history select customer_id, segment, %s, null"
                 " from marts.customer_segments", (BUSINESS_DATE - timedelta(days=1),))
    activities = ([(c, "resolve_open_complaint", "service", 1, "phone", False) for c in SERVICE]
                  + [(OWING, "collect_overdue_invoice", "service", 2, "email", False)]
                  + [(c, "win_back_lapsed", "offer", 30, "store", True) for c in OFFERED])
    for customer, activity, kind, priority, channel, consent in activities:
        conn.execute("insert into marts.next_best_activity values"
                     " (%s, %s, %s, %s, %s, null, %s, 'a reason', %s, %s)",
                     (customer, BUSINESS_DATE, activity, kind, priority, channel, consent,
                      BUSINESS_DATE + timedelta(days=7)))


def _attribution(conn: psycopg.Connection) -> None:
    """The month's two purchases (one in a store), each model crediting all to one row of each table."""
    month = BUSINESS_DATE.replace(day=1)
    conn.execute("insert into marts.attribution_purchase_totals values (%s, 2, 150.00, 1)", (month,))
    for model in ("first_touch", "last_touch", "position_based"):
        for table, keys in (("attribution_by_content", ("/producten/solar", "Solar | Voltwerk")),
                            ("attribution_by_campaign", ("newsletter", "email", "weekly")),
                            ("attribution_by_product_line", ("solar", "solar"))):
            conn.execute(f"insert into marts.{table} values (%s, %s, {', '.join(['%s'] * len(keys))},"
                         " 2, 2, 150.00, 1, 100.00)", (model, month, *keys))


@pytest.fixture
def warehouse(c360_env) -> Settings:
    """A clean warehouse for BUSINESS_DATE, whose candidates were published the day before."""
    settings = load_settings()
    dsn = settings.warehouse_dsn
    bootstrap(dsn)
    with psycopg.connect(dsn) as conn:
        _raw_layer(conn, BUSINESS_DATE)
        _marts(conn)
    publish(dsn, PUBLISHED_TABLES, "marts", BUSINESS_DATE - timedelta(days=1))
    return settings


def execute(settings: Settings, statement: str, params: tuple = ()) -> None:
    with psycopg.connect(settings.warehouse_dsn) as conn:
        conn.execute(statement, params)


def published_state(settings: Settings) -> dict[str, list[tuple]]:
    with psycopg.connect(settings.warehouse_dsn) as conn:
        return {
            table: conn.execute(f"select * from published.{table} order by 1, 2").fetchall()
            for table in PUBLISHED_TABLES
        }


def gate_then_publish(settings: Settings) -> GateResult:
    """What the build DAG does: gate, and publish only when it passed."""
    result = run_gate(settings, BUSINESS_DATE, run_by="pytest")
    try:
        require_passed(result)
    except GateFailed:
        return result
    publish(settings.warehouse_dsn, PUBLISHED_TABLES, "marts", BUSINESS_DATE)
    return result


def alerts(settings: Settings) -> list[dict]:
    with psycopg.connect(settings.warehouse_dsn) as conn:
        cur = conn.cursor(row_factory=psycopg.rows.dict_row)
        return cur.execute("select * from ops.alerts order by alert_id").fetchall()


def committed_project(settings: Settings) -> dict[Path, bytes]:
    gx_dir = settings.expectations_dir / "gx"
    return {p: p.read_bytes() for p in gx_dir.rglob("*") if p.is_file() and "uncommitted" not in p.parts}


def gx_files_holding(settings: Settings, values: tuple[str, ...]) -> list[str]:
    """Files of GX's runtime folder (validation results, data docs) that hold any of `values`."""
    found = []
    for path in runtime_dir(settings).rglob("*"):
        if path.is_file():
            text = path.read_bytes()
            found += [f"{path}: {v}" for v in values if v.encode() in text]
    return found


def test_a_clean_warehouse_passes_publishes_and_alerts_nobody(warehouse):
    project = committed_project(warehouse)
    result = gate_then_publish(warehouse)
    assert result.success, result.summary()
    assert alerts(warehouse) == []
    assert result.data_docs.is_file(), "data docs were not built"
    assert result.data_docs.is_relative_to(warehouse.home), "data docs are not under C360_HOME"
    assert committed_project(warehouse) == project, "a gate run changed the committed GX project"
    with psycopg.connect(warehouse.warehouse_dsn) as conn:
        published = conn.execute(
            "select count(*) from ops.publications where business_date = %s", (BUSINESS_DATE,)
        ).fetchone()[0]
        kept = conn.execute(
            "select count(*), count(*) filter (where success), min(run_by) from ops.quality_results"
        ).fetchone()
    assert published == len(PUBLISHED_TABLES)
    assert kept == (len(result.outcomes), len(result.outcomes), "pytest")
    flagged = [o for o in result.outcomes if o.column == "handle_seconds" and o.unexpected_count]
    assert [(o.success, o.unexpected_count) for o in flagged] == [(True, 1)], (
        "a negative handle time was not counted, or one in 200 blocked publishing"
    )
    validations = {o.validation for o in result.outcomes}
    for silo in SILOS:
        assert {f"{silo}__freshness", f"{silo}__volume"} <= validations


EMAIL_WARNING = (
    "finance__raw_accounts", "raw_finance_accounts.expect_column_values_to_match_regex(email) [warning]",
    "finance",
)


# Each fault, the expectation it must fail, and the owner who must hear of it.
# They touch different rows, so one gate run checks them all (GX runs are slow).
FAULTS = {
    "a silo's e-mails all invalid": (
        "update raw_finance.accounts set email = 'jan.jansen-example.nl'",
        "finance__raw_accounts", "raw_finance_accounts.expect_column_values_to_match_regex(email)",
        "finance",
    ),
    "a stale silo": (
        f"delete from ops.load_ledger where source_system = 'store' and business_date = '{BUSINESS_DATE}'",
        "store__freshness", "silo_freshness.expect_column_values_to_be_between(latest_business_date)",
        "store",
    ),
    "a marketing segment with an opted-out, a restricted and an erased customer": (
        f"""update marts.dim_customer set
                marketing_consent = customer_id <> '{MARKETED[0]}',
                is_restricted = customer_id = '{MARKETED[1]}',
                is_erased = customer_id = '{MARKETED[2]}'
            where customer_id in ('{MARKETED[0]}', '{MARKETED[1]}', '{MARKETED[2]}')""",
        "segments__consent", "segment_consent.expect_column_values_to_be_in_set(segment)", "segments",
    ),
    "an offer to a customer without marketing consent": (
        f"update marts.next_best_activity set activity = 'win_back_lapsed', kind = 'offer'"
        f" where customer_id = '{SERVICE[0]}'",
        "segments__activity_consent",
        "activity_consent.expect_column_values_to_be_in_set(activity_without_consent)", "segments",
    ),
    "an activity for a restricted customer": (
        f"update marts.dim_customer set is_restricted = true where customer_id = '{OWING}'",
        "segments__activity_consent", "activity_consent.expect_column_values_to_be_in_set(is_profiled)",
        "segments",
    ),
    "two activities for one customer": (
        "insert into marts.next_best_activity select * from marts.next_best_activity"
        f" where customer_id = '{OFFERED[0]}'",
        "segments__activity_consent", "activity_consent.expect_column_values_to_be_unique(customer_id)",
        "segments",
    ),
    "an activity left from the night before (a mixed build)": (
        f"update marts.next_best_activity set business_date = '{BUSINESS_DATE - timedelta(days=1)}'"
        f" where customer_id = '{OFFERED[1]}'",
        "segments__activity_consent",
        "activity_consent.expect_column_values_to_be_in_set(is_for_business_date)", "segments",
    ),
    "a segment shrinking by 80 %": (
        # their membership stretches end with them, as the build's history does
        "delete from marts.customer_segments"
        f" where customer_id in ({', '.join(repr(c) for c in MARKETED[10:])});"
        f" update marts.segment_membership_history set left_on = '{BUSINESS_DATE}'"
        f" where customer_id in ({', '.join(repr(c) for c in MARKETED[10:])})",
        "segments__size_drift", "segment_size_drift.expect_column_values_to_be_between(size_ratio)",
        "segments",
    ),
    "a duplicate customer_id": (
        "insert into marts.dim_customer select * from marts.dim_customer where customer_id = 'C005'",
        "golden_record__customer_id",
        "golden_record_customer_id.expect_column_values_to_be_unique(customer_id)",
        "golden_record",
    ),
    "a record mapped twice": (
        f"insert into marts.customer_xref values ('C002', 'finance', '{FINANCE_KEYS[0]}')",
        "golden_record__xref",
        "golden_record_xref.expect_compound_columns_to_be_unique(source_system,source_key)",
        "golden_record",
    ),
    "an identity-bearing record not mapped": (
        f"delete from marts.customer_xref where source_system = 'web' and source_key = '{ANONYMOUS_IDS[0]}'",
        "golden_record__identity_coverage",
        "golden_record_identity_coverage.expect_column_values_to_not_be_null(customer_id)", "golden_record",
    ),
    "a golden customer outside NL and BE": (
        "update marts.dim_customer set country_code = 'DE' where customer_id = 'C010'",
        "golden_record__contact_details",
        "golden_record_contact_details.expect_column_values_to_be_in_set(country_code)", "golden_record",
    ),
    "a cent of a purchase not attributed": (
        "update marts.attribution_by_campaign set attributed_revenue = attributed_revenue - 0.01"
        " where attribution_model = 'position_based'",
        "golden_record__attribution",
        "attribution.expect_column_values_to_be_between(unreconciled_revenue)", "golden_record",
    ),
    "a store purchase in a store the store dimension lacks": (
        "update marts.fct_purchase_lines set store_code = 'NL-XXX-99'",
        "golden_record__bi_keys", "bi_layer.expect_column_values_to_be_between(unjoined_rows)",
        "golden_record",
    ),
    "a web session twice": (
        "insert into marts.fct_web_sessions select * from marts.fct_web_sessions",
        "golden_record__bi_keys", "bi_layer.expect_column_values_to_be_between(extra_rows)",
        "golden_record",
    ),
    "a runaway cluster": (
        "update marts.customer_xref set customer_id = 'C001' where source_system = 'store'",
        "golden_record__cluster_plausibility",
        "golden_record_cluster_plausibility.expect_column_values_to_be_between(loyalty_cards)",
        "golden_record",
    ),
}


def test_each_fault_fails_its_expectation_alerts_its_owner_and_blocks_publishing(warehouse):
    before = published_state(warehouse)
    for statement, *_ in FAULTS.values():
        execute(warehouse, statement)

    result = gate_then_publish(warehouse)

    assert not result.success, "the gate passed a faulty warehouse"
    expected = {(validation, rule, owner) for _, validation, rule, owner in FAULTS.values()}
    expected.add(EMAIL_WARNING)  # all invalid is also below the warning share
    failed = {(o.validation, o.rule, o.owner) for o in result.failures}
    assert failed == expected, f"missed: {expected - failed}; unexpected: {failed - expected}"
    assert published_state(warehouse) == before, "the last publication changed"
    with pytest.raises(GateFailed, match="finance__raw_accounts"):
        require_passed(result)

    sent = {alert["rule"]: alert for alert in alerts(warehouse)}
    assert set(sent) == {rule for _, rule, _ in expected}, "not one alert per failed rule"
    for _, validation, rule, owner in FAULTS.values():
        alert, expected_owner = sent[rule], owner_of(owner)
        assert (alert["source_system"], alert["owner"], alert["owner_email"]) == (
            owner, expected_owner.name, expected_owner.email,
        ), f"{rule} alerted the wrong owner"
        assert alert["business_date"] == BUSINESS_DATE
        assert validation in alert["message"]
        assert "Full report: file://" in alert["message"], alert["message"]

    assert "nothing was published" in sent[FAULTS["a stale silo"][2]]["message"]
    emails = sent[FAULTS["a silo's e-mails all invalid"][2]]
    assert emails["rows_affected"] == len(FINANCE_KEYS)
    assert "*****0001 @ " in emails["message"], "the example rows do not say which records"
    leaked = ("jan.jansen", "j**.j*****", "FA0000001", ANONYMOUS_IDS[0])
    assert not [v for v in leaked if v in emails["message"]], "a value or an account leaked"
    assert not gx_files_holding(warehouse, leaked), "GX's results or data docs keep personal data"
    with psycopg.connect(warehouse.warehouse_dsn) as conn:
        kept = conn.execute("select count(*) from ops.quality_results as r, unnest(%s::text[]) as v "
                            "where strpos(r::text, v) > 0", (list(leaked),)).fetchone()[0]
    assert kept == 0, "ops.quality_results keeps personal data"

    consent = sent[FAULTS["a marketing segment with an opted-out, a restricted and an erased customer"][2]]
    assert consent["rows_affected"] == 3
    for customer, reason in zip(MARKETED[:3], ("no marketing consent", "restricted", "erased"), strict=True):
        assert f"high_value_at_risk:{customer}:{reason}" in consent["message"]

    drift = sent[FAULTS["a segment shrinking by 80 %"][2]]
    assert "high_value_at_risk (now 10, last published 50)" in drift["message"]

    unmapped = sent[FAULTS["an identity-bearing record not mapped"][2]]
    assert "web:**on-1" in unmapped["message"], "the alert does not name the unmapped record"

    unattributed = sent[FAULTS["a cent of a purchase not attributed"][2]]
    assert unattributed["rows_affected"] == 1
    assert f"attribution_by_campaign:position_based:{BUSINESS_DATE.replace(day=1)}" in unattributed["message"]

    unjoined = sent[FAULTS["a store purchase in a store the store dimension lacks"][2]]
    assert unjoined["rows_affected"] == 1 and "marts.fct_purchase_lines:store_code" in unjoined["message"]
    duplicated = sent[FAULTS["a web session twice"][2]]
    assert duplicated["rows_affected"] == 1 and "marts.fct_web_sessions:session_id" in duplicated["message"]

    stale = sent[FAULTS["a stale silo"][2]]
    assert str(BUSINESS_DATE - timedelta(days=1)) in stale["message"], "the alert does not say how stale"

    mixed = sent[FAULTS["an activity left from the night before (a mixed build)"][2]]
    assert mixed["rows_affected"] == 1
    left_over = f"{OFFERED[1]}:win_back_lapsed:marketable:{BUSINESS_DATE - timedelta(days=1)}"
    assert left_over in mixed["message"], "the alert does not name the date the activity was built for"
    twice = sent[FAULTS["two activities for one customer"][2]]
    assert f"{OFFERED[0]}:win_back_lapsed:marketable:{BUSINESS_DATE}" in twice["message"]


PLAUSIBILITY = "golden_record__cluster_plausibility"


def give_records(settings: Settings, customer: str, records: list[tuple]) -> None:
    """Map more source records to `customer`: (source_system, source_key, given name,
    surname, birth date, postal code, house number), as dbt would have normalized them."""
    with psycopg.connect(settings.warehouse_dsn) as conn:
        for system, key, *values in records:
            conn.execute("insert into marts.customer_xref values (%s, %s, %s)", (customer, system, key))
            identity_record(conn, system, key, *values)


def cluster_measures(settings: Settings, customer: str) -> dict:
    from c360.quality.suites.golden import CLUSTER_MEASURES_SQL

    with psycopg.connect(settings.warehouse_dsn) as conn:
        cur = conn.cursor(row_factory=psycopg.rows.dict_row)
        return cur.execute(f"select * from ({CLUSTER_MEASURES_SQL}) as m where row_key = %s",
                           (customer,)).fetchone()


def test_one_loyal_customer_with_forty_records_passes(warehouse):
    # C001 holds FA0000001 (Jan Jansen, 1980-01-01). A year of nights adds a second
    # account, a loyalty card, 20 calls and 17 web cookies, with what one person's
    # records differ in: a typo in the surname, a partner's surname, names typed
    # swapped (with the prefix, with the surname's initial), a first name only, a birth date
    # typed a few days off, and the card issued at an old address.
    calls = [("contact_center", f"CC-2026{n:04d}", "jan", "jansen", None, None, None) for n in range(13)]
    calls += [("contact_center", "CC-20269001", "jan", "janssen", None, None, None),
              ("contact_center", "CC-20269004", "jan", "de boer", None, None, None),
              ("contact_center", "CC-20269005", "jansen", "jan", None, None, None),
              ("contact_center", "CC-20269006", "van", "j", None, None, None),
              ("contact_center", "CC-20269007", "de jansen", "jan", None, None, None),
              ("contact_center", "CC-20269002", "jan", None, None, None, None),
              ("contact_center", "CC-20269003", None, None, None, None, None)]
    cookies = [("web", f"cookie-{n}", "jan" if n % 2 else None, "jansen" if n % 2 else None,
                None, "1000AB" if n % 3 else None, None) for n in range(17)]
    give_records(warehouse, "C001", [
        ("store", "9000000000001", "jan", "jansen", "1980-01-01", "2000XY", "7"),
        ("finance", "FA9000001", "jan", "jansen", "1980-01-10", "1000AB", "1"),
        *calls, *cookies,
    ])
    give_records(warehouse, "C002", [
        # a form's default (1901-01-01): int_identity__records holds it as unknown
        ("finance", "FA9000002", "jan", "jansen", None, None, None),
        ("store", "9000000000002", "jan", "jansen", "1990-01-01", None, None),
    ])
    # Nel, the call name of Cornelia and of Petronella, beside Cornelia under her married name
    give_records(warehouse, "C900", [
        ("store", "9000000000900", "nel", "smit", None, None, None, "cornelia petronella"),
        ("finance", "FA9000900", "cornelia", "jansen", None, None, None),
    ])
    with psycopg.connect(warehouse.warehouse_dsn) as conn:
        held = conn.execute("select count(*) from marts.customer_xref where customer_id = 'C001'").fetchone()
    assert held == (40,)
    assert cluster_measures(warehouse, "C001") == {
        "row_key": "C001", "birth_dates_far_apart": 0, "names_far_apart": 0,
        "finance_accounts": 2, "loyalty_cards": 1, "addresses": 2,
    }
    # C002 (1980-01-01): 1990-01-01 is one digit off
    assert cluster_measures(warehouse, "C002")["birth_dates_far_apart"] == 0
    assert cluster_measures(warehouse, "C900")["names_far_apart"] == 0

    result = gate_then_publish(warehouse)

    assert result.success, result.summary()
    checked = [o for o in result.outcomes if o.validation == PLAUSIBILITY]
    assert len(checked) == 5 and all(o.success and o.unexpected_count == 0 for o in checked), checked


def test_a_customer_merging_several_persons_fails_the_gate(warehouse):
    # C001 (Jan Jansen, 1980-01-01) swallowed four other persons: their accounts,
    # cards and calls, with their own names, birth dates and addresses.
    strangers = [
        ("piet", "de vries", "1955-07-12", "3511AA", "2"),
        ("anna", "bakker", "1992-03-30", "5611BB", "14"),
        ("kees", "visser", "1971-11-02", "9711CC", "3"),
        ("fatima", "el amrani", "2001-09-17", "1011DD", "88"),
    ]
    merged = []
    for n, (given, surname, born, postal, house) in enumerate(strangers, start=1):
        merged += [("finance", f"FA900000{n}", given, surname, born, postal, house),
                   ("store", f"900000000000{n}", given, surname, born, postal, house),
                   ("contact_center", f"CC-2026900{n}", given, surname, None, None, None)]
    give_records(warehouse, "C001", merged)
    assert cluster_measures(warehouse, "C001") == {
        "row_key": "C001", "birth_dates_far_apart": 5, "names_far_apart": 5,
        "finance_accounts": 5, "loyalty_cards": 4, "addresses": 5,
    }
    before = published_state(warehouse)

    result = gate_then_publish(warehouse)

    assert not result.success, "the gate passed a customer merging five persons"
    failed = {o.column: o for o in result.failures if o.validation == PLAUSIBILITY}
    assert set(failed) == {"birth_dates_far_apart", "names_far_apart", "finance_accounts",
                           "loyalty_cards", "addresses"}, result.summary()
    assert all(o.owner == "golden_record" and o.unexpected_count == 1 for o in failed.values())
    assert {o.validation for o in result.failures} == {PLAUSIBILITY}, result.summary()
    assert published_state(warehouse) == before, "the last publication changed"
    sent = [a for a in alerts(warehouse) if PLAUSIBILITY in a["message"]]
    assert len(sent) == 5 and all("C001" in a["message"] for a in sent)
    assert any("cannot be one person's" in a["message"] for a in sent), sent[0]["message"]


def test_a_few_wrong_values_warn_their_owner_and_publishing_goes_on(warehouse):
    # 4 of 20 e-mails without @: below the warning share, far above the blocking one.
    execute(warehouse, "update raw_finance.accounts set email = replace(email, '@', ' at ')"
                       " where account_id = any(%s)", (FINANCE_KEYS[:4],))
    result = gate_then_publish(warehouse)
    assert result.success, result.summary()
    assert {(o.validation, o.rule, o.owner) for o in result.failures} == {EMAIL_WARNING}
    with psycopg.connect(warehouse.warehouse_dsn) as conn:
        published = conn.execute(
            "select count(*) from ops.publications where business_date = %s", (BUSINESS_DATE,)
        ).fetchone()[0]
    assert published == len(PUBLISHED_TABLES), "a warning blocked publishing"
    [alert] = alerts(warehouse)
    assert (alert["source_system"], alert["rule"], alert["rows_affected"]) == ("finance", EMAIL_WARNING[1], 4)
    assert "does not block publishing" in alert["message"]
    run_gate(warehouse, BUSINESS_DATE)  # a retry
    assert len(alerts(warehouse)) == 1, "a re-run told the owner the same thing again"


def test_a_segment_growing_with_the_customer_base_or_a_small_one_changing_is_not_drift(warehouse):
    # Twice the customers and twice the segment: explained by new data volume.
    execute(warehouse, "insert into marts.customer_360"
                       " select customer_id || 'b', revenue from marts.customer_360")
    execute(warehouse, "insert into marts.customer_segments select customer_id || 'b', segment"
                       " from marts.customer_segments where segment = 'high_value_at_risk'")
    # 5 members to 1: below segment_drift.min_published_size a ratio is noise.
    execute(warehouse, "delete from marts.customer_segments where segment = 'open_service_issue'"
                       " and customer_id <> %s", (SERVICE[0],))
    result = run_gate(warehouse, BUSINESS_DATE, alert=False)
    drift = [o for o in result.outcomes if o.validation == "segments__size_drift"]
    assert drift and all(o.success for o in drift), result.summary()


def test_c360_gate_on_an_unbuilt_warehouse_fails_and_says_why(c360_env):
    settings = load_settings()  # an empty warehouse: no deliveries, no marts
    run = CliRunner().invoke(app, ["gate", "--date", BUSINESS_DATE.isoformat()], env={"COLUMNS": "200"})
    assert run.exit_code == 1, run.output
    assert f"data docs: {settings.home / 'gx'}" in run.output
    assert "golden_record__customer_id" in run.output and "FAIL" in run.output
    with psycopg.connect(settings.warehouse_dsn) as conn:
        kept = conn.execute(
            "select owner_area, validation, error from ops.quality_results where not success"
        ).fetchall()
    missing = [error for _, validation, error in kept if validation == "golden_record__customer_id"]
    assert missing and all("marts.dim_customer" in (e or "") for e in missing), missing
    stale = {owner for owner, validation, _ in kept if validation.endswith("__freshness")}
    assert stale == set(SILOS), "silos that never delivered are not reported stale"
    messages = [a["message"] for a in alerts(settings) if "golden_record__customer_id" in a["message"]]
    assert len(messages) == 1, "a validation that could not run should alert its owner once"
    assert "It could not run" in messages[0] and "marts.dim_customer" in messages[0], messages
