"""The compose file as Debian's `docker-compose config` reads it (no container engine here).

`.ci/run` installs Debian's docker-compose; it parses and interpolates the file
the way a deployment does. What runs a container is not checked here.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml

from c360.bi.metabase import target_from_env
from c360.config import project_root

REQUIRED = ("AIRFLOW_FERNET_KEY", "AIRFLOW_JWT_SECRET", "AIRFLOW_DB_PASSWORD", "C360_POSTGRES_PASSWORD",
            "C360_WAREHOUSE_PASSWORD", "C360_BI_READER_PASSWORD", "C360_LOOKUP_PASSWORD",
            "C360_BILLING_PASSWORD", "C360_FINANCE_READER_PASSWORD", "C360_PRIVACY_KEY",
            "C360_METABASE_DB_PASSWORD", "C360_METABASE_ENCRYPTION_KEY", "C360_METABASE_ADMIN_EMAIL",
            "C360_METABASE_ADMIN_PASSWORD")
ONE_SHOT = {"airflow-init", "metabase-init"}

pytestmark = pytest.mark.skipif(shutil.which("docker-compose") is None,
                                reason="Debian's docker-compose is not installed (.ci/run installs it)")


def compose_config(env_file) -> dict:
    result = subprocess.run(["docker-compose", "--env-file", str(env_file), "config"],
                            cwd=project_root(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_every_variable_compose_needs_is_in_env_example(tmp_path):
    example = (project_root() / ".env.example").read_text()
    assert [name for name in REQUIRED if f"{name}=" not in example] == []
    env = tmp_path / ".env"
    env.write_text("".join(f"{name}=secret-{n}\n" for n, name in enumerate(REQUIRED)))
    services = compose_config(env)["services"]
    assert [s for s, spec in services.items() if s not in ONE_SHOT and "healthcheck" not in spec] == []
    assert all(spec.get("init") for s, spec in services.items() if spec.get("image") == "c360:latest")
    scheduler = services["airflow-scheduler"]["environment"]
    assert scheduler["AIRFLOW_CONN_C360_FINANCE"].startswith("postgresql://finance_reader:")
    assert scheduler["C360_WAREHOUSE_DSN"].startswith("postgresql://c360:")
    assert services["warehouse-db"]["environment"]["POSTGRES_USER"] == "postgres"


def test_metabase_keeps_its_own_database_and_is_provisioned_as_bi_reader(tmp_path, monkeypatch):
    env = tmp_path / ".env"
    env.write_text("".join(f"{name}=secret-{n}\n" for n, name in enumerate(REQUIRED)))
    services = compose_config(env)["services"]
    metabase = services["metabase"]
    assert re.fullmatch(r"metabase/metabase:v\d+\.\d+\.\d+", metabase["image"])
    assert "/api/health" in " ".join(metabase["healthcheck"]["test"])
    settings = metabase["environment"]
    assert (settings["MB_DB_TYPE"], settings["MB_DB_HOST"], settings["MB_DB_DBNAME"]) == (
        "postgres", "metabase-db", "metabase")
    database = services["metabase-db"]
    assert database["environment"]["POSTGRES_DB"] == "metabase"
    assert settings["MB_DB_PASS"] == database["environment"]["POSTGRES_PASSWORD"]
    assert any("/var/lib/postgresql/data" in str(v) for v in database["volumes"])
    assert metabase["depends_on"]["metabase-db"]["condition"] == "service_healthy"

    init = services["metabase-init"]
    assert "c360 metabase-provision" in " ".join(init["command"])
    assert init["depends_on"]["metabase"]["condition"] == "service_healthy"
    assert init["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    # what the provisioning reads of the environment compose gives it
    for name, value in init["environment"].items():
        monkeypatch.setenv(name, value)
    target = target_from_env()
    assert (target.url, target.admin_email) == ("http://metabase:3000", "secret-12")
    warehouse = target.warehouse
    assert (warehouse.host, warehouse.port, warehouse.dbname, warehouse.user) == (
        "warehouse-db", 5432, "warehouse", "bi_reader")
    assert warehouse.password == services["warehouse-db"]["environment"]["C360_BI_READER_PASSWORD"]


def test_a_missing_secret_stops_compose_with_its_name(tmp_path):
    env = tmp_path / ".env"
    env.write_text("".join(f"{name}=x\n" for name in REQUIRED if name != "C360_FINANCE_READER_PASSWORD"))
    result = subprocess.run(["docker-compose", "--env-file", str(env), "config"], cwd=project_root(),
                            capture_output=True, text=True)
    assert result.returncode != 0 and "C360_FINANCE_READER_PASSWORD" in result.stderr
