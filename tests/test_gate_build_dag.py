"""The real build DAG through `c360 run`: cosmos' dbt tasks, then quality_gate, then publish.

A stand-in dbt project (models that copy the hand-made candidates for
publishing into `marts`; the golden record beside them is hand-made too) keeps
dbt's share small; the DAG file, cosmos, the gate and
publishing are the real ones. Two nights in one Airflow process: the first is
clean and makes the first publication; on the second the store's delivery is
missing, so the gate fails without a retry, publish does not run, the first
publication stays and the store's owner gets the e-mail. A night whose data
breaks a dbt data test stops at dbt's test task: neither the gate nor publish runs.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from c360.cli import app
from c360.config import load_settings, project_root
from c360.orchestration.dates import run_logical_date
from c360.orchestration.pipeline import BUILD_DAG_ID, STORE
from c360.publishing.activities import activities_file, customer_360_models_file
from c360.publishing.publish import publish
from c360.publishing.segments import segments_file
from c360.quality.owners import owner_of
from c360.warehouse.bootstrap import bootstrap
from c360.warehouse.roles import BI_ROLE
from tests.bi_candidates import BI_CANDIDATE_ROWS
from tests.conftest import dsn_as
from tests.test_quality_gate import BUSINESS_DATE, PUBLISHED_TABLES, _marts, _raw_layer
from tests.test_run_nightly import metadata

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

FIRST_NIGHT = BUSINESS_DATE - timedelta(days=1)
BI_PASSWORD = "test-bi-reader-secret"
STAND_IN_DBT_PROJECT = """\
name: c360_stand_in
version: "1.0"
config-version: 2
profile: c360
model-paths: ["stand_in"]
models:
  c360_stand_in:
    +materialized: table
"""
# The night's data tests: what the real project declares on the 360 table's key.
STAND_IN_DATA_TESTS = """\
version: 2
models:
  - name: customer_360
    columns:
      - name: customer_id
        data_tests: [unique, not_null]
"""
NO_PRIVACY_REQUESTS = """\
select null::text as request_id, null::text as request_type, null::timestamptz as received_at,
       null::date as business_date, null::text as status, null::text as customer_id,
       null::text as matched_on, null::integer as candidate_customers,
       null::text as handled_outcome, null::timestamptz as handled_at
where false
"""

# Built by the scored step after scoring, as the real models that read the night's scores.
SCORED = ("customer_propensity", "next_best_activity")


@pytest.fixture(scope="module")
def build_project(tmp_path_factory) -> Path:
    """The real dags/build.py, config, contracts and expectations, with the stand-in dbt project."""
    root = tmp_path_factory.mktemp("build-project")
    for folder in ("config", "contracts", "expectations"):
        (root / folder).symlink_to(project_root() / folder)
    (root / "dags").mkdir()
    (root / "dags" / "build.py").symlink_to(project_root() / "dags" / "build.py")
    dbt = root / "dbt_project"
    (dbt / "stand_in").mkdir(parents=True)
    (dbt / "dbt_project.yml").write_text(STAND_IN_DBT_PROJECT)
    # as the real project, the stand-in cannot build without the business date the DAG passes
    for model in PUBLISHED_TABLES:
        scored = "{{ config(tags=['scored']) }}\n" if model in SCORED else ""
        (dbt / "stand_in" / f"{model}.sql").write_text(
            f"{scored}select * from stand_in.{model}"
            f" where '{{{{ var(\"business_date\") }}}}'::date is not null\n")
    # a night's activities are for its business date: the gate refuses a stale build
    (dbt / "stand_in" / "next_best_activity.sql").write_text(
        "{{ config(tags=['scored']) }}\nselect customer_id, '{{ var(\"business_date\") }}'::date as"
        " business_date, activity, kind, priority, product_line, channel, reason,"
        " requires_marketing_consent, valid_until from stand_in.next_best_activity\n")
    # and its snapshot of the 360 is the night's
    (dbt / "stand_in" / "customer_360_daily.sql").write_text(
        "select '{{ var(\"business_date\") }}'::date as business_date, customer_id"
        " from stand_in.customer_360_daily\n")
    (dbt / "stand_in" / "_stand_in__models.yml").write_text(STAND_IN_DATA_TESTS)
    (dbt / "profiles.yml").symlink_to(project_root() / "dbt_project" / "profiles.yml")
    # The privacy step between dbt and the gate reads tonight's matches: none.
    (dbt / "stand_in" / "privacy_request_matches.sql").write_text(NO_PRIVACY_REQUESTS)
    # The gate reads the declared segments and activities (and the 360's columns the
    # activities are checked against) where dbt keeps them, outside the stand-in's model path.
    for path in (segments_file(), activities_file(), customer_360_models_file()):
        declared = dbt / path.relative_to(project_root() / "dbt_project")
        declared.parent.mkdir(parents=True, exist_ok=True)
        declared.symlink_to(path)
    return root


def task_states(env: dict[str, str], day) -> dict[str, str]:
    """Each task of the build DAG's run for `day`: its state and the attempts it took."""
    return dict(metadata(
        env,
        "select ti.task_id, ti.state || ' ' || ti.try_number"
        " from task_instance ti join dag_run dr using (dag_id, run_id)"
        " where dr.dag_id = %s and dr.logical_date = %s",
        (BUILD_DAG_ID, run_logical_date(day)),
    ))


