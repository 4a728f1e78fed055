"""Configuration from the environment, with documented defaults (see .env.example).

Only three variables point the pipeline at data (docs/contracts.md):
C360_LANDING_DIR, C360_FINANCE_DSN and C360_WAREHOUSE_DSN. The rest tune the
embedded PostgreSQL and where local state lives.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict, make_conninfo

PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path:
    """The checkout holding dags/, dbt_project/ and expectations/.

    The package is installed in editable mode from the checkout, so the root is
    the package's parent; C360_PROJECT_DIR overrides it for other layouts
    (a container image, a production Airflow with the DAGs elsewhere).
    """
    override = os.environ.get("C360_PROJECT_DIR")
    return Path(override).resolve() if override else PACKAGE_DIR.parent


EMBEDDED_DATABASES = ("warehouse", "finance", "airflow")
# Only the cluster's own role connects to these (Airflow's metadata, the simulated finance source).
PRIVATE_DATABASES = frozenset({"finance", "airflow"})
EMBEDDED_SUPERUSER = "c360"
DEFAULT_PG_PORT = 54329
# How long before a purchase a web touch still earns credit for it (dbt var attribution_lookback_days).
DEFAULT_ATTRIBUTION_LOOKBACK_DAYS = 30
MAX_ATTRIBUTION_LOOKBACK_DAYS = 9999  # the most the dbt macro of the same name takes
# How long the history tables keep a night's rows (dbt var history_retention_days).
DEFAULT_HISTORY_RETENTION_DAYS = 730
MAX_HISTORY_RETENTION_DAYS = 99999  # the most the dbt macro history_kept_from takes
# How many run reports $C360_HOME/reports keeps; older ones are deleted as a new one is written.
DEFAULT_REPORTS_KEPT = 30
MAX_REPORTS_KEPT = 100000
# How long a bi_reader statement, or a transaction it leaves idle, may hold the warehouse.
DEFAULT_BI_STATEMENT_TIMEOUT = "5min"
# A PostgreSQL duration as the role's settings take it: a whole number and a unit (milliseconds without).
_DURATION = re.compile(r"([0-9]+) ?(us|ms|s|min|h|d)?")


@dataclass(frozen=True)
class Settings:
    project_dir: Path
    home: Path
    landing_dir: Path
    pg_dir: Path
    pg_port: int
    warehouse_dsn_env: str | None
    finance_dsn_env: str | None
    attribution_lookback_days: int = DEFAULT_ATTRIBUTION_LOOKBACK_DAYS
    history_retention_days: int = DEFAULT_HISTORY_RETENTION_DAYS
    reports_kept: int = DEFAULT_REPORTS_KEPT
    bi_statement_timeout: str = DEFAULT_BI_STATEMENT_TIMEOUT

    @property
    def embedded(self) -> bool:
        """True when c360 manages its own PostgreSQL (no C360_WAREHOUSE_DSN)."""
        return not self.warehouse_dsn_env

    @property
    def airflow_home(self) -> Path:
        return Path(os.environ.get("AIRFLOW_HOME") or self.home / "airflow")

    @property
    def dags_dir(self) -> Path:
        return self.project_dir / "dags"

    @property
    def dbt_project_dir(self) -> Path:
        return self.project_dir / "dbt_project"

    @property
    def expectations_dir(self) -> Path:
        return self.project_dir / "expectations"

    @property
    def truth_dir(self) -> Path:
        return self.landing_dir.parent / "truth"

    def embedded_dsn(self, dbname: str) -> str:
        password_file = self.pg_dir / "password"
        if not password_file.exists():
            raise ConfigError(
                "the embedded PostgreSQL is not initialised yet: run `c360 up` "
                "(or set C360_WAREHOUSE_DSN to use another server)"
            )
        return make_conninfo(
            host="127.0.0.1",
            port=self.pg_port,
            user=EMBEDDED_SUPERUSER,
            password=password_file.read_text().strip(),
            dbname=dbname,
        )

    @property
    def warehouse_dsn(self) -> str:
        return self.warehouse_dsn_env or self.embedded_dsn("warehouse")

    @property
    def bi_reader_password(self) -> str | None:
        """C360_BI_READER_PASSWORD, or for the embedded cluster the one `c360 up` generated."""
        from_env = os.environ.get("C360_BI_READER_PASSWORD")
        if from_env:
            return from_env
        generated = self.pg_dir / "bi_reader_password"
        if self.embedded and generated.exists():
            return generated.read_text().strip()
        return None

    @property
    def finance_dsn(self) -> str:
        if self.finance_dsn_env:
            return self.finance_dsn_env
        if self.embedded:
            return self.embedded_dsn("finance")
        raise ConfigError(
            "C360_WAREHOUSE_DSN is set but C360_FINANCE_DSN is not: "
            "set C360_FINANCE_DSN to the billing database"
        )


class ConfigError(RuntimeError):
    """A setting is missing or inconsistent; the message says which and what to do."""


def load_settings() -> Settings:
    project_dir = project_root()
    home = Path(os.environ.get("C360_HOME") or project_dir / ".c360").resolve()
    landing = Path(os.environ.get("C360_LANDING_DIR") or home / "landing").resolve()
    pg_dir = Path(os.environ.get("C360_PG_DIR") or home / "pg").resolve()
    port_text = os.environ.get("C360_PG_PORT") or str(DEFAULT_PG_PORT)
    try:
        port = int(port_text)
    except ValueError as exc:
        raise ConfigError(f"C360_PG_PORT must be a port number, got {port_text!r}") from exc
    return Settings(
        project_dir=project_dir,
        home=home,
        landing_dir=landing,
        pg_dir=pg_dir,
        pg_port=port,
        warehouse_dsn_env=os.environ.get("C360_WAREHOUSE_DSN") or None,
        finance_dsn_env=os.environ.get("C360_FINANCE_DSN") or None,
        attribution_lookback_days=attribution_lookback_days(),
        history_retention_days=_whole_number("C360_HISTORY_RETENTION_DAYS", DEFAULT_HISTORY_RETENTION_DAYS,
                                             MAX_HISTORY_RETENTION_DAYS,
                                             "how long the history tables keep a night's rows", " of days"),
        reports_kept=_whole_number("C360_REPORTS_KEPT", DEFAULT_REPORTS_KEPT, MAX_REPORTS_KEPT,
                                   "how many run reports are kept"),
        bi_statement_timeout=bi_statement_timeout(),
    )


def attribution_lookback_days() -> int:
    """C360_ATTRIBUTION_LOOKBACK_DAYS: a whole number of days from 1, the default without it."""
    return _whole_number("C360_ATTRIBUTION_LOOKBACK_DAYS", DEFAULT_ATTRIBUTION_LOOKBACK_DAYS,
                         MAX_ATTRIBUTION_LOOKBACK_DAYS,
                         "how long before a purchase a web touch still earns credit for it", " of days")


def bi_statement_timeout() -> str:
    """C360_BI_STATEMENT_TIMEOUT: a PostgreSQL duration above zero (zero would mean none)."""
    text = (os.environ.get("C360_BI_STATEMENT_TIMEOUT") or DEFAULT_BI_STATEMENT_TIMEOUT).strip()
    duration = _DURATION.fullmatch(text)
    if not duration or int(duration.group(1)) == 0:
        raise ConfigError(
            "C360_BI_STATEMENT_TIMEOUT must be a duration above zero such as 30s, 5min or 1h "
            f"(how long a bi_reader statement may run), got {text!r}")
    return text


def _whole_number(variable: str, default: int, maximum: int, meaning: str, unit: str = "") -> int:
    """`variable` as a whole number from 1 to `maximum`, `default` without it."""
    text = os.environ.get(variable) or str(default)
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= maximum:
        raise ConfigError(f"{variable} must be a whole number{unit} from 1 to {maximum} ({meaning}), "
                          f"got {text!r}")
    return int(text)


# The libpq keywords dsn_parts returns; every other one (sslmode, sslrootcert,
# options, ...) is carried along as a URI query parameter.
_ADDRESS_KEYWORDS = ("host", "port", "user", "password", "dbname")


def dsn_parts(dsn: str) -> dict[str, str]:
    """Split a libpq DSN or URI into host, port, user, password, dbname and sslmode."""
    parts = conninfo_to_dict(dsn)
    return {
        "host": str(parts.get("host") or "127.0.0.1"),
        "port": str(parts.get("port") or 5432),
        "user": str(parts.get("user") or os.environ.get("USER", "postgres")),
        "password": str(parts.get("password") or ""),
        "dbname": str(parts.get("dbname") or ""),
        "sslmode": str(parts.get("sslmode") or "prefer"),
    }


def dsn_to_uri(dsn: str, scheme: str = "postgresql") -> str:
    """A URI form of a DSN, for Airflow connections and SQLAlchemy; TLS and other options kept."""
    from urllib.parse import quote, urlencode

    p = dsn_parts(dsn)
    auth = quote(p["user"], safe="")
    if p["password"]:
        auth += ":" + quote(p["password"], safe="")
    options = {k: str(v) for k, v in conninfo_to_dict(dsn).items() if k not in _ADDRESS_KEYWORDS}
    address = f"{p['host']}:{p['port']}"
    if p["host"].startswith("/"):  # a Unix-socket folder goes in the query, as libpq's URIs allow
        options |= {"host": p["host"], "port": p["port"]}
        address = ""
    query = f"?{urlencode(sorted(options.items()))}" if options else ""
    return f"{scheme}://{auth}@{address}/{quote(p['dbname'], safe='')}{query}"


def read_yaml_file(path: Path, what: str, missing_hint: str = "") -> object:
    """A configuration file's YAML content; a ConfigError names the file and what is wrong."""
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{what} {path} not found{missing_hint}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what} {path} is not valid YAML: {exc}") from exc

