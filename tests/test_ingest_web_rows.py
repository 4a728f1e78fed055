"""The quick reading of web lines (web_rows) gives what the exact path gives, or leaves the line to it."""

from __future__ import annotations

import itertools
import random
import re
import struct
import uuid

import numpy as np
import orjson

from c360.ingest import web, web_rows

VALID_TIME = "2026-11-21T09:14:03.123Z"


def exact_row(line: bytes, number: int = 1) -> bytes | None:
    refused = []
    found = web._exact_event(line, number, refused)
    return None if found is None else found[2]


def quick_row(line: bytes, number: int = 1) -> bytes | None:
    """The line's COPY row when the quick reading accepts it as line `number` of a file."""
    quick = web_rows.read(b"\n" * (number - 1) + line + b"\n")
    if not len(quick.row_ends):
        assert quick.others_numbers.tolist() == [number]
        return None
    assert quick.row_numbers.tolist() == [number] and not len(quick.others_numbers)
    return b"".join(quick.copy_rows())


def split_rows(data: bytes) -> list[bytes]:
    """Binary COPY rows, each its bytes (read here by the format's description)."""
    rows, at = [], 0
    while at < len(data):
        [count], end = struct.unpack_from(">h", data, at), at + 2
        for _ in range(count):
            [length] = struct.unpack_from(">i", data, end)
            end += 4 + max(length, 0)
        rows.append(data[at:end])
        at = end
    return rows


def row_values(row: bytes) -> list:
    """A web row's values: text as str, jsonb as the object, the line number as int."""
    [count], at, values = struct.unpack_from(">h", row), 2, []
    for index in range(count):
        [length] = struct.unpack_from(">i", row, at)
        value, at = (None if length < 0 else row[at + 4:at + 4 + length]), at + 4 + max(length, 0)
        if value is not None:
            if index >= len(web_rows.MEMBERS):
                value = struct.unpack(">q", value)[0]
            elif index >= web_rows.TEXTS:
                assert value[:1] == b"\x01"  # jsonb's version
                value = orjson.loads(value[1:])
            else:
                value = value.decode()
        values.append(value)
    assert at == len(row)
    return values


def event(n: int, **changes) -> dict:
    doc = {"event_id": str(uuid.UUID(int=n)), "event_type": "page_view",
           "occurred_at": VALID_TIME, "anonymous_id": f"anon-{n}", "session_id": "s-1",
           "page_url": "https://shop.example/p?q=1", "properties": {"path": "/p", "title": "P"}}
    doc.update(changes)
    return doc


def timestamp_candidates() -> list[str]:
    """Valid timestamps and near misses at every position, calendar and clock edges."""
    values = [VALID_TIME, "2026-11-21T09:14:03Z", "2026-11-21T09:14:03+00:00",
              "2026-11-21T09:14:03.123456+0000", "2026-11-21T09:14:03.1234567Z",
              "2026-11-21T09:14:03+01:00", "2026-11-21t09:14:03Z", "2026-11-21T09:14:03z",
              "2026-11-21 09:14:03Z", "2026-11-21T09:14:03.Z", "0000-01-01T00:00:00Z",
              "0001-01-01T00:00:00Z", "", "2026-11-21T09:14:03.123Z ", "2026-11-21T09:14:03+00",
              "2026-11-21T09:14:03-00:00", "2026-11-21T09:14:03+00:01", "2026-11-21T09:14:03"]
    for day in ("2026-02-28", "2026-02-29", "2024-02-29", "2026-04-30", "2026-04-31",
                "2026-12-31", "2026-13-01", "2026-00-10", "2026-01-00", "2026-01-32"):
        values.append(f"{day}T09:14:03Z")
    for clock in ("00:00:00", "23:59:59", "24:00:00", "19:60:00", "19:00:60", "29:00:00",
                  "20:59:59", "09:5a:00"):
        values.append(f"2026-11-21T{clock}Z")
    for position, char in itertools.product(range(len(VALID_TIME)), "0596-:T.Zx+ "):
        values.append(VALID_TIME[:position] + char + VALID_TIME[position + 1:])
    return values


def test_quick_checks_accept_exactly_what_the_fast_forms_accept():
    fast_utc = re.compile(web.OCCURRED_AT.fast).fullmatch
    for value in timestamp_candidates():
        accepted = quick_row(orjson.dumps(event(1, occurred_at=value))) is not None
        assert accepted == bool(fast_utc(value)), value
    fast_uuid = re.compile(web.EVENT_ID.fast).fullmatch
    good = str(uuid.UUID(int=2**128 - 1))
    for value in [good, good.upper(), good.replace("-", ""), good + "0", good[:-1], "h" * 36,
                  "hhhhhhhh-hhhh-hhhh-hhhh-hhhhhhhhhhhh", good.replace("f", "g", 1), "",
                  good[:8] + "_" + good[9:]]:
        accepted = quick_row(orjson.dumps(event(1, event_id=value))) is not None
        assert accepted == bool(fast_uuid(value)), value
    fast_type = re.compile(web.EVENT_TYPE.fast).fullmatch
    for value in ["page_view", " page_view", "\u00a0x", "x y", ""]:
        accepted = quick_row(orjson.dumps(event(1, event_type=value))) is not None
        assert accepted == bool(fast_type(value)), value
    # a type starting beyond ASCII is left to the exact path, which accepts it
    assert quick_row(orjson.dumps(event(1, event_type="é"))) is None
    assert exact_row(orjson.dumps(event(1, event_type="é"))) is not None


