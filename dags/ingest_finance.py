"""
# Ingest: finance (billing database)

Extracts the business date's new and changed rows of `billing.accounts`,
`billing.invoices` and `billing.payments` from the finance PostgreSQL database
(Airflow connection `c360_finance`, read-only) into `raw_finance`, incrementally
by the `updated_at` watermark, and records each extract in `ops.load_ledger`.
"""

from airflow.sdk import dag

from c360.ingest.finance import extract_business_date
from c360.orchestration.ingest import dag_args, extract_finance


@dag(**dag_args("finance", __doc__))
def c360_ingest_finance():
    extract_finance(extract_business_date)


c360_ingest_finance()
