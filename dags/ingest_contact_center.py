"""
# Ingest: contact center (interaction exports)

Loads `contact_center/D/interactions.csv` (`;`-delimited, CRLF, optional BOM) into
`raw_contact_center.interactions`.
"""

from airflow.sdk import dag

from c360.ingest.contact_center import load_business_date
from c360.orchestration.ingest import dag_args, load_file_silo, wait_for_delivery


@dag(**dag_args("contact_center", __doc__))
def c360_ingest_contact_center():
    load_file_silo("contact_center", load_business_date, delivered=wait_for_delivery("contact_center"))


c360_ingest_contact_center()
