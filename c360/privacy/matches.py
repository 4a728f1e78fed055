"""The requests dbt matched (marts.privacy_request_matches) that the privacy step has yet to carry out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import psycopg
from psycopg.rows import class_row

MATCHES = "marts.privacy_request_matches"


class MatchesMissing(RuntimeError):
    """dbt has not built the matches yet; the message says what to run."""


@dataclass(frozen=True)
class RequestMatch:
    request_id: str
    request_type: str
    received_at: datetime | None
    business_date: date | None
    status: str  # matched, ambiguous, unmatched
    customer_id: str | None
    matched_on: str | None
    candidate_customers: int


def pending_requests(conn: psycopg.Connection) -> list[RequestMatch]:
    """Requests not carried out yet, oldest first."""
    if conn.execute("select to_regclass(%s)", (MATCHES,)).fetchone()[0] is None:
        raise MatchesMissing(
            f"{MATCHES} does not exist: run the dbt build "
            "(c360 dbt build --vars '{business_date: D}') before the privacy step"
        )
    with conn.cursor(row_factory=class_row(RequestMatch)) as cursor:
        return cursor.execute(
            f"""select request_id, request_type, received_at, business_date, status, customer_id,
                       matched_on, candidate_customers
                from {MATCHES}
                where handled_outcome is null
                    -- carried out since dbt built the matches (a retry of the step)
                    and request_id not in (select request_id from ops.privacy_request_log)
                order by received_at, request_id"""
        ).fetchall()
