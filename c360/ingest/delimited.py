"""Delimited text files (the contact center, store and privacy exports) into raw tables.

`prepare` (in a worker process, files.py) decodes the file, checks its header and
cuts the rest into blocks of about BLOCK_BYTES at line ends; `read_block` turns a
block's records into COPY text and refused rows; `store` streams the blocks' COPY
text to PostgreSQL in file order. A file of a few blocks has them read while it
is prepared; a larger one has them read by all the workers while it is stored,
so PostgreSQL stores one block while the next ones are read, also within one
large file. A cut is made where neither line beside it holds a quote; should a
quoted line break still run across one, the block before says so and the rest
of the file is read as one block.

The text is escaped for COPY (backslash and tab) first: neither means anything to
the CSV dialects, so fields come out ready for COPY. Records are then read in two
ways that give the same result:

- Line by line, in bulk: a physical line without a quote character is one record
  whose fields are split by the delimiter, so the whole block's delimiters become
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
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from functools import cached_property, partial
from itertools import chain, compress, count, repeat
from operator import contains, is_
from pathlib import Path

import psycopg

from c360.ingest.checks import AtLeastOne, Check, record_pattern
from c360.ingest.files import Batch, FileKind, FileRefused, ParseOutcome, in_order, not_utf8
from c360.ingest.ledger import RefusedRow, Source
from c360.ingest.line_numbers import line_number_texts

BOM_BYTES = "\ufeff".encode()
COPY_CHUNK_ROWS = 10_000
BLOCK_BYTES = 1 << 20  # about this much of a file one worker reads at a time (files.in_order)
READ_AHEAD_BLOCKS = 8  # a file of at most this many blocks is read while it is prepared
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
                        partial(store_delimited, self), partial(begin_reading, self))

    def reader(self, lines: Iterator[str]) -> Iterator[list[str]]:
        return csv.reader(lines, delimiter=self.delimiter, quotechar='"', strict=True)

    def reasons(self, record: dict[str, str]) -> list[str]:
        """Every rule the record breaks (exact checks; an empty list means valid)."""
        found = [c.reason(record.get(c.name)) for c in self.checks]
        found += [c.reason(record) for c in self.record_checks]
        return [r for r in found if r]


def decode_utf8(data: bytes) -> str:
    """The text after a byte-order mark, if one leads. Decoded without it: a text whose
    characters are all ASCII (or Latin-1) is then stored one byte per character, which
    the mark's code point alone would double, and decoded the faster."""
    start = _bom_bytes(data)
    try:
        return str(memoryview(data)[start:], "utf-8")
    except UnicodeDecodeError as exc:
        raise not_utf8(data, start + exc.start) from exc


def _bom_bytes(data: bytes) -> int:
    """How many bytes a leading byte-order mark takes (none: 0)."""
    return len(BOM_BYTES) if data.startswith(BOM_BYTES) else 0


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


_ESCAPED = re.compile(r"\\([\\t])")


def _unescaped(text: str) -> str:
    """The text before _copy_escape."""
    return _ESCAPED.sub(lambda m: "\t" if m[1] == "t" else "\\", text)


@dataclass(frozen=True)
class Block:
    """Consecutive physical lines of a file, from line `first_line` on, as delivered.

    A block starts at a record. It ends at one too, unless it is not the file's last
    and a quoted line break runs on past its end; its reading then says so
    (`BlockRows.overrun`), and the rest of the file is read as one block."""

    first_line: int
    text: str  # empty while it is in `span`
    bulk: bool  # its lines may be read in bulk (see the module's docstring)
    last: bool
    line_feeds: int = 0  # in the text, when it is not the last
    span: FileSpan | None = None

    def read(self) -> Block:
        """The block with its text, read from the file if it is still there."""
        return self if self.span is None else replace(self, text=self.span.read(), span=None)


@dataclass(frozen=True)
class FileSpan:
    """Where a block's bytes are in the delivered file. The worker that reads the block
    reads them there, rather than have the whole file sent to it through the loading
    process, and checks that they are what the file held when it was prepared."""

    path: str
    start: int
    end: int
    crc: int  # zlib.crc32 of the bytes

    def read(self) -> str:
        with open(self.path, "rb") as file:
            file.seek(self.start)
            data = file.read(self.end - self.start)
        if zlib.crc32(data) != self.crc:
            raise FileChangedWhileLoading(f"{self.path} changed while it was loaded: "
                                          f"bytes {self.start}-{self.end} are not what they were")
        return data.decode()


