"""The landing zone after an erasure: the person's lines leave the files kept, old files leave.

An erasure (and the nightly suppression pass) notes in ops.privacy_landing_lines
the first line of every file record it erased or pseudonymized in raw or in
quarantine, with the content hash of the file as it was loaded. The privacy step
then removes those records from the files still in the landing zone: a record
runs from its first line to the line before the next record of the file (a CSV
field may hold line breaks). In the same transaction the ledger takes the
file's new hash, so a re-run does not take the scrubbed file for a new
delivery, and the line numbers in raw and quarantine follow the lines removed,
so they keep pointing at the right lines (0 for a pseudonymized row whose record
left the file: raw keeps its figures, the file no longer holds it). A file delivered again since it was
loaded is left until it is loaded; its old notes no longer apply then.

Delivered files are kept `C360_LANDING_RETENTION_DAYS` business days (0: kept
until removed by hand); after that, a file whose loaded content is still what
lies in the landing zone is removed. A file never loaded is kept.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

from c360.ingest.files import SUCCESS_MARKER, content_hash

LINES_TABLE = "ops.privacy_landing_lines"
RETENTION_DAYS = 30


def retention_days() -> int:
    return int(os.environ.get("C360_LANDING_RETENTION_DAYS", RETENTION_DAYS))


def note_lines_sql(changed: str, batch_column: str = "_batch_id", line_column: str = "_line_number") -> str:
    """SQL that notes the file lines of the rows in CTE `changed`, as their file was loaded."""
    return (f"insert into {LINES_TABLE} (ledger_id, line_number, content_hash) "
            f"select l.ledger_id, c.{line_column}, l.content_hash from {changed} as c "
            f"join ops.load_ledger as l on l.ledger_id = c.{batch_column} "
            f"where l.content_hash is not null and c.{line_column} is not null "
            "on conflict do nothing")


@dataclass(frozen=True)
class PendingFile:
    ledger_id: int
    source_system: str
    business_date: date
    source_name: str
    content_hash: str
    first_lines: list[int]


def scrub_landing(dsn: str, landing_dir: Path) -> dict[str, int]:
    """Remove the noted records from the landing zone's files; returns lines removed per file."""
    removed: dict[str, int] = {}
    with psycopg.connect(dsn) as conn:
        # notes about a content that has since been loaded anew no longer point at its lines
        conn.execute(f"""delete from {LINES_TABLE} as p using ops.load_ledger as l
                         where l.ledger_id = p.ledger_id
                             and p.content_hash is distinct from l.content_hash""")
        pending = [PendingFile(*row) for row in conn.execute(
            f"""select l.ledger_id, l.source_system, l.business_date, l.source_name, l.content_hash,
                       array_agg(p.line_number order by p.line_number)
                from {LINES_TABLE} as p join ops.load_ledger as l using (ledger_id)
                group by 1, 2, 3, 4, 5 order by 4""")]
        tables = _file_tables(conn)
    for item in pending:
        with psycopg.connect(dsn) as conn:
            n = _scrub_file(conn, landing_dir / item.source_name, item, tables)
        if n:
            removed[item.source_name] = n
    return removed


def _scrub_file(conn: psycopg.Connection, path: Path, item: PendingFile, tables: list[tuple[str, str]]
                ) -> int:
    if not path.is_file():  # removed since: nothing left to scrub
        _forget(conn, item)
        return 0
    data = path.read_bytes()
    if content_hash(data) != item.content_hash:
        return 0  # delivered again and not loaded yet: its load brings new notes
    compressed = path.suffix == ".gz"
    lines = (gzip.decompress(data) if compressed else data).split(b"\n")
    starts = sorted(set(_record_starts(conn, item, tables)) | set(item.first_lines))
    gone = _record_lines(item.first_lines, starts, len(lines))
    kept = b"\n".join(line for number, line in enumerate(lines, 1) if number not in gone)
    new_data = gzip.compress(kept, mtime=0) if compressed else kept
    conn.execute("update ops.load_ledger set content_hash = %s where ledger_id = %s",
                 (content_hash(new_data), item.ledger_id))
    _renumber(conn, item, sorted(gone), tables)
    _forget(conn, item)
    _replace(path, new_data)  # last: a failure before it rolls the warehouse back
    return len(gone)


