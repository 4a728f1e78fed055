"""
# Ingest: stores (point of sale and loyalty)

Loads `store/D/pos_<store_code>.csv` and `store/D/loyalty_members.csv` into
`raw_store`.
"""

from airflow.sdk import dag

from c360.ingest.store import load_business_date
from c360.orchestration.ingest import dag_args, load_file_silo, wait_for_delivery


@dag(**dag_args("store", __doc__))
def c360_ingest_store():
    load_file_silo("store", load_business_date, delivered=wait_for_delivery("store"))


c360_ingest_store()