class FileChangedWhileLoading(Exception):
    """A file was replaced while it was loaded: the load fails, and its retry loads the new one."""


@dataclass
class BlockRows:
    """What a block's reading gives: its valid records as COPY text, its refused ones."""

    copy_chunks: list[bytes]  # UTF-8, encoded where the block was read
    rows_read: int
    refused: list[RefusedRow]
    overrun: bool = False


@dataclass(frozen=True)
class PreparedFile:
    """A decoded file whose header fits the contract: the rows of its blocks read already,
    then the blocks still to read. Only these cross to the loading process, not the
    text of blocks that are read."""

    header: list[str]
    rows: list[BlockRows]
    unread: list[Block]


def prepare_delimited(contract: DelimitedContract, data: bytes, source: Source,
                      path: Path) -> PreparedFile:
    """Decode the file, check its header and cut it into blocks; read them when they are
    few, else leave them where they are in the file, for the workers to read (a large file
    is read by several)."""
    text = decode_utf8(data)
    header_lines: list[str] = []
    lines = _taken(_lines_of(text), header_lines)
    header_reader = contract.reader(lines)
    try:
        header = next(header_reader)
    except StopIteration:  # no line at all
        return PreparedFile([], [], [])
    except csv.Error as exc:
        raise FileRefused(f"header row is not valid CSV: {exc}",
                          header_lines[0].rstrip("\r\n")) from exc
    problem = _check_header(contract, header)
    if problem:
        header_text = _raw_text(header_lines, 1, len(header_lines))
        raise FileRefused(problem, header_text, _count_records(header_reader))
    data_start = _bom_bytes(data) + len("".join(header_lines).encode())
    if not _bulk_readable(contract, header, text):
        return PreparedFile(header, [], [Block(len(header_lines) + 1,
                                               text[len("".join(header_lines)):],
                                               bulk=False, last=True)])
    blocks = _blocks(data, data_start, len(header_lines) + 1, str(path.resolve()))
    if len(blocks) > READ_AHEAD_BLOCKS:
        return PreparedFile(header, [], blocks)
    blocks = [replace(block, text=data[block.span.start:block.span.end].decode(), span=None)
              for block in blocks]
    read = partial(read_block, contract, header)
    return PreparedFile(header, list(_until_overrun(read, blocks, map(read, blocks))), [])


def _lines_of(text: str) -> Iterator[str]:
    """The text's physical lines one by one (as `physical_lines`, without splitting it all)."""
    at = 0
    while at < len(text):
        lf = text.find("\n", at)
        cr = text.find("\r", at, len(text) if lf < 0 else lf)
        end = cr + 1 if cr >= 0 and cr + 1 != lf else (len(text) if lf < 0 else lf + 1)
        yield text[at:end]
        at = end


def _taken(lines: Iterator[str], taken: list[str]) -> Iterator[str]:
    """The lines, each also added to `taken` as it is read."""
    for line in lines:
        taken.append(line)
        yield line


def _blocks(data: bytes, start: int, first_line: int, path: str) -> list[Block]:
    """The file's bytes from `start` on (physical line `first_line`) in blocks, left in the
    file (`FileSpan`). The cuts are found in the bytes: a quote or a line feed is one byte
    in UTF-8, which no other character's bytes are."""
    if start == len(data):
        return []
    cuts = _block_cuts(data, start)
    ends = [*cuts[1:], len(data)]
    blocks = []
    for begin, end in zip(cuts, ends, strict=True):
        line_feeds = data.count(b"\n", begin, end)
        span = FileSpan(path, begin, end, zlib.crc32(data[begin:end]))
        blocks.append(Block(first_line, "", True, end == len(data), line_feeds, span))
        first_line += line_feeds
    return blocks


def _bulk_readable(contract: DelimitedContract, header: list[str], text: str) -> bool:
    """Whether the lines may be read in bulk; else the file is read record by record."""
    return not (contract.record_checks or len(header) < 2 or "\x00" in text
                or _has_other_line_breaks(text))


