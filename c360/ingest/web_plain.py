"""The quick reading of web event lines (web.py): a whole file's plain lines in bulk.

A plain line holds no backslash, so none of its JSON strings holds an escape, and
none holds a raw control character either (msgspec refuses those, as JSON does):
no value needs escaping for COPY. msgspec reads such a line into the members the
contract names (`PlainEvent`, which refuses other members and wrong JSON types);
the objects stay the JSON text they were delivered as, which jsonb stores as it
would store orjson's writing of them, as long as each number in them is written
as orjson writes what it reads (it writes 1.50 as 1.5, 1e5 as 100000.0, and
refuses what a double cannot hold): objects with other numbers are left out.

The field checks then run over a file's column at once, as byte translations
and comparisons in C instead of a regular expression per value; only a column
that fails in bulk is looked at value by value. They accept exactly what the
fast forms in web.py's checks accept (every valid value but 29 February). A line
they do not accept is left to web.py's exact path, which says why it is refused,
or accepts it after all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import repeat
from operator import attrgetter

import msgspec

from c360.ingest.line_numbers import line_number_texts

NULL = "\\N"  # COPY text's NULL
JSON_NULL = msgspec.Raw(b"null")
TEXT_MEMBERS = ("anonymous_id", "user_id", "session_id", "page_url", "referrer")
OBJECT_MEMBERS = ("utm", "traits", "properties")


class PlainEvent(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A line as the quick path reads it: the contract's members of the right JSON
    types and no others, the objects (checked later) as delivered. It holds only
    text, so it can be in no reference cycle: the garbage collector need not track
    it (half the reading's time when it did)."""

    event_id: str
    event_type: str
    occurred_at: str
    anonymous_id: str | None = None
    user_id: str | None = None
    session_id: str | None = None
    page_url: str | None = None
    referrer: str | None = None
    utm: msgspec.Raw = JSON_NULL
    traits: msgspec.Raw = JSON_NULL
    properties: msgspec.Raw = JSON_NULL


_DECODER = msgspec.json.Decoder(PlainEvent)
_decode = _DECODER.decode
UNREADABLE = PlainEvent("", "", "")  # no quick check accepts an empty event id
_SEPARATOR = "\x1f"  # between JSON texts joined: no JSON text holds a raw control character
_SEPARATOR_BYTES = _SEPARATOR.encode()

# Shapes with every (hex) digit replaced by NUL, which no checked value can hold.
_HEX_DIGITS = bytes.maketrans(b"0123456789abcdefABCDEF", bytes(22))
_UUID_SHAPE = b"-".join(bytes(n) for n in (8, 4, 4, 4, 12))
_DIGITS = bytes.maketrans(b"0123456789", bytes(10))
_UTC_SHAPES = frozenset(
    b"\0\0\0\0-\0\0-\0\0T\0\0:\0\0:\0\0" + fraction + zone
    for fraction in (b"", *(b"." + bytes(n) for n in range(1, 7)))
    for zone in (b"Z", b"+\0\0:\0\0", b"+\0\0\0\0"))  # digits of an offset: all zeros
_MINUTE_TENS, _SECOND_TENS = 14, 17  # where they sit in a timestamp of that shape
# month and day of every date but 29 February, which the exact check decides
_MONTH_DAYS = frozenset(f"{date(2001, 1, 1) + timedelta(days=n):%m-%d}" for n in range(365))
# What may start a JSON number as NUL, what may come before one as SOH (see _holds_number).
_NUMBER_STARTS = bytes.maketrans(b"0123456789-:,[", bytes(11) + b"\1\1\1")
_JSON_BLANKS = b" \t\r\n"
# A number token after what may come before one (a string holding ": 1" gives one too).
_NUMBER_TOKEN = re.compile(rb"[:,\[][ \t\r\n]*(-?[0-9][0-9eE.+-]*)")
# A number that orjson writes as it is written here: an integer of up to 15 digits but -0,
# or a decimal of up to 15 significant digits (6 after the point) whose fraction ends in
# no 0 but for ".0", not below 0.00001 (those orjson writes with an exponent).
_AS_ORJSON_WRITES = re.compile(
    rb"0|-?[1-9][0-9]{0,14}|-?(?:0\.(?!0{5})|[1-9][0-9]{0,8}\.)(?:0|[0-9]{0,5}[1-9])")
