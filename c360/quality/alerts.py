"""Alerts to the owner of a silo or layer: a row in ops.alerts, and an e-mail through Airflow.

The row is the record (what, when, to whom); the e-mail is the delivery, sent by
Airflow's SMTP hook over the connection `c360_smtp`, so mail settings live beside
the database connections and a secrets backend can serve them. Without that
connection no mail is sent. c360 derives it for its own processes from
C360_SMTP_HOST (port C360_SMTP_PORT, default 25; sender C360_ALERT_FROM;
C360_SMTP_STARTTLS=true and C360_SMTP_USER / C360_SMTP_PASSWORD for a server
that wants them) unless AIRFLOW_CONN_C360_SMTP is set. A mail server that is
down, or mail settings that are wrong, do not lose the alert: the row is
written first, and the failed delivery is logged with the reason.
"""

from __future__ import annotations

import html
import json
import logging
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime

import psycopg

from c360.config import ConfigError
from c360.orchestration.connections import SMTP_CONN_ID, connection_env_var
from c360.quality.owners import Owner, owner_of
from c360.warehouse.bootstrap import bootstrap

log = logging.getLogger(__name__)

DEFAULT_SENDER = "c360@localhost"

# The rules an alert can name, besides a failed expectation's name.
CONTRACT = "contract"
MISSING_DELIVERY = "missing_delivery"
SOURCE_UNREACHABLE = "source_unreachable"
TASK_FAILED = "task_failed"


@dataclass(frozen=True)
class Alert:
    alert_id: int
    sent_at: datetime
    owner: Owner
    source_system: str
    business_date: date | None
    rule: str
    rows_affected: int
    message: str
    emailed: bool


def send_alert(
    warehouse_dsn: str,
    source_system: str,
    business_date: date | None,
    rule: str,
    rows_affected: int,
    message: str,
) -> Alert:
    """Record an alert for the owner of `source_system` and e-mail them when SMTP is configured."""
    owner = owner_of(source_system)
    bootstrap(warehouse_dsn)  # an alert may be the first thing a night writes
    with psycopg.connect(warehouse_dsn) as conn:
        alert_id, sent_at = conn.execute(
            """insert into ops.alerts
                   (owner, owner_email, source_system, business_date, rule, rows_affected, message)
               values (%s, %s, %s, %s, %s, %s, %s)
               returning alert_id, sent_at""",
            (owner.name, owner.email, source_system, business_date, rule, rows_affected, message),
        ).fetchone()
    alert = Alert(alert_id, sent_at, owner, source_system, business_date, rule, rows_affected,
                  message, emailed=False)
    return replace(alert, emailed=email_alert(alert))


def alert_subject(alert: Alert) -> str:
    when = alert.business_date.isoformat() if alert.business_date else "no business date"
    return f"[c360] {alert.source_system} {when}: {alert.rule}"


def alert_text(alert: Alert) -> str:
    when = alert.business_date.isoformat() if alert.business_date else "no business date"
    return (
        f"Hello {alert.owner.name},\n\n"
        f"silo or layer:  {alert.source_system}\n"
        f"business date:  {when}\n"
        f"rule:           {alert.rule}\n"
        f"rows affected:  {alert.rows_affected}\n\n"
        f"{alert.message}\n\n"
        f"This alert is recorded as ops.alerts.alert_id = {alert.alert_id}.\n"
    )


def email_alert(alert: Alert) -> bool:
    """Send the alert over `c360_smtp`; whether it went (no connection: it was not meant to)."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowException, AirflowNotFoundException

    try:
        Connection.get(SMTP_CONN_ID)
    except AirflowNotFoundException:
        return False
    try:
        with SmtpHook(smtp_conn_id=SMTP_CONN_ID) as hook:
            hook.send_email_smtp(
                to=[alert.owner.email], subject=alert_subject(alert),
                html_content=f"<pre>{html.escape(alert_text(alert), quote=False)}</pre>",
                from_email=hook.from_email or DEFAULT_SENDER,
            )
    except (OSError, smtplib.SMTPException, AirflowException) as exc:
        log.warning("alert %s recorded but not e-mailed to %s: %s", alert.alert_id, alert.owner.email, exc)
        return False
    return True


@dataclass(frozen=True)
class MailSettings:
    """C360_SMTP_*: what c360 turns into the `c360_smtp` connection for its own processes."""

    host: str
    port: int
    sender: str
    starttls: bool
    user: str | None
    password: str | None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> MailSettings:
        port = environ.get("C360_SMTP_PORT") or "25"
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"C360_SMTP_PORT must be a port number, got {port!r}")
        starttls = (environ.get("C360_SMTP_STARTTLS") or "false").lower()
        if starttls not in ("true", "false"):
            raise ConfigError(f"C360_SMTP_STARTTLS must be true or false, got {starttls!r}")
        return cls(
            host=environ["C360_SMTP_HOST"],
            port=int(port),
            sender=environ.get("C360_ALERT_FROM") or DEFAULT_SENDER,
            starttls=starttls == "true",
            user=environ.get("C360_SMTP_USER") or None,
            password=environ.get("C360_SMTP_PASSWORD") or None,
        )

    def connection_json(self) -> str:
        """The `c360_smtp` connection in Airflow's JSON form."""
        connection = {
            "conn_type": "smtp", "host": self.host, "port": self.port,
            "login": self.user, "password": self.password,
            "extra": {"from_email": self.sender, "disable_ssl": True, "disable_tls": not self.starttls,
                      "timeout": 30, "retry_limit": 0},
        }
        return json.dumps({k: v for k, v in connection.items() if v is not None})


def smtp_connection(environ: Mapping[str, str]) -> dict[str, str]:
    """AIRFLOW_CONN_C360_SMTP derived from C360_SMTP_*, to add to an environment; nothing when that
    environment sets the connection itself or names no mail server. Wrong settings raise ConfigError."""
    name = connection_env_var(SMTP_CONN_ID)
    if name in environ or not environ.get("C360_SMTP_HOST"):
        return {}
    return {name: MailSettings.from_env(environ).connection_json()}