def _block_cuts(data: bytes, start: int) -> list[int]:
    """Where blocks of about BLOCK_BYTES bytes start: after an LF, at a line that, like the
    one before it, holds no quote, so that almost surely no quoted line break runs
    across. (Lines that end with a lone CR are not seen here: a block with one says so
    when it is read, as one that runs on does.)"""
    cuts = [start]
    at = data.find(b"\n", start + BLOCK_BYTES) + 1
    while 0 < at < len(data):
        line_end = data.find(b"\n", at)
        if b'"' in data[data.rfind(b"\n", 0, at - 1) + 1 : at] or b'"' in data[at:line_end]:
            at = line_end + 1
        else:
            cuts.append(at)
            at = data.find(b"\n", at + BLOCK_BYTES) + 1
    return cuts


@dataclass(frozen=True)
class FileReading:
    """A prepared file whose blocks are being read (`begin_reading`)."""

    header: list[str]
    rows: Iterator[BlockRows]  # each block's, in order


def begin_reading(contract: DelimitedContract, prepared: PreparedFile,
                  workers: Executor | None) -> FileReading:
    """Have the workers read the blocks not read yet, from now on (the file's ledger entry
    is written meanwhile)."""
    read = partial(read_block, contract, prepared.header)
    rows = in_order(workers, read, prepared.unread)  # submitted now
    return FileReading(prepared.header,
                       chain(prepared.rows, _until_overrun(read, prepared.unread, rows)))


def _until_overrun(read: Callable[[Block], BlockRows], blocks: list[Block],
                   rows: Iterator[BlockRows]) -> Iterator[BlockRows]:
    """The rows of each block; when one overruns its end, of the rest of the file read as
    one block instead."""
    for index, block_rows in enumerate(rows):
        if block_rows.overrun:
            rest = [block.read() for block in blocks[index:]]
            yield read(Block(rest[0].first_line, "".join(b.text for b in rest), True, True))
            return
        yield block_rows


def store_delimited(
    contract: DelimitedContract, conn: psycopg.Connection, reading: FileReading, batch: Batch
) -> ParseOutcome:
    outcome = ParseOutcome(0, 0)
    if not reading.header:  # an empty file
        return outcome
    partition = batch.partitions[contract.raw_table]
    target = partition.copy_target(  # an empty field is NULL in the raw layer
        conn, reading.header, batch.ledger_id, batch.source.source_name, null="")
    with conn.cursor().copy(target.statement) as copy:
        for rows in reading.rows:
            for chunk in rows.copy_chunks:  # PostgreSQL stores a block while the next is read
                copy.write(target.with_row_ends(chunk))
            outcome.rows_read += rows.rows_read
            outcome.refused += rows.refused
    outcome.rows_loaded = outcome.rows_read - len(outcome.refused)
    return outcome


def read_block(contract: DelimitedContract, header: list[str], block: Block) -> BlockRows:
    """The block's records checked and turned into COPY text, each row its fields, its line
    number and a line end (no other line end is left in COPY text: the store step may put
    the load metadata before each). Run by a worker process (files.py)."""
    load = _RecordLoader(contract, header, block.read())
    if block.bulk:
        load.run_lines()
    else:
        load.run()
    load.take(at_least=0)
    return BlockRows(load.chunks, load.rows_read, load.refused, load.overrun)


