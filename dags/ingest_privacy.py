"""
# Ingest: privacy desk (data-subject requests)

Loads `privacy/D/requests.csv` (erasure, restrict and access requests) into
`raw_privacy.requests`.
"""

from airflow.sdk import dag

from c360.ingest.privacy import load_business_date
from c360.orchestration.ingest import dag_args, load_file_silo, wait_for_delivery


@dag(**dag_args("privacy", __doc__))
def c360_ingest_privacy():
    load_file_silo("privacy", load_business_date, delivered=wait_for_delivery("privacy"))


c360_ingest_privacy()
