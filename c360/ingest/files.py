"""The load of one delivered file, whatever its format, in one transaction.

The flow is the same for every file silo: hash the bytes; if the ledger already
holds this content, write nothing; if it holds other content for the same file
(a re-delivery), remove what that delivery loaded; then let the format's parser
load the rows, or refuse the whole file when it breaks the contract.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psycopg

from c360.ingest import ledger
from c360.ingest.ledger import RefusedRow, Source
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


@dataclass(frozen=True)
class Batch:
    """The file being loaded and the ledger id its raw rows carry as _batch_id."""

    source: Source
    ledger_id: int


@dataclass
class ParseOutcome:
    rows_read: int
    rows_loaded: int
    refused: list[RefusedRow] = field(default_factory=list)
    rows_duplicate: int = 0


# A parser loads one file's bytes into the raw layer and says what it did.
Parser = Callable[[psycopg.Connection, bytes, Batch], ParseOutcome]


@dataclass(frozen=True)
class FileKind:
    """Which files of a date's folder a parser takes, and the raw tables it fills."""

    pattern: str  # glob within the date's folder
    raw_tables: tuple[str, ...]
    parser: Parser


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_file(
    conn: psycopg.Connection, source: Source, path: Path, kind: FileKind
) -> FileLoad:
    data = path.read_bytes()
    digest = content_hash(data)
    with conn.transaction():
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
        result = _parse(conn, data, Batch(source, ledger_id), kind.parser)
        ledger.record(conn, ledger_id, result, digest)
    return result


def _parse(conn: psycopg.Connection, data: bytes, batch: Batch, parser: Parser) -> FileLoad:
    source = batch.source
    try:
        with conn.transaction():  # a savepoint: a refusal undoes anything partly written
            outcome = parser(conn, data, batch)
    except FileRefused as refusal:
        ledger.quarantine(conn, source, [RefusedRow(None, refusal.raw_record, refusal.reason)])
        return FileLoad(
            source.source_system, source.business_date, source.source_name,
            refusal.rows, 0, refusal.rows, QUARANTINED, refusal.reason, 0, batch.ledger_id,
        )
    ledger.quarantine(conn, source, outcome.refused)
    return FileLoad(
        source.source_system, source.business_date, source.source_name,
        outcome.rows_read, outcome.rows_loaded, len(outcome.refused), LOADED, None,
        outcome.rows_duplicate, batch.ledger_id,
    )


def date_folder(landing_dir: Path, silo_folder: str, business_date: date) -> Path:
    return landing_dir / silo_folder / business_date.isoformat()


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
    claimed: set[Path] = set()
    with psycopg.connect(warehouse_dsn) as conn:
        for kind in kinds:
            for path in sorted(folder.glob(kind.pattern)):
                if path in claimed or not path.is_file():
                    continue
                claimed.add(path)
                name = path.relative_to(landing_dir).as_posix()
                source = Source(source_system, business_date, name)
                report.files.append(load_file(conn, source, path, kind))
    strangers = sorted(
        p.name for p in folder.iterdir() if p not in claimed and p.name != SUCCESS_MARKER
    )
    if strangers:
        log.warning("%s: ignored files the contract does not name: %s", folder, strangers)
    return report
