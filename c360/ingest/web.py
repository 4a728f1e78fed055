"""Web: gzip-compressed JSON Lines event logs, up to 24 files a day (contracts/SOURCES.md, 3).

Each line is decoded by msgspec into a typed `Event`, whose fields carry the
contract's formats as the checks' fast patterns. A line that does not decode so
is decoded again as plain JSON and checked field by field (`event_problems`),
which says why it is refused, or accepts it after all (29 February, say). The
valid events go with COPY into a temporary table; one INSERT ... SELECT then
keeps each event_id once: of the copies in one file the first, and none that
the raw layer already holds from an earlier file or day. Such a duplicate counts
as loaded, so the ledger balance holds, and is also counted in the ledger's
rows_duplicate. Unknown event types and late events (occurred on an earlier day)
are kept.
"""

from __future__ import annotations

import gzip
import zlib
from datetime import date
from pathlib import Path
from typing import Annotated

import msgspec
import psycopg
from psycopg import sql

from c360.ingest import checks
from c360.ingest.files import Batch, FileKind, FileRefused, ParseOutcome, load_silo_files, not_utf8
from c360.ingest.ledger import RefusedRow
from c360.ingest.partitions import FILE_METADATA
from c360.ingest.report import SiloLoadReport
from c360.privacy.personal_data import shown

SOURCE_SYSTEM = "web"
RAW_TABLE = "raw_web.events"
EVENT_ID = checks.UUID_CHECK
EVENT_TYPE = checks.required("event_type")
OCCURRED_AT = checks.iso_timestamp_utc("occurred_at")
# The members in the raw table's column order: required strings, strings or null,
# objects or null.
COLUMNS = ("event_id", "event_type", "occurred_at", "anonymous_id", "user_id", "session_id",
           "page_url", "referrer", "utm", "traits", "properties")
TEXT_MEMBERS = COLUMNS[3:8]
OBJECT_MEMBERS = COLUMNS[8:]
WEB_EVENTS_LOCK = 3_600_361  # advisory lock key: one web load at a time adds event ids
# PostgreSQL's text and jsonb cannot hold the NUL character, which JSON may escape.
NUL_ESCAPE = b"\\u0000"


def _fast(check: checks.Check) -> msgspec.Meta:
    return msgspec.Meta(pattern=rf"^(?:{check.fast})\Z")


class Event(msgspec.Struct, gc=False):
    """An event whose required members pass the checks' fast forms; other members are ignored."""

    event_id: Annotated[str, _fast(EVENT_ID)]
    event_type: Annotated[str, _fast(EVENT_TYPE)]
    occurred_at: Annotated[str, _fast(OCCURRED_AT)]
    anonymous_id: str | None = None
    user_id: str | None = None
    session_id: str | None = None
    page_url: str | None = None
    referrer: str | None = None
    utm: dict | None = None
    traits: dict | None = None
    properties: dict | None = None


_EVENTS = msgspec.json.Decoder(Event)
_ANY = msgspec.json.Decoder()
_encode = msgspec.json.Encoder().encode


def read_events(data: bytes) -> list[bytes]:
    """The file's lines; a file that is not gzip or not UTF-8 inside is refused."""
    try:
        text = gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as exc:
        raise FileRefused(f"truncated or corrupt gzip: {exc}") from exc
    try:
        text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise not_utf8(text, exc.start, " of the decompressed data") from exc
    return text.split(b"\n")


def _json_text(name: str, value: object) -> str:
    return checks.quote(shown(name, _encode(value).decode()))


def event_problems(doc: dict) -> list[str]:
    """Every rule the event breaks (the exact checks); an empty list means valid."""
    problems = []
    for check in (EVENT_ID, EVENT_TYPE, OCCURRED_AT):
        value = doc.get(check.name)
        if value is not None and type(value) is not str:
            problems.append(f"{check.name}: {_json_text(check.name, value)} is not a JSON string")
        elif reason := check.reason(value):
            problems.append(reason)
    for name in TEXT_MEMBERS:
        value = doc.get(name)
        if value is not None and type(value) is not str:
            problems.append(f"{name}: {_json_text(name, value)} is not a JSON string")
    for name in OBJECT_MEMBERS:
        value = doc.get(name)
        if value is not None and type(value) is not dict:
            problems.append(f"{name}: {_json_text(name, value)} is not a JSON object")
    return problems


