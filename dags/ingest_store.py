"""
# Ingest: stores (point of sale and loyalty)

Loads `store/D/pos_<store_code>.csv` and `store/D/loyalty_members.csv` into
`raw_store`.
Each file is checked against contracts/SOURCES.md: bad rows go to
`ops.quarantine`, the rest loads, and `ops.load_ledger` shows rows read = loaded +
quarantined. Loads are idempotent per file content and business date.

- **Schedule**: nightly at 02:30 Europe/Amsterdam; the run at D+1 02:30 loads business date D.
- **Waits** for `store/D/_SUCCESS` (reschedule-mode sensor, every
  `C360_DELIVERY_POKE_SECONDS`) until `C360_DELIVERY_DEADLINE` on D+1 (default 06:00).
  Past the deadline the owner is alerted (`ops.alerts`, rule `missing_delivery`), the
  load is skipped and the run goes on without this silo's data for D.
- **Contract violation** (a missing or unknown column, a corrupt gzip, a non-UTF-8
  file): the file is quarantined whole, the task fails without retrying and the owner
  is alerted (rule `contract`); the other silos are separate DAGs and go on.
- **Emits** the Asset `c360://raw/store` for the build DAG.
"""

from airflow.sdk import dag

from c360.ingest.store import load_business_date
from c360.orchestration.ingest import dag_args, load_file_silo, wait_for_delivery


@dag(**dag_args("store"), doc_md=__doc__)
def c360_ingest_store():
    load_file_silo("store", load_business_date, delivered=wait_for_delivery("store"))


c360_ingest_store()
