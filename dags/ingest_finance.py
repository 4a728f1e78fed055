"""
# Ingest: finance (billing database)

Extracts the business date's new and changed rows of `billing.accounts`,
`billing.invoices` and `billing.payments` from the finance PostgreSQL database
(Airflow connection `c360_finance`, read-only) into `raw_finance`, incrementally
by the `updated_at` watermark, and records each extract in `ops.load_ledger`.

- **Schedule**: nightly at 02:30 Europe/Amsterdam; the run at D+1 02:30 loads business date D.
- **Source down**: the extract is retried with exponential backoff
  (`C360_FINANCE_RETRIES`, `C360_RETRY_DELAY_SECONDS`, `C360_MAX_RETRY_DELAY_SECONDS`);
  after the last attempt the finance owner is alerted (`ops.alerts`, rule `source_unreachable`).
- **Contract violation** (a missing or unknown column): the task fails without retrying
  and the owner is alerted (rule `contract`).
- **Emits** the Asset `c360://raw/finance` for the build DAG.
"""

from airflow.sdk import dag

from c360.ingest.finance import extract_business_date
from c360.orchestration.ingest import dag_args, extract_finance


@dag(**dag_args("finance"), doc_md=__doc__)
def c360_ingest_finance():
    extract_finance(extract_business_date)


c360_ingest_finance()
