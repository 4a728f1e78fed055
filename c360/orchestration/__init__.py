"""Airflow wiring shared by the DAG files in dags/; the work itself lives in c360.ingest."""
