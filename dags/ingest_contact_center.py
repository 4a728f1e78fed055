"""
# Ingest: contact center (interaction exports)

Loads `contact_center/D/interactions.csv` (`;`-delimited, CRLF, optional BOM) into
`raw_contact_center`.
Each file is checked against contracts/SOURCES.md: bad rows go to
`ops.quarantine`, the rest loads, and `ops.load_ledger` shows rows read = loaded +
quarantined. Loads are idempotent per file content and business date.

- **Schedule**: nightly at 02:30 Europe/Amsterdam; the run at D+1 02:30 loads business date D.
- **Waits** for `contact_center/D/_SUCCESS` (reschedule-mode sensor, every
  `C360_DELIVERY_POKE_SECONDS`) until `C360_DELIVERY_DEADLINE` on D+1 (default 06:00).
  Past the deadline the owner is alerted (`ops.alerts`, rule `missing_delivery`), the
  load is skipped and the run goes on without this silo's data for D.
- **Contract violation** (a missing or unknown column, a corrupt gzip, a non-UTF-8
  file): the file is quarantined whole, the task fails without retrying and the owner
  is alerted (rule `contract`); the other silos are separate DAGs and go on.
- **Emits** the Asset `c360://raw/contact_center` for the build DAG.
"""

from airflow.sdk import dag

from c360.ingest.contact_center import load_business_date
from c360.orchestration.ingest import dag_args, load_file_silo, wait_for_delivery


@dag(**dag_args("contact_center"), doc_md=__doc__)
def c360_ingest_contact_center():
    load_file_silo("contact_center", load_business_date, delivered=wait_for_delivery("contact_center"))


c360_ingest_contact_center()
