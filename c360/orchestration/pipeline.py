"""The nightly pipeline: which silos are ingested and in which order `c360 run` runs the DAGs.

DAG files and the runner share these names, so a DAG id is spelled once. The
build DAG (privacy suppression, dbt, privacy requests, quality gate, publish)
runs after the five ingest DAGs.
"""

from __future__ import annotations

FINANCE = "finance"
CONTACT_CENTER = "contact_center"
WEB = "web"
STORE = "store"
PRIVACY = "privacy"

# Finance first: it is the only silo that is pulled, and the slowest to fail when down.
INGEST_SILOS = (FINANCE, CONTACT_CENTER, WEB, STORE, PRIVACY)
FILE_SILOS = (CONTACT_CENTER, WEB, STORE, PRIVACY)

# Layers downstream of the silos that have owners too (config/owners.yml).
GOLDEN_RECORD = "golden_record"
SEGMENTS = "segments"
OWNED_AREAS = (*INGEST_SILOS, GOLDEN_RECORD, SEGMENTS)


def ingest_dag_id(silo: str) -> str:
    return f"c360_ingest_{silo}"


# The extra of an ingest DAG's Asset event that names the business date it loaded.
BUSINESS_DATE_EXTRA = "business_date"


def raw_asset_uri(silo: str) -> str:
    """The URI of the Airflow Asset an ingest DAG emits when the silo's raw layer is updated."""
    return f"c360://raw/{silo}"


NIGHTLY_DAGS: tuple[str, ...] = tuple(ingest_dag_id(s) for s in INGEST_SILOS)

# dbt (staging, identity, golden record, 360, segments), privacy requests, the gate, publishing.
BUILD_DAG_ID = "c360_build"
NIGHTLY_DAGS = (*NIGHTLY_DAGS, BUILD_DAG_ID)
