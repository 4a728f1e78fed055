"""Owners and alerts: the owners file, ops.alerts rows, e-mail through a real SMTP server."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from datetime import date, time
from pathlib import Path

import pytest

from c360.config import ConfigError
from c360.orchestration.delivery import DeliveryWait
from c360.orchestration.pipeline import OWNED_AREAS
from c360.quality.alerts import MISSING_DELIVERY, send_alert, smtp_connection
from c360.quality.owners import load_owners
from tests.conftest import free_port
from tests.ingest_helpers import DAY, fetch
from tests.smtp_sink import SENDER, Inbox, point_mail_at

C360 = str(Path(sys.executable).with_name("c360"))


def test_the_committed_owners_file_names_every_silo_and_layer():
    owners = load_owners()
    assert set(owners) == set(OWNED_AREAS)
    assert owners["finance"].email == "finance-data@example.org"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("finance: {name: F, email: f@x.org}\n", "has no owner for: contact_center, privacy"),
        ("- a list\n", "must map each silo"),
        ("finance: [unclosed\n", "is not valid YAML"),
    ],
)
def test_a_broken_owners_file_says_what_is_wrong(tmp_path, monkeypatch, text, message):
    path = tmp_path / "owners.yml"
    path.write_text(text)
    monkeypatch.setenv("C360_OWNERS_FILE", str(path))
    with pytest.raises(ConfigError, match=message):
        load_owners()


def test_an_owner_without_a_valid_email_is_refused(tmp_path):
    entries = {area: f"{area}: {{name: N, email: n@example.org}}" for area in OWNED_AREAS}
    entries["web"] = "web: {name: Web, email: not-an-address}"
    path = tmp_path / "owners.yml"
    path.write_text("\n".join(entries.values()))
    with pytest.raises(ConfigError, match="`web` needs a `name` and a valid `email`"):
        load_owners(path)


def test_a_missing_owners_file_names_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("C360_OWNERS_FILE", str(tmp_path / "nope.yml"))
    with pytest.raises(ConfigError, match="not found: create it or set C360_OWNERS_FILE"):
        load_owners()


def test_an_alert_is_recorded_for_the_owner_without_smtp(warehouse_dsn, monkeypatch):
    point_mail_at(monkeypatch)  # no mail server, no `c360_smtp` connection
    alert = send_alert(warehouse_dsn, "store", DAY, MISSING_DELIVERY, 0, "no _SUCCESS")
    assert not alert.emailed
    rows = fetch(warehouse_dsn, "select owner, owner_email, source_system, business_date, rule, "
                                "rows_affected, message from ops.alerts")
    assert rows == [("Retail operations", "retail-ops@example.org", "store", DAY,
                     "missing_delivery", 0, "no _SUCCESS")]


def test_an_alert_is_emailed_to_the_owner_when_smtp_is_set(warehouse_dsn, smtp_inbox):
    alert = send_alert(warehouse_dsn, "web", DAY, "contract", 7, "events-09: corrupt gzip")
    assert alert.emailed
    [mail] = smtp_inbox.mails
    assert mail.sender == SENDER
    assert mail.recipients == ["web-analytics@example.org"]
    assert mail.subject == f"[c360] web {DAY}: contract"
    assert "rows affected:  7" in mail.body and "events-09: corrupt gzip" in mail.body


def test_an_alert_logs_in_to_a_mail_server_that_wants_it(warehouse_dsn, monkeypatch):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"mail-secret")

    inbox, port = Inbox(), free_port()
    # Login without TLS, on localhost only: a test needs no certificate.
    warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS", UserWarning)
    server = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=authenticator,
                        auth_require_tls=False, auth_required=True)
    server.start()
    try:
        point_mail_at(monkeypatch, C360_SMTP_HOST="127.0.0.1", C360_SMTP_PORT=str(port))
        assert not send_alert(warehouse_dsn, "store", DAY, MISSING_DELIVERY, 0, "anonymous").emailed
        point_mail_at(monkeypatch, C360_SMTP_USER="c360", C360_SMTP_PASSWORD="mail-secret")
        assert send_alert(warehouse_dsn, "store", DAY, MISSING_DELIVERY, 0, "no _SUCCESS").emailed
    finally:
        server.stop()
    assert logins == [("c360", "mail-secret")]
    assert [(m.recipients, m.body.count("no _SUCCESS")) for m in inbox.mails] == [
        (["retail-ops@example.org"], 1)]
    assert len(fetch(warehouse_dsn, "select alert_id from ops.alerts")) == 2


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("C360_SMTP_PORT", "smtp", "C360_SMTP_PORT must be a port number, got 'smtp'"),
        ("C360_SMTP_STARTTLS", "yes", "C360_SMTP_STARTTLS must be true or false, got 'yes'"),
    ],
)
def test_wrong_mail_settings_are_named_before_anything_runs(tmp_path, name, value, message):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("C360_SMTP", "AIRFLOW_CONN"))}
    env.update({"C360_HOME": str(tmp_path / "home"), "C360_SMTP_HOST": "127.0.0.1", name: value})
    result = subprocess.run([C360, "status"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and message in " ".join(result.stderr.split())


def test_an_smtp_connection_of_the_deployment_wins_over_c360s_variables():
    own = '{"conn_type": "smtp", "host": "mail.example.org"}'
    assert smtp_connection({"AIRFLOW_CONN_C360_SMTP": own, "C360_SMTP_HOST": "localhost"}) == {}
    assert smtp_connection({}) == {}


def test_an_unreachable_mail_server_does_not_lose_the_alert(warehouse_dsn, monkeypatch):
    point_mail_at(monkeypatch, C360_SMTP_HOST="127.0.0.1", C360_SMTP_PORT=str(free_port()))
    alert = send_alert(warehouse_dsn, "finance", DAY, "source_unreachable", 0, "down")
    assert not alert.emailed
    assert fetch(warehouse_dsn, "select rule from ops.alerts") == [("source_unreachable",)]


def test_the_delivery_deadline_is_a_local_time_on_the_next_day(monkeypatch):
    monkeypatch.setenv("C360_DELIVERY_DEADLINE", "05:30")
    monkeypatch.setenv("C360_DELIVERY_POKE_SECONDS", "60")
    wait = DeliveryWait.from_env()
    assert wait == DeliveryWait(deadline=time(5, 30), poke_seconds=60)
    # a summer date: Amsterdam is UTC+2, so 05:30 local is 03:30 UTC
    assert wait.deadline_for(date(2026, 7, 1)).isoformat() == "2026-07-02T05:30:00+02:00"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("C360_DELIVERY_DEADLINE", "6 o'clock", "must be a local time like 06:00"),
        ("C360_DELIVERY_POKE_SECONDS", "0", "must be a whole number of seconds"),
    ],
)
def test_bad_delivery_settings_are_named(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        DeliveryWait.from_env()
