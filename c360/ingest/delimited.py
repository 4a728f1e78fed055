"""Delimited text files (the contact center, store and privacy exports) into raw tables.

Python's C csv reader splits the records, so quoted delimiters, quotes and line
breaks are handled and every record keeps the physical line it starts on; the
rows stream into the raw table with COPY, and the format checks then run in
PostgreSQL over the whole batch (checks.remove_invalid_rows). A record with the
wrong number of fields, or broken quoting, is refused before it reaches COPY.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial

import psycopg
from psycopg import sql

from c360.ingest.checks import Check, remove_invalid_rows
from c360.ingest.files import Batch, FileRefused, ParseOutcome, Parser
from c360.ingest.ledger import RefusedRow

BOM = "\ufeff"


@dataclass(frozen=True)
class DelimitedContract:
    """One file type of a silo: its raw table, the header it must have and its row checks."""

    raw_table: str  # schema.table
    columns: tuple[str, ...]
    checks: tuple[Check, ...]
    delimiter: str

    @property
    def parser(self) -> Parser:
        return partial(load_delimited, self)

    def table(self) -> sql.Composable:
        return sql.Identifier(*self.raw_table.split("."))

    def reader(self, lines: Iterator[str]) -> Iterator[list[str]]:
        return csv.reader(lines, delimiter=self.delimiter, quotechar='"', strict=True)


def decode_utf8(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FileRefused(
            f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} (line {line}) "
            "is not valid UTF-8"
        ) from exc
    return text.removeprefix(BOM)


def physical_lines(text: str) -> list[str]:
    """Lines with their ends kept, split only at LF, CR LF or CR (not at other separators)."""
    return io.StringIO(text, newline="").readlines()


def _raw_text(lines: Sequence[str], start: int, end: int) -> str:
    return "".join(lines[start - 1 : end]).rstrip("\r\n")


def _record_text(contract: DelimitedContract, lines: Sequence[str], start: int) -> str:
    """The delivered text of the record that starts on line `start` (it may span lines)."""
    reader = contract.reader(lines[i] for i in range(start - 1, len(lines)))
    with contextlib.suppress(csv.Error, StopIteration):
        next(reader)
    return _raw_text(lines, start, start - 1 + max(reader.line_num, 1))


def _check_header(contract: DelimitedContract, header: list[str]) -> str | None:
    """Why the header breaks the contract, or None."""
    problems = []
    missing = [c for c in contract.columns if c not in header]
    unknown = [c for c in header if c not in contract.columns]
    repeated = sorted({c for c in header if header.count(c) > 1})
    if missing:
        problems.append("missing required column(s): " + ", ".join(missing))
    if unknown:
        problems.append("unknown column(s): " + ", ".join(repr(c) for c in unknown))
    if repeated:
        problems.append("repeated column(s): " + ", ".join(repeated))
    return "header " + "; ".join(problems) if problems else None


def _count_records(reader: Iterator[list[str]]) -> int:
    count = 0
    while True:
        try:
            for row in reader:
                count += bool(row)
            return count
        except csv.Error:
            count += 1


def load_delimited(
    contract: DelimitedContract, conn: psycopg.Connection, data: bytes, batch: Batch
) -> ParseOutcome:
    lines = physical_lines(decode_utf8(data))
    if not lines:
        return ParseOutcome(0, 0)
    reader = contract.reader(iter(lines))
    try:
        header = next(reader)
    except csv.Error as exc:
        raise FileRefused(f"header row is not valid CSV: {exc}", lines[0]) from exc
    header_text = _raw_text(lines, 1, reader.line_num)
    problem = _check_header(contract, header)
    if problem:
        raise FileRefused(problem, header_text, _count_records(reader))

    copy_sql = sql.SQL(
        "copy {table} ({columns}, _batch_id, _business_date, _source_name, _line_number) "
        "from stdin"
    ).format(table=contract.table(), columns=sql.SQL(", ").join(map(sql.Identifier, header)))
    meta = [batch.ledger_id, batch.source.business_date, batch.source.source_name]
    width = len(header)
    refused: list[RefusedRow] = []
    rows_read = copied = 0
    consumed = reader.line_num
    with conn.cursor().copy(copy_sql) as copy:
        write_row = copy.write_row
        while True:
            try:
                for row in reader:
                    start, consumed = consumed + 1, reader.line_num
                    if len(row) == width:
                        # an empty field is NULL in the raw layer
                        write_row([field or None for field in row] + meta + [start])
                        copied += 1
                    elif row:
                        refused.append(RefusedRow(
                            start, _raw_text(lines, start, consumed),
                            f"{len(row)} fields where the header has {width}",
                        ))
                    rows_read += bool(row)  # a blank line holds no record
                break
            except csv.Error as exc:
                start, consumed = consumed + 1, reader.line_num
                rows_read += 1
                refused.append(RefusedRow(
                    start, _raw_text(lines, start, consumed), f"malformed CSV record: {exc}"
                ))

    invalid = remove_invalid_rows(
        conn, contract.table(),
        sql.SQL("_batch_id = {}").format(sql.Literal(batch.ledger_id)), contract.checks,
    )
    refused += [RefusedRow(line, _record_text(contract, lines, line), reason)
                for line, reason in invalid]
    refused.sort(key=lambda r: r.line_number)
    return ParseOutcome(rows_read, copied - len(invalid), refused)
