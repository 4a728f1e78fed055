# The c360 image: the official Airflow image with c360's package, DAGs, dbt project and
# expectations, installed on the same pins as a checkout (pyproject.toml + constraints.txt,
# which pins apache-airflow to the image's version). The code runs as the image's user
# `airflow`; the checkout's folders are read-only to it, so dbt's target and logs, cosmos'
# caches and all run state go to C360_HOME (/var/lib/c360).
FROM apache/airflow:3.3.2-python3.11

USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /opt/c360 /var/lib/c360 \
 && chown airflow:0 /var/lib/c360
USER airflow

WORKDIR /opt/c360
COPY pyproject.toml constraints.txt README.md ./
COPY c360 ./c360
# The simulator and the run report come along: compose's `c360 simulate` and `c360 run` use them.
RUN pip install --no-cache-dir -c constraints.txt ".[simulator,report]"

COPY dags ./dags
COPY dbt_project ./dbt_project
COPY expectations ./expectations
COPY config ./config
COPY contracts ./contracts

ENV C360_PROJECT_DIR=/opt/c360 \
    C360_HOME=/var/lib/c360 \
    AIRFLOW_HOME=/var/lib/c360/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/c360/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    AIRFLOW__CORE__DEFAULT_TIMEZONE=Europe/Amsterdam \
    AIRFLOW__COSMOS__ENABLE_TELEMETRY=False \
    AIRFLOW__COSMOS__CACHE_DIR=/var/lib/c360/cosmos \
    DBT_TARGET_PATH=/var/lib/c360/dbt/target \
    DBT_LOG_PATH=/var/lib/c360/dbt/logs \
    DO_NOT_TRACK=true \
    GX_ANALYTICS_ENABLED=False
