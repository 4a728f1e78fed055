"""The load of a business date's delivered files, whatever their format, in one transaction.

The flow is the same for every file silo: hash the bytes; if the ledger already
holds this content, write nothing; if it holds other content for the same file
(a re-delivery), remove what that delivery loaded; then store the rows, or refuse
the whole file when it breaks the contract. All files of the date share one
transaction, so a date is loaded whole or not at all.

A file kind works in two steps: `read` turns the bytes into what `store` takes
without touching the database (decompress, decode, check the header) and raises
FileRefused for a file that breaks its contract; `store` writes the rows in the
load's transaction and says which it refused.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import psycopg
from psycopg import sql
from psycopg.copy import Copy, QueuedLibpqWriter

from c360.ingest import ledger
from c360.ingest.ledger import RefusedRow, Source
from c360.ingest.parallel import worker_pool
from c360.ingest.partitions import FILE_METADATA, DatePartition, attach_fresh, open_date_partitions
from c360.ingest.report import LOADED, QUARANTINED, UNCHANGED, FileLoad, SiloLoadReport
from c360.warehouse.bootstrap import bootstrap

log = logging.getLogger(__name__)

SUCCESS_MARKER = "_SUCCESS"


class FileRefused(Exception):
    """The file as a whole breaks its contract; nothing of it may be loaded."""

    def __init__(self, reason: str, raw_record: str | None = None, rows: int = 0):
        super().__init__(reason)
        self.reason = reason
        self.raw_record = raw_record  # e.g. the offending header line
        self.rows = rows  # records the file holds, when they could be counted

    def __reduce__(self):  # raised in a worker process, it comes back whole
        return FileRefused, (self.reason, self.raw_record, self.rows)


def not_utf8(data: bytes, offset: int, of_what: str = "") -> FileRefused:
    """The refusal of a file whose bytes are not valid UTF-8 at `offset` (of `data`, which
    `of_what` names when they are not the file's own)."""
    line = data.count(b"\n", 0, offset) + 1
    return FileRefused(f"not UTF-8: byte 0x{data[offset]:02x} at offset {offset}{of_what} "
                       f"(line {line}) is not valid UTF-8")


@dataclass(frozen=True)
class Batch:
    """The file being loaded and the ledger id its raw rows carry as _batch_id."""

    source: Source
    ledger_id: int
    partitions: Mapping[str, DatePartition]  # the date's, by raw table

    @property
    def metadata(self) -> tuple[str, str, str]:
        """The FILE_METADATA values of the file's rows, as COPY takes them."""
        return (str(self.ledger_id), self.source.business_date.isoformat(),
                self.source.source_name)


def carried_metadata(batch: Batch, raw_table: str) -> tuple[str, ...]:
    """The FILE_METADATA values each row of the file must carry into `raw_table`: none for a
    fresh partition, which takes them as column defaults while the file loads (`copy_into`),
    so its rows carry fewer fields."""
    return () if batch.partitions[raw_table].fresh else batch.metadata


def copy_into(conn: psycopg.Connection, batch: Batch, raw_table: str, columns: Sequence[str],
              null: str = "\\N") -> AbstractContextManager[Copy]:
    """A COPY into the date's partition of `raw_table` of rows that hold `columns`, their line
    number and the `carried_metadata`; `null` is the text that stands for NULL. A fresh
    partition takes the rows frozen, and the file's metadata as column defaults (which
    `attach_fresh` drops). A thread of psycopg's sends the data, so the next rows are made
    while PostgreSQL stores the last."""
    partition = batch.partitions[raw_table]
    carried: tuple[str, ...] = ("_line_number",)
    if partition.fresh:
        conn.execute(sql.SQL("alter table {} {}").format(partition.identifier, sql.SQL(", ").join(
            sql.SQL("alter column {} set default {}").format(sql.Identifier(name), sql.Literal(value))
            for name, value in zip(FILE_METADATA, batch.metadata, strict=True))))
    else:
        carried += FILE_METADATA
    statement = sql.SQL("copy {} ({}) from stdin (null {}, freeze {})").format(
        partition.identifier, sql.SQL(", ").join(map(sql.Identifier, (*columns, *carried))),
        sql.Literal(null), sql.SQL("true" if partition.fresh else "false"))
    cursor = conn.cursor()
    return cursor.copy(statement, writer=QueuedLibpqWriter(cursor))


@dataclass
class ParseOutcome:
    rows_read: int
    rows_loaded: int
    refused: list[RefusedRow] = field(default_factory=list)
    rows_duplicate: int = 0
    told: Any = None  # what the kind's Finisher is to know of the file's stored rows


class Finisher(Protocol):
    """The end of a date's load for one kind of file: hears of each file stored, then acts
    on the date's fresh partition before it is attached."""

    def stored(self, batch_id: int, told: Any) -> None:
        """A file was stored (files come in file order); `told` is what its store told."""

    def finish(self, conn: psycopg.Connection, partition: DatePartition) -> dict[int, int]:
        """The rows found to be duplicates now that every file is in, by batch."""


@dataclass(frozen=True)
class FileKind:
    """Which files of a date's folder a kind takes, the raw tables it fills, and how."""

    pattern: str  # glob within the date's folder
    raw_tables: tuple[str, ...]
    read: Callable[[bytes], Any]  # no database; raises FileRefused
    # writes what `read` or `submit` made in the load's transaction; may raise FileRefused
    # only before it has written anything
    store: Callable[[psycopg.Connection, Any, Batch], ParseOutcome]
    # makes the load's Finisher, for a kind whose rows are checked once all are in
    finisher: Callable[[], Finisher] | None = None
    # `read` for a load with worker processes: hands the parsing to the pool and returns
    # what `store` takes, the futures of the parsed rows
    submit: Callable[[Executor, bytes, Batch], Any] | None = None


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class _Opened:
    """A file whose rows are to be stored: what `read` or `submit` made of it."""

    kind: FileKind
    batch: Batch
    digest: str
    prepared: Any


def open_file(conn: psycopg.Connection, path: Path, source: Source, kind: FileKind,
              partitions: Mapping[str, DatePartition], pool: Executor | None) -> FileLoad | _Opened:
    """Consult the ledger about one file in the caller's transaction and read it (in the pool
    when there is one): its FileLoad when it is unchanged or refused whole, else what
    `store_file` stores."""
    data = path.read_bytes()
    digest = content_hash(data)
    previous = ledger.lock_entry(conn, source)
    if previous is not None and previous.content_hash == digest:
        return FileLoad(
            source.source_system, source.business_date, source.source_name,
            previous.rows_read, previous.rows_loaded, previous.rows_quarantined,
            # a refused file stays refused, so a retry still fails the contract check
            UNCHANGED if previous.status == LOADED else previous.status,
            previous.message, previous.rows_duplicate, previous.ledger_id,
        )
    if previous is None:
        ledger_id = ledger.open_entry(conn, source)
    else:
        ledger_id = previous.ledger_id
        ledger.discard_previous_load(conn, source, ledger_id, kind.raw_tables)
    batch = Batch(source, ledger_id, partitions)
    try:
        if pool is not None and kind.submit is not None:
            prepared = kind.submit(pool, data, batch)
        else:
            prepared = kind.read(data)
    except FileRefused as refusal:
        return _refused(conn, batch, refusal, digest)
    return _Opened(kind, batch, digest, prepared)


def store_file(conn: psycopg.Connection, opened: _Opened, finisher: Finisher | None) -> FileLoad:
    """Store an opened file's rows in the caller's transaction and record them in the ledger;
    the kind's finisher hears of it."""
    source, batch = opened.batch.source, opened.batch
    try:
        outcome = opened.kind.store(conn, opened.prepared, batch)
    except FileRefused as refusal:
        return _refused(conn, batch, refusal, opened.digest)
    if finisher is not None:
        finisher.stored(batch.ledger_id, outcome.told)
    ledger.quarantine(conn, source, outcome.refused)
    result = FileLoad(
        source.source_system, source.business_date, source.source_name,
        outcome.rows_read, outcome.rows_loaded, len(outcome.refused), LOADED, None,
        outcome.rows_duplicate, batch.ledger_id,
    )
    ledger.record(conn, batch.ledger_id, result, opened.digest)
    return result


def _refused(conn: psycopg.Connection, batch: Batch, refusal: FileRefused, digest: str) -> FileLoad:
    source = batch.source
    ledger.quarantine(conn, source, [RefusedRow(None, refusal.raw_record, refusal.reason)])
    result = FileLoad(
        source.source_system, source.business_date, source.source_name,
        refusal.rows, 0, refusal.rows, QUARANTINED, refusal.reason, 0, batch.ledger_id,
    )
    ledger.record(conn, batch.ledger_id, result, digest)
    return result


def date_folder(landing_dir: Path, silo_folder: str, business_date: date) -> Path:
    return landing_dir / silo_folder / business_date.isoformat()


def _files(folder: Path, kinds: Sequence[FileKind]) -> list[tuple[Path, FileKind]]:
    """The date's files, each taken by the first kind whose pattern it matches."""
    taken: dict[Path, FileKind] = {}
    for kind in kinds:
        for path in sorted(folder.glob(kind.pattern)):
            if path.is_file():
                taken.setdefault(path, kind)
    strangers = sorted(p.name for p in folder.iterdir()
                       if p not in taken and p.name != SUCCESS_MARKER)
    if strangers:
        log.warning("%s: ignored files the contract does not name: %s", folder, strangers)
    return list(taken.items())


def load_silo_files(
    warehouse_dsn: str,
    source_system: str,
    landing_dir: Path,
    business_date: date,
    kinds: Sequence[FileKind],
) -> SiloLoadReport:
    """Load every file of the date's folder that one of `kinds` takes, file by file."""
    bootstrap(warehouse_dsn)
    report = SiloLoadReport(source_system, business_date)
    folder = date_folder(landing_dir, source_system, business_date)
    if not folder.is_dir():
        return report
    files = _files(folder, kinds)
    delivery_bytes = sum(path.stat().st_size for path, kind in files if kind.submit is not None)
    with (psycopg.connect(warehouse_dsn) as conn, conn.transaction(),
          worker_pool(warehouse_dsn, delivery_bytes) as pool):
        partitions = open_date_partitions(
            conn, [table for _, kind in files for table in kind.raw_tables], business_date)
        # with workers, every file is handed to them before the first is stored, so that
        # they parse the next files while this process stores the first
        finishers = {id(kind): kind.finisher() for kind in kinds if kind.finisher is not None}
        opened = []
        for path, kind in files:
            source = Source(source_system, business_date, path.relative_to(landing_dir).as_posix())
            file = open_file(conn, path, source, kind, partitions, pool)
            if pool is None and isinstance(file, _Opened):
                file = store_file(conn, file, finishers.get(id(kind)))
            opened.append((kind, file))
        loads = [(kind, store_file(conn, file, finishers.get(id(kind)))
                  if isinstance(file, _Opened) else file)
                 for kind, file in opened]
        for kind in kinds:
            if id(kind) in finishers:
                _finish(conn, kind, finishers[id(kind)], [load for of, load in loads if of is kind],
                        partitions)
        attach_fresh(conn, partitions.values())
    report.files.extend(load for _, load in loads)
    return report


def _finish(conn: psycopg.Connection, kind: FileKind, finisher: Finisher, loads: list[FileLoad],
            partitions: Mapping[str, DatePartition]) -> None:
    [table] = kind.raw_tables
    stored = [load for load in loads if load.status == LOADED]
    if not stored or not partitions[table].fresh:
        return
    duplicates = finisher.finish(conn, partitions[table])
    for load in stored:
        if found := duplicates.get(load.ledger_id):
            load.rows_duplicate += found
            ledger.count_duplicates(conn, load.ledger_id, load.rows_duplicate)