# JSON blanks that COPY text would take for a field's or a line's end: an object whose
# text holds one is written anew by the exact path.
_COPY_BREAKING_BLANKS = (b"\t", b"\r")


def read_plain(line: bytes) -> PlainEvent:
    """The line read by msgspec, or UNREADABLE when it is not a plain event (a broken rule
    may still hide in the values of one that is: `copy_lines` checks those)."""
    try:
        return _decode(line)
    except msgspec.DecodeError:
        return UNREADABLE


def read_all_plain(lines: list[bytes], joined: bytes | None = None) -> list[PlainEvent]:
    """Every line read by msgspec: in one call when each is one plain event, else line by line.
    `joined` is the lines joined by line feeds (maybe one more at the end), when the caller
    holds that text already.

    msgspec's reading of JSON lines takes any whitespace between values, so it is
    trusted only when the count comes out right and every line starts with "{" and
    ends with "}": such a line cannot run on into the next (after "}" an object or
    array needs "," or a closing bracket, not "{"), so each holds at least one value,
    and as many values as lines means exactly one each."""
    if all(map(bytes.startswith, lines, repeat(b"{"))) and all(
            map(bytes.endswith, lines, repeat(b"}"))):
        try:
            events = _DECODER.decode_lines(b"\n".join(lines) if joined is None else joined)
        except msgspec.DecodeError:
            pass
        else:
            if len(events) == len(lines):
                return events
    return list(map(read_plain, lines))


def is_uuid(value: str) -> bool:
    return value.encode().translate(_HEX_DIGITS) == _UUID_SHAPE


def is_event_type(value: str) -> bool:
    return bool(value) and not value[0].isspace()


def _is_date_and_hour(prefix: str) -> bool:
    """YYYY-MM-DDTHH of a timestamp whose shape is known good."""
    return prefix[5:10] in _MONTH_DAYS and prefix[11:13] < "24" and not prefix.startswith("0000")


def _offset_digits(shape: bytes) -> range:
    """Where the digits of the offset sit in a timestamp of a good shape."""
    sign = shape.rfind(b"+")
    return range(len(shape) if sign < 0 else sign + 1, len(shape))


def is_utc_timestamp(value: str) -> bool:
    encoded = value.encode()
    shape = encoded.translate(_DIGITS)
    return (shape in _UTC_SHAPES and _is_date_and_hour(value[:13])
            and value[_MINUTE_TENS] < "6" and value[_SECOND_TENS] < "6"
            and all(encoded[at] in b"0:" for at in _offset_digits(shape)))


def _all_uuids(values: Sequence[str]) -> bool:
    return "\n".join(values).encode().translate(_HEX_DIGITS) == b"\n".join(
        [_UUID_SHAPE] * len(values))


def _all_event_types(values: Sequence[str]) -> bool:
    return all(map(is_event_type, set(values)))


def _all_utc_timestamps(values: Sequence[str]) -> bool:
    """True when every value has one and the same good shape and is a real time."""
    joined = "\n".join(values).encode()
    width = len(values[0]) + 1
    shape = joined.translate(_DIGITS)
    if shape[:width - 1] not in _UTC_SHAPES or shape != b"\n".join([shape[:width - 1]] * len(values)):
        return False
    return (not joined[_MINUTE_TENS::width].translate(None, b"012345")
            and not joined[_SECOND_TENS::width].translate(None, b"012345")
            and not any(joined[at::width].translate(None, b"0:") for at in _offset_digits(shape[:width - 1]))
            and all(map(_is_date_and_hour, {value[:13] for value in values})))


