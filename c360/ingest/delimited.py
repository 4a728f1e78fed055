"""Delimited text files (the contact center, store and privacy exports) into raw tables.

Python's C csv reader splits the records, so quoted delimiters, quotes and line
breaks are handled and every record keeps the physical line it starts on. Each
record is checked with one regular expression over all its fields (the exact,
slower checks run only on the few records it rejects) and streamed to the raw
table as COPY text while the file is still being read, so PostgreSQL ingests one
chunk while Python parses the next.

The text is escaped for COPY (backslash and tab) before the csv reader sees it:
neither means anything to the reader, so its fields come out ready for COPY.
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

from c360.ingest.checks import AtLeastOne, Check, record_pattern
from c360.ingest.files import Batch, FileKind, FileRefused, ParseOutcome
from c360.ingest.ledger import RefusedRow, Source

BOM = "\ufeff"
COPY_CHUNK_ROWS = 10_000


@dataclass(frozen=True)
class DelimitedContract:
    """One file type of a silo: its raw table, the header it must have and its checks."""

    raw_table: str  # schema.table
    columns: tuple[str, ...]
    checks: tuple[Check, ...]
    delimiter: str
    record_checks: tuple[AtLeastOne, ...] = ()

    def file_kind(self, pattern: str) -> FileKind:
        return FileKind(pattern, (self.raw_table,), partial(prepare_delimited, self),
                        partial(store_delimited, self))

    def reader(self, lines: Iterator[str]) -> Iterator[list[str]]:
        return csv.reader(lines, delimiter=self.delimiter, quotechar='"', strict=True)

    def reasons(self, record: dict[str, str]) -> list[str]:
        """Every rule the record breaks (exact checks; an empty list means valid)."""
        found = [c.reason(record.get(c.name)) for c in self.checks]
        found += [c.reason(record) for c in self.record_checks]
        return [r for r in found if r]


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


def _record_at(contract: DelimitedContract, lines: Sequence[str], start: int) -> list[str]:
    """The delivered fields of the record that starts on line `start` (it may span lines)."""
    reader = contract.reader(lines[i] for i in range(start - 1, len(lines)))
    with contextlib.suppress(csv.Error, StopIteration):
        return next(reader)
    return []


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


def _copy_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t")


@dataclass(frozen=True)
class PreparedFile:
    """A decoded file whose header fits the contract; its records are read while stored."""

    lines: list[str]  # physical lines as delivered, for the raw text of refused records
    header: list[str]
    header_lines: int  # lines the header takes
    records: list[str]  # the physical lines after the header, escaped for COPY


def prepare_delimited(contract: DelimitedContract, data: bytes, source: Source) -> PreparedFile:
    text = decode_utf8(data)
    lines = physical_lines(text)
    if not lines:
        return PreparedFile([], [], 0, [])
    header_reader = contract.reader(iter(lines))
    try:
        header = next(header_reader)
    except csv.Error as exc:
        raise FileRefused(f"header row is not valid CSV: {exc}", lines[0].rstrip("\r\n")) from exc
    header_lines = header_reader.line_num
    problem = _check_header(contract, header)
    if problem:
        header_text = _raw_text(lines, 1, header_lines)
        raise FileRefused(problem, header_text, _count_records(header_reader))
    records = physical_lines(_copy_escape(text))[header_lines:]
    return PreparedFile(lines, header, header_lines, records)


def store_delimited(
    contract: DelimitedContract, conn: psycopg.Connection, prepared: PreparedFile, batch: Batch
) -> ParseOutcome:
    if not prepared.lines:
        return ParseOutcome(0, 0)
    load = _RecordLoader(contract, prepared.header, prepared.lines, batch)
    copy_sql = sql.SQL(
        "copy {table} ({columns}, _batch_id, _business_date, _source_name, _line_number) "
        "from stdin (null '')"  # an empty field is NULL in the raw layer
    ).format(
        table=sql.Identifier(*contract.raw_table.split(".")),
        columns=sql.SQL(", ").join(map(sql.Identifier, prepared.header)),
    )
    with conn.cursor().copy(copy_sql) as copy:
        load.run(contract.reader(iter(prepared.records)), prepared.header_lines, copy.write)
    return ParseOutcome(load.rows_read, load.rows_loaded, load.refused)


class _RecordLoader:
    """Reads the records of one file, checks them and writes the valid ones as COPY text."""

    def __init__(self, contract: DelimitedContract, header: list[str], lines: list[str],
                 batch: Batch):
        self.contract = contract
        self.header = header
        self.lines = lines
        self.pattern = record_pattern(header, contract.checks)
        self.check_every_record = bool(contract.record_checks)
        source = batch.source
        self.meta = "\t" + "\t".join((
            str(batch.ledger_id), source.business_date.isoformat(),
            _copy_escape(source.source_name), "",
        ))
        self.rows_read = self.rows_loaded = 0
        self.refused: list[RefusedRow] = []

    def run(self, reader: Iterator[list[str]], header_lines: int, write) -> None:
        """Read the records after the header; `reader.line_num` counts from there."""
        width = len(self.header)
        consumed = header_lines
        fullmatch = self.pattern.fullmatch
        meta = self.meta
        chunk: list[str] = []
        while True:
            try:
                for row in reader:
                    start, consumed = consumed + 1, header_lines + reader.line_num
                    if not row:  # a blank line holds no record
                        continue
                    self.rows_read += 1
                    if len(row) != width:
                        self._refuse(start, consumed, f"{len(row)} fields where the header has {width}")
                        continue
                    fields = "\t".join(row)
                    if not fullmatch(fields) or self.check_every_record:
                        reasons = self._exact_reasons(start)
                        if reasons:
                            self._refuse(start, consumed, "; ".join(reasons))
                            continue
                    if "\n" in fields or "\r" in fields:  # a quoted line break
                        fields = fields.replace("\n", "\\n").replace("\r", "\\r")
                    chunk.append(f"{fields}{meta}{start}\n")
                    if len(chunk) == COPY_CHUNK_ROWS:
                        write("".join(chunk))
                        chunk.clear()
                break
            except csv.Error as exc:
                start, consumed = consumed + 1, header_lines + reader.line_num
                self.rows_read += 1
                self._refuse(start, consumed, f"malformed CSV record: {exc}")
        write("".join(chunk))
        self.rows_loaded = self.rows_read - len(self.refused)

    def _exact_reasons(self, start: int) -> list[str]:
        """Run the exact checks on the record as delivered (not escaped for COPY)."""
        record = dict(zip(self.header, _record_at(self.contract, self.lines, start), strict=True))
        return self.contract.reasons(record)

    def _refuse(self, start: int, end: int, reason: str) -> None:
        self.refused.append(RefusedRow(start, _raw_text(self.lines, start, end), reason))
