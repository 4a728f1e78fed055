"""A new silo of delimited files takes a contract file, a staging model and tests, and nothing
else (README, "Extending c360"): in a copy of the project, a `returns` silo owned by the
store team gets its DAG, loader, raw table, dbt source and raw checks from `make contracts`'
steps alone."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from c360.config import project_root
from c360.ingest.contract_files import load_business_date
from c360.ingest.contracts import write_generated
from c360.quality.declare import declare_project
from c360.quality.owners import owner_of
from c360.quality.suites import all_checks
from c360.quality.thresholds import load_thresholds
from tests.dbt_helpers import as_of, dbt_env, run_dbt
from tests.ingest_helpers import DAY, fetch, quarantine, write_delimited

CONTRACT = """\
silo: returns
owner: store
description: Goods brought back to a store, one file a day from the returns desk.
delivery:
  kind: files
  folder: returns/YYYY-MM-DD
  complete_when: _SUCCESS
  timing: One file per business date, in the folder of that date.
datasets:
  returned_items:
    description: One row per returned article.
    raw_table: raw_returns.returned_items
    file: returns.csv
    dialect: {format: csv, delimiter: ",", quote: '"', encoding: utf-8, header: true, compression: none}
    key: [return_id]
    columns:
      return_id: {type: identifier, required: true, description: Unique per return.}
      store_code: {type: text, required: true, pattern: "^(NL|BE)-[A-Z]{3}-[0-9]{2}$"}
      returned_on: {type: date, format: YYYY-MM-DD, required: true, not_after_business_date: true}
      quantity: {type: integer, required: true, minimum: 1}
      refund: {type: decimal, required: true, minimum: 0}
      reason: {type: text, required: true, values: [damaged, wrong_size, unwanted, other]}
      email: {type: email, personal: true}
"""
MODEL = """\
-- One row per returned article, typed.
with source as (
    select * from {{ source('raw_returns', 'returned_items') }}
),

renamed as (
    select
        return_id,
        store_code,
        returned_on::date as returned_on,
        quantity::int as quantity,
        refund::numeric(12, 2) as refund,
        reason,
        nullif(btrim(email), '') as email,
        _business_date
    from source
),

final as (
    select * from renamed
)

select * from final
"""
COLUMNS = ("return_id", "store_code", "returned_on", "quantity", "refund", "reason", "email")
# The DAGs of the copied dags/ as Airflow parses them: ids, docs and owners, and the build's Assets.
DAG_FACTS = """
import json, os
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
build = bag.dags["c360_build"]
print(json.dumps({
    "import_errors": {k: str(v) for k, v in bag.import_errors.items()},
    "dags": {i: {"doc": d.doc_md, "owner": d.default_args["owner"]} for i, d in bag.dags.items()},
    "build_assets": sorted(a.uri for a in build.timetable.asset_condition.objects),
    "build_tasks": sorted(build.task_ids),
}))
"""


@pytest.fixture
def project(tmp_path, c360_env, monkeypatch) -> Path:
    """A copy of the project with the returns contract and staging model added, and what
    `make contracts` generates from them."""
    root = tmp_path / "project"
    ignore = shutil.ignore_patterns("uncommitted", "target", "logs", "__pycache__")
    for folder in ("contracts", "config", "dags", "dbt_project", "expectations"):
        shutil.copytree(project_root() / folder, root / folder, ignore=ignore)
    (root / "contracts" / "returns.yml").write_text(CONTRACT)
    staging = root / "dbt_project" / "models" / "staging" / "returns"
    staging.mkdir()
    (staging / "stg_returns__returned_items.sql").write_text(MODEL)
    monkeypatch.setenv("C360_PROJECT_DIR", str(root))
    written = write_generated()
    assert staging / "_returns__sources.yml" in written and root / "docs" / "contracts.md" in written
    declare_project()  # expectations/ anew, as `make contracts` does
    return root


def test_a_new_silo_needs_only_its_contract_and_staging_model(
        project, c360_env, warehouse_schema_airflow_env, tmp_path):
    # the loader: a delivered file loads, a bad row is quarantined with its reason
    write_delimited(tmp_path / "landing" / f"returns/{DAY}/returns.csv", COLUMNS, [
        ("RT-1", "NL-AMS-01", "2026-11-21", "1", "19.95", "damaged", "anna@example.nl"),
        ("RT-2", "NL-AMS-01", "2026-11-21", "two", "19.95", "damaged", ""),
    ])
    dsn = c360_env["C360_WAREHOUSE_DSN"]
    [loaded] = load_business_date("returns", dsn, tmp_path / "landing", DAY).files
    assert (loaded.rows_read, loaded.rows_loaded, loaded.rows_quarantined) == (2, 1, 1)
    assert [reason for *_, reason in quarantine(dsn, "returns")] == ["quantity: 'two' is not an integer"]
    # the raw table: the contract's columns as delivered text, partitioned by business date
    assert fetch(dsn, """select column_name, data_type from information_schema.columns
                         where table_schema = 'raw_returns' and table_name = 'returned_items'
                         and column_name not like '\\_%%' order by ordinal_position""") == [
        (c, "text") for c in COLUMNS]
    assert fetch(dsn, "select return_id, _line_number from raw_returns.returned_items_20261121") == [
        ("RT-1", 2)]

    # the raw suite: the silo's checks, declared, their alerts for the store's owner
    [raw] = [c for c in all_checks(load_thresholds()) if c.name == "returns__raw_returned_items"]
    assert {type(e).__name__ for e in raw.expectations} >= {
        "ExpectColumnValuesToNotBeNull", "ExpectColumnValuesToMatchRegex", "ExpectColumnValuesToBeInSet",
        "ExpectColumnValuesToBeBetween", "ExpectColumnValuesToBeUnique"}
    checkpoint = project / "expectations" / "gx" / "checkpoints" / "quality_gate.json"
    declared = {v["name"] for v in json.loads(checkpoint.read_text())["validation_definitions"]}
    assert {"returns__raw_returned_items", "returns__freshness", "returns__volume"} <= declared
    assert owner_of("returns").email == "retail-ops@example.org"

    # dbt: the generated source and the staging model build on the loaded row
    env = {**dbt_env(dsn, tmp_path / "home"), "C360_PROJECT_DIR": str(project)}
    run_dbt(env, "build", "--select", "source:raw_returns", "stg_returns__returned_items", *as_of(DAY))
    assert fetch(dsn, "select return_id, quantity, refund from staging.stg_returns__returned_items") == [
        ("RT-1", 1, Decimal("19.95"))]

    # Airflow: the silo's DAG, and the build waits for its Asset
    env = {**warehouse_schema_airflow_env, "C360_PROJECT_DIR": str(project),
           "AIRFLOW__CORE__DAGS_FOLDER": str(project / "dags")}
    result = subprocess.run([sys.executable, "-c", DAG_FACTS], env=env, cwd=project_root(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts["import_errors"] == {}
    returns = facts["dags"]["c360_ingest_returns"]
    assert returns["owner"] == "Retail operations"
    assert "Goods brought back to a store" in returns["doc"]
    assert "c360://raw/returns" in facts["build_assets"]
    assert any("stg_returns__returned_items" in task for task in facts["build_tasks"])
