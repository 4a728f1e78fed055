"""The quick reading of web lines (web_plain) gives what the exact path gives, or leaves the line to it."""

from __future__ import annotations

import itertools
import random
import re
import uuid

import msgspec
import orjson

from c360.ingest import web, web_plain

VALID_TIME = "2026-11-21T09:14:03.123Z"


def exact_copy_line(line: bytes, number: int = 1) -> str | None:
    refused = []
    found = web._exact_event(line, number, refused)
    return None if found is None else found[2]


def quick_copy_line(line: bytes, number: int = 1) -> str | None:
    [copy_line] = web_plain.copy_lines([web_plain.read_plain(line)], [number]).lines
    return copy_line


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
              "0001-01-01T00:00:00Z", "", "2026-11-21T09:14:03.123Z "]
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
        assert web_plain.is_utc_timestamp(value) == bool(fast_utc(value)), value
    fast_uuid = re.compile(web.EVENT_ID.fast).fullmatch
    good = str(uuid.UUID(int=2**128 - 1))
    for value in [good, good.upper(), good.replace("-", ""), good + "0", good[:-1], "h" * 36,
                  "hhhhhhhh-hhhh-hhhh-hhhh-hhhhhhhhhhhh", good.replace("f", "g", 1), ""]:
        assert web_plain.is_uuid(value) == bool(fast_uuid(value)), value
    fast_type = re.compile(web.EVENT_TYPE.fast).fullmatch
    for value in ["page_view", " page_view", "\u00a0x", "x y", "é", ""]:
        assert web_plain.is_event_type(value) == bool(fast_type(value)), value


def test_a_column_of_one_value_passes_in_bulk_exactly_when_the_value_does():
    for value in timestamp_candidates():
        lines = [orjson.dumps(event(n, occurred_at=value)) for n in range(3)]
        quick = web_plain.copy_lines(list(map(web_plain.read_plain, lines)), [1, 2, 3])
        assert [line is not None for line in quick.lines] == [web_plain.is_utc_timestamp(value)] * 3, value


def test_a_file_column_that_fails_in_bulk_is_checked_value_by_value():
    times = [VALID_TIME] * 5 + ["2026-11-21T09:60:03.123Z", "2026-11-21T09:14:03Z",
                                "2026-02-29T09:14:03.123Z", "2026-11-21T24:14:03.123Z"]
    ids = [str(uuid.UUID(int=n)) for n in range(len(times))]
    ids[2] = "not-a-uuid"
    lines = [orjson.dumps(event(n, event_id=ids[n], occurred_at=times[n]))
             for n in range(len(times))]
    quick = web_plain.copy_lines(list(map(web_plain.read_plain, lines)), range(1, len(lines) + 1))
    assert [line is not None for line in quick.lines] == [True, True, False, True, True, False, True,
                                                    False, False]


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
    ]
    for number, doc in enumerate(docs, 1):
        line = orjson.dumps(doc)
        assert quick_copy_line(line, number) is not None, doc
        assert quick_copy_line(line, number) == exact_copy_line(line, number), doc


