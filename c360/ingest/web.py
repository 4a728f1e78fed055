"""Web: gzip-compressed JSON Lines event logs, up to 24 files a day (contracts/SOURCES.md, 3).

A file whose lines are each one object is decoded by msgspec in one call into
typed `Event`s, whose fields carry the contract's formats as the checks' fast
patterns. Any other file is read line by line as plain JSON and checked field by
field (`event_problems`), which says why a line is refused, or accepts it after
all (29 February, say). Each event_id is kept once, in SQL: of the copies in the
date's files the first, and none that another date already holds. A date loaded
for the first time takes every copy into its fresh partition and drops the
repeated ones before the partition is attached; a date loaded before goes through
a temporary table and one INSERT ... SELECT per file. Such a duplicate counts as
loaded, so the ledger balance holds, and is also counted in the ledger's
rows_duplicate. Unknown event types and late events (occurred on an earlier day)
are kept.
"""

from __future__ import annotations

import gzip
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated

import msgspec
import psycopg
from isal import igzip, isal_zlib
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

from c360.ingest import checks
from c360.ingest.files import Batch, FileKind, FileRefused, ParseOutcome, copy_into, load_silo_files, not_utf8
from c360.ingest.ledger import RefusedRow
from c360.ingest.parallel import copy_text
from c360.ingest.partitions import FILE_METADATA, DatePartition
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


def read_events(data: bytes) -> bytes:
    """The file's text; a file that is not gzip or not UTF-8 inside is refused. ISA-L
    inflates it in a third of zlib's time; a file it refuses is read again by the standard
    library, whose reasons ("Not a gzipped file") every refusal states."""
    try:
        text = igzip.decompress(data)
    except (EOFError, OSError, isal_zlib.error):
        try:
            text = gzip.decompress(data)
        except (EOFError, OSError, zlib.error) as exc:
            raise FileRefused(f"truncated or corrupt gzip: {exc}") from exc
    try:
        text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise not_utf8(text, exc.start, " of the decompressed data") from exc
    return text


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
    """The line's COPY row (its members in COLUMNS order), or why it is refused: the exact
    checks, for a line the whole file's decoding did not take."""
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


def _decoded_at_once(text: bytes) -> list[Event] | None:
    """Every line's event, decoded in one call, when each line is one object that passes
    the fast checks; None otherwise (then each line is read the exact way). Each line
    must start with '{' and end with '}': then no value spans two lines, and as many
    events as lines means one event a line."""
    body = text.removesuffix(b"\n")
    lines = body.count(b"\n") + 1
    if (not body.startswith(b"{") or not body.endswith(b"}") or body.count(b"}\n{") != lines - 1
            or NUL_ESCAPE in body):
        return None
    try:
        events = _EVENTS.decode_lines(body)
    except msgspec.MsgspecError:
        return None
    return events if len(events) == lines else None


@dataclass
class Written:
    """What a file's events tell the end of the load (RepeatedCopies): their ids in line
    order and the earliest day they occurred on (its text: YYYY-MM-DD), None for none."""

    ids: list[str]
    earliest: str | None

    def __reduce__(self):  # one text crosses from a worker faster than a million strings
        return _written, ("\n".join(self.ids), self.earliest)


def _written(ids: str, earliest: str | None) -> Written:
    return Written(ids.split("\n") if ids else [], earliest)


def write_events(text: bytes, refused: list[RefusedRow], write_row: Callable[[tuple], None]) -> Written:
    """Write each valid event's COPY row (its members in COLUMNS order, then its line number)
    in line order; refused lines join `refused`."""
    events = _decoded_at_once(text)
    if events is None:
        ids, occurred = [], []
        for row in _exact_rows(text.split(b"\n"), 1, refused):
            write_row(row)
            ids.append(row[0])
            occurred.append(row[2])
    else:
        encode = _encode
        # the objects are written anew, so that a number is stored as the value it is
        for number, event in enumerate(events, 1):
            utm, traits, properties = event.utm, event.traits, event.properties
            write_row((event.event_id, event.event_type, event.occurred_at, event.anonymous_id,
                       event.user_id, event.session_id, event.page_url, event.referrer,
                       None if utm is None else encode(utm).decode(),
                       None if traits is None else encode(traits).decode(),
                       None if properties is None else encode(properties).decode(), number))
        ids = [event.event_id for event in events]
        occurred = [event.occurred_at for event in events]
    # a checked occurred_at starts with its date, four digits of year first: the least text
    # holds the earliest day
    return Written(ids, min(occurred)[:10] if occurred else None)


def _exact_rows(lines: list[bytes], first: int, refused: list[RefusedRow]) -> Iterator[tuple]:
    for number, line in enumerate(lines, first):
        if not line.strip():  # a blank line holds no event
            continue
        row = event_row(line)
        if type(row) is str:
            refused.append(RefusedRow(number, line.decode(), row))
        else:
            yield (*row, number)


