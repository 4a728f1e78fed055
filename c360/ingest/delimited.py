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
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass

import psycopg

from c360.ingest.checks import AtLeastOne, Check, record_pattern
from c360.ingest.files import (
    Batch,
    FileKind,
    FileRefused,
    ParseOutcome,
    carried_metadata,
    copy_into,
    not_utf8,
)
from c360.ingest.ledger import RefusedRow
from c360.ingest.parallel import PART_CHARACTERS, copy_text

BOM_BYTES = "\ufeff".encode()


@dataclass(frozen=True)
class DelimitedFile:
    """A decoded file whose header fits the contract: the header, and the text after it with
    the physical line it starts on (no header and no text for an empty file)."""

    header: list[str]
    body: str
    first_line: int


@dataclass(frozen=True)
class _Parts:
    """A file whose parts workers parse: where each part starts in the body, its first line,
    and the future of its COPY text, rows loaded, refused rows and whether it ended clean."""

    file: DelimitedFile
    starts: list[int]
    first_lines: list[int]
    futures: list[Future]


@dataclass(frozen=True)
class DelimitedContract:
    """One file type of a silo: its raw table, the header it must have and its checks."""

    raw_table: str  # schema.table
    columns: tuple[str, ...]
    checks: tuple[Check, ...]
    delimiter: str
    record_checks: tuple[AtLeastOne, ...] = ()

    def file_kind(self, pattern: str) -> FileKind:
        return FileKind(pattern, (self.raw_table,), self.read, self.store, submit=self.submit)

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
        stream = io.StringIO(text, newline="")  # lines end at LF, CR LF or CR only
        reader = csv.reader(stream, delimiter=self.delimiter, quotechar='"', strict=True)
        try:
            header = next(reader)
        except StopIteration:  # no line at all
            return DelimitedFile([], "", 1)
        except csv.Error as exc:
            first = io.StringIO(text, newline="").readline()
            raise FileRefused(f"header row is not valid CSV: {exc}", first.rstrip("\r\n")) from exc
        body = stream.tell()
        problem = self._header_problem(header)
        if problem:
            raise FileRefused(problem, text[:body].rstrip("\r\n"),
                              sum(1 for _, _, row in _records(reader) if row != []))
        return DelimitedFile(header, text[body:], reader.line_num + 1)

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

    def submit(self, pool: Executor, data: bytes, batch: Batch) -> _Parts:
        """Read the file here and hand its parts to the pool, each cut after a line break that
        an even number of quotes precedes. Should a cut fall inside a record after all (a
        malformed one), the part before it does not end clean, and `store` parses the rest
        of the file itself."""
        file = self.read(data)
        body, metadata = file.body, carried_metadata(batch, self.raw_table)
        starts, first_lines, futures = [], [], []
        start, line = 0, file.first_line
        while start < len(body):
            cut = body.find("\n", start + PART_CHARACTERS) + 1 or len(body)
            odd = body.count('"', start, cut) % 2
            while odd and cut < len(body):
                after = body.find("\n", cut) + 1 or len(body)
                odd ^= body.count('"', cut, after) % 2
                cut = after
            starts.append(start)
            first_lines.append(line)
            futures.append(pool.submit(_parse_part, self, file.header, body[start:cut], line,
                                       metadata))
            line += _line_breaks(body, start, cut)
            start = cut
        return _Parts(file, starts, first_lines, futures)

    def store(self, conn: psycopg.Connection, prepared: DelimitedFile | _Parts,
              batch: Batch) -> ParseOutcome:
        file = prepared.file if isinstance(prepared, _Parts) else prepared
        if not file.header:
            return ParseOutcome(0, 0)
        loaded, refused = 0, []
        metadata = carried_metadata(batch, self.raw_table)
        # an empty field is NULL in the raw layer
        with copy_into(conn, batch, self.raw_table, file.header, null="") as copy:
            rest, line = 0, file.first_line  # what this process parses itself
            if isinstance(prepared, _Parts):
                rest = len(file.body)
                for start, first_line, future in zip(prepared.starts, prepared.first_lines,
                                                     prepared.futures, strict=True):
                    text, (rows, refusals, clean) = future.result()
                    if not clean and future is not prepared.futures[-1]:
                        rest, line = start, first_line
                        break
                    copy.write(memoryview(text))  # cut in blocks without copying
                    loaded += rows
                    refused += refusals
            if rest < len(file.body):
                rows, refusals, _ = self.parse(file.header, file.body[rest:], line, metadata,
                                               copy.write_row)
                loaded += rows
                refused += refusals
        return ParseOutcome(loaded + len(refused), loaded, refused)

    def parse(self, header: list[str], text: str, first_line: int, metadata: tuple[str, ...],
              write_row: Callable[[list], None]) -> tuple[int, list[RefusedRow], bool]:
        """Write each valid record of `text` (whose first line is `first_line` of the file)
        with its line number and `metadata`: the rows written, the records refused, and
        whether the text ended with a record read whole."""
        lines = io.StringIO(text, newline="").readlines()
        reader = csv.reader(lines, delimiter=self.delimiter, quotechar='"', strict=True)
        width, offset, exact = len(header), first_line - 1, bool(self.record_checks)
        fullmatch = record_pattern(header, self.checks).fullmatch
        refused: list[RefusedRow] = []
        loaded = consumed = 0
        clean = True
        while True:  # reading goes on after a malformed record
            try:
                # one loop without calls of ours for the common case: a valid record
                for row in reader:
                    start, consumed, clean = consumed + 1, reader.line_num, True
                    if exact or len(row) != width or not fullmatch("\t".join(row)):
                        if row == []:  # a blank line holds no record
                            continue
                        reason = self._refusal(header, row)
                        if reason:
                            raw = "".join(lines[start - 1:consumed]).rstrip("\r\n")
                            refused.append(RefusedRow(offset + start, raw, reason))
                            continue
                    row.append(offset + start)
                    if metadata:
                        row += metadata
                    write_row(row)
                    loaded += 1
                return loaded, refused, clean
            except csv.Error as exc:
                start, consumed, clean = consumed + 1, reader.line_num, False
                raw = "".join(lines[start - 1:consumed]).rstrip("\r\n")
                refused.append(RefusedRow(offset + start, raw, f"malformed CSV record: {exc}"))

    def _refusal(self, header: list[str], row: list[str]) -> str | None:
        """Why a record the fast form did not accept is refused, or None if it is valid."""
        if len(row) != len(header):
            return f"{len(row)} fields where the header has {len(header)}"
        return "; ".join(self.reasons(dict(zip(header, row, strict=True)))) or None


def _parse_part(contract: DelimitedContract, header: list[str], text: str, first_line: int,
                metadata: tuple[str, ...]) -> tuple[bytes, tuple[int, list[RefusedRow], bool]]:
    """In a worker: a part's valid rows as COPY text, and what `parse` says of it."""
    return copy_text(lambda write_row: contract.parse(header, text, first_line, metadata, write_row))


def _line_breaks(text: str, start: int, end: int) -> int:
    """The line breaks (LF, CR LF or CR) in text[start:end]."""
    return text.count("\n", start, end) + text.count("\r", start, end) - text.count("\r\n", start, end)


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
