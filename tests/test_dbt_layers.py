"""The dbt project's shape, from the manifest `dbt parse` writes: layers that only look
down (dbt's "How we structure our dbt projects"), and one owner of the business date.

- sources are read in staging only;
- a model reads models of its own layer or below: staging, then intermediate, then marts;
- the business date is var business_date, read by macro business_date alone, and a
  run without it (or with a malformed one) stops with a message that says what to pass.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.dbt_helpers import as_of, dbt, dbt_env, run_dbt

LAYERS = ("staging", "intermediate", "marts")
READS_BUSINESS_DATE = re.compile(r"""var\(\s*['"]business_date['"]""")
REQUIRED = "var business_date is required, as YYYY-MM-DD"
A_METRIC = "int_metrics__engagement"


@pytest.fixture(scope="module")
def project(pg, tmp_path_factory) -> dict[str, str]:
    """dbt pointed at an empty warehouse: compiling needs a connection, not data."""
    pg.create_database("dbt_layers")
    yield dbt_env(pg.dsn("dbt_layers"), tmp_path_factory.mktemp("dbt-layers"))
    pg.drop_database("dbt_layers")


@pytest.fixture(scope="module")
def manifest(project) -> dict:
    run_dbt(project, "parse")
    return json.loads((Path(project["DBT_TARGET_PATH"]) / "manifest.json").read_text())


def layer(node: dict) -> str:
    """The layer a model's folder puts it in (models/<layer>/...)."""
    parts = Path(node["original_file_path"]).parts
    assert parts[0] == "models" and parts[1] in LAYERS, node["original_file_path"]
    return parts[1]


def models(manifest: dict) -> dict[str, dict]:
    return {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"}


def test_sources_are_read_in_staging_only(manifest):
    readers = {uid: layer(node) for uid, node in models(manifest).items()
               if any(d.startswith("source.") for d in node["depends_on"]["nodes"])}
    assert readers and set(readers.values()) == {"staging"}, readers


def test_no_model_reads_a_layer_above_its_own(manifest):
    nodes = models(manifest)
    upward = [(uid, parent) for uid, node in nodes.items() for parent in node["depends_on"]["nodes"]
              if parent in nodes and LAYERS.index(layer(nodes[parent])) > LAYERS.index(layer(node))]
    assert upward == []
    # the marts read the intermediate models that build what they publish
    assert "model.c360.int_identity__xref" in nodes["model.c360.customer_xref"]["depends_on"]["nodes"]


def test_the_business_date_has_one_owner(manifest):
    readers = {uid for uid, node in {**manifest["nodes"], **manifest["macros"]}.items()
               if READS_BUSINESS_DATE.search(node.get("raw_code") or node.get("macro_sql") or "")}
    assert readers == {"macro.c360.business_date"}
    assert "business_date" not in manifest["metadata"].get("vars", {})


@pytest.mark.parametrize("passed", [(), as_of("20261103"), as_of("2026-11-03' or 'x")],
                         ids=["missing", "not-iso", "not-a-date"])
def test_a_run_without_a_well_formed_business_date_stops_and_says_what_to_pass(project, passed):
    result = dbt(project, "compile", "--select", A_METRIC, *passed)
    assert result.returncode != 0
    assert REQUIRED in result.stdout
    assert "--vars '{business_date: YYYY-MM-DD}'" in result.stdout


def test_a_run_with_the_business_date_builds_as_of_it(project):
    run_dbt(project, "compile", "--select", A_METRIC, *as_of("2026-11-03"))
    compiled = next(Path(project["DBT_TARGET_PATH"], "compiled").rglob(f"{A_METRIC}.sql"))
    assert "'2026-11-03'::date as business_date" in compiled.read_text()
