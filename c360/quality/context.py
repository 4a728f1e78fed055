"""The File Data Context in expectations/gx, opened for this warehouse.

Nothing secret is committed: great_expectations.yml names the warehouse as
${C360_GX_WAREHOUSE_URL} and the folder of run results as ${C360_GX_RUNTIME_DIR};
both are given here, at run time, from the c360 settings; for a gate run the
URL also sets the business date on the session (contract.BUSINESS_DATE_SQL).
Validation results and data docs are run state, so they live under C360_HOME
(`gx/`), not in the checkout. Where a web server publishes that folder, set
C360_DATA_DOCS_URL to its address and alerts link there instead of to a file.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from urllib.parse import quote

from c360.config import Settings, dsn_to_uri
from c360.quality.contract import BUSINESS_DATE_SETTING

# GX would otherwise try to send usage statistics; the warehouse may have no network.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import great_expectations as gx  # noqa: E402  (after the analytics switch)
from great_expectations.data_context import FileDataContext  # noqa: E402

DATASOURCE = "warehouse"
WAREHOUSE_URL_VARIABLE = "C360_GX_WAREHOUSE_URL"
RUNTIME_DIR_VARIABLE = "C360_GX_RUNTIME_DIR"
DOCS_URL_VARIABLE = "C360_DATA_DOCS_URL"
DOCS_SITE = "local_site"


def runtime_dir(settings: Settings) -> Path:
    return settings.home / "gx"


def data_docs_index(settings: Settings) -> Path:
    return runtime_dir(settings) / "data_docs" / DOCS_SITE / "index.html"


def shared_docs_url(settings: Settings, local_url: str) -> str:
    """A page of the data docs as its owner can open it: under C360_DATA_DOCS_URL when that is set."""
    base = os.environ.get(DOCS_URL_VARIABLE)
    site = data_docs_index(settings).parent.as_uri()
    if base and local_url.startswith(site + "/"):
        return base.rstrip("/") + local_url[len(site):]
    return local_url


def warehouse_url(settings: Settings, business_date: date | None = None) -> str:
    """The warehouse for SQLAlchemy; with a business date, set on the session for the daily queries."""
    url = dsn_to_uri(settings.warehouse_dsn, "postgresql+psycopg2")
    if business_date:
        # The URL may already carry libpq options of its own (sslmode, ...).
        url += ("&" if "?" in url else "?") + "options=" + quote(
            f"-c {BUSINESS_DATE_SETTING}={business_date.isoformat()}"
        )
    return url


def open_context(
    settings: Settings, business_date: date | None = None, project_dir: Path | None = None
) -> FileDataContext:
    """The committed context (or the one in `project_dir`), pointed at the settings' warehouse."""
    runtime = {
        WAREHOUSE_URL_VARIABLE: warehouse_url(settings, business_date),
        RUNTIME_DIR_VARIABLE: str(runtime_dir(settings)),
    }
    return gx.get_context(
        mode="file",
        project_root_dir=project_dir or settings.expectations_dir,
        runtime_environment=runtime,
    )
