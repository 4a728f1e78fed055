"""The load of a business date's delivered files, whatever their format, in one transaction.

The flow is the same for every file silo: hash the bytes; if the ledger already
holds this content, write nothing; if it holds other content for the same file
(a re-delivery), remove what that delivery loaded; then store the rows, or refuse
the whole file when it breaks the contract. All files of the date share one
transaction, so that a date loaded for the first time writes a partition made in
that transaction (`partitions`): the rows are then stored frozen and without WAL.

A file kind works in two steps. `prepare` reads the bytes without the database
(decompress, decode, check the header; for web events, parse and check every
line) and raises FileRefused for a file that breaks its contract; `store` writes
the prepared rows in the file's transaction. While one file is stored, the next
ones are prepared in worker processes, so Python's work runs beside PostgreSQL's
and on more than one core (one process could not keep up with PostgreSQL). A
kind's `begin` may hand more work to the same processes when the file's turn
comes (`in_order`): a large delimited file has its blocks read there. The
workers are forked, so they start at once with the loader's code; only tasks'
arguments and results cross between processes (a large COPY text through shared
memory, `handover`). A daemonic process (which may not
have children) does the work itself.
"""

from __future__ import annotations

import ctypes
import gc
import hashlib
import itertools
import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import psycopg

from c360.ingest import handover, ledger
from c360.ingest.ledger import RefusedRow, Source
from c360.ingest.partitions import DatePartition, date_partitions
from c360.ingest.report import LOADED, QUARANTINED, UNCHANGED, FileLoad, SiloLoadReport
from c360.warehouse.bootstrap import bootstrap

log = logging.getLogger(__name__)

SUCCESS_MARKER = "_SUCCESS"
# Python's share of a load spread over this many processes at most: beyond it, the
# one PostgreSQL backend that stores the rows is the bound.
MAX_WORKERS = 4
# Below this many bytes a date's files are loaded without workers: starting them would
# cost more than they save.
MIN_PARALLEL_BYTES = 1 << 20
# glibc's mallopt parameters, and the largest mmap threshold it takes on 64 bits
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
LARGEST_MMAP_THRESHOLD = 32 << 20
Item = TypeVar("Item")
Result = TypeVar("Result")


class FileRefused(Exception):
    """The file as a whole breaks its contract; nothing of it may be loaded."""

    def __init__(self, reason: str, raw_record: str | None = None, rows: int = 0):
        super().__init__(reason)
        self.reason = reason
        self.raw_record = raw_record  # e.g. the offending header line
        self.rows = rows  # records the file holds, when they could be counted

    def __reduce__(self):  # so that it comes back whole from a worker process
        return FileRefused, (self.reason, self.raw_record, self.rows)


def not_utf8(data: bytes, offset: int, of_what: str = "") -> FileRefused:
    """The refusal of a file whose bytes are not valid UTF-8 at `offset` (of `data`, which
    `of_what` names when they are not the file's own)."""
    line = data.count(b"\n", 0, offset) + 1
    return FileRefused(f"not UTF-8: byte 0x{data[offset]:02x} at offset {offset}{of_what} "
                       f"(line {line}) is not valid UTF-8")


@dataclass(frozen=True)
class Batch:
    """The file being loaded, the ledger id its raw rows carry as _batch_id, and the date
    partitions of the raw tables it writes (by parent table name)."""

    source: Source
    ledger_id: int
    partitions: Mapping[str, DatePartition]


@dataclass
class ParseOutcome:
    rows_read: int
    rows_loaded: int
    refused: list[RefusedRow] = field(default_factory=list)
    rows_duplicate: int = 0


def _as_prepared(prepared: Any, workers: Executor | None) -> Any:
    return prepared