def test_lines_the_quick_path_cannot_tell_are_left_to_the_exact_one():
    def with_properties(n: int, json_text: bytes) -> bytes:
        return orjson.dumps(event(n, properties=None))[:-1] + b',"properties":' + json_text + b"}"

    left = [
        with_properties(1, b'{"price":1.50}'),  # a number orjson writes its own way (1.5)
        with_properties(2, b'{"ids":[1e2]}'),
        orjson.dumps(event(3, extra="member")),  # not a member the contract names
        orjson.dumps(event(4, occurred_at="2024-02-29T10:00:00Z")),  # valid, but a rare day
        orjson.dumps(event(5, utm="google")),  # broken: the exact path says why
        orjson.dumps(event(6, user_id=7)),
        b'{"event_id": "%s", "event_type": "login", "occurred_at": "%s"}' % (
            str(uuid.UUID(int=7)).encode(), VALID_TIME.encode()),  # blanks: fine for msgspec
        b'{"event_id":"%s","event_type":"login","occurred_at":"%s","utm": {"n": 1.10}}' % (
            str(uuid.UUID(int=8)).encode(), VALID_TIME.encode()),
        b'{"event_id":"x","event_id":"%s"}' % str(uuid.UUID(int=9)).encode(),
        b"not json",
        # blanks in an object that COPY text would read as a field's or a line's end
        orjson.dumps(event(10))[:-1] + b',"utm":{"source":\t"g"}}',
        orjson.dumps(event(11))[:-1] + b',"traits":{"email":\r"a@example.nl"}}',
    ]
    quick = [quick_copy_line(line) for line in left]
    assert quick == [None, None, None, None, None, None, quick[6], None, None, None, None, None]
    assert quick[6] == exact_copy_line(left[6])
    exact = [exact_copy_line(line) is not None for line in left]
    assert exact == [True, True, True, True, False, False, True, True, False, False, True, True]
    assert "\t" not in exact_copy_line(left[10]).split("\t")[8]


def test_a_file_read_in_one_call_gives_what_reading_line_by_line_gives():
    lines = [orjson.dumps(event(n)) for n in range(3)]
    two_on_a_line = orjson.dumps(event(7)) + b" " + orjson.dumps(event(8))
    cases = [
        lines,
        [*lines, two_on_a_line],  # msgspec would read two events from one line
        [lines[0][:-1], b"}", lines[1]],  # and one event from two lines
        [lines[0][:-1], b"}", *lines[1:], two_on_a_line],  # both: the count comes out right
        [lines[0], b'{"event_id": "x", "colour": "red"}'],  # a member not in the contract
    ]
    for case in cases:
        assert web_plain.read_all_plain(case) == list(map(web_plain.read_plain, case))


def test_an_object_column_is_checked_in_bulk_and_its_failures_found_one_by_one():
    raws = [msgspec.Raw(text) for text in (
        b'{"a":"b"}', b"null", b'{"price": 1}', b'"text"', b'{"list":["x",[-2]]}', b'{"t":"a:b"}',
        b'{"a":\t"b"}', b'{"price":2.50}')]
    texts, failures = web_plain._object_column(raws)
    assert texts == ['{"a":"b"}', web_plain.NULL, '{"price": 1}', '"text"',
                     '{"list":["x",[-2]]}', '{"t":"a:b"}', '{"a":\t"b"}', '{"price":2.50}']
    assert failures == {3, 6, 7}
    assert web_plain._object_column(raws[:3] + raws[4:6]) == (
        [texts[0], texts[1], texts[2], texts[4], texts[5]], set())


def test_numbers_pass_the_quick_check_only_as_orjson_writes_them():
    rng = random.Random(7)
    candidates = ["0", "-0", "0.0", "-0.0", "1.0", "1.50", "100.0", "1e5", "1E5", "2.5e-3",
                  "0.00001", "0.000001", "0.000009", "-0.5", "999999999999999", "1000000000000000",
                  "12345678901234567890", "123456789.123456", "1234567890.123456", "0.1234567"]
    for _ in range(20_000):
        whole = str(rng.choice([0, rng.randrange(10 ** rng.randrange(1, 17))]))
        fraction = "".join(rng.choices("0123456789", k=rng.randrange(0, 8)))
        candidates.append(rng.choice(["", "-"]) + whole + ("." + fraction if fraction else ""))
    for number in candidates:
        text = b'{"n":' + number.encode() + b',"list":[' + number.encode() + b"]}"
        if web_plain._is_object_text(text.decode()):
            assert orjson.dumps(orjson.loads(number)).decode() == number, number
    accepted = [n for n in candidates if web_plain._is_object_text('{"n":' + n + "}")]
    assert len(accepted) > len(candidates) // 3  # the check does take the common numbers
