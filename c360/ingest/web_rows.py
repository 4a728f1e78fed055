"""The quick reading of web event lines (web.py): COPY rows made by one compiled loop.

msgspec first tells that a file's text is valid JSON, one object after another;
a loop compiled by numba then walks the text once, byte by byte, and writes each
line's members straight into binary COPY rows (binary_copy), in the raw table's
column order, without a Python object per value (those objects were most of a
load's Python time). It accepts a line only where the quick reading is safe:

- no backslash in it, so no JSON string holds an escape (nor, as JSON forbids it,
  a raw control character): every string is stored as its bytes are;
- the contract's members only, each once, of the right JSON types;
- event_id a UUID, event_type not starting with a blank, occurred_at in UTC of a
  shape and date the exact check accepts (every date but 29 February);
- objects whose numbers are written as orjson writes what it reads (an integer of
  up to 15 digits but -0; a decimal of up to 15 significant digits, 6 after the
  point, whose fraction ends in no 0 but for ".0", not below 0.00001): jsonb then
  stores the delivered text as it stores orjson's writing of it.

Any other line is left to web.py's exact path, which says why it is refused or
accepts it after all, so that both ways store an accepted event alike. A text
that is not one JSON object per line (a broken line, two objects on one) is read
line by line instead, each line that msgspec reads as an object walked the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
import numpy as np
from numba import njit

from c360.ingest.binary_copy import write_integer

# The members in the raw table's column order: the first REQUIRED are required strings,
# those before TEXTS strings or null, the rest objects or null.
MEMBERS = ("event_id", "event_type", "occurred_at", "anonymous_id", "user_id", "session_id",
           "page_url", "referrer", "utm", "traits", "properties")
REQUIRED, TEXTS = 3, 8
_ID_OFFSET = 6  # where a row's event id starts: after the count of fields and its length
ROW_OVER_LINE = 16  # a row's bytes beyond its line's, at most (_write_row)
_NAMES = np.frombuffer("".join(MEMBERS).encode(), np.uint8)
_NAME_ENDS = np.cumsum([len(name) for name in MEMBERS])
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])

_TAB, _LF, _CR, _SPACE, _QUOTE, _PLUS, _COMMA, _MINUS, _DOT = 9, 10, 13, 32, 34, 43, 44, 45, 46
_COLON, _BACKSLASH, _OPEN_ARRAY, _CLOSE_ARRAY, _OPEN, _CLOSE = 58, 92, 91, 93, 123, 125
_ZERO, _NINE, _Z, _T = 48, 57, 90, 84
_ABSENT, _STRING, _NULL, _OBJECT, _OTHER = 0, 1, 2, 3, 4  # a member's JSON type
_LINE_BREAK = -1  # an object that runs on past its line


class _AnyObject(msgspec.Struct, gc=False):
    """Any JSON object: msgspec checks its syntax and builds nothing of it."""


_OBJECTS = msgspec.json.Decoder(_AnyObject)


@dataclass
class QuickRows:
    """A file's lines read the quick way.

    The accepted lines' binary COPY rows, in file order, are `out[:row_ends[-1]]` (each
    ending with its line number); `earliest` is the earliest occurred_at among
    them, as delivered. The other non-blank lines, left to the exact path, are
    text[others_starts[k]:others_ends[k]], line number others_numbers[k]."""

    out: np.ndarray
    row_ends: np.ndarray
    row_numbers: np.ndarray
    earliest: str | None
    others_numbers: np.ndarray
    others_starts: np.ndarray
    others_ends: np.ndarray

    def copy_rows(self, keep: np.ndarray | None = None) -> list[np.ndarray]:
        """The rows (those whose `keep` is set, when given), as views of `out`: one per run
        of rows kept one after another, to be written on without a copy."""
        ends = self.row_ends
        if keep is None or keep.all():
            return [self.out[:ends[-1] if len(ends) else 0]]
        starts = np.concatenate(([0], ends[:-1]))
        edges = np.flatnonzero(np.diff(np.concatenate(([0], keep.astype(np.int8), [0]))))
        return [self.out[starts[first]:ends[last - 1]]
                for first, last in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True)]

    def event_ids(self) -> bytes:
        """The rows' event ids, comma-separated (a row starts with them: 36 characters)."""
        return _event_ids(self.out, self.row_ends).tobytes() if len(self.row_ends) else b""


