"""Web: gzip-compressed JSON Lines event logs, up to 24 files a day (contracts/SOURCES.md, 3).

orjson parses each line and the fields are checked in Python as the file is read.
Delivery is at least once, so an event is kept once: of the copies in one file
the first wins, and an event_id the raw layer already holds, from an earlier file
or day, is not loaded again; the rest go into raw_web.events with one COPY. Such a
duplicate counts as loaded, so the ledger balance holds, and is also counted in
the ledger's rows_duplicate. Unknown event types and late events (occurred on an
earlier day) are kept.
"""

from __future__ import annotations

import gzip
import re
import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import orjson
import psycopg
from psycopg import sql

from c360.ingest import checks
from c360.ingest.files import Batch, FileKind, FileRefused, ParseOutcome, load_silo_files
from c360.ingest.ledger import RefusedRow, Source
from c360.ingest.partitions import DatePartition
from c360.ingest.report import SiloLoadReport

SOURCE_SYSTEM = "web"
RAW_TABLE = "raw_web.events"
EVENT_ID = checks.UUID_CHECK
EVENT_TYPE = checks.required("event_type")
OCCURRED_AT = checks.iso_timestamp_utc("occurred_at")
TEXT_MEMBERS = ("anonymous_id", "user_id", "session_id", "page_url", "referrer")
OBJECT_MEMBERS = ("utm", "traits", "properties")
COLUMNS = ("event_id", "event_type", "occurred_at", *TEXT_MEMBERS, *OBJECT_MEMBERS,
           "_batch_id", "_business_date", "_source_name", "_line_number")
COPY_CHUNK_ROWS = 10_000
# Lines are prepared before the file's ledger id is known; no event can hold a NUL.
BATCH_PLACEHOLDER = "\x00batch\x00"
WEB_EVENTS_LOCK = 3_600_361  # advisory lock key: one web load at a time adds event ids
NULL = "\\N"  # COPY text's NULL
# PostgreSQL's jsonb cannot hold the NUL character, which JSON may escape.
NUL_ESCAPE = b"\\u0000"

_is_uuid = re.compile(EVENT_ID.fast).fullmatch
_is_event_type = re.compile(EVENT_TYPE.fast).fullmatch
_is_utc = re.compile(OCCURRED_AT.fast).fullmatch


def decompress(data: bytes) -> bytes:
    try:
        text = gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as exc:
        raise FileRefused(f"truncated or corrupt gzip: {exc}") from exc
    try:
        text.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = text.count(b"\n", 0, exc.start) + 1
        raise FileRefused(
            f"not UTF-8: byte 0x{text[exc.start]:02x} at offset {exc.start} of the "
            f"decompressed data (line {line}) is not valid UTF-8"
        ) from exc
    return text


def _json_text(value: object) -> str:
    return checks.quote(orjson.dumps(value).decode())


def event_problems(doc: dict) -> list[str]:
    """Every rule the event breaks (the exact checks); an empty list means valid."""
    problems = []
    for check in (EVENT_ID, EVENT_TYPE, OCCURRED_AT):
        value = doc.get(check.name)
        if value is not None and type(value) is not str:
            problems.append(f"{check.name}: {_json_text(value)} is not a JSON string")
        elif reason := check.reason(value):
            problems.append(reason)
    for name in TEXT_MEMBERS:
        value = doc.get(name)
        if value is not None and type(value) is not str:
            problems.append(f"{name}: {_json_text(value)} is not a JSON string")
    for name in OBJECT_MEMBERS:
        value = doc.get(name)
        if value is not None and type(value) is not dict:
            problems.append(f"{name}: {_json_text(value)} is not a JSON object")
    return problems


def _fast_copy_line(doc: dict, tail: str) -> str | None:
    """The event as a COPY text line when a quick test shows it valid, else None (then the
    exact checks decide). Only for lines without a backslash: no JSON string can then
    hold a backslash, tab or line break, so no value needs escaping."""
    get = doc.get
    event_id, event_type, occurred_at = get("event_id"), get("event_type"), get("occurred_at")
    anonymous_id, user_id, session_id = get("anonymous_id"), get("user_id"), get("session_id")
    page_url, referrer = get("page_url"), get("referrer")
    utm, traits, properties = get("utm"), get("traits"), get("properties")
    if not (
        type(event_id) is str and _is_uuid(event_id)
        and type(event_type) is str and _is_event_type(event_type)
        and type(occurred_at) is str and _is_utc(occurred_at)
        and (anonymous_id is None or type(anonymous_id) is str)
        and (user_id is None or type(user_id) is str)
        and (session_id is None or type(session_id) is str)
        and (page_url is None or type(page_url) is str)
        and (referrer is None or type(referrer) is str)
        and (utm is None or type(utm) is dict)
        and (traits is None or type(traits) is dict)
        and (properties is None or type(properties) is dict)
    ):
        return None
    return "\t".join((
        event_id, event_type, occurred_at,
        NULL if anonymous_id is None else anonymous_id,
        NULL if user_id is None else user_id,
        NULL if session_id is None else session_id,
        NULL if page_url is None else page_url,
        NULL if referrer is None else referrer,
        NULL if utm is None else orjson.dumps(utm).decode(),
        NULL if traits is None else orjson.dumps(traits).decode(),
        NULL if properties is None else orjson.dumps(properties).decode(),
        tail,
    ))


