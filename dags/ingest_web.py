"""
# Ingest: web (event logs)

Loads `web/D/events-HH.jsonl.gz` (gzip JSON Lines, at-least-once delivery) into
`raw_web.events`; a duplicate `event_id` is kept once.
"""

from airflow.sdk import dag

from c360.ingest.web import load_business_date
from c360.orchestration.ingest import dag_args, load_file_silo, wait_for_delivery


@dag(**dag_args("web", __doc__))
def c360_ingest_web():
    load_file_silo("web", load_business_date, delivered=wait_for_delivery("web"))


c360_ingest_web()