def read(text: bytes) -> QuickRows:
    """Read every line of a file's text (valid UTF-8) the quick way where it can be."""
    data = np.frombuffer(text, np.uint8)
    try:
        objects = len(_OBJECTS.decode_lines(text))
    except msgspec.DecodeError:
        objects = -1
    if objects >= 0:
        arrays = _arrays(objects)
        out = _rows_space(text, objects)
        counts = _walk(data, out, *arrays)
        if counts[0] >= 0:
            return _quick_rows(text, out, arrays, counts)
    starts, ends, numbers = _lines(data)
    valid = np.zeros(len(starts), np.uint8)
    for index, (start, end) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        try:
            _OBJECTS.decode(text[start:end])
        except msgspec.DecodeError:
            continue
        valid[index] = 1
    arrays = _arrays(len(starts))
    out = _rows_space(text, len(starts))
    counts = _walk_lines(data, starts, ends, numbers, valid, out, *arrays)
    return _quick_rows(text, out, arrays, counts)


def _arrays(lines: int) -> tuple[np.ndarray, ...]:
    """row_ends, row_numbers, others_numbers, others_starts, others_ends for so many lines."""
    return tuple(np.empty(lines, np.int64) for _ in range(5))


def _rows_space(text: bytes, rows: int) -> np.ndarray:
    """Room for the rows of up to `rows` lines of the text (_write_row)."""
    return np.empty(len(text) + ROW_OVER_LINE * rows, np.uint8)


def _quick_rows(text: bytes, out: np.ndarray, arrays: tuple[np.ndarray, ...], counts) -> QuickRows:
    rows, others, earliest_start, earliest_end = counts
    row_ends, row_numbers, others_numbers, others_starts, others_ends = arrays
    earliest = text[earliest_start:earliest_end].decode() if rows else None
    return QuickRows(out, row_ends[:rows], row_numbers[:rows], earliest, others_numbers[:others],
                     others_starts[:others], others_ends[:others])


