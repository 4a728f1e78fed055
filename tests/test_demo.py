"""The main job end to end, as a new user runs it: `c360 demo` on its own embedded PostgreSQL.

Simulated silos, the real ingest and build DAGs through Airflow, dbt identity
resolution, and the summary; then the same demo again, which must write no new
simulated day and leave the warehouse as it was (re-running a night is safe).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import psycopg
import pytest

from c360.local.demo import days_to_train, trains_models
from c360.local.demo_plan import DemoPlan
from c360.local.postgres import EmbeddedPostgres
from tests.test_lifecycle import embedded_c360_home, run_c360

DEMO_ARGS = ("demo", "--people", "300", "--days", "1", "--start", "2026-11-02", "--seed", "11")


@pytest.fixture(scope="module")
def demo_home():
    with embedded_c360_home() as env:
        yield env


def warehouse_state(env: dict[str, str]) -> dict[str, object]:
    server = EmbeddedPostgres(root=Path(env["C360_HOME"]) / "pg", port=int(env["C360_PG_PORT"]))
    with psycopg.connect(server.dsn("warehouse")) as conn:
        ledger = conn.execute(
            "select source_system, sum(rows_read), sum(rows_loaded), sum(rows_quarantined)"
            " from ops.load_ledger group by 1 order by 1"
        ).fetchall()
        xref = conn.execute(
            "select source_system, source_key, customer_id from marts.customer_xref order by 1, 2"
        ).fetchall()
    return {"ledger": ledger, "xref": xref}


def assert_home_private(home: Path) -> None:
    """Nothing in C360_HOME is open to other users, and no secret is written outside its file."""
    pg = home / "pg"
    # as root, the embedded server's own account passes through these two to reach its data
    passable = 0o711 if os.geteuid() == 0 else 0o700
    assert home.stat().st_mode & 0o777 == passable and pg.stat().st_mode & 0o777 == passable
    secret_files = [pg / "password", pg / "bi_reader_password", pg / "privacy_key"]
    secrets = [f.read_text().strip() for f in secret_files]
    open_to_others, holding_secrets = [], []
    for path in home.rglob("*"):
        if pg / "data" in path.parents or path.is_symlink() or path.is_socket():
            continue  # the server's own files; a socket's folder (0700) guards it
        if path not in (home, pg) and path.stat().st_mode & 0o077:
            open_to_others.append(f"{path} {path.stat().st_mode & 0o777:o}")
        if path.is_file() and path not in secret_files:
            data = path.read_bytes()
            holding_secrets += [str(path) for secret in secrets if secret.encode() in data]
    assert open_to_others == []
    assert holding_secrets == []  # logs, reports, Airflow's and dbt's files


# Where personal data belongs: the sources' world (landing zone, simulator), the warehouse's
# cluster and access exports. Logs, reports, GX's results, Airflow's and dbt's files hold none.
PERSONAL_PLACES = ("landing", "simulation", "truth", "pg", "privacy")
IDENTIFIERS_SQL = """
select email from raw_finance.accounts where email is not null
union select email from raw_store.loyalty_members where email is not null
union select account_id from raw_finance.accounts
union select card_number from raw_store.loyalty_members
"""


def assert_no_personal_data_outside_the_warehouse(env: dict[str, str]) -> None:
    home = Path(env["C360_HOME"])
    server = EmbeddedPostgres(root=home / "pg", port=int(env["C360_PG_PORT"]))
    with psycopg.connect(server.dsn("warehouse")) as conn:
        values = sorted({v for (v,) in conn.execute(IDENTIFIERS_SQL)})
    assert len(values) > 100
    pattern = re.compile("|".join(map(re.escape, values)).encode())
    found = []
    for path in home.rglob("*"):
        if path.is_file() and path.relative_to(home).parts[0] not in PERSONAL_PLACES:
            found += [f"{path}: {m.group().decode()}" for m in [pattern.search(path.read_bytes())] if m]
    with psycopg.connect(server.dsn("airflow")) as conn:
        xcom = conn.execute("select dag_id, task_id, value::text from xcom").fetchall()
    assert xcom, "no XCom to look at"
    found += [f"xcom {dag}.{task}: {value}" for dag, task, value in xcom if pattern.search(value.encode())]
    assert found == []


def test_demo_runs_the_whole_night_and_a_rerun_changes_nothing(demo_home):
    first = run_c360(*DEMO_ARGS, env=demo_home, timeout=900)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    for step in ("1/4 warehouse", "2/4 silos", "3/4 nightly DAGs", "4/4 summary", "pairwise precision"):
        assert step in first.stdout
    assert "c360_build" in first.stdout
    report = Path(demo_home["C360_HOME"]) / "reports" / "latest.html"
    assert report.resolve().is_file() and "run report" in first.stdout  # summary links the report

    state = warehouse_state(demo_home)
    assert {row[0] for row in state["ledger"]} >= {"finance", "contact_center", "web", "store"}
    truth = Path(demo_home["C360_HOME"]) / "truth" / "identities.csv"
    truth_keys = {tuple(line.split(",")[:2]) for line in truth.read_text().splitlines()[1:]}
    assert {(s, k) for s, k, _ in state["xref"]} == truth_keys  # every identity-bearing record once

    assert_home_private(Path(demo_home["C360_HOME"]))
    assert_no_personal_data_outside_the_warehouse(demo_home)

    again = run_c360(*DEMO_ARGS, env=demo_home, timeout=900)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "nothing to write" in again.stdout
    assert warehouse_state(demo_home) == state


def test_a_demo_trains_propensity_models_only_when_its_nights_reach_back_far_enough():
    short = DemoPlan()
    assert not trains_models(short)
    needed = days_to_train(short)
    assert trains_models(DemoPlan(days=needed))
    assert not trains_models(DemoPlan(days=needed - 1))
