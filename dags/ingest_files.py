"""
# Ingest: the file silos, one DAG each

Every silo whose contract (`contracts/<silo>.yml`) delivers files gets its DAG
`c360_ingest_<silo>` here, described and loaded as the contract says: delimited
files by the contract's own loader, the web's JSON Lines by c360/ingest/web.py.
"""

from airflow.sdk import dag

from c360.ingest.contract_files import file_loader
from c360.orchestration.ingest import dag_args, file_silo_doc, load_file_silo, wait_for_delivery
from c360.orchestration.pipeline import FILE_SILOS, ingest_dag_id


def ingest_file_silo(silo: str):
    @dag(**dag_args(silo, file_silo_doc(silo)))
    def ingest():
        load_file_silo(silo, file_loader(silo), delivered=wait_for_delivery(silo))

    return ingest()


for silo in FILE_SILOS:
    globals()[ingest_dag_id(silo)] = ingest_file_silo(silo)
