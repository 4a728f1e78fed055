"""A real SMTP server on localhost for the session, collecting every message it receives.

`smtp_server` starts one aiosmtpd server for the whole session (starting one
per test costs a thread and a port each time); `smtp_inbox` points c360 at it
through C360_SMTP_HOST / C360_SMTP_PORT / C360_ALERT_FROM (and the `c360_smtp` connection
derived from them) and hands the test an
empty inbox. Processes started by the test (Airflow through `c360 run`) inherit
the environment, so their alerts land in the same inbox.
"""

from __future__ import annotations

import email
import email.policy
import html
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from c360.orchestration.connections import SMTP_CONN_ID, connection_env_var
from c360.quality.alerts import smtp_connection

SENDER = "c360-alerts@example.org"


@dataclass(frozen=True)
class Mail:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        """The text of the mail (Airflow's SMTP hook sends it as HTML: `<pre>` around it)."""
        part = self.message.get_body(preferencelist=("plain", "html"))
        return html.unescape(re.sub(r"</?pre>", "", part.get_content()))


class Inbox:
    """The SMTP handler: keeps what it is sent (aiosmtpd calls it from its own thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mails: list[Mail] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self._lock:
            self._mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"

    @property
    def mails(self) -> list[Mail]:
        with self._lock:
            return list(self._mails)

    def clear(self) -> None:
        with self._lock:
            self._mails.clear()

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.mails if address in m.recipients]


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    inbox: Inbox


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    from tests.conftest import free_port

    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, inbox)
    finally:
        controller.stop()


@pytest.fixture
def smtp_inbox(smtp_server: SmtpServer, monkeypatch) -> Inbox:
    """An empty inbox that c360's alerts are e-mailed to during the test."""
    point_mail_at(monkeypatch, C360_SMTP_HOST=smtp_server.host, C360_SMTP_PORT=str(smtp_server.port),
                  C360_ALERT_FROM=SENDER)
    smtp_server.inbox.clear()
    return smtp_server.inbox


def point_mail_at(monkeypatch, **settings: str) -> None:
    """Set C360_SMTP_* and, as the `c360` command does at its start, the `c360_smtp` connection
    derived from them (this process calls c360 in-process, not through the command)."""
    monkeypatch.delenv(connection_env_var(SMTP_CONN_ID), raising=False)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    for name, value in smtp_connection(os.environ).items():
        monkeypatch.setenv(name, value)
