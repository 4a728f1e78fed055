"""Web: gzip-compressed JSON Lines event logs, up to 24 files a day (contracts/SOURCES.md, 3).

Lines are read the quick way where that is safe (web_rows: one compiled loop
writes them as COPY rows); a line it leaves (an escape, an unknown member, a
number in an object written otherwise than orjson writes it, a broken rule) is
parsed by orjson and checked field by field, which accepts it or says why it is
refused. Delivery is at least once, so an event is kept once: of the copies in
one file the first wins, and an event_id the raw layer already holds, from an
earlier file or day, is not loaded again; the rest go into raw_web.events with
one COPY. Such a duplicate counts as loaded, so the ledger balance holds, and is
also counted in the ledger's rows_duplicate. Unknown event types and late events
(occurred on an earlier day) are kept.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import compress
from pathlib import Path

import numpy as np
import orjson
import psycopg
from isal import igzip, isal_zlib

from c360.ingest import binary_copy, checks, key_set, web_rows
from c360.ingest.files import (
    Batch,
    FileKind,
    FileRefused,
    ParseOutcome,
    load_silo_files,
    not_utf8,
)
from c360.ingest.handover import HandedBytes
from c360.ingest.ledger import RefusedRow, Source
from c360.ingest.partitions import DatePartition
from c360.ingest.report import SiloLoadReport
from c360.privacy.personal_data import shown

SOURCE_SYSTEM = "web"
RAW_TABLE = "raw_web.events"
EVENT_ID = checks.UUID_CHECK
UUID_LENGTH = 36  # every valid event id: 8-4-4-4-12 hexadecimal digits
EVENT_TYPE = checks.required("event_type")
OCCURRED_AT = checks.iso_timestamp_utc("occurred_at")
COLUMNS = web_rows.MEMBERS
TEXT_MEMBERS = COLUMNS[web_rows.REQUIRED:web_rows.TEXTS]
OBJECT_MEMBERS = COLUMNS[web_rows.TEXTS:]
COPY_BLOCK_BYTES = 1 << 22  # COPY data sent at a time
# Days before a fresh date whose event ids its load reads once (the day before has the
# copies of the late events of most files; a day of slack for time zones).
PRELOADED_DAYS = 2
WEB_EVENTS_LOCK = 3_600_361  # advisory lock key: one web load at a time adds event ids
# PostgreSQL's jsonb cannot hold the NUL character, which JSON may escape.
NUL_ESCAPE = b"\\u0000"


def decompress(data: bytes) -> bytes:
    """The file's text; ISA-L inflates it in a third of zlib's time. A file it refuses is
    read again by the standard library, whose reasons are the clearer ("Not a gzipped
    file") and the ones every refusal states."""
    try:
        text = igzip.decompress(data)
    except (EOFError, OSError, isal_zlib.error):
        try:
            text = gzip.decompress(data)
        except (EOFError, OSError, zlib.error) as exc:
            raise FileRefused(f"truncated or corrupt gzip: {exc}") from exc
    return _checked_utf8(text)


def _checked_utf8(text: bytes) -> bytes:
    try:
        text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise not_utf8(text, exc.start, " of the decompressed data") from exc
    return text


def _json_text(name: str, value: object) -> str:
    return checks.quote(shown(name, orjson.dumps(value).decode()))


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


def _binary_row(doc: dict, number: int) -> bytes:
    """The event as a binary COPY row: its members, then its line number."""
    fields = [struct.pack(">h", len(COLUMNS) + 1)]
    for name in COLUMNS:
        value = doc.get(name)
        if value is None:
            fields.append(binary_copy.NULL)
        elif type(value) is str:
            fields.append(binary_copy.field(value.encode()))
        else:
            fields.append(binary_copy.field(binary_copy.JSONB_VERSION + orjson.dumps(value)))
    fields.append(binary_copy.fields(number))
    return b"".join(fields)


@dataclass
class PreparedEvents:
    """A file's valid events, each event_id's first copy, as binary COPY rows up to their
    line numbers (one text, made by the worker process that prepared it, handed over in
    shared memory and sent on to PostgreSQL as it is)."""

    rows_read: int
    refused: list[RefusedRow]
    event_ids: str = ""  # comma-separated, in the order of the rows
    # one row per event id, without binary COPY's signature and trailer
    rows: HandedBytes = field(default_factory=lambda: HandedBytes(b""))
    earliest: str = "9999-12-31"  # the earliest occurred_at among them, as delivered

    @property
    def count(self) -> int:
        """How many events there are (ids of UUID_LENGTH characters, a comma between)."""
        return (len(self.event_ids) + 1) // (UUID_LENGTH + 1)


def prepare_events(data: bytes, source: Source, path: Path) -> PreparedEvents:
    """Parse and check every line; keep the first copy of each event_id in the file.

    Lines are read the quick way (web_rows) where it can be, the others the exact way
    (orjson, field by field)."""
    text = decompress(data)
    quick = web_rows.read(text)
    others = zip(quick.others_numbers.tolist(), quick.others_starts.tolist(),
                 quick.others_ends.tolist(), strict=True)
    prepared = PreparedEvents(len(quick.row_ends) + len(quick.others_numbers), [])
    exact = [(number, *found) for number, start, end in others
             if (found := _exact_event(text[start:end], number, prepared.refused))]
    ids = b",".join(part for part in (
        quick.event_ids(), ",".join([event_id for _, event_id, _, _ in exact]).encode()) if part)
    first = _first_copies(ids, quick.row_numbers, [number for number, *_ in exact])
    rows = quick.copy_rows(None if first is None else first[:len(quick.row_ends)])
    if first is not None:
        exact = list(compress(exact, first[len(quick.row_ends):].tolist()))
        ids = _ids_at(ids, first.view(bool))
    prepared.event_ids = ids.decode()
    if exact:
        rows.append(b"".join([row for *_, row in exact]))
    prepared.rows = HandedBytes(*rows)
    times = [found[2] for found in exact]
    if quick.earliest is not None:
        times.append(quick.earliest)
    prepared.earliest = min(times, default=prepared.earliest)
    prepared.refused.sort(key=lambda row: row.line_number)
    return prepared


def _first_copies(ids: bytes, quick_numbers: np.ndarray, exact_numbers: list[int]) -> np.ndarray | None:
    """Which events (the quick rows', then the exactly read ones', each group in line order,
    their ids comma-separated in `ids`) are the first copy of their id in the file, by
    line number; None: all are."""
    numbers = np.concatenate([quick_numbers, np.array(exact_numbers, np.int64)])
    in_order = np.argsort(numbers, kind="stable") if exact_numbers else None
    repeated = key_set.KeySet(UUID_LENGTH, room=len(numbers)).add(
        ids if in_order is None else _ids_at(ids, in_order))
    if not repeated.any():
        return None
    first = repeated ^ 1
    if in_order is not None:
        first[in_order] = first.copy()
    return first


def _ids_at(ids: bytes, which: np.ndarray) -> bytes:
    """The ids (comma-separated) that `which` picks, by positions or a mask."""
    table = np.frombuffer(ids + b",", np.uint8).reshape(-1, UUID_LENGTH + 1)
    return table[which].tobytes()[:-1]


def _exact_event(line: bytes, number: int, refused: list[RefusedRow]) -> tuple[str, str, str] | None:
    """(event id, occurred_at, COPY row) of a valid line; a refused one joins `refused`."""
    try:
        doc = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        refused.append(RefusedRow(number, line.decode(), f"not valid JSON: {exc}"))
        return None
    if type(doc) is not dict:
        refused.append(RefusedRow(number, line.decode(), "not a JSON object"))
        return None
    if NUL_ESCAPE in line:
        refused.append(RefusedRow(number, line.decode(), "holds a \\u0000 character"))
        return None
    if problems := event_problems(doc):
        refused.append(RefusedRow(number, line.decode(), "; ".join(problems)))
        return None
    return doc["event_id"], doc["occurred_at"], _binary_row(doc, number)


def store_events(conn: psycopg.Connection, prepared: PreparedEvents, batch: Batch) -> ParseOutcome:
    partition = batch.partitions[RAW_TABLE]
    # a thread for the work on the ids beside PostgreSQL's (psycopg waits for the server
    # without holding the GIL); leaving the block waits for what it still does
    with ThreadPoolExecutor(1) as beside:
        keep = _not_yet_loaded(conn, prepared, partition, beside)
        target = partition.copy_target(conn, COLUMNS, batch.ledger_id, batch.source.source_name,
                                       binary=True)
        rows = prepared.rows.data
        if keep is not None or target.metadata:
            rows = binary_copy.rows_kept(rows, keep, target.metadata)
        with conn.cursor().copy(target.statement) as copy, memoryview(rows) as data:
            copy.write(binary_copy.SIGNATURE)
            for offset in range(0, len(data), COPY_BLOCK_BYTES):
                copy.write(data[offset : offset + COPY_BLOCK_BYTES])
            copy.write(binary_copy.TRAILER)
    loaded = prepared.rows_read - len(prepared.refused)
    new = prepared.count if keep is None else int(keep.sum())
    return ParseOutcome(prepared.rows_read, loaded, prepared.refused, rows_duplicate=loaded - new)


def _not_yet_loaded(
    conn: psycopg.Connection, prepared: PreparedEvents, partition: DatePartition,
    beside: Executor,
) -> np.ndarray | None:
    """Which events' ids the raw layer does not hold yet (a mask of the rows; None: all).

    Web loads take a lock first, so no other load can add one of these ids before
    this transaction commits; a COPY straight into the partition then never meets
    a duplicate, and costs PostgreSQL less than INSERT ... ON CONFLICT from a
    staging table, which writes every event twice. Only the partitions that can
    hold a copy are searched: an event is delivered on or after the day it occurred
    (a day of slack for time zones), so those from a day before the earliest
    occurred_at of the file on. A load of a fresh date (not attached yet) keeps in
    `partition.keys` the ids of its earlier files and of the PRELOADED_DAYS days
    before it, which take this file's ids and tell which they held, on the `beside`
    thread while PostgreSQL looks up the others (older days, and later ones where
    a date is loaded after them).
    """
    conn.execute("select pg_advisory_xact_lock(%s)", (WEB_EVENTS_LOCK,))
    if not prepared.event_ids:
        return None
    in_memory = None
    searched_until = searched_after = date.max  # (partitions searched here: all from earliest)
    if partition.fresh:
        if partition.keys is None:
            partition.keys = _ids_of_days_before(conn, partition.business_date)
        in_memory = beside.submit(partition.keys.add, prepared.event_ids.encode())
        searched_until = partition.business_date - timedelta(days=PRELOADED_DAYS)
        searched_after = partition.business_date
    loaded = {row[0] for row in conn.execute(
        # in the key's collation, so that its index answers; the ids are sent as one
        # text (an array parameter costs psycopg Python work per element) and made an
        # array by a subquery, run only where a partition is searched: the planner
        # would otherwise fold it into a constant and estimate each id's selectivity
        # (planning against a partition of a million events: 15.6 ms so, 2.9 this way)
        'select event_id from raw_web.events '
        'where (_business_date >= %s::date - 1 and _business_date < %s or _business_date > %s) '
        'and event_id collate "C" = any(array(select unnest(string_to_array(%s, \',\'))))',
        (prepared.earliest[:10], searched_until, searched_after, prepared.event_ids))}
    known = np.zeros(prepared.count, np.uint8) if in_memory is None else in_memory.result()
    if loaded:
        known |= np.fromiter((event_id in loaded for event_id in prepared.event_ids.split(",")),
                             np.uint8, prepared.count)
    return None if not known.any() else known ^ 1


def _ids_of_days_before(conn: psycopg.Connection, business_date: date) -> key_set.KeySet:
    """The event ids of the PRELOADED_DAYS partitions before the date, read in one go: the
    copies of most late events are there, and each file's look-up would otherwise probe
    their keys for all its ids (some 62 ms a file and partition of a million events).
    A million ids: 0.25 s to read, 0.17 to add. They come as a few long texts (by first
    character, so that none nears a text's 1 GB limit), which psycopg takes as one
    value each; a COPY would send them as a message each."""
    texts = conn.execute(
        "select string_agg(event_id, ',') from raw_web.events "
        "where _business_date >= %s and _business_date < %s "
        "group by _business_date, left(event_id, 1)",
        (business_date - timedelta(days=PRELOADED_DAYS), business_date)).fetchall()
    count = sum((len(text) + 1) // (UUID_LENGTH + 1) for text, in texts)
    keys = key_set.KeySet(UUID_LENGTH, room=count + key_set.ROOM)
    for text, in texts:
        keys.add(text.encode())
    return keys


FILE_KINDS = (FileKind("events-*.jsonl.gz", (RAW_TABLE,), prepare_events, store_events),)


def load_business_date(warehouse_dsn: str, landing_dir: Path, business_date: date) -> SiloLoadReport:
    """Load the date's hourly event files, each event once."""
    web_rows.load_compiled()
    key_set.load_compiled()
    binary_copy.load_compiled()
    return load_silo_files(warehouse_dsn, SOURCE_SYSTEM, landing_dir, business_date, FILE_KINDS)
