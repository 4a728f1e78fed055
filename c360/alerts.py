"""Alerts to the owner of a silo or layer: a row in ops.alerts, and an e-mail when SMTP is set.

The row is the record (what, when, to whom); the e-mail is the delivery. Mail is
sent only when C360_SMTP_HOST is set (port C360_SMTP_PORT, default 25; sender
C360_ALERT_FROM; C360_SMTP_STARTTLS=true and C360_SMTP_USER / C360_SMTP_PASSWORD
for a server that wants them). A mail server that is down, or mail settings
that are wrong, do not lose the alert: the row is written first, and the failed
delivery is logged with the reason.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from dataclasses import dataclass, replace
from datetime import date, datetime
from email.message import EmailMessage

import psycopg

from c360.config import ConfigError
from c360.owners import Owner, owner_of
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
    if os.environ.get("C360_SMTP_HOST"):
        try:
            email_alert(alert)
        except (OSError, smtplib.SMTPException, ConfigError) as exc:
            log.warning("alert %s recorded but not e-mailed to %s: %s", alert_id, owner.email, exc)
            return alert
        return replace(alert, emailed=True)
    return alert


def alert_email(alert: Alert, sender: str) -> EmailMessage:
    when = alert.business_date.isoformat() if alert.business_date else "no business date"
    msg = EmailMessage()
    msg["Subject"] = f"[c360] {alert.source_system} {when}: {alert.rule}"
    msg["From"] = sender
    msg["To"] = f"{alert.owner.name} <{alert.owner.email}>"
    msg.set_content(
        f"Hello {alert.owner.name},\n\n"
        f"silo or layer:  {alert.source_system}\n"
        f"business date:  {when}\n"
        f"rule:           {alert.rule}\n"
        f"rows affected:  {alert.rows_affected}\n\n"
        f"{alert.message}\n\n"
        f"This alert is recorded as ops.alerts.alert_id = {alert.alert_id}.\n"
    )
    return msg


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    sender: str
    starttls: bool
    user: str | None
    password: str | None

    @classmethod
    def from_env(cls) -> MailSettings:
        port = os.environ.get("C360_SMTP_PORT") or "25"
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"C360_SMTP_PORT must be a port number, got {port!r}")
        starttls = (os.environ.get("C360_SMTP_STARTTLS") or "false").lower()
        if starttls not in ("true", "false"):
            raise ConfigError(f"C360_SMTP_STARTTLS must be true or false, got {starttls!r}")
        return cls(
            host=os.environ["C360_SMTP_HOST"],
            port=int(port),
            sender=os.environ.get("C360_ALERT_FROM") or DEFAULT_SENDER,
            starttls=starttls == "true",
            user=os.environ.get("C360_SMTP_USER") or None,
            password=os.environ.get("C360_SMTP_PASSWORD") or None,
        )


def email_alert(alert: Alert) -> None:
    mail = MailSettings.from_env()
    with smtplib.SMTP(mail.host, mail.port, timeout=30) as smtp:
        if mail.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if mail.user:
            smtp.login(mail.user, mail.password or "")
        smtp.send_message(alert_email(alert, mail.sender))