def published(dsn: str) -> dict[str, list[tuple]]:
    with psycopg.connect(dsn) as conn:
        return {t: conn.execute(f"select * from published.{t} order by 1, 2").fetchall()
                for t in PUBLISHED_TABLES}


def stand_in_candidates(conn: psycopg.Connection) -> None:
    """Move the hand-made candidates to schema stand_in, where the stand-in models read them."""
    conn.execute("create schema stand_in")
    for table in PUBLISHED_TABLES:
        conn.execute(f"alter table marts.{table} set schema stand_in")


def test_a_clean_night_publishes_then_a_stale_silo_stops_the_next(
    airflow_env, build_project, smtp_inbox, monkeypatch
):
    monkeypatch.setenv("C360_PROJECT_DIR", str(build_project))
    monkeypatch.setenv("C360_BI_READER_PASSWORD", BI_PASSWORD)
    warehouse = airflow_env["C360_WAREHOUSE_DSN"]
    bootstrap(warehouse)
    with psycopg.connect(warehouse) as conn:
        _raw_layer(conn, BUSINESS_DATE)
        _marts(conn)
        stand_in_candidates(conn)  # dbt builds the candidates from them
        # The store delivered up to the first night only.
        conn.execute("delete from ops.load_ledger where source_system = %s and business_date = %s",
                     (STORE, BUSINESS_DATE))

    run = CliRunner().invoke(app, ["run", "--start", str(FIRST_NIGHT), "--end", str(BUSINESS_DATE),
                                   "--dag", BUILD_DAG_ID])
    print(run.output)

    assert run.exit_code == 1, run.output
    first, second = task_states(airflow_env, FIRST_NIGHT), task_states(airflow_env, BUSINESS_DATE)
    dbt_tasks = {t for t in first if t.startswith("dbt.")}
    assert all(any(t.startswith(f"dbt.{table}") for t in dbt_tasks)
               for table in PUBLISHED_TABLES if table not in SCORED), first
    steps = ("privacy_suppression", "privacy_requests", "score_propensity", "scored_models",
             "quality_gate", "publish")
    assert all(first[t] == "success 1" for t in (*dbt_tasks, *steps)), first
    assert all(second[t] == "success 1" for t in dbt_tasks), second
    # a data failure is not retried (the DAG's tasks have a retry), and publishing never starts
    assert second["quality_gate"] == "failed 1", second
    assert second["publish"].startswith("upstream_failed"), second

    with psycopg.connect(warehouse) as conn:
        nights = conn.execute(
            "select business_date, relation, row_count from ops.publications order by 2"
        ).fetchall()
        candidates = {t: conn.execute(f"select * from marts.{t} order by 1, 2").fetchall()
                      for t in PUBLISHED_TABLES}
        told = conn.execute("select source_system, business_date, rule from ops.alerts").fetchall()
    assert nights == sorted([(FIRST_NIGHT, "published.attribution_by_campaign", 3),
                             (FIRST_NIGHT, "published.attribution_by_content", 3),
                             (FIRST_NIGHT, "published.attribution_by_product_line", 3),
                             (FIRST_NIGHT, "published.customer_360", 60),
                             (FIRST_NIGHT, "published.customer_360_daily", 60),
                             (FIRST_NIGHT, "published.customer_propensity", 0),
                             (FIRST_NIGHT, "published.customer_segments", 55),
                             (FIRST_NIGHT, "published.next_best_activity", 11),
                             (FIRST_NIGHT, "published.segment_membership_history", 55),
                             *((FIRST_NIGHT, f"published.{t}", n) for t, n in BI_CANDIDATE_ROWS.items())],
                            key=lambda night: night[1])
    # the stand-in's activities and snapshot carry the night they were built for
    first_activities = [(c, FIRST_NIGHT, *rest) for c, _, *rest in candidates["next_best_activity"]]
    first_snapshot = [(FIRST_NIGHT, c) for _, c in candidates["customer_360_daily"]]
    assert published(warehouse) == {**candidates, "next_best_activity": first_activities,
                                    "customer_360_daily": first_snapshot}, (
        "the first night's publication changed")
    with psycopg.connect(dsn_as(warehouse, BI_ROLE, BI_PASSWORD)) as conn:
        assert conn.execute("select count(*) from published.customer_360").fetchone() == (60,)

    rule = "silo_freshness.expect_column_values_to_be_between(latest_business_date)"
    assert told == [(STORE, BUSINESS_DATE, rule)], "one alert, from the gate, none from the failed task"
    [mail] = smtp_inbox.mails
    assert mail.recipients == [owner_of(STORE).email]
    assert mail.subject == f"[c360] {STORE} {BUSINESS_DATE}: {rule}"
    assert str(FIRST_NIGHT) in mail.body and "nothing was published" in mail.body
    assert load_settings().home in Path(mail.body.split("Full report: file://")[1].split()[0]).parents