@dataclass(frozen=True)
class FileKind:
    """Which files of a date's folder a kind takes, the raw tables it fills, and how."""

    pattern: str  # glob within the date's folder
    raw_tables: tuple[str, ...]
    # the file's bytes, source and path; no database; raises FileRefused
    prepare: Callable[[bytes, Source, Path], Any]
    store: Callable[[psycopg.Connection, Any, Batch], ParseOutcome]
    # given what `prepare` gave, starts work that `store` will use (on the workers, while
    # the ledger is written) and gives what `store` takes
    begin: Callable[[Any, Executor | None], Any] = _as_prepared


@dataclass
class Delivery:
    """A file read from the landing zone and, unless its content is known, prepared."""

    source: Source
    kind: FileKind
    digest: str
    prepared: Any = None
    refusal: FileRefused | None = None
    skipped: bool = False  # the ledger already held this content when it was read


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_delivery(path: Path, source: Source, kind: FileKind, known_hash: str | None) -> Delivery:
    data = path.read_bytes()
    delivery = Delivery(source, kind, content_hash(data))
    if delivery.digest == known_hash:
        delivery.skipped = True
        return delivery
    try:
        delivery.prepared = kind.prepare(data, source, path)
    except FileRefused as refusal:
        delivery.refusal = refusal
    return delivery


def load_delivery(
    conn: psycopg.Connection, delivery: Delivery, path: Path,
    partitions: Mapping[str, DatePartition], workers: Executor | None = None,
) -> FileLoad:
    """Load one file in the caller's transaction (see `date_partitions`)."""
    source, kind = delivery.source, delivery.kind
    if delivery.prepared is not None:
        delivery.prepared = kind.begin(delivery.prepared, workers)
    previous = ledger.lock_entry(conn, source)
    if previous is not None and previous.content_hash == delivery.digest:
        return FileLoad(
            source.source_system, source.business_date, source.source_name,
            previous.rows_read, previous.rows_loaded, previous.rows_quarantined,
            # a refused file stays refused, so a retry still fails the contract check
            UNCHANGED if previous.status == LOADED else previous.status,
            previous.message, previous.rows_duplicate, previous.ledger_id,
        )
    if delivery.skipped:  # another load changed the ledger since the file was read
        delivery = read_delivery(path, source, kind, known_hash=None)
        if delivery.prepared is not None:
            delivery.prepared = kind.begin(delivery.prepared, workers)
    if previous is None:
        ledger_id = ledger.open_entry(conn, source)
    else:
        ledger_id = previous.ledger_id
        ledger.discard_previous_load(conn, source, ledger_id, kind.raw_tables)
    result = _store(conn, delivery, Batch(source, ledger_id, partitions))
    ledger.record(conn, ledger_id, result, delivery.digest)
    return result


def _store(conn: psycopg.Connection, delivery: Delivery, batch: Batch) -> FileLoad:
    source, refusal = batch.source, delivery.refusal
    if refusal is not None:
        ledger.quarantine(conn, source, [RefusedRow(None, refusal.raw_record, refusal.reason)])
        return FileLoad(
            source.source_system, source.business_date, source.source_name,
            refusal.rows, 0, refusal.rows, QUARANTINED, refusal.reason, 0, batch.ledger_id,
        )
    outcome = delivery.kind.store(conn, delivery.prepared, batch)
    ledger.quarantine(conn, source, outcome.refused)
    return FileLoad(
        source.source_system, source.business_date, source.source_name,
        outcome.rows_read, outcome.rows_loaded, len(outcome.refused), LOADED, None,
        outcome.rows_duplicate, batch.ledger_id,
    )


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


def _known_hashes(conn: psycopg.Connection, source_system: str, business_date: date) -> dict:
    rows = conn.execute(
        "select source_name, content_hash from ops.load_ledger "
        "where source_system = %s and business_date = %s",
        (source_system, business_date),
    ).fetchall()
    conn.commit()
    return dict(rows)


