"""Delimited text files (the contact center, store and privacy exports) into raw tables.

`prepare` decodes the file and checks its header (in the worker thread, while
the previous file is stored); `store` reads the records a block at a time and
streams each block to COPY, so PostgreSQL stores one block while Python reads the
next, also within one large file.

The text is escaped for COPY (backslash and tab) first: neither means anything to
the CSV dialects, so fields come out ready for COPY. Records are then read in two
ways that give the same result:

- Line by line, in bulk: a physical line without a quote character is one record
  whose fields are split by the delimiter, so the whole file's delimiters become
  tabs in one pass and one regular expression per line (`checks.record_pattern`,
  run by `map`, no Python code per line) accepts the valid ones. Runs of accepted
  lines become COPY text joined in C (lines and line numbers zipped). Only
  the rest is looked at one by one: a blank line (no record), a line the fast
  check refused (exact checks say why, or accept it, e.g. 29 February), and a
  line with a quote, whose record Python's C csv reader reads (it may span lines).
- Record by record with the csv reader, as a fallback for files where lines and
  records may not agree in ways the first way does not handle: a NUL character,
  line separators other than CR and LF, a field beyond the csv field size limit,
  record-level rules (privacy's "at least one identifier"), or a one-column header.

Every record keeps the physical line it starts on.
"""

from __future__ import annotations

import contextlib
import csv
import io
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import chain, repeat

import psycopg

from c360.ingest.checks import AtLeastOne, Check, record_pattern
from c360.ingest.files import Batch, FileKind, FileRefused, ParseOutcome
from c360.ingest.ledger import RefusedRow, Source

BOM = "\ufeff"
COPY_CHUNK_ROWS = 10_000
# Line separators that str.splitlines honours besides CR and LF; physical lines do not.
_OTHER_LINE_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


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


def _has_other_line_breaks(text: str) -> bool:
    return any(separator in text for separator in _OTHER_LINE_BREAKS)


def physical_lines(text: str) -> list[str]:
    """Lines with their ends kept, split only at LF, CR LF or CR (not at other separators)."""
    if not _has_other_line_breaks(text):
        return text.splitlines(keepends=True)  # the same, faster
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
    escaped: str  # the text escaped for COPY
    split: list[str] | None  # the escaped lines after the header, tabs for delimiters (bulk)


def prepare_delimited(contract: DelimitedContract, data: bytes, source: Source) -> PreparedFile:
    text = decode_utf8(data)
    lines = physical_lines(text)
    if not lines:
        return PreparedFile([], [], 0, "", None)
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
    escaped = _copy_escape(text)
    split = _split_lines(contract, header, text, escaped)
    return PreparedFile(lines, header, header_lines, escaped,
                        None if split is None else split[header_lines:])


def _split_lines(
    contract: DelimitedContract, header: list[str], text: str, escaped: str
) -> list[str] | None:
    """The escaped lines with tabs for delimiters, when lines can be read in bulk, else None."""
    if contract.record_checks or len(header) < 2 or "\x00" in text or _has_other_line_breaks(text):
        return None
    split = escaped.replace(contract.delimiter, "\t").splitlines()
    if max(map(len, split), default=0) >= csv.field_size_limit():
        return None
    return split


def store_delimited(
    contract: DelimitedContract, conn: psycopg.Connection, prepared: PreparedFile, batch: Batch
) -> ParseOutcome:
    if not prepared.lines:
        return ParseOutcome(0, 0)
    partition = batch.partitions[contract.raw_table]
    target = partition.copy_target(  # an empty field is NULL in the raw layer
        conn, prepared.header, batch.ledger_id, batch.source.source_name, null="")
    load = _RecordLoader(contract, prepared.header, prepared.lines, target.row_end)
    if prepared.split is not None:
        chunks = load.run_lines(prepared.split, prepared.escaped, prepared.header_lines)
    else:
        records = physical_lines(prepared.escaped)[prepared.header_lines:]
        chunks = load.run(contract.reader(iter(records)), prepared.header_lines)
    with conn.cursor().copy(target.statement) as copy:
        for chunk in chunks:  # PostgreSQL stores one chunk while the next is read
            copy.write(chunk)
    return ParseOutcome(load.rows_read, load.rows_read - len(load.refused), load.refused)