class _RecordLoader:
    """Reads the records of one block, checks them and gathers the valid ones as COPY text."""

    def __init__(self, contract: DelimitedContract, header: list[str], block: Block):
        self.contract = contract
        self.header = header
        self.width = len(header)
        self.block = block
        self.escaped = _copy_escape(block.text)
        self.pattern = record_pattern(header, contract.checks)
        self.check_every_record = bool(contract.record_checks)
        self.rows_read = 0
        self.refused: list[RefusedRow] = []
        self.chunks: list[bytes] = []
        self.overrun = False
        self._parts: list[str] = []
        self._part_rows = 0

    @cached_property
    def lines(self) -> list[str]:
        """The block's physical lines as delivered, for the raw text of refused records."""
        return physical_lines(self.block.text)

    def _add(self, text: str, rows: int = 1) -> None:
        self._parts.append(text)
        self._part_rows += rows

    def take(self, at_least: int = COPY_CHUNK_ROWS) -> None:
        """Make the COPY text gathered so far a chunk, once it holds `at_least` rows."""
        if self._parts and self._part_rows >= at_least:
            self.chunks.append("".join(self._parts).encode())
            self._parts.clear()
            self._part_rows = 0

    def run_lines(self) -> None:
        """Read the block's lines in bulk (see the module's docstring)."""
        split = self.escaped.replace(self.contract.delimiter, "\t").splitlines()
        if not self.block.last and len(split) != self.block.line_feeds:
            self.overrun = True  # a line ends with a lone CR: the next block's numbers are off
            return
        if max(map(len, split), default=0) >= csv.field_size_limit():
            self.run()  # the csv reader says which field is too large
            return
        first_number = self.block.first_line
        # indexes found by C loops (compress), no Python code per line
        irregular = set(compress(count(), map(is_, map(self.pattern.fullmatch, split), repeat(None))))
        quoted = set(compress(count(), map(contains, split, repeat('"')))) \
            if '"' in self.escaped else set()
        records = physical_lines(self.escaped) if quoted else []  # for the csv reader, ends kept
        position = 0  # the first line not read yet
        for index in [*sorted(irregular | quoted), len(split)]:
            if index < position:  # within a quoted record already read
                continue
            if index > position:  # lines position .. index - 1 are valid records
                numbers = line_number_texts(range(first_number + position, first_number + index))
                self._add("".join(chain.from_iterable(
                    zip(split[position:index], repeat("\t"), numbers, repeat("\n")))),
                    index - position)
                self.rows_read += index - position
                self.take()
            if index == len(split):
                break
            if index in quoted:
                position = index + self._quoted_record(records, index)
                if self.overrun:
                    return
            else:
                self._irregular_line(split[index], first_number + index)
                position = index + 1

    def _irregular_line(self, fields: str, number: int) -> None:
        """A line without quotes that the fast check did not accept."""
        if not fields:  # a blank line holds no record
            return
        self.rows_read += 1
        delivered = _unescaped(fields.replace("\t", self.contract.delimiter))
        row = delivered.split(self.contract.delimiter)
        if len(row) != self.width:
            self._refuse_line(number, delivered,
                              f"{len(row)} fields where the header has {self.width}")
            return
        reasons = self.contract.reasons(dict(zip(self.header, row, strict=True)))
        if reasons:
            self._refuse_line(number, delivered, "; ".join(reasons))
            return
        self._add(f"{fields}\t{number}\n")

    def _quoted_record(self, records: list[str], index: int) -> int:
        """Read the record that starts at records[index]; the lines it took."""
        first = self.block.first_line + index
        reader = self.contract.reader(records[i] for i in range(index, len(records)))
        try:
            row = next(reader)
        except StopIteration:
            return max(reader.line_num, 1)
        except csv.Error as exc:
            if index + reader.line_num >= len(records) and not self.block.last:
                self.overrun = True  # it may go on in the next block
                return reader.line_num
            self.rows_read += 1
            self._refuse(first, first + reader.line_num - 1, f"malformed CSV record: {exc}")
            return max(reader.line_num, 1)
        self._record(row, first, first + reader.line_num - 1)
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
        self._add(f"{fields}\t{start}\n")

    def run(self) -> None:
        """Read the block's records one by one with the csv reader."""
        records = physical_lines(self.escaped)
        reader = self.contract.reader(iter(records))
        consumed = self.block.first_line - 1
        while True:
            try:
                for row in reader:
                    start, consumed = consumed + 1, self.block.first_line - 1 + reader.line_num
                    self._record(row, start, consumed)
                    self.take()
                break
            except csv.Error as exc:
                if reader.line_num >= len(records) and not self.block.last:
                    self.overrun = True  # the record may go on in the next block
                    return
                start, consumed = consumed + 1, self.block.first_line - 1 + reader.line_num
                self.rows_read += 1
                self._refuse(start, consumed, f"malformed CSV record: {exc}")

    def _exact_reasons(self, start: int) -> list[str]:
        """Run the exact checks on the record as delivered (not escaped for COPY)."""
        fields = _record_at(self.contract, self.lines, start - self.block.first_line + 1)
        return self.contract.reasons(dict(zip(self.header, fields, strict=True)))

    def _refuse_line(self, number: int, delivered: str, reason: str) -> None:
        self.refused.append(RefusedRow(number, delivered, reason))

    def _refuse(self, start: int, end: int, reason: str) -> None:
        first = self.block.first_line
        self.refused.append(RefusedRow(start, _raw_text(self.lines, start - first + 1,
                                                        end - first + 1), reason))