def test_a_failing_dbt_data_test_stops_the_night_before_the_gate(
    airflow_env, build_project, monkeypatch
):
    night = BUSINESS_DATE + timedelta(days=2)  # a date no other test's DAG run has
    monkeypatch.setenv("C360_PROJECT_DIR", str(build_project))
    warehouse = airflow_env["C360_WAREHOUSE_DSN"]
    bootstrap(warehouse)
    with psycopg.connect(warehouse) as conn:
        _raw_layer(conn, night)
        _marts(conn)
    publish(warehouse, PUBLISHED_TABLES, "marts", night - timedelta(days=1))
    before = published(warehouse)
    with psycopg.connect(warehouse) as conn:
        stand_in_candidates(conn)
        # One customer twice in tonight's 360 table: dbt's unique test on its key fails.
        conn.execute("insert into stand_in.customer_360 select * from stand_in.customer_360 limit 1")

    run = CliRunner().invoke(app, ["run", "--start", str(night), "--end", str(night),
                                   "--dag", BUILD_DAG_ID])
    print(run.output)

    assert run.exit_code == 1, run.output
    states = task_states(airflow_env, night)
    assert states["dbt.customer_360_run"] == "success 1", states
    assert states["dbt.dbt_project_test"].startswith("failed"), states
    # requests dbt matched are carried out whatever dbt did; the gate and publishing wait for a pass
    assert states["privacy_requests"].startswith("success"), states
    for step in ("quality_gate", "publish"):
        assert states[step].startswith("upstream_failed"), states
    assert published(warehouse) == before, "a night that failed a data test changed published"
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select count(*) from marts.customer_360").fetchone() == (61,)
        assert conn.execute("select count(*) from ops.publications").fetchone() == (len(PUBLISHED_TABLES),)
        assert conn.execute("select count(*) from ops.quality_results").fetchone() == (0,)
