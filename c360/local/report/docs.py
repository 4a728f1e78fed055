"""`c360 docs`: dbt's documentation site and Great Expectations' data docs, built under C360_HOME.

dbt docs are generated with `--static`: one HTML file with the manifest and the
catalog inside, which opens from disk without a web server. Both go to run
state (C360_HOME), not to the checkout, so concurrent users of one checkout
do not overwrite each other's target folder.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from c360.config import Settings
from c360.orchestration.dbt_runner import dbt_environment, dbt_executable


class DocsError(RuntimeError):
    """A documentation site could not be built; the message holds the tool's output."""


@dataclass(frozen=True)
class DocsPaths:
    dbt: Path
    data_docs: Path


def dbt_docs_index(settings: Settings) -> Path:
    return settings.home / "docs" / "dbt" / "static_index.html"


def dbt_docs(settings: Settings) -> Path:
    target = dbt_docs_index(settings).parent
    env = dbt_environment(settings)
    env.update({"DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(settings.home / "logs" / "dbt")})
    # Not compiled: models compile as of a business date (var business_date), and the site
    # documents the project, not one night; without compiling, the manifest comes from parse.
    for command in (["parse"], ["docs", "generate", "--static", "--no-compile"]):
        result = subprocess.run([dbt_executable(), *command], cwd=settings.dbt_project_dir, env=env,
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise DocsError(f"`dbt {' '.join(command[:2])}` failed (exit {result.returncode}):\n"
                            f"{(result.stdout + result.stderr).strip()[-3000:]}")
    return dbt_docs_index(settings)


def data_docs(settings: Settings) -> Path:
    from c360.quality.context import DOCS_SITE, data_docs_index, open_context

    open_context(settings).build_data_docs(site_names=[DOCS_SITE])
    return data_docs_index(settings)


def build_docs(settings: Settings) -> DocsPaths:
    return DocsPaths(dbt=dbt_docs(settings), data_docs=data_docs(settings))