def _json(value: dict | None) -> str | None:
    return None if value is None else _encode(value).decode()


def event_row(line: bytes) -> tuple | str:
    """The line's COPY row (its members in COLUMNS order), or why it is refused."""
    if NUL_ESCAPE not in line:
        try:
            event = _EVENTS.decode(line)
        except msgspec.MsgspecError:
            pass
        else:
            values = msgspec.structs.astuple(event)
            return (*values[:8], *map(_json, values[8:]))
    try:
        doc = _ANY.decode(line)
    except msgspec.DecodeError as exc:
        return f"not valid JSON: {exc}"
    if type(doc) is not dict:
        return "not a JSON object"
    if NUL_ESCAPE in line:
        return "holds a \\u0000 character"
    if problems := event_problems(doc):
        return "; ".join(problems)
    return (*map(doc.get, COLUMNS[:8]), *map(_json, map(doc.get, OBJECT_MEMBERS)))


_LANDING_COLUMNS = sql.SQL(", ").join(map(sql.Identifier, (*COLUMNS, "_line_number")))
# Each event id once: the unique key refuses a copy the date holds already, from this file
# (rows go in line order, so the first copy wins) or an earlier one; the search finds one
# that another date holds. An event is delivered on or after the day it occurred (a day of
# slack for time zones), so only the partitions from the day before the file's earliest
# occurred_at are searched; the key compares ids byte by byte (collation "C"), and so must
# the search to use it.
_KEEP_NEW = sql.SQL(
    "insert into raw_web.events ({columns}, {metadata}) "
    "select {columns}, %s, %s, %s from web_landing landed "
    "where not exists (select from raw_web.events kept "
    "where kept.event_id collate \"C\" = landed.event_id and kept._business_date <> %s "
    "and kept._business_date >= (select left(min(occurred_at), 10)::date - 1 from web_landing)) "
    "order by _line_number on conflict do nothing"
).format(columns=_LANDING_COLUMNS, metadata=sql.SQL(", ").join(map(sql.Identifier, FILE_METADATA)))


def store_events(conn: psycopg.Connection, lines: list[bytes], batch: Batch) -> ParseOutcome:
    conn.execute("select pg_advisory_xact_lock(%s)", (WEB_EVENTS_LOCK,))
    conn.execute(sql.SQL("create temporary table if not exists web_landing on commit drop as "
                         "select {} from raw_web.events with no data").format(_LANDING_COLUMNS))
    conn.execute("truncate web_landing")
    outcome = ParseOutcome(0, 0)
    with conn.cursor().copy(sql.SQL("copy web_landing ({}) from stdin").format(
            _LANDING_COLUMNS)) as copy:
        for number, line in enumerate(lines, 1):
            if not line.strip():  # a blank line holds no event
                continue
            outcome.rows_read += 1
            row = event_row(line)
            if type(row) is str:
                outcome.refused.append(RefusedRow(number, line.decode(), row))
            else:
                copy.write_row((*row, number))
    outcome.rows_loaded = outcome.rows_read - len(outcome.refused)
    if outcome.rows_loaded:
        # a date's partition has no statistics while its load runs: the planner would hash
        # all of it for every file instead of looking each id up in its key
        conn.execute("set local enable_hashjoin = off")
        new = conn.execute(_KEEP_NEW, (*batch.metadata, batch.source.business_date)).rowcount
        outcome.rows_duplicate = outcome.rows_loaded - new
    return outcome


FILE_KINDS = (FileKind("events-*.jsonl.gz", (RAW_TABLE,), read_events, store_events),)


def load_business_date(warehouse_dsn: str, landing_dir: Path, business_date: date) -> SiloLoadReport:
    """Load the date's hourly event files, each event once."""
    return load_silo_files(warehouse_dsn, SOURCE_SYSTEM, landing_dir, business_date, FILE_KINDS)
