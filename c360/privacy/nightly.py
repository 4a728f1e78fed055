"""The privacy step of the nightly build: carry out what dbt matched, report what it could not.

Runs after dbt (which matched tonight's requests with tonight's identity
resolution) and before the quality gate and publishing. In order: access
exports (before an erasure of the same person empties them), restrictions,
erasures, then one alert per kind to the privacy owner listing the requests
that are unmatched or ambiguous, or still open near the law's month; those stay
pending and are matched again every night, and are alerted once per status.
Every request carried out is logged in ops.privacy_request_log, so running the
step again does nothing more. Last, access exports older than their retention
are removed, the erased persons' records leave the landing zone's files, and
delivered files older than their retention leave the landing zone (landing.py).

A restriction needs nothing beyond its log entry: dbt flags the golden record
(is_restricted), and marts.privacy_request_matches reads the logged decision
back, so the flag holds on later nights whatever later files hold.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import psycopg

from c360.config import Settings
from c360.orchestration.pipeline import PRIVACY
from c360.privacy.erasure import Counts, erase, record_outcome
from c360.privacy.export import export_path, in_export_folder, person_document, write_document
from c360.privacy.keys import privacy_key
from c360.privacy.landing import remove_expired_deliveries, retention_days, scrub_landing
from c360.privacy.matches import RequestMatch, pending_requests
from c360.quality.alerts import send_alert
from c360.warehouse.bootstrap import bootstrap

ASK_AGAIN = ("Nothing was done for them; they are matched again every night. Ask the person for an "
             "identifier of their own (account id, loyalty card, personal e-mail or mobile) and "
             "deliver the request again.")
UNRESOLVED = {
    "unmatched": ("privacy_request_unmatched", "name no customer the warehouse knows", ASK_AGAIN),
    "ambiguous": ("privacy_request_ambiguous",
                  "name several customers, or only through a key a household shares", ASK_AGAIN),
    "overdue": ("privacy_request_overdue",
                "are still open {days} days or more after they were received (the law gives one month)",
                "Carry them out by hand, or answer the person before the month is over."),
}
# Days after which a request still open is alerted again, as overdue.
DEADLINE_DAYS = 25
# Business days an access export is kept before it is removed: the person has had it by then.
EXPORT_RETENTION_DAYS = 30


def deadline_days() -> int:
    return int(os.environ.get("C360_PRIVACY_DEADLINE_DAYS", DEADLINE_DAYS))


def export_retention_days() -> int:
    return int(os.environ.get("C360_PRIVACY_EXPORT_RETENTION_DAYS", EXPORT_RETENTION_DAYS))


def remove_expired_exports(settings: Settings, dsn: str, business_date: date, days: int) -> list[str]:
    """Remove the access exports written `days` or more business days before `business_date`;
    returns their request ids. Only files in the export folder, where the nightly step writes
    them; the log keeps the proof that the request was answered."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "select request_id, detail from ops.privacy_request_log "
            "where outcome = 'exported' and detail is not null and business_date <= %s order by 1",
            (business_date - timedelta(days=days),),
        ).fetchall()
    removed = []
    for request_id, detail in rows:
        path = Path(detail)
        if in_export_folder(settings, path) and path.is_file():
            path.unlink()
            removed.append(request_id)
    return removed


def overdue(pending: list[RequestMatch], business_date: date, days: int) -> list[RequestMatch]:
    """The requests still open `days` or more after they were received, as of `business_date`."""
    return [r for r in pending
            if r.received_at is not None and (business_date - r.received_at.date()).days >= days]


@dataclass
class PrivacyReport:
    business_date: date
    handled: Counter = field(default_factory=Counter)  # outcome -> requests
    erased_rows: Counts = field(default_factory=dict)
    alerted: dict[str, list[str]] = field(default_factory=dict)  # status -> request ids
    expired_exports: list[str] = field(default_factory=list)  # request ids whose export was removed
    scrubbed_files: dict[str, int] = field(default_factory=dict)  # landing file -> lines removed
    expired_deliveries: list[str] = field(default_factory=list)  # landing files past retention