def test_a_file_keeps_the_lines_the_checks_accept_and_leaves_the_others_in_order():
    times = [VALID_TIME] * 5 + ["2026-11-21T09:60:03.123Z", "2026-11-21T09:14:03Z",
                                "2026-02-29T09:14:03.123Z", "2026-11-21T24:14:03.123Z"]
    ids = [str(uuid.UUID(int=n)) for n in range(len(times))]
    ids[2] = "not-a-uuid"
    lines = [orjson.dumps(event(n, event_id=ids[n], occurred_at=times[n]))
             for n in range(len(times))]
    quick = web_rows.read(b"\n".join(lines))  # no line feed after the last line
    assert quick.row_numbers.tolist() == [1, 2, 4, 5, 7]
    assert quick.others_numbers.tolist() == [3, 6, 8, 9]
    assert [bytes(lines[n - 1]) for n in quick.others_numbers.tolist()] == [
        b"\n".join(lines)[start:end] for start, end in zip(
            quick.others_starts.tolist(), quick.others_ends.tolist(), strict=True)]
    assert quick.event_ids().decode().split(",") == [ids[n - 1] for n in quick.row_numbers.tolist()]
    assert quick.earliest == "2026-11-21T09:14:03.123Z"


def test_quick_lines_are_the_exact_paths_lines():
    docs = [
        event(1),
        event(2, user_id="WU12", referrer=None, utm={"source": "g", "medium": "cpc"}),
        event(3, traits={"email": "a@example.nl", "first_name": "Zoë"}, anonymous_id=""),
        event(4, properties={"list": ["weekly", "deals"], "nested": {"ok": True, "no": None}}),
        event(5, properties=None, utm=None, page_url=None, session_id=None),
        event(8, properties={"price": 1499.95, "qty": 3, "refund": -2.5, "zero": 0, "tiny": 0.00001,
                             "list": [1, 2.0, {"n": 100000000000000}], "whole": 100.0}),
        {"occurred_at": VALID_TIME, "event_type": "hologram_viewed", "event_id": str(uuid.UUID(int=6))},
        event(7, occurred_at="2026-11-21T09:14:03+00:00", event_type="x y"),
        event(9, properties={"a:b": "c,d", "t": "09:14:03", "x": "[{1}]"}),  # brackets in strings
        event(10, page_url="https://shop.example/€?q=1"),
    ]
    for number, doc in enumerate(docs, 1):
        line = orjson.dumps(doc)
        assert quick_row(line, number) is not None, doc
        assert quick_row(line, number) == exact_row(line, number), doc
        assert row_values(quick_row(line, number)) == [
            doc.get(name) for name in web_rows.MEMBERS] + [number], doc
    spaced = b'{ "event_id" : "%s" ,\t"event_type":"login",\r"occurred_at": "%s" , "utm" : null }' % (
        str(uuid.UUID(int=11)).encode(), VALID_TIME.encode())
    assert quick_row(spaced, 12) == exact_row(spaced, 12) is not None


def test_lines_the_quick_path_cannot_tell_are_left_to_the_exact_one():
    def with_properties(n: int, json_text: bytes) -> bytes:
        doc = {name: value for name, value in event(n).items() if name != "properties"}
        return orjson.dumps(doc)[:-1] + b',"properties":' + json_text + b"}"

    left = [
        with_properties(1, b'{"price":1.50}'),  # a number orjson writes its own way (1.5)
        with_properties(2, b'{"ids":[1e2]}'),
        orjson.dumps(event(3, extra="member")),  # not a member the contract names
        orjson.dumps(event(4, occurred_at="2024-02-29T10:00:00Z")),  # valid, but a rare day
        orjson.dumps(event(5, utm="google")),  # broken: the exact path says why
        orjson.dumps(event(6, user_id=7)),
        orjson.dumps(event(7, page_url="https://shop.example/p?q=a\\b")),  # an escape
        b'{"event_id":"%s","event_type":"login","occurred_at":"%s","utm": {"n": 1.10}}' % (
            str(uuid.UUID(int=8)).encode(), VALID_TIME.encode()),
        b'{"event_id":"x","event_id":"%s"}' % str(uuid.UUID(int=9)).encode(),
        b"not json",
        orjson.dumps(event(12, user_id=True)),
        orjson.dumps(event(13, traits=["a"])),
        orjson.dumps(event(14, event_type=None)),
        b'{"event_id":"%s","event_type":"login","occurred_at":"%s","utm":{"s":"a\\"b"}}' % (
            str(uuid.UUID(int=15)).encode(), VALID_TIME.encode()),
        b"{}",
        b"[1, 2]",
    ]
    quick = [quick_row(line) for line in left]
    assert quick == [None] * len(left)
    exact = [exact_row(line) is not None for line in left]
    assert exact == [True, True, True, True, False, False, True, True, False, False,
                     False, False, False, True, False, False]


