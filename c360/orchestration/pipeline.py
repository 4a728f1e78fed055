"""The nightly pipeline: which silos are ingested and in which order `c360 run` runs the DAGs.

Every silo with a contract file (contracts/<silo>.yml) is ingested: finance, the
database, first, then the file silos by name. DAG files and the runner share
these names, so a DAG id is spelled once. The build DAG (privacy suppression,
dbt, privacy requests, quality gate, publish) runs after the ingest DAGs.
"""

from __future__ import annotations

from c360.ingest.contracts import DATABASE, all_contracts

# Silos the code names: finance's extract, the privacy requests, the identity sources.
FINANCE = "finance"
CONTACT_CENTER = "contact_center"
WEB = "web"
STORE = "store"
PRIVACY = "privacy"

INGEST_SILOS = tuple(c.silo for c in all_contracts())
FILE_SILOS = tuple(c.silo for c in all_contracts() if c.delivery["kind"] != DATABASE)

# Layers downstream of the silos that have owners too (config/owners.yml).
GOLDEN_RECORD = "golden_record"
SEGMENTS = "segments"
# The keys the owners file must hold: each owner a contract names, and the layers.
OWNED_AREAS = (*dict.fromkeys(c.owner for c in all_contracts()), GOLDEN_RECORD, SEGMENTS)


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