_LANDING_COLUMNS = sql.SQL(", ").join(map(sql.Identifier, (*COLUMNS, "_line_number")))
_METADATA = sql.SQL(", ").join(map(sql.Identifier, FILE_METADATA))
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
).format(columns=_LANDING_COLUMNS, metadata=_METADATA)
# The same rule for a fresh partition, which holds every copy of the date's files (its key
# is made when it is attached): a copy another date holds goes, and so does every copy of
# an id but the first (by file and line) of those no other date holds. The ids repeated in
# tonight's files come from Python, which saw them all (counting them in SQL costs a hash of
# every id); each file's search starts the day before its earliest event, and the earliest
# of those days is a value, so that the planner leaves out the partitions before it.
_DROP_REPEATED = sql.SQL(
    "with bounds (_batch_id, since) as (select batch, earliest::date - 1 from unnest("
    "  %(batches)s::bigint[], %(earliest)s::text[]) as file (batch, earliest)), "
    "held as (select copy.ctid as place, _batch_id from {fresh} copy join bounds "
    "  using (_batch_id) where exists (select from raw_web.events kept "
    "  where kept.event_id collate \"C\" = copy.event_id and kept._business_date <> %(day)s "
    "  and kept._business_date >= bounds.since "
    "  and kept._business_date >= %(first)s::date - 1)), "
    "later as (select place, _batch_id from (select ctid as place, _batch_id, row_number() "
    "  over (partition by event_id collate \"C\" "
    "  order by array_position(%(batches)s, _batch_id), _line_number) as nth from {fresh} "
    "  where event_id collate \"C\" = any(%(repeated)s::text[]) "
    "  and ctid not in (select place from held)) copies where nth > 1), "
    "gone as (select * from held union all select * from later), "
    "dropped as (delete from {fresh} where ctid = any(array(select place from gone))) "
    "select _batch_id, count(*) from gone group by _batch_id")


def _parse_file(data: bytes) -> tuple[bytes, tuple[Written, list[RefusedRow]]]:
    """In a worker: the file's valid events as COPY text, what they tell, and the refused lines."""
    text = read_events(data)
    refused: list[RefusedRow] = []
    return copy_text(lambda write_row: (write_events(text, refused, write_row), refused))


def submit_events(pool: Executor, data: bytes, batch: Batch) -> Future:
    return pool.submit(_parse_file, data)


def store_events(conn: psycopg.Connection, prepared: bytes | Future, batch: Batch) -> ParseOutcome:
    """Store a file's events: its text, or the future of a worker's COPY text of them."""
    parsed = prepared.result() if isinstance(prepared, Future) else None  # may refuse the file
    conn.execute("select pg_advisory_xact_lock(%s)", (WEB_EVENTS_LOCK,))
    partition = batch.partitions[RAW_TABLE]
    if partition.fresh:  # every copy goes in; RepeatedCopies keeps one when all are in
        copy = copy_into(conn, batch, RAW_TABLE, COLUMNS)  # the metadata as defaults
    else:
        conn.execute(sql.SQL("create temporary table if not exists web_landing on commit drop "
                             "as select {} from raw_web.events with no data").format(
            _LANDING_COLUMNS))
        conn.execute("truncate web_landing")
        cursor = conn.cursor()
        copy = cursor.copy(sql.SQL("copy web_landing ({}) from stdin").format(_LANDING_COLUMNS),
                           writer=QueuedLibpqWriter(cursor))
    with copy as into:
        if parsed is None:
            refused: list[RefusedRow] = []
            written = write_events(prepared, refused, into.write_row)
        else:
            text, (written, refused) = parsed
            into.write(memoryview(text))  # cut in blocks without copying
    loaded = len(written.ids)
    outcome = ParseOutcome(loaded + len(refused), loaded, refused, told=written)
    if loaded and not partition.fresh:
        # a date's partition has no statistics while its load runs: the planner would hash
        # all of it for every file instead of looking each id up in its key
        conn.execute("set local enable_hashjoin = off")
        new = conn.execute(_KEEP_NEW, (*batch.metadata, batch.source.business_date)).rowcount
        outcome.rows_duplicate = loaded - new
    return outcome


class RepeatedCopies:
    """Counts the ids of the date's files as each is stored, while the workers parse the
    next; once all are in, keeps each event id once in the date's fresh partition."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.files: list[tuple[int, str]] = []  # batch, earliest day

    def stored(self, batch_id: int, written: Written) -> None:
        if written.earliest is not None:
            self.counts.update(written.ids)
            self.files.append((batch_id, written.earliest))

    def finish(self, conn: psycopg.Connection, partition: DatePartition) -> dict[int, int]:
        """The copies dropped, by batch."""
        if not self.files:
            return {}
        earliest = [day for _, day in self.files]
        dropped = conn.execute(_DROP_REPEATED.format(fresh=partition.identifier), {
            "batches": [batch for batch, _ in self.files], "earliest": earliest,
            "first": min(earliest), "day": partition.business_date,
            "repeated": [event_id for event_id, count in self.counts.items() if count > 1]})
        return dict(dropped.fetchall())


FILE_KINDS = (FileKind("events-*.jsonl.gz", (RAW_TABLE,), read_events, store_events,
                       RepeatedCopies, submit_events),)


def load_business_date(warehouse_dsn: str, landing_dir: Path, business_date: date) -> SiloLoadReport:
    """Load the date's hourly event files, each event once."""
    return load_silo_files(warehouse_dsn, SOURCE_SYSTEM, landing_dir, business_date, FILE_KINDS)