def test_objects_spread_by_blanks_are_read_quickly_as_they_were_delivered():
    lines = [orjson.dumps(event(10))[:-1] + b',"utm":{"source":\t"g"}}',
             orjson.dumps(event(11))[:-1] + b',"traits":{"email":\r"a@example.nl" }}']
    for line in lines:
        row = quick_row(line)
        assert row is not None and row != exact_row(line)
        assert row_values(row) == row_values(exact_row(line))  # the same jsonb
        assert line[line.rindex(b'":{') + 2:-1] in row  # the object's text as delivered


def test_a_file_read_in_one_walk_gives_what_reading_line_by_line_gives():
    lines = [orjson.dumps(event(n)) for n in range(4)]
    broken = [
        [*lines, orjson.dumps(event(7)) + b" " + orjson.dumps(event(8))],  # two on a line
        [lines[0][:-1], b"}", lines[1]],  # one event over two lines
        [lines[0], b'{"event_id": "x", "colour": "red"', lines[1]],  # not JSON
        [lines[0], b"\x0b", lines[1]],  # a blank line that is not JSON's blank
        [lines[0], b"{}{}", lines[1]],
    ]
    for case in broken:
        text = b"\n".join(case) + b"\n"
        quick = web_rows.read(text)
        one_by_one = [quick_row(line, number) for number, line in enumerate(case, 1)
                      if line.strip()]
        rows = iter(split_rows(b"".join(quick.copy_rows())))
        others = set(quick.others_numbers.tolist())
        numbers = [number for number, line in enumerate(case, 1) if line.strip()]
        assert [None if number in others else next(rows) for number in numbers] == one_by_one
    blank_lines = b"\n \t\r\n" + lines[0] + b"\n\n" + lines[1] + b"\r\n"
    quick = web_rows.read(blank_lines)
    assert quick.row_numbers.tolist() == [3, 5] and not len(quick.others_numbers)


def test_rows_are_kept_by_a_mask_and_hold_no_more_than_their_lines():
    lines = [orjson.dumps(event(n, properties=None, page_url=None, session_id=None,
                                anonymous_id=None)) for n in range(3)]
    minimal = b'{"event_id":"%s","event_type":"x","occurred_at":"2026-11-21T09:14:03Z"}' % (
        str(uuid.UUID(int=9)).encode())
    text = b"\n".join([*lines, minimal])
    quick = web_rows.read(text)
    [all_rows] = quick.copy_rows()
    rows = split_rows(all_rows.tobytes())
    assert len(rows[-1]) == len(minimal) + web_rows.ROW_OVER_LINE - 6  # the longest a row gets
    assert all(len(row) <= len(line) + web_rows.ROW_OVER_LINE
               for row, line in zip(rows, [*lines, minimal], strict=True))
    runs = quick.copy_rows(np.array([1, 0, 1, 1], np.uint8))  # views of two runs of rows
    assert [split_rows(run.tobytes()) for run in runs] == [[rows[0]], [rows[2], rows[3]]]
    assert all(run.base is quick.out for run in runs)
    assert not b"".join(web_rows.read(b"").copy_rows()) and web_rows.read(b"\n\n").event_ids() == b""


def test_numbers_pass_the_quick_check_only_as_orjson_writes_them():
    rng = random.Random(7)
    candidates = ["0", "-0", "0.0", "-0.0", "1.0", "1.50", "100.0", "1e5", "1E5", "2.5e-3",
                  "0.00001", "0.000001", "0.000009", "-0.5", "999999999999999", "1000000000000000",
                  "12345678901234567890", "123456789.123456", "1234567890.123456", "0.1234567",
                  "1.5E+3", "-12.25"]
    for _ in range(20_000):
        whole = str(rng.choice([0, rng.randrange(10 ** rng.randrange(1, 17))]))
        fraction = "".join(rng.choices("0123456789", k=rng.randrange(0, 8)))
        candidates.append(rng.choice(["", "-"]) + whole + ("." + fraction if fraction else ""))
    base = orjson.dumps({name: value for name, value in event(1).items() if name != "properties"})[:-1]
    text = b"\n".join(base + b',"properties":{"n":' + number.encode() + b',"list":['
                      + number.encode() + b"]}}" for number in candidates)
    quick = web_rows.read(text)
    accepted = [candidates[n - 1] for n in quick.row_numbers.tolist()]
    for number in accepted:
        assert orjson.dumps(orjson.loads(number)).decode() == number, number
    assert len(accepted) > len(candidates) // 3  # the check does take the common numbers
    assert set(candidates) - set(accepted) >= {"-0", "1.50", "1e5", "0.000001", "1000000000000000"}
