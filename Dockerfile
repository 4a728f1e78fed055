# The c360 image: the package, its DAGs, dbt project and expectations, on the
# same pinned dependencies as a checkout (pyproject.toml + constraints.txt).
# The code runs as user `airflow`; the checkout's folders are read-only to it, so dbt's
# target and logs, cosmos' caches and all run state go to C360_HOME (/var/lib/c360).
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client git \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/c360
COPY pyproject.toml constraints.txt README.md ./
COPY c360 ./c360
RUN pip install --no-cache-dir -c constraints.txt -e .

COPY dags ./dags
COPY dbt_project ./dbt_project
COPY expectations ./expectations
COPY config ./config

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

RUN useradd --create-home --uid 50000 airflow && mkdir -p /var/lib/c360 && chown -R airflow /var/lib/c360
USER airflow
