# The c360 image: the package, its DAGs, dbt project and expectations, on the
# same pinned dependencies as a checkout (pyproject.toml + constraints.txt).
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
    GX_ANALYTICS_ENABLED=False

RUN useradd --create-home --uid 50000 airflow && mkdir -p /var/lib/c360 && chown -R airflow /var/lib/c360
USER airflow
