"""Delimited text files (the contact center, store and privacy exports) into raw tables.

Python's csv reader reads the records; each keeps the physical line it starts on
(a quoted field may hold line breaks). A record is checked in one regular
expression over its fields (`checks.record_pattern`), and only when that does
not accept it by the exact checks, which say why it is refused or accept it
after all (29 February, say). Valid records go to the raw table with psycopg's
COPY, an empty field as NULL.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg

from c360.ingest.checks import AtLeastOne, Check, record_pattern
from c360.ingest.files import Batch, FileKind, FileRefused, ParseOutcome, copy_statement, not_utf8
from c360.ingest.ledger import RefusedRow

BOM_BYTES = "\ufeff".encode()


@dataclass(frozen=True)
class DelimitedFile:
    """A decoded file whose header fits the contract: its physical lines (ends kept), and
    a csv reader over them that has read the header (None for an empty file)."""

    lines: list[str]
    header: list[str]
    reader: Iterator[list[str]] | None


@dataclass(frozen=True)
class DelimitedContract:
    """One file type of a silo: its raw table, the header it must have and its checks."""

    raw_table: str  # schema.table
    columns: tuple[str, ...]
    checks: tuple[Check, ...]
    delimiter: str
    record_checks: tuple[AtLeastOne, ...] = ()

    def file_kind(self, pattern: str) -> FileKind:
        return FileKind(pattern, (self.raw_table,), self.read, self.store)

    def reasons(self, record: dict[str, str]) -> list[str]:
        """Every rule the record breaks (exact checks; an empty list means valid)."""
        found = [c.reason(record.get(c.name)) for c in self.checks]
        found += [c.reason(record) for c in self.record_checks]
        return [r for r in found if r]

    def read(self, data: bytes) -> DelimitedFile:
        """Decode the file and check its header; refuse the file if either fails."""
        start = len(BOM_BYTES) if data.startswith(BOM_BYTES) else 0
        try:
            text = str(data[start:], "utf-8")
        except UnicodeDecodeError as exc:
            raise not_utf8(data, start + exc.start) from exc
        lines = io.StringIO(text, newline="").readlines()  # split at LF, CR LF or CR only
        reader = csv.reader(iter(lines), delimiter=self.delimiter, quotechar='"', strict=True)
        try:
            header = next(reader)
        except StopIteration:  # no line at all
            return DelimitedFile(lines, [], None)
        except csv.Error as exc:
            raise FileRefused(f"header row is not valid CSV: {exc}", lines[0].rstrip("\r\n")) from exc
        problem = self._header_problem(header)
        if problem:
            raw = "".join(lines[:reader.line_num]).rstrip("\r\n")
            raise FileRefused(problem, raw, sum(1 for _, _, row in _records(reader) if row != []))
        return DelimitedFile(lines, header, reader)

    def _header_problem(self, header: list[str]) -> str | None:
        problems = []
        missing = [c for c in self.columns if c not in header]
        unknown = [c for c in header if c not in self.columns]
        repeated = sorted({c for c in header if header.count(c) > 1})
        if missing:
            problems.append("missing required column(s): " + ", ".join(missing))
        if unknown:
            problems.append("unknown column(s): " + ", ".join(repr(c) for c in unknown))
        if repeated:
            problems.append("repeated column(s): " + ", ".join(repeated))
        return "header " + "; ".join(problems) if problems else None

    def store(self, conn: psycopg.Connection, file: DelimitedFile, batch: Batch) -> ParseOutcome:
        outcome = ParseOutcome(0, 0)
        if file.reader is None:
            return outcome
        header, width = file.header, len(file.header)
        pattern = record_pattern(header, self.checks)
        metadata = batch.metadata
        # an empty field is NULL in the raw layer
        with conn.cursor().copy(copy_statement(batch.partitions[self.raw_table], header, null="")) as copy:
            for start, end, row in _records(file.reader):
                if row == []:  # a blank line holds no record
                    continue
                outcome.rows_read += 1
                if isinstance(row, csv.Error):
                    reason = f"malformed CSV record: {row}"
                elif len(row) != width:
                    reason = f"{len(row)} fields where the header has {width}"
                elif (self.record_checks or not pattern.fullmatch("\t".join(row))) and (
                        reasons := self.reasons(dict(zip(header, row, strict=True)))):
                    reason = "; ".join(reasons)
                else:
                    row += (start, *metadata)
                    copy.write_row(row)
                    continue
                raw = "".join(file.lines[start - 1:end]).rstrip("\r\n")
                outcome.refused.append(RefusedRow(start, raw, reason))
        outcome.rows_loaded = outcome.rows_read - len(outcome.refused)
        return outcome


def _records(reader) -> Iterator[tuple[int, int, list[str] | csv.Error]]:
    """(first line, last line, fields) of each record, or the csv reader's error for a
    malformed one; reading goes on after it."""
    consumed = reader.line_num
    while True:
        try:
            for row in reader:
                start, consumed = consumed + 1, reader.line_num
                yield start, consumed, row
            return
        except csv.Error as exc:
            start, consumed = consumed + 1, reader.line_num
            yield start, consumed, exc