def load_silo_files(
    warehouse_dsn: str,
    source_system: str,
    landing_dir: Path,
    business_date: date,
    kinds: Sequence[FileKind],
) -> SiloLoadReport:
    """Load every file of the date's folder that one of `kinds` takes, file by file."""
    bootstrap(warehouse_dsn)
    freeze_long_lived_objects()
    report = SiloLoadReport(source_system, business_date)
    folder = date_folder(landing_dir, source_system, business_date)
    if not folder.is_dir():
        return report
    files = _files(folder, kinds)
    size = sum(path.stat().st_size for path, _ in files)
    with psycopg.connect(warehouse_dsn) as conn, worker_processes(size) as workers:
        known = _known_hashes(conn, source_system, business_date)
        sources = [Source(source_system, business_date, path.relative_to(landing_dir).as_posix())
                   for path, _ in files]
        read = partial(_read, known)
        deliveries = in_order(workers, read, zip(files, sources, strict=True), ahead=MAX_WORKERS)
        parents = [table for _, kind in files for table in kind.raw_tables]
        with conn.transaction(), date_partitions(conn, parents, business_date) as partitions:
            for (path, _), delivery in zip(files, deliveries, strict=True):
                report.files.append(load_delivery(conn, delivery, path, partitions, workers))
    return report


def _read(known: Mapping[str, str], item: tuple[tuple[Path, FileKind], Source]) -> Delivery:
    (path, kind), source = item
    return read_delivery(path, source, kind, known.get(source.source_name))


def freeze_long_lived_objects() -> None:
    """Leave the objects alive now (the modules a load imported: numba's alone are some
    40,000) out of the garbage collector's full passes, which otherwise walk them all
    again and again while a load makes objects: 0.1 CPU s of a finance extract of
    300,000 accounts. Forked workers then also leave those pages shared."""
    gc.freeze()


@contextmanager
def worker_processes(size: int) -> Iterator[Executor | None]:
    """Forked worker processes for a load of files of `size` bytes, or None where the files
    are small, there is one core, or this process may not have children."""
    count = min(MAX_WORKERS, os.cpu_count() or 1)
    if size < MIN_PARALLEL_BYTES or count < 2 or multiprocessing.current_process().daemon:
        yield None
        return
    handover.remove_orphaned()
    try:
        with ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork"),
                                 initializer=keep_freed_memory) as workers:
            yield workers
    finally:
        handover.remove_unmapped()


def keep_freed_memory() -> None:
    """Have glibc's malloc keep the memory a worker frees, for the next file to use.

    Each file's buffers (a decompressed file, its COPY text) are freed before the next
    file's are allocated; by default glibc hands such blocks back to the kernel, and
    every page of the next ones then costs a page fault: a fifth of the web workers'
    time went to the kernel. Elsewhere than glibc there is no mallopt, and nothing
    changes."""
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is not None:
        mallopt(M_MMAP_THRESHOLD, LARGEST_MMAP_THRESHOLD)
        mallopt(M_TRIM_THRESHOLD, 1 << 30)


def in_order(workers: Executor | None, function: Callable[[Item], Result], items: Iterable[Item],
             ahead: int = 2 * MAX_WORKERS) -> Iterator[Result]:
    """function(item) for each item, in order: computed by the workers (the first `ahead`
    submitted at once, then one more as each result is taken) while the caller uses
    earlier ones, or here, one at a time, without workers."""
    if workers is None:
        return map(function, items)
    items = iter(items)
    pending = deque(workers.submit(function, item) for item in itertools.islice(items, ahead))
    return _results(workers, function, items, pending)


def _results(workers: Executor, function: Callable[[Item], Result], items: Iterator[Item],
             pending: deque[Future[Result]]) -> Iterator[Result]:
    try:
        while pending:
            result = pending.popleft().result()
            pending.extend(workers.submit(function, item) for item in itertools.islice(items, 1))
            yield result
    finally:  # the caller stopped early: nothing more is needed
        for future in pending:
            future.cancel()