def _record_lines(first_lines: list[int], starts: list[int], line_count: int) -> set[int]:
    """Every physical line of the records that begin at `first_lines`."""
    following = dict(zip(starts, [*starts[1:], line_count + 1], strict=True))
    return {n for first in first_lines for n in range(first, following[first])}


def _file_tables(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """Raw tables whose rows come from files (they carry a line number)."""
    return conn.execute(
        """select table_schema, table_name from information_schema.columns
           where table_schema ~ '^raw_' and column_name = '_line_number'
               and (table_schema, table_name) in (
                   select table_schema, table_name from information_schema.tables
                   where table_type = 'BASE TABLE')
               and not exists (select 1 from pg_inherits as i
                               where i.inhrelid = (quote_ident(table_schema) || '.' ||
                                                   quote_ident(table_name))::regclass)
           order by 1, 2""").fetchall()


def _record_starts(conn: psycopg.Connection, item: PendingFile, tables: list[tuple[str, str]]) -> list[int]:
    starts = []
    for schema, table in tables:
        starts += [n for (n,) in conn.execute(
            # the date picks the one partition that can hold the file's rows
            sql.SQL("select _line_number from {} where _business_date = %s and _batch_id = %s")
            .format(sql.Identifier(schema, table)), (item.business_date, item.ledger_id))]
    starts += [n for (n,) in conn.execute(
        """select line_number from ops.quarantine where source_system = %s and business_date = %s
               and source_name = %s and line_number is not null""",
        (item.source_system, item.business_date, item.source_name))]
    return starts


def _new_line_number(column: str) -> str:
    """SQL for a line number in the scrubbed file; 0 for a record that left it."""
    return (f"case when {column} = any(%(gone)s::bigint[]) then 0 else {column} - "
            f"(select count(*) from unnest(%(gone)s::bigint[]) as g where g < {column}) end")


def _renumber(conn: psycopg.Connection, item: PendingFile, gone: list[int],
              tables: list[tuple[str, str]]) -> None:
    """Line numbers in raw and quarantine as they are in the scrubbed file."""
    params = {"gone": gone, "ledger_id": item.ledger_id, "system": item.source_system,
              "day": item.business_date, "name": item.source_name}
    for schema, table in tables:
        conn.execute(sql.SQL("update {} set _line_number = " + _new_line_number("_line_number") +
                             " where _business_date = %(day)s and _batch_id = %(ledger_id)s")
                     .format(sql.Identifier(schema, table)), params)
    conn.execute("update ops.quarantine set line_number = " + _new_line_number("line_number") +
                 " where source_system = %(system)s and business_date = %(day)s and source_name = %(name)s"
                 " and line_number is not null", params)


def _forget(conn: psycopg.Connection, item: PendingFile) -> None:
    conn.execute(f"delete from {LINES_TABLE} where ledger_id = %s", (item.ledger_id,))


def _replace(path: Path, data: bytes) -> None:
    """Write `data` over `path` at once: a reader sees the old file or the new one."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".scrub-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def remove_expired_deliveries(dsn: str, landing_dir: Path, business_date: date, days: int) -> list[str]:
    """Remove the files loaded for business dates `days` or more before `business_date`, and
    their folder once only its `_SUCCESS` is left; returns the files removed."""
    if days <= 0:
        return []
    with psycopg.connect(dsn) as conn:
        loaded = conn.execute(
            "select source_name, content_hash from ops.load_ledger "
            "where content_hash is not null and business_date <= %s order by 1",
            (business_date - timedelta(days=days),)).fetchall()
    removed, folders = [], set()
    for source_name, digest in loaded:
        path = landing_dir / source_name
        if path.is_file() and content_hash(path.read_bytes()) == digest:
            path.unlink()
            removed.append(source_name)
            folders.add(path.parent)
    for folder in sorted(folders):
        left = [p.name for p in folder.iterdir()]
        if left == [SUCCESS_MARKER]:
            (folder / SUCCESS_MARKER).unlink()
            folder.rmdir()
    return removed
