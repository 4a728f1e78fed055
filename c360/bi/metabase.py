"""Metabase's REST API, the few calls the provisioning makes, and where to find Metabase.

Checked against the API of the version docker-compose.yml pins: GET /api/session/properties
(has-user-setup, setup-token), POST /api/setup and /api/session (a session id for the
X-Metabase-Session header), /api/database, /api/card, /api/dashboard and PUT /api/dashboard/:id
with `dashcards` (the replacement of the deprecated PUT /api/dashboard/:id/cards).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import httpx
from psycopg.conninfo import conninfo_to_dict

from c360.config import ConfigError
from c360.warehouse.roles import BI_ROLE

TIMEOUT_SECONDS = 60.0


class MetabaseError(RuntimeError):
    """Metabase answered with an error, or could not be reached."""


@dataclass(frozen=True)
class Warehouse:
    """The warehouse as Metabase reaches it, logged in as bi_reader."""

    host: str
    port: int
    dbname: str
    user: str
    password: str
    ssl: bool

    def details(self) -> dict:
        """Metabase's connection details of a PostgreSQL database."""
        return {"host": self.host, "port": self.port, "dbname": self.dbname, "user": self.user,
                "password": self.password, "ssl": self.ssl}


@dataclass(frozen=True)
class Target:
    url: str
    admin_email: str
    admin_password: str
    warehouse: Warehouse


def _required(variable: str, meaning: str) -> str:
    value = os.environ.get(variable, "").strip()
    if not value:
        raise ConfigError(f"{variable} is not set: {meaning}")
    return value


def target_from_env() -> Target:
    """Metabase and the warehouse connection it gets, from the environment (.env.example)."""
    url = _required("C360_METABASE_URL", "the address of Metabase, e.g. http://metabase:3000")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"C360_METABASE_URL must start with http:// or https://, got {url!r}")
    email = _required("C360_METABASE_ADMIN_EMAIL", "the e-mail of Metabase's admin, made on its first start")
    password = _required("C360_METABASE_ADMIN_PASSWORD", "the password of Metabase's admin")
    return Target(url.rstrip("/"), email, password, _warehouse())


def _warehouse() -> Warehouse:
    dsn = _required("C360_METABASE_WAREHOUSE_DSN",
                    "the warehouse as Metabase reaches it, e.g. host=warehouse-db port=5432 dbname=warehouse")
    try:
        parts = conninfo_to_dict(dsn)
    except Exception as exc:  # psycopg's ProgrammingError names what it could not parse
        raise ConfigError(f"C360_METABASE_WAREHOUSE_DSN is not a PostgreSQL DSN: {exc}") from exc
    user = str(parts.get("user") or BI_ROLE)
    if user != BI_ROLE:
        raise ConfigError(f"C360_METABASE_WAREHOUSE_DSN logs in as {user!r}: Metabase reads the warehouse "
                          f"as {BI_ROLE}, which sees schema published only")
    for keyword in ("host", "dbname"):
        if not parts.get(keyword):
            raise ConfigError(f"C360_METABASE_WAREHOUSE_DSN names no {keyword}")
    port = str(parts.get("port") or 5432)
    if not port.isdigit():
        raise ConfigError(f"C360_METABASE_WAREHOUSE_DSN has port {port!r}, not a number")
    password = str(parts.get("password") or os.environ.get("C360_BI_READER_PASSWORD") or "")
    if not password:
        raise ConfigError(f"no password of {BI_ROLE}: set C360_BI_READER_PASSWORD")
    ssl = str(parts.get("sslmode") or "") in ("require", "verify-ca", "verify-full")
    return Warehouse(str(parts["host"]), int(port), str(parts["dbname"]), user, password, ssl)


class Metabase:
    """A logged-in session with Metabase's API."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._http = httpx.Client(base_url=url, timeout=TIMEOUT_SECONDS)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Metabase:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def call(self, method: str, path: str, body: dict | None = None, params: dict | None = None):
        try:
            response = self._http.request(method, path, json=body, params=params)
        except httpx.HTTPError as exc:
            raise MetabaseError(f"cannot reach Metabase at {self.url}: {exc}") from exc
        if response.is_error:
            raise MetabaseError(f"Metabase refused {method} {path} ({response.status_code}): "
                                f"{_reason(response)}")
        return response.json() if response.content else None

    def log_in(self, email: str, password: str) -> bool:
        """Log in as the admin, creating it on Metabase's first start; True when it was created."""
        properties = self.call("GET", "/api/session/properties")
        created = not properties.get("has-user-setup")
        if created:
            session = self.call("POST", "/api/setup", {
                "token": properties.get("setup-token"),
                "user": {"email": email, "password": password, "first_name": "c360", "last_name": "admin"},
                "prefs": {"site_name": "c360"},
            })
        else:
            try:
                session = self.call("POST", "/api/session", {"username": email, "password": password})
            except MetabaseError as exc:
                raise MetabaseError(f"Metabase did not accept C360_METABASE_ADMIN_EMAIL and "
                                    f"C360_METABASE_ADMIN_PASSWORD: {exc}") from exc
        self._http.headers["X-Metabase-Session"] = session["id"]
        return created


def _reason(response: httpx.Response) -> str:
    """Metabase's own words: a message, or the errors per field of a refused request."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict):
        return str(body.get("errors") or body.get("message") or body)[:300]
    return str(body)[:300]