def _object_column(raws: Sequence[msgspec.Raw]) -> tuple[list[str], set[int]]:
    """The members' JSON texts (NULL for null), and the indexes of those the quick check does
    not accept (it accepts null, and JSON objects whose numbers are as orjson writes them
    and that hold no blank COPY would misread).

    The texts are joined once, with a separator that JSON text cannot hold (a raw
    control character) before each, and checked in bulk there before they are decoded
    in one go; only a column that fails in bulk is looked at text by text. Each text is
    one JSON value, so one that starts with "null" is null."""
    if not raws:
        return [], set()
    joined = _SEPARATOR_BYTES + _SEPARATOR_BYTES.join(raws)
    texts = joined.decode().replace(_SEPARATOR + "null", _SEPARATOR + NULL).split(_SEPARATOR)[1:]
    if (joined.count(_SEPARATOR_BYTES + b"{") + joined.count(_SEPARATOR_BYTES + b"null")
            == len(raws) and not _breaks_copy(joined) and _numbers_as_orjson_writes(joined)):
        return texts, set()
    return texts, {index for index, text in enumerate(texts) if not _is_object_text(text)}


def _holds_number(json_texts: bytes) -> bool:
    """Whether a number is among the values: without escapes, a number follows a colon,
    comma or bracket, maybe after blanks (a string holding ": 1" is taken for one, which
    only sends its line the exact way)."""
    return json_texts.translate(_NUMBER_STARTS, _JSON_BLANKS).find(b"\1\0") >= 0


def _breaks_copy(json_texts: bytes) -> bool:
    return any(blank in json_texts for blank in _COPY_BREAKING_BLANKS)


def _numbers_as_orjson_writes(json_texts: bytes) -> bool:
    """Whether every number among the values is written as orjson writes it (most texts
    hold none, which the byte translation tells faster than the regular expression)."""
    return not _holds_number(json_texts) or all(
        map(_AS_ORJSON_WRITES.fullmatch, _NUMBER_TOKEN.findall(json_texts)))


def _is_object_text(text: str) -> bool:
    """A JSON object whose numbers are as orjson writes them, without blanks that break
    COPY text (or NULL)."""
    if text == NULL:
        return True
    encoded = text.encode()
    return text[0] == "{" and not _breaks_copy(encoded) and _numbers_as_orjson_writes(encoded)


def _failures(values: Sequence[str], all_good: Callable[[Sequence[str]], bool],
              good: Callable[[str], bool]) -> set[int]:
    """Indexes of the values the quick check does not accept: none when the column
    passes in bulk, else found value by value."""
    if not values or all_good(values):
        return set()
    return {index for index, value in enumerate(values) if not good(value)}


@dataclass
class QuickRows:
    """Events as COPY text lines (their fields, then their line numbers), None where the
    quick checks do not accept one, and their event ids and occurred_at as delivered."""

    lines: list[str | None]
    event_ids: list[str]
    occurred_at: list[str]


def copy_lines(events: Sequence[PlainEvent], numbers: Sequence[int]) -> QuickRows:
    """Each event as a COPY text line, or None where the quick checks do not accept it."""
    ids = list(map(attrgetter("event_id"), events))
    types = list(map(attrgetter("event_type"), events))
    times = list(map(attrgetter("occurred_at"), events))
    columns = [ids, types, times]
    refused = (_failures(ids, _all_uuids, is_uuid) | _failures(types, _all_event_types, is_event_type)
               | _failures(times, _all_utc_timestamps, is_utc_timestamp))
    for name in TEXT_MEMBERS:
        columns.append([NULL if value is None else value
                        for value in map(attrgetter(name), events)])
    for name in OBJECT_MEMBERS:
        texts, failures = _object_column(list(map(attrgetter(name), events)))
        refused |= failures
        columns.append(texts)
    lines: list[str | None] = list(map("\t".join, zip(*columns, line_number_texts(numbers),
                                                       strict=True)))
    for index in refused:
        lines[index] = None
    return QuickRows(lines, ids, times)
