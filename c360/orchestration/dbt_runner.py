"""Run dbt against the configured warehouse, with connection details from the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from c360.config import Settings, dsn_parts


def dbt_environment(settings: Settings, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment dbt's profiles.yml reads: C360_DBT_* from the warehouse DSN."""
    env = dict(os.environ if base is None else base)
    parts = dsn_parts(settings.warehouse_dsn)
    env.update({
        "C360_DBT_HOST": parts["host"],
        "C360_DBT_PORT": parts["port"],
        "C360_DBT_USER": parts["user"],
        "C360_DBT_PASSWORD": parts["password"],
        "C360_DBT_DBNAME": parts["dbname"],
        "C360_DBT_SSLMODE": parts["sslmode"],
        "DBT_PROFILES_DIR": str(settings.dbt_project_dir),
        "DBT_PROJECT_DIR": str(settings.dbt_project_dir),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    })
    return env


def dbt_executable() -> str:
    """dbt from the same virtualenv as this interpreter, so PATH does not matter."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def run_dbt(settings: Settings, args: list[str]) -> int:
    """Run `dbt <args>` in the project folder; returns dbt's exit code."""
    result = subprocess.run(
        [dbt_executable(), *args],
        cwd=settings.dbt_project_dir,
        env=dbt_environment(settings),
    )
    return result.returncode