def apply_privacy_requests(settings: Settings, business_date: date,
                           warehouse_dsn: str | None = None) -> PrivacyReport:
    """Carry out tonight's matched requests and report the others; `warehouse_dsn` overrides the
    settings' (inside Airflow it comes from the `c360_warehouse` connection)."""
    dsn = warehouse_dsn or settings.warehouse_dsn
    bootstrap(dsn)
    key = privacy_key(settings)
    with psycopg.connect(dsn) as conn:
        pending = pending_requests(conn)
    report = PrivacyReport(business_date)
    matched = [r for r in pending if r.status == "matched"]
    for request in (r for r in matched if r.request_type == "access"):
        export_access(settings, dsn, key, request, business_date)
        report.handled["exported"] += 1
    for request in (r for r in matched if r.request_type == "restrict"):
        with psycopg.connect(dsn) as conn:
            record_outcome(conn, request, "restricted", business_date)
        report.handled["restricted"] += 1
    for request in (r for r in matched if r.request_type == "erasure"):
        for counted, n in erase(dsn, key, request, business_date).items():
            report.erased_rows[counted] = report.erased_rows.get(counted, 0) + n
        report.handled["erased"] += 1
    still_open = [r for r in pending if r.status != "matched"]
    days = deadline_days()
    for status, requests in (("unmatched", [r for r in still_open if r.status == "unmatched"]),
                             ("ambiguous", [r for r in still_open if r.status == "ambiguous"]),
                             ("overdue", overdue(still_open, business_date, days))):
        alerted = alert_unresolved(dsn, business_date, status, requests, days)
        if alerted:
            report.alerted[status] = alerted
    report.expired_exports = remove_expired_exports(settings, dsn, business_date, export_retention_days())
    report.scrubbed_files = scrub_landing(dsn, settings.landing_dir)
    report.expired_deliveries = remove_expired_deliveries(dsn, settings.landing_dir, business_date,
                                                          retention_days())
    return report


def export_access(settings: Settings, dsn: str, key: str, request: RequestMatch, business_date: date) -> None:
    path = export_path(settings, request.request_id)
    with psycopg.connect(dsn) as conn:
        document = person_document(conn, request.customer_id, key, request.request_id)
        document["request_id"] = request.request_id
        write_document(document, path)
        record_outcome(conn, request, "exported", business_date, detail=str(path))


def alert_unresolved(dsn: str, business_date: date, status: str, requests: list[RequestMatch],
                     days: int = DEADLINE_DAYS) -> list[str]:
    """One alert listing the requests not yet reported with this status; returns their ids."""
    with psycopg.connect(dsn) as conn:
        reported = {row[0] for row in conn.execute(
            "select request_id from ops.privacy_request_alerts where status = %s", (status,))}
    new = [r for r in requests if r.request_id not in reported]
    if not new:
        return []
    rule, meaning, advice = UNRESOLVED[status]
    # request ids and types only: the privacy desk has the identifiers, e-mail is no place for them
    lines = "\n".join(
        f"- {r.request_id} ({r.request_type}, received {r.received_at:%Y-%m-%d %H:%M %Z}, "
        f"{r.candidate_customers} candidate customers)" for r in new
    )
    message = (
        f"{len(new)} data-subject request(s) {meaning.format(days=days)}. {advice}\n{lines}\n"
        f"See marts.privacy_request_matches."
    )
    alert = send_alert(dsn, PRIVACY, business_date, rule, len(new), message)
    with psycopg.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.executemany(
            "insert into ops.privacy_request_alerts (request_id, status, alert_id) values (%s, %s, %s) "
            "on conflict do nothing",
            [(r.request_id, status, alert.alert_id) for r in new],
        )
    return [r.request_id for r in new]
