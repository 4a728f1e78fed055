"""The local stack: what runs c360 on one machine without a deployment.

The embedded PostgreSQL, the `c360 run` runner (in-process or under a real
scheduler), `c360 demo`, the silo simulator, the identity evaluation and the run
report. A deployment needs none of it: its Airflow runs the DAGs in dags/, which
use only the product packages beside this one.
"""