class _RecordLoader:
    """Reads the records of one file, checks them and yields the valid ones as COPY text."""

    def __init__(self, contract: DelimitedContract, header: list[str], lines: list[str],
                 row_end: str):
        self.contract = contract
        self.header = header
        self.width = len(header)
        self.lines = lines
        self.pattern = record_pattern(header, contract.checks)
        self.check_every_record = bool(contract.record_checks)
        self.row_end = row_end  # after each row's line number (partitions.CopyTarget)
        self.rows_read = 0
        self.refused: list[RefusedRow] = []
        self._parts: list[str] = []
        self._part_rows = 0

    def _add(self, text: str, rows: int = 1) -> None:
        self._parts.append(text)
        self._part_rows += rows

    def _take(self, at_least: int = COPY_CHUNK_ROWS) -> Iterator[str]:
        """The COPY text gathered so far, once it holds `at_least` rows."""
        if self._parts and self._part_rows >= at_least:
            yield "".join(self._parts)
            self._parts.clear()
            self._part_rows = 0

    def run_lines(self, split: list[str], escaped: str, header_lines: int) -> Iterator[str]:
        """Read the lines after the header in bulk (see the module's docstring), a block at
        a time. split[i] is line header_lines + i + 1, escaped, tabs for delimiters."""
        fullmatch = self.pattern.fullmatch
        quoted = [i for i, line in enumerate(split) if '"' in line] if '"' in escaped else []
        quoted_set = set(quoted)
        records = physical_lines(escaped) if quoted else []  # for the csv reader, line ends kept
        first_number = header_lines + 1
        position = 0  # the first line not read yet
        for block_start in range(0, len(split), COPY_CHUNK_ROWS):
            block_end = min(len(split), block_start + COPY_CHUNK_ROWS)
            accepted = map(fullmatch, split[block_start:block_end])
            irregular = {block_start + i for i, match in enumerate(accepted) if match is None}
            irregular.update(quoted[bisect_left(quoted, block_start):bisect_left(quoted, block_end)])
            for index in [*sorted(irregular), block_end]:
                if index < position:  # within a quoted record already read
                    continue
                if index > position:  # lines position .. index - 1 are valid records
                    numbers = map(str, range(first_number + position, first_number + index))
                    self._add("".join(chain.from_iterable(
                        zip(split[position:index], repeat("\t"), numbers, repeat(self.row_end)))),
                        index - position)
                    self.rows_read += index - position
                if index == block_end:
                    position = block_end
                elif index in quoted_set:
                    position = index + self._quoted_record(records, header_lines + index)
                else:
                    self._irregular_line(split[index], first_number + index)
                    position = index + 1
            yield from self._take()
        yield from self._take(at_least=0)

    def _irregular_line(self, fields: str, number: int) -> None:
        """A line without quotes that the fast check did not accept."""
        delivered = self.lines[number - 1].rstrip("\r\n")
        if not delivered:  # a blank line holds no record
            return
        self.rows_read += 1
        row = delivered.split(self.contract.delimiter)
        if len(row) != self.width:
            self._refuse(number, number, f"{len(row)} fields where the header has {self.width}")
            return
        reasons = self.contract.reasons(dict(zip(self.header, row, strict=True)))
        if reasons:
            self._refuse(number, number, "; ".join(reasons))
            return
        self._add(f"{fields}\t{number}{self.row_end}")

    def _quoted_record(self, records: list[str], first: int) -> int:
        """Read the record that starts at records[first] (line first + 1); lines it took."""
        reader = self.contract.reader(records[i] for i in range(first, len(records)))
        try:
            row = next(reader)
        except StopIteration:
            return max(reader.line_num, 1)
        except csv.Error as exc:
            self.rows_read += 1
            self._refuse(first + 1, first + reader.line_num, f"malformed CSV record: {exc}")
            return max(reader.line_num, 1)
        self._record(row, first + 1, first + reader.line_num)
        return max(reader.line_num, 1)

    def _record(self, row: list[str], start: int, end: int) -> None:
        """One record the csv reader read from lines start to end."""
        if not row:  # a blank line holds no record
            return
        self.rows_read += 1
        if len(row) != self.width:
            self._refuse(start, end, f"{len(row)} fields where the header has {self.width}")
            return
        fields = "\t".join(row)
        if not self.pattern.fullmatch(fields) or self.check_every_record:
            reasons = self._exact_reasons(start)
            if reasons:
                self._refuse(start, end, "; ".join(reasons))
                return
        if "\n" in fields or "\r" in fields:  # a quoted line break
            fields = fields.replace("\n", "\\n").replace("\r", "\\r")
        self._add(f"{fields}\t{start}{self.row_end}")

    def run(self, reader: Iterator[list[str]], header_lines: int) -> Iterator[str]:
        """Read the records after the header one by one; `reader.line_num` counts from there."""
        consumed = header_lines
        while True:
            try:
                for row in reader:
                    start, consumed = consumed + 1, header_lines + reader.line_num
                    self._record(row, start, consumed)
                    yield from self._take()
                break
            except csv.Error as exc:
                start, consumed = consumed + 1, header_lines + reader.line_num
                self.rows_read += 1
                self._refuse(start, consumed, f"malformed CSV record: {exc}")
        yield from self._take(at_least=0)

    def _exact_reasons(self, start: int) -> list[str]:
        """Run the exact checks on the record as delivered (not escaped for COPY)."""
        record = dict(zip(self.header, _record_at(self.contract, self.lines, start), strict=True))
        return self.contract.reasons(record)

    def _refuse(self, start: int, end: int, reason: str) -> None:
        self.refused.append(RefusedRow(start, _raw_text(self.lines, start, end), reason))