def _escaped_copy_line(doc: dict, tail: str) -> str:
    """The event as a COPY text line, every value escaped."""
    fields = []
    for name in COLUMNS[:11]:
        value = doc.get(name)
        if value is None:
            fields.append(NULL)
            continue
        text = value if type(value) is str else orjson.dumps(value).decode()
        fields.append(text.replace("\\", "\\\\").replace("\t", "\\t")
                      .replace("\n", "\\n").replace("\r", "\\r"))
    return "\t".join((*fields, tail))


@dataclass
class PreparedEvents:
    rows_read: int
    refused: list[RefusedRow]
    events: dict[str, str]  # event_id -> COPY line (batch id still a placeholder), first copy
    earliest: str = "9999-12-31"  # the earliest occurred_at among them, as delivered


def prepare_events(data: bytes, source: Source) -> PreparedEvents:
    """Parse and check every line; keep the first copy of each event_id in the file."""
    lines = decompress(data).split(b"\n")
    meta = "\t".join((BATCH_PLACEHOLDER, source.business_date.isoformat(),
                       source.source_name.replace("\\", "\\\\"), ""))
    prepared = PreparedEvents(0, [], {})
    refused, events = prepared.refused, prepared.events
    for number, line in enumerate(lines, 1):
        if not line or line.isspace():
            continue
        prepared.rows_read += 1
        try:
            doc = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            refused.append(RefusedRow(number, line.decode(), f"not valid JSON: {exc}"))
            continue
        if type(doc) is not dict:
            refused.append(RefusedRow(number, line.decode(), "not a JSON object"))
            continue
        if NUL_ESCAPE in line:
            refused.append(RefusedRow(number, line.decode(), "holds a \\u0000 character"))
            continue
        tail = f"{meta}{number}\n"
        copy_line = None if b"\\" in line else _fast_copy_line(doc, tail)
        if copy_line is None:
            if problems := event_problems(doc):
                refused.append(RefusedRow(number, line.decode(), "; ".join(problems)))
                continue
            copy_line = _escaped_copy_line(doc, tail)
        events.setdefault(doc["event_id"], copy_line)
        prepared.earliest = min(prepared.earliest, doc["occurred_at"])
    return prepared


def store_events(conn: psycopg.Connection, prepared: PreparedEvents, batch: Batch) -> ParseOutcome:
    partition = batch.partitions[RAW_TABLE]
    new_ids = _not_yet_loaded(conn, prepared, partition)
    new_lines = [prepared.events[event_id] for event_id in new_ids]
    batch_id = str(batch.ledger_id)
    columns = sql.SQL(", ").join(map(sql.Identifier, COLUMNS))
    copy_sql = sql.SQL("copy {} ({}) from stdin ({})").format(
        partition.identifier, columns, partition.copy_options)
    with conn.cursor().copy(copy_sql) as copy:
        for offset in range(0, len(new_lines), COPY_CHUNK_ROWS):
            chunk = "".join(new_lines[offset : offset + COPY_CHUNK_ROWS])
            copy.write(chunk.replace(BATCH_PLACEHOLDER, batch_id))
    loaded = prepared.rows_read - len(prepared.refused)
    return ParseOutcome(prepared.rows_read, loaded, prepared.refused,
                        rows_duplicate=loaded - len(new_lines))


def _not_yet_loaded(
    conn: psycopg.Connection, prepared: PreparedEvents, partition: DatePartition
) -> list[str]:
    """The event ids the raw layer does not hold yet, in file order.

    Web loads take a lock first, so no other load can add one of these ids before
    this transaction commits; a COPY straight into the partition then never meets
    a duplicate, and costs PostgreSQL less than INSERT ... ON CONFLICT from a
    staging table, which writes every event twice. Only the partitions that can
    hold a copy are searched: an event is delivered on or after the day it occurred
    (a day of slack for time zones), so those from a day before the earliest
    occurred_at of the file on. The date's fresh partition is not attached yet; the
    ids of its earlier files are in `partition.keys`.
    """
    conn.execute("select pg_advisory_xact_lock(%s)", (WEB_EVENTS_LOCK,))
    events = prepared.events
    if not events:
        return []
    loaded = {row[0] for row in conn.execute(
        "select event_id from raw_web.events "
        "where _business_date >= %s::date - 1 and event_id = any(%b)",
        (prepared.earliest[:10], list(events)))}
    new = [event_id for event_id in events if event_id not in loaded
           and event_id not in partition.keys]
    if partition.fresh:
        partition.keys.update(new)
    return new


FILE_KINDS = (FileKind("events-*.jsonl.gz", (RAW_TABLE,), prepare_events, store_events),)


def load_business_date(warehouse_dsn: str, landing_dir: Path, business_date: date) -> SiloLoadReport:
    """Load the date's hourly event files, each event once."""
    return load_silo_files(warehouse_dsn, SOURCE_SYSTEM, landing_dir, business_date, FILE_KINDS)