def _lines(data: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start, end (before the line feed) and number of each line that is not blank
    (bytes.isspace: blanks and vertical tabs, form feeds)."""
    ends = np.flatnonzero(data == _LF)
    if not len(data) or data[-1] != _LF:
        ends = np.append(ends, len(data))
    starts = np.concatenate(([0], ends[:-1] + 1))
    numbers = np.arange(1, len(ends) + 1)
    blank = [not data[start:end].tobytes().strip() for start, end in zip(
        starts.tolist(), ends.tolist(), strict=True)]
    kept = ~np.array(blank, dtype=bool)
    return starts[kept], ends[kept], numbers[kept]


# -- the compiled loop ---------------------------------------------------------------------


@njit(cache=True)
def _walk(text, out, row_ends, row_numbers, others_numbers, others_starts, others_ends):
    """Read a text that msgspec read as JSON objects one after another: the count of rows
    and of other lines, and where the earliest occurred_at is; rows -1 where the text is
    not one object per line."""
    kinds, value_starts, value_ends = _member_arrays()
    rows = others = at = line_start = written = 0
    earliest_start = earliest_end = -1
    number = 1
    size = len(text)
    while True:
        at = _blanks(text, at)
        if at == size:
            return rows, others, earliest_start, earliest_end
        if text[at] == _LF:
            at += 1
            line_start = at
            number += 1
            continue
        after, accepted = _read_event(text, at, kinds, value_starts, value_ends)
        if after == _LINE_BREAK:
            return -1, 0, -1, -1
        at = _blanks(text, after)
        if at < size and text[at] != _LF:  # another value on the same line
            return -1, 0, -1, -1
        if accepted:
            written = _write_row(text, out, written, kinds, value_starts, value_ends, number)
            if _before(text, value_starts[2], value_ends[2], earliest_start, earliest_end):
                earliest_start, earliest_end = value_starts[2], value_ends[2]
            row_ends[rows], row_numbers[rows] = written, number
            rows += 1
        else:
            others_numbers[others], others_starts[others], others_ends[others] = (
                number, line_start, at)
            others += 1


@njit(cache=True)
def _walk_lines(text, starts, ends, numbers, valid, out, row_ends, row_numbers, others_numbers,
                others_starts, others_ends):
    """Read the given lines, those that are one JSON object (`valid`) the quick way: what
    _walk gives."""
    kinds, value_starts, value_ends = _member_arrays()
    rows = others = written = 0
    earliest_start = earliest_end = -1
    for index in range(len(starts)):
        accepted = False
        if valid[index]:
            _, accepted = _read_event(text, _blanks(text, starts[index]), kinds, value_starts,
                                      value_ends)
        if accepted:
            written = _write_row(text, out, written, kinds, value_starts, value_ends,
                                 numbers[index])
            if _before(text, value_starts[2], value_ends[2], earliest_start, earliest_end):
                earliest_start, earliest_end = value_starts[2], value_ends[2]
            row_ends[rows], row_numbers[rows] = written, numbers[index]
            rows += 1
        else:
            others_numbers[others], others_starts[others], others_ends[others] = (
                numbers[index], starts[index], ends[index])
            others += 1
    return rows, others, earliest_start, earliest_end


@njit(cache=True)
def _member_arrays():
    count = len(_NAME_ENDS)
    return np.zeros(count, np.int64), np.zeros(count, np.int64), np.zeros(count, np.int64)


@njit(cache=True)
def _blanks(text, at):
    """Past the blanks at `at` but a line feed."""
    size = len(text)
    while at < size and (text[at] == _SPACE or text[at] == _TAB or text[at] == _CR):
        at += 1
    return at


@njit(cache=True)
def _read_event(text, at, kinds, value_starts, value_ends):
    """Read the JSON object (known valid) at text[at] into kinds, value_starts and value_ends
    (by member): (where it ends, whether the quick reading accepts it), or _LINE_BREAK
    where a line feed is among its blanks."""
    for member in range(len(kinds)):
        kinds[member] = _ABSENT
    accepted = True
    at = _blanks(text, at + 1)
    if text[at] == _CLOSE:
        return at + 1, False
    while True:
        if text[at] == _LF:
            return _LINE_BREAK, False
        name_end, plain = _string_end(text, at)
        member = _member(text, at + 1, name_end - 1) if plain else -1
        if member < 0 or kinds[member] != _ABSENT:
            accepted = False
        at = _blanks(text, name_end)
        if text[at] == _LF:
            return _LINE_BREAK, False
        at = _blanks(text, at + 1)  # past ":"
        byte = text[at]
        start = at
        if byte == _LF:
            return _LINE_BREAK, False
        if byte == _QUOTE:
            at, plain = _string_end(text, at)
            kind, start, stop = _STRING, start + 1, at - 1
        elif byte == _OPEN or byte == _OPEN_ARRAY:
            at, plain = _container_end(text, at)
            if at == _LINE_BREAK:
                return _LINE_BREAK, False
            kind, stop = _OBJECT if byte == _OPEN else _OTHER, at
        else:  # null, true, false or a number
            at += 1
            while 97 <= text[at] <= 122 or _in_number(text[at]):
                at += 1
            kind, stop, plain = _NULL if byte == 110 else _OTHER, at, True
        if member >= 0 and kinds[member] == _ABSENT:
            kinds[member], value_starts[member], value_ends[member] = kind, start, stop
            accepted = accepted and plain and _of_its_type(member, kind)
        at = _blanks(text, at)
        if text[at] == _LF:
            return _LINE_BREAK, False
        if text[at] == _CLOSE:
            return at + 1, accepted and _has_valid_fields(text, kinds, value_starts, value_ends)
        at = _blanks(text, at + 1)  # past ","


@njit(cache=True)
def _of_its_type(member, kind):
    if member < REQUIRED:
        return kind == _STRING
    if member < TEXTS:
        return kind == _STRING or kind == _NULL
    return kind == _OBJECT or kind == _NULL


@njit(cache=True)
def _has_valid_fields(text, kinds, value_starts, value_ends):
    for member in range(REQUIRED):
        if kinds[member] == _ABSENT:
            return False
    first = text[value_starts[1]]  # of event_type: a blank or a character beyond ASCII
    return (_is_uuid(text, value_starts[0], value_ends[0])
            and value_ends[1] > value_starts[1] and first != _SPACE and first < 128
            and _is_utc_timestamp(text, value_starts[2], value_ends[2]))


@njit(cache=True)
def _string_end(text, at):
    """Past the JSON string at text[at], and whether it holds no escape.

    The scans are loops over a range, which numba compiles to about a third of the
    time a while loop over a signed index takes."""
    for stop in range(at + 1, len(text)):
        if text[stop] == _QUOTE or text[stop] == _BACKSLASH:
            break
    if text[stop] == _QUOTE:
        return stop + 1, True
    escaped = False
    for end in range(stop, len(text)):
        if escaped:
            escaped = False
        elif text[end] == _BACKSLASH:
            escaped = True
        elif text[end] == _QUOTE:
            break
    return end + 1, False


@njit(cache=True)
def _container_end(text, at):
    """Past the JSON object or array at text[at] (or _LINE_BREAK), and whether its text
    may be stored as it is: no escape, and each number written as orjson writes it."""
    plain = True
    depth = 0
    while True:
        byte = text[at]
        if byte == _QUOTE:
            at, plain_string = _string_end(text, at)
            plain = plain and plain_string
            continue
        if byte == _OPEN or byte == _OPEN_ARRAY:
            depth += 1
        elif byte == _CLOSE or byte == _CLOSE_ARRAY:
            depth -= 1
            if depth == 0:
                return at + 1, plain
        elif byte == _LF:
            return _LINE_BREAK, False
        elif byte == _MINUS or _ZERO <= byte <= _NINE:
            number_end = at + 1
            while _in_number(text[number_end]):
                number_end += 1
            plain = plain and _number_as_orjson_writes(text, at, number_end)
            at = number_end
            continue
        at += 1


@njit(cache=True)
def _in_number(byte):
    return (_ZERO <= byte <= _NINE or byte == _MINUS or byte == _PLUS or byte == _DOT
            or byte == 69 or byte == 101)  # E, e


@njit(cache=True)
def _number_as_orjson_writes(text, start, end):
    """Whether the JSON number text[start:end] is as orjson writes it (see the module)."""
    at = start + 1 if text[start] == _MINUS else start
    whole_start = at
    while at < end and _ZERO <= text[at] <= _NINE:
        at += 1
    whole = at - whole_start
    if at == end:  # an integer
        if text[whole_start] == _ZERO:
            return start == whole_start  # 0, not -0
        return whole <= 15
    if text[at] != _DOT:  # an exponent
        return False
    fraction_start = at + 1
    fraction = end - fraction_start
    for inner in range(fraction_start, end):
        if not _ZERO <= text[inner] <= _NINE:
            return False  # an exponent
    if text[whole_start] == _ZERO:
        if fraction >= 5 and _digits(text, fraction_start, 5) == 0:
            return False  # below 0.00001
    elif whole > 9:
        return False
    return fraction == 1 or (fraction <= 6 and text[end - 1] != _ZERO)


@njit(cache=True)
def _member(text, start, end):
    """The index in MEMBERS of the name text[start:end], or -1."""
    length = end - start
    name_start = 0
    for index in range(len(_NAME_ENDS)):
        name_end = _NAME_ENDS[index]
        if name_end - name_start == length:
            offset = 0
            while offset < length and text[start + offset] == _NAMES[name_start + offset]:
                offset += 1
            if offset == length:
                return index
        name_start = name_end
    return -1


@njit(cache=True)
def _is_uuid(text, start, end):
    if end - start != 36:
        return False
    for offset in range(36):
        byte = text[start + offset]
        if offset == 8 or offset == 13 or offset == 18 or offset == 23:
            if byte != _MINUS:
                return False
        elif not (_ZERO <= byte <= _NINE or 97 <= byte <= 102 or 65 <= byte <= 70):
            return False
    return True


@njit(cache=True)
def _digits(text, start, count):
    """The number the `count` digits at `start` spell, or -1."""
    value = 0
    for at in range(start, start + count):
        if not _ZERO <= text[at] <= _NINE:
            return -1
        value = value * 10 + text[at] - _ZERO
    return value


@njit(cache=True)
def _is_utc_timestamp(text, start, end):
    """YYYY-MM-DDTHH:MM:SS, up to 6 decimals, then Z, +00:00 or +0000; a real time on a
    date other than 29 February, in a year other than 0."""
    if (end - start < 20 or text[start + 4] != _MINUS or text[start + 7] != _MINUS
            or text[start + 10] != _T or text[start + 13] != _COLON
            or text[start + 16] != _COLON):
        return False
    month = _digits(text, start + 5, 2)
    if (_digits(text, start, 4) < 1 or not 1 <= month <= 12
            or not 1 <= _digits(text, start + 8, 2) <= _DAYS_IN_MONTH[month]
            or not 0 <= _digits(text, start + 11, 2) <= 23
            or not 0 <= _digits(text, start + 14, 2) <= 59
            or not 0 <= _digits(text, start + 17, 2) <= 59):
        return False
    at = start + 19
    if text[at] == _DOT:
        at += 1
        while at < end and _ZERO <= text[at] <= _NINE:
            at += 1
        if not 2 <= at - (start + 19) <= 7:
            return False
    zone = end - at
    if zone == 1:
        return text[at] == _Z
    if zone == 6:
        return (text[at] == _PLUS and _digits(text, at + 1, 2) == 0 and text[at + 3] == _COLON
                and _digits(text, at + 4, 2) == 0)
    return zone == 5 and text[at] == _PLUS and _digits(text, at + 1, 4) == 0


@njit(cache=True)
def _write_row(text, out, at, kinds, value_starts, value_ends, number):
    """Write the members as a binary COPY row (binary_copy), then the line number, at
    out[at]; where it ends. A row is at most ROW_OVER_LINE bytes longer than its line:
    the three required members alone take 48 bytes of the line (names, quotes, colons,
    commas, braces) that the row does not write, and a row's count, lengths and line
    number take 58, and the version byte of each object present (whose name the line
    holds) one."""
    at = write_integer(out, at, len(kinds) + 1, 2)
    for member in range(len(kinds)):
        kind = kinds[member]
        start = value_starts[member]
        length = value_ends[member] - start
        if kind == _OBJECT:
            at = write_integer(out, at, length + 1, 4)
            out[at] = 1  # jsonb's version
            at += 1
        elif kind == _STRING:
            at = write_integer(out, at, length, 4)
        else:
            at = write_integer(out, at, -1, 4)  # NULL
            continue
        for offset in range(length):
            out[at + offset] = text[start + offset]
        at += length
    at = write_integer(out, at, 8, 4)
    return write_integer(out, at, number, 8)


@njit(cache=True)
def _before(text, start, end, other_start, other_end):
    """Whether text[start:end] sorts before text[other_start:other_end] (byte by byte, which
    for UTF-8 is by character)."""
    if other_start < 0:
        return True
    for offset in range(min(end - start, other_end - other_start)):
        if text[start + offset] != text[other_start + offset]:
            return text[start + offset] < text[other_start + offset]
    return end - start < other_end - other_start


@njit(cache=True)
def _event_ids(out, row_ends):
    """The rows' event ids, comma-separated."""
    ids = np.empty(37 * len(row_ends) - 1, np.uint8)
    start = _ID_OFFSET
    for row in range(len(row_ends)):
        ids[37 * row:37 * row + 36] = out[start:start + 36]
        if row:
            ids[37 * row - 1] = _COMMA
        start = row_ends[row] + _ID_OFFSET
    return ids


def load_compiled() -> None:
    """Have every compiled function ready in this process (numba compiles on first use,
    or loads what it cached beside this module: about half a second), so that worker
    processes forked after it start with them instead of each loading them again."""
    event = (b'{"event_id":"00000000-0000-0000-0000-000000000000","event_type":"x",'
             b'"occurred_at":"2026-01-01T00:00:00Z"}')
    read(event + b"\n").event_ids()
    read(event + b"\n{\n")  # a broken line: the text is read line by line
