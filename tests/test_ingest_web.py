"""Web event loads: gzip JSON Lines, events kept once, refused lines and files."""

from __future__ import annotations

import gzip
import itertools
import uuid
from datetime import timedelta
from pathlib import Path

import orjson
import pytest

from c360.ingest import web
from tests.ingest_helpers import (
    DAY,
    assert_balanced,
    fetch,
    ledger,
    quarantine,
    raw_snapshot,
    write_jsonl_gz,
)

RAW = "raw_web.events"


def event(n: int, **changes) -> dict:
    doc = {
        "event_id": str(uuid.UUID(int=n)), "event_type": "page_view",
        "occurred_at": "2026-11-21T09:14:03.123Z", "anonymous_id": f"anon-{n % 3}",
        "user_id": None, "session_id": "sess-1", "page_url": "https://shop.example/p?q=a\\b",
        "referrer": None, "utm": None, "properties": {"path": "/p", "title": "P"},
    }
    doc.update(changes)
    return doc


def events_file(landing: Path, hour: int, events, day=DAY) -> Path:
    return write_jsonl_gz(landing / f"web/{day}/events-{hour:02d}.jsonl.gz", events)


def load(dsn: str, landing: Path, day=DAY):
    return web.load_business_date(dsn, landing, day)


def event_ids(dsn: str) -> list[tuple[str, int]]:
    return fetch(dsn, f"select event_id, _line_number from {RAW} order by event_id")


def test_events_land_with_their_objects_unknown_types_and_late_events_kept(warehouse_dsn, tmp_path):
    events_file(tmp_path, 9, [
        event(1, utm={"source": "google", "medium": "cpc", "campaign": "x"},
              traits={"email": "a@example.nl", "last_name": "tab\there\nline"}),
        event(2, event_type="hologram_viewed"),  # unknown type: kept
        event(3, occurred_at="2026-11-19T23:59:59Z"),  # late arrival: kept
    ])
    report = load(warehouse_dsn, tmp_path)
    assert [(f.rows_read, f.rows_loaded, f.rows_quarantined) for f in report.files] == [(3, 3, 0)]
    rows = fetch(warehouse_dsn, f"select event_type, utm, traits, properties, page_url "
                                f"from {RAW} order by event_id")
    assert rows[0] == ("page_view", {"source": "google", "medium": "cpc", "campaign": "x"},
                       {"email": "a@example.nl", "last_name": "tab\there\nline"},
                       {"path": "/p", "title": "P"},
                       "https://shop.example/p?q=a\\b")
    assert [r[0] for r in rows[1:]] == ["hologram_viewed", "page_view"]
    assert_balanced(warehouse_dsn, RAW, "web")


def test_objects_spread_by_tabs_and_carriage_returns_land(warehouse_dsn, tmp_path):
    # blanks JSON allows between tokens, which COPY text would read as a field's or a line's end
    plain = {"page_url": "https://shop.example/p"}
    events_file(tmp_path, 9, [
        orjson.dumps(event(1, **plain))[:-1] + b',"utm":{"source":\t"g",\t"medium":"cpc"}}',
        orjson.dumps(event(2, **plain))[:-1] + b',"traits":{\r"email":"a@example.nl"\r}}',
        event(3, **plain),
    ])
    [loaded] = load(warehouse_dsn, tmp_path).files
    assert (loaded.rows_read, loaded.rows_loaded, loaded.rows_quarantined) == (3, 3, 0)
    assert fetch(warehouse_dsn, f"select utm, traits, _line_number from {RAW} order by event_id") == [
        ({"source": "g", "medium": "cpc"}, None, 1), (None, {"email": "a@example.nl"}, 2),
        (None, None, 3)]
    assert_balanced(warehouse_dsn, RAW, "web")


def test_blank_lines_are_skipped_and_events_keep_their_line_numbers(warehouse_dsn, tmp_path):
    path = tmp_path / f"web/{DAY}/events-09.jsonl.gz"
    path.parent.mkdir(parents=True)
    lines = [orjson.dumps(event(n, page_url="https://shop.example/p")) for n in (1, 2, 3)]
    path.write_bytes(gzip.compress(b"\n" + lines[0] + b"\n \t\n" + lines[1] + b"\n\n" + lines[2]))
    [loaded] = load(warehouse_dsn, tmp_path).files
    assert (loaded.rows_read, loaded.rows_loaded, loaded.rows_quarantined) == (3, 3, 0)
    assert [n for _, n in event_ids(warehouse_dsn)] == [2, 4, 6]
    assert_balanced(warehouse_dsn, RAW, "web")


def test_objects_are_stored_as_the_json_values_they_hold(warehouse_dsn, tmp_path):
    properties = {"price": 1499.95, "qty": 3, "refund": -2.5, "list": [1, 100.0], "tiny": 0.00001}
    escaped = {"page_url": "https://shop.example/p?q=a\\b"}
    events_file(tmp_path, 9, [
        event(1, page_url="https://shop.example/p", properties=properties),
        event(2, **escaped, properties=properties),
        # the same numbers written otherwise: stored as the values they are
        orjson.dumps(event(3, page_url="https://shop.example/p", properties=None))[:-1]
        + b',"properties":{"price":1499.950,"qty":3,"refund":-2.5,"list":[1,1e2],"tiny":0.00001}}',
    ])
    [loaded] = load(warehouse_dsn, tmp_path).files
    assert (loaded.rows_read, loaded.rows_loaded, loaded.rows_quarantined) == (3, 3, 0)
    stored = fetch(warehouse_dsn, f"select properties::text from {RAW} order by event_id")
    assert orjson.loads(stored[0][0]) == orjson.loads(stored[1][0]) == properties
    # jsonb keeps a number's digits as written (1499.950) and compares it by value
    assert fetch(warehouse_dsn, f"select count(distinct properties) from {RAW}") == [(1,)]
    assert fetch(warehouse_dsn, f"select (properties->'list'->>1)::numeric from {RAW} "
                                "order by event_id") == [(100,)] * 3
    assert_balanced(warehouse_dsn, RAW, "web")


def test_a_number_beyond_a_double_is_refused_whichever_way_the_file_is_read(warehouse_dsn, tmp_path):
    large = orjson.dumps(event(1, properties=None))[:-1] + b',"properties":{"amount":1e400}}'
    events_file(tmp_path, 9, [large, event(2)])
    events_file(tmp_path, 10, [large, b"not json"])  # read line by line from the start
    assert [(f.rows_loaded, f.rows_quarantined) for f in load(warehouse_dsn, tmp_path).files] == [
        (1, 1), (0, 2)]
    reasons = [reason for *_, reason in quarantine(warehouse_dsn, "web")]
    assert reasons.count("not valid JSON: Number out of range - at `$[...][...]`") == 2
    assert_balanced(warehouse_dsn, RAW, "web")


def test_a_value_holding_a_tab_is_refused_though_each_side_passes_alone(warehouse_dsn, tmp_path):
    two_ids = f"{uuid.UUID(int=1)}\t{uuid.UUID(int=2)}"
    events_file(tmp_path, 9, [event(3, event_id=two_ids), event(4),
                              event(5, occurred_at="2026-11-21T09:14:03Z\t2026-11-21T09:14:03Z")])
    [loaded] = load(warehouse_dsn, tmp_path).files
    assert (loaded.rows_loaded, loaded.rows_quarantined) == (1, 2)
    assert event_ids(warehouse_dsn) == [(str(uuid.UUID(int=4)), 2)]
    assert [line for _, line, *_ in quarantine(warehouse_dsn, "web")] == [1, 3]


def test_duplicate_event_ids_in_one_file_are_kept_once(warehouse_dsn, tmp_path):
    events_file(tmp_path, 9, [event(1), event(2), event(1), event(1)])
    [loaded] = load(warehouse_dsn, tmp_path).files
    assert (loaded.rows_read, loaded.rows_loaded, loaded.rows_quarantined,
            loaded.rows_duplicate) == (4, 4, 0, 2)
    assert event_ids(warehouse_dsn) == [(str(uuid.UUID(int=1)), 1), (str(uuid.UUID(int=2)), 2)]
    assert_balanced(warehouse_dsn, RAW, "web")


def test_duplicate_event_ids_across_files_and_days_are_kept_once(warehouse_dsn, tmp_path):
    events_file(tmp_path, 9, [event(1), event(2)])
    events_file(tmp_path, 10, [event(2), event(3)])
    next_day = DAY + timedelta(days=1)
    events_file(tmp_path, 0, [event(3), event(4)], day=next_day)
    load(warehouse_dsn, tmp_path)
    load(warehouse_dsn, tmp_path, next_day)
    assert len(event_ids(warehouse_dsn)) == 4
    assert [(name.rsplit("/", 1)[1], read, loaded, dup) for name, read, loaded, _, dup, _ in
            ledger(warehouse_dsn, "web")] == [
        ("events-09.jsonl.gz", 2, 2, 0), ("events-10.jsonl.gz", 2, 2, 1),
        ("events-00.jsonl.gz", 2, 2, 1)]
    assert_balanced(warehouse_dsn, RAW, "web")


def test_a_copy_delivered_days_later_among_new_events_is_found_and_kept_once(warehouse_dsn, tmp_path):
    late = event(2, occurred_at="2026-11-18T08:00:00Z")
    events_file(tmp_path, 9, [event(1), late])
    later = DAY + timedelta(days=4)
    events_file(tmp_path, 9, [event(5, occurred_at="2026-11-25T08:00:00Z"), event(1)], day=later)
    events_file(tmp_path, 10, [late], day=later)
    load(warehouse_dsn, tmp_path)
    report = load(warehouse_dsn, tmp_path, later)
    assert [(f.rows_read, f.rows_loaded, f.rows_duplicate) for f in report.files] == [
        (2, 2, 1), (1, 1, 1)]
    assert [n for n, _ in event_ids(warehouse_dsn)] == [str(uuid.UUID(int=n)) for n in (1, 2, 5)]
    assert_balanced(warehouse_dsn, RAW, "web")

def test_copies_in_the_days_before_and_after_a_date_loaded_late_are_found(warehouse_dsn, tmp_path):
    """The two days before a fresh date are read once, older and later days looked up."""
    days = [DAY + timedelta(days=offset) for offset in range(-3, 2)]
    for n, day in enumerate(days, 1):
        if day != DAY:
            events_file(tmp_path, 9, [event(n, occurred_at=f"{day}T08:00:00Z")], day=day)
            load(warehouse_dsn, tmp_path, day)
    copies = [event(n, occurred_at=f"{day}T08:00:00Z") for n, day in enumerate(days, 1)]
    events_file(tmp_path, 9, [event(9), *copies[1:]])  # all but the oldest day's
    events_file(tmp_path, 10, [copies[0]])  # the oldest alone: its file searches from there
    report = load(warehouse_dsn, tmp_path)
    assert [(f.rows_read, f.rows_loaded, f.rows_duplicate) for f in report.files] == [
        (5, 5, 3), (1, 1, 1)]
    assert [n for n, _ in event_ids(warehouse_dsn)] == [
        str(uuid.UUID(int=n)) for n in (1, 2, 3, 4, 5, 9)]
    assert_balanced(warehouse_dsn, RAW, "web")


def test_lines_that_break_the_contract_are_quarantined(warehouse_dsn, tmp_path):
    events_file(tmp_path, 9, [
        event(1),
        b'{"event_id": "broken',
        b"[1, 2]",
        event(4, event_id="not-a-uuid"),
        event(5, occurred_at="21-11-2026 09:14:03"),
        event(6, occurred_at="2026-11-21T09:14:03+01:00"),  # not UTC
        event(7, utm="google"),
        event(8, traits=["a@example.nl"]),
        event(9, event_type=None),
        event(10, anonymous_id={"id": 1}),
        b'{"event_id": "x\\u0000"}',
        event(12),
    ])
    [loaded] = load(warehouse_dsn, tmp_path).files
    assert (loaded.rows_read, loaded.rows_loaded, loaded.rows_quarantined) == (12, 2, 10)
    refused = {line: reason for _, line, _, reason in quarantine(warehouse_dsn, "web")}
    assert refused[2].startswith("not valid JSON:")
    assert refused[3] == "not a JSON object"
    assert refused[4] == "event_id: 'not-a-uuid' is not a UUID"
    assert refused[5] == "occurred_at: '21-11-2026 09:14:03' is not a valid ISO 8601 timestamp in UTC"
    assert refused[6].startswith("occurred_at: '2026-11-21T09:14:03+01:00' is not")
    assert refused[7] == "utm: '\"google\"' is not a JSON object"
    assert refused[8] == "traits: '[\"a@e******.n*\"]' is not a JSON object"  # personal: masked
    assert refused[9] == "event_type: empty, expected a value"
    assert refused[10] == "anonymous_id: '{\"i*\":1}' is not a JSON string"
    assert refused[11] == "holds a \\u0000 character"
    raw = {line: text for _, line, text, _ in quarantine(warehouse_dsn, "web")}
    assert orjson.loads(raw[4]) == event(4, event_id="not-a-uuid")
    assert_balanced(warehouse_dsn, RAW, "web")


def test_truncated_gzip_is_refused_whole(warehouse_dsn, tmp_path):
    path = events_file(tmp_path, 9, [event(n) for n in range(1, 200)])
    path.write_bytes(path.read_bytes()[:-20])
    events_file(tmp_path, 10, [event(500)])
    report = load(warehouse_dsn, tmp_path)
    [failure] = report.contract_failures
    assert failure.source_name.endswith("events-09.jsonl.gz")
    assert failure.message.startswith("truncated or corrupt gzip")
    assert event_ids(warehouse_dsn) == [(str(uuid.UUID(int=500)), 1)]  # the other file loads
    assert_balanced(warehouse_dsn, RAW, "web")


def test_corrupt_gzip_is_refused_whole(warehouse_dsn, tmp_path):
    path = tmp_path / f"web/{DAY}/events-09.jsonl.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not gzip at all")
    [failure] = load(warehouse_dsn, tmp_path).contract_failures
    assert failure.message.startswith("truncated or corrupt gzip: Not a gzipped file")


@pytest.mark.parametrize(("damage", "reason"), [
    (lambda data: data[:40] + bytes(b ^ 0xFF for b in data[40:60]) + data[60:], "Error -3"),
    (lambda data: data[:-8] + bytes(4) + data[-4:], "CRC check failed"),
], ids=["broken deflate block", "wrong checksum"])
def test_damaged_gzip_is_refused_whole_with_the_reason(warehouse_dsn, tmp_path, damage, reason):
    path = events_file(tmp_path, 9, [event(n) for n in range(1, 200)])
    path.write_bytes(damage(path.read_bytes()))
    [failure] = load(warehouse_dsn, tmp_path).contract_failures
    assert failure.message.startswith("truncated or corrupt gzip: ") and reason in failure.message
    assert event_ids(warehouse_dsn) == []
    assert_balanced(warehouse_dsn, RAW, "web")


def test_non_utf8_content_is_refused_whole(warehouse_dsn, tmp_path):
    path = tmp_path / f"web/{DAY}/events-09.jsonl.gz"
    path.parent.mkdir(parents=True)
    good = orjson.dumps(event(1))
    bad = orjson.dumps(event(2, page_url="PLACEHOLDER")).replace(b"PLACEHOLDER", b"caf\xe9")
    path.write_bytes(gzip.compress(good + b"\n" + bad + b"\n"))
    [failure] = load(warehouse_dsn, tmp_path).contract_failures
    assert failure.message.startswith("not UTF-8: byte 0xe9") and "(line 2)" in failure.message
    assert event_ids(warehouse_dsn) == []
    assert ledger(warehouse_dsn, "web") == [(str(path.relative_to(tmp_path)), 0, 0, 0, 0,
                                              "quarantined")]


def test_zero_byte_and_empty_gzip_files_load_zero_rows(warehouse_dsn, tmp_path):
    folder = tmp_path / f"web/{DAY}"
    folder.mkdir(parents=True)
    (folder / "events-00.jsonl.gz").write_bytes(b"")
    (folder / "events-01.jsonl.gz").write_bytes(gzip.compress(b""))
    report = load(warehouse_dsn, tmp_path)
    assert [(f.rows_read, f.status) for f in report.files] == [(0, "loaded"), (0, "loaded")]


def test_reloading_a_date_and_redelivering_a_changed_file(warehouse_dsn, tmp_path):
    events_file(tmp_path, 9, [event(1), event(2), b"garbage"])
    events_file(tmp_path, 10, [event(3)])
    load(warehouse_dsn, tmp_path)
    state = raw_snapshot(warehouse_dsn, RAW), ledger(warehouse_dsn, "web")
    assert [f.status for f in load(warehouse_dsn, tmp_path).files] == ["unchanged", "unchanged"]
    assert (raw_snapshot(warehouse_dsn, RAW), ledger(warehouse_dsn, "web")) == state

    events_file(tmp_path, 9, [event(1), event(4)])  # re-delivered: event 2 and the garbage gone
    report = load(warehouse_dsn, tmp_path)
    assert [f.status for f in report.files] == ["loaded", "unchanged"]
    assert [n for n, _ in event_ids(warehouse_dsn)] == [str(uuid.UUID(int=n)) for n in (1, 3, 4)]
    assert quarantine(warehouse_dsn, "web") == []
    assert_balanced(warehouse_dsn, RAW, "web")
    # every row carries the metadata of the file that delivered it
    assert fetch(warehouse_dsn, f"select r.event_id, l.source_name from {RAW} r join ops.load_ledger l "
                                f"on (l.ledger_id, l.business_date, l.source_name) = "
                                f"(r._batch_id, r._business_date, r._source_name) order by 1") == [
        (str(uuid.UUID(int=n)), f"web/2026-11-21/events-{hour}.jsonl.gz")
        for n, hour in ((1, "09"), (3, "10"), (4, "09"))]


def test_the_first_copy_of_an_event_in_a_file_wins_whatever_its_form(warehouse_dsn, tmp_path):
    plain = {"page_url": "https://shop.example/p", "traits": {"email": "b@example.nl"}}
    events_file(tmp_path, 9, [
        event(1),  # a backslash in page_url
        event(1, **plain),  # a later copy, without: not kept
        event(2, **plain),
        event(2),  # a later copy with a backslash: not kept
        event(3, **plain, properties={"price": 1.50}),
        event(4, **plain, occurred_at="2024-02-29T10:00:00Z"),  # a leap day: past the fast patterns
        event(5, **plain, event_id="not-a-uuid"),  # refused with its reason
        event(6, **plain, occurred_at="2026-11-21T10:00:00+01:00"),
        event(7, **plain, utm=None, referrer="https://www.google.com/"),
    ])
    [loaded] = load(warehouse_dsn, tmp_path).files
    assert (loaded.rows_read, loaded.rows_loaded, loaded.rows_quarantined,
            loaded.rows_duplicate) == (9, 7, 2, 2)
    assert fetch(warehouse_dsn, f"select event_id, _line_number, page_url, traits, properties, "
                                f"referrer, occurred_at from {RAW} order by event_id") == [
        (str(uuid.UUID(int=1)), 1, "https://shop.example/p?q=a\\b", None, {"path": "/p", "title": "P"},
         None, "2026-11-21T09:14:03.123Z"),
        (str(uuid.UUID(int=2)), 3, "https://shop.example/p", {"email": "b@example.nl"},
         {"path": "/p", "title": "P"}, None, "2026-11-21T09:14:03.123Z"),
        (str(uuid.UUID(int=3)), 5, "https://shop.example/p", {"email": "b@example.nl"},
         {"price": 1.5}, None, "2026-11-21T09:14:03.123Z"),
        (str(uuid.UUID(int=4)), 6, "https://shop.example/p", {"email": "b@example.nl"},
         {"path": "/p", "title": "P"}, None, "2024-02-29T10:00:00Z"),
        (str(uuid.UUID(int=7)), 9, "https://shop.example/p", {"email": "b@example.nl"},
         {"path": "/p", "title": "P"}, "https://www.google.com/", "2026-11-21T09:14:03.123Z")]
    assert [(line, reason) for _, line, _, reason in quarantine(warehouse_dsn, "web")] == [
        (7, "event_id: 'not-a-uuid' is not a UUID"),
        (8, "occurred_at: '2026-11-21T10:00:00+01:00' is not a valid ISO 8601 timestamp in UTC")]
    assert_balanced(warehouse_dsn, RAW, "web")


def timestamp_candidates() -> list[str]:
    """Valid timestamps and near misses at every position, calendar and clock edges."""
    valid = "2026-11-21T09:14:03.123Z"
    values = [valid, "2026-11-21T09:14:03Z", "2026-11-21T09:14:03+00:00",
              "2026-11-21T09:14:03.123456+0000", "2026-11-21T09:14:03.1234567Z",
              "2026-11-21T09:14:03+01:00", "2026-11-21t09:14:03Z", "2026-11-21T09:14:03z",
              "2026-11-21 09:14:03Z", "2026-11-21T09:14:03.Z", "0000-01-01T00:00:00Z",
              "0001-01-01T00:00:00Z", "", "2026-11-21T09:14:03.123Z ", "2026-11-21T09:14:03+00",
              "2026-11-21T09:14:03-00:00", "2026-11-21T09:14:03+00:01", "2026-11-21T09:14:03",
              "2026-11-21T09:14:03Z\n"]
    for day in ("2026-02-28", "2026-02-29", "2024-02-29", "2026-04-30", "2026-04-31",
                "2026-12-31", "2026-13-01", "2026-00-10", "2026-01-00", "2026-01-32"):
        values.append(f"{day}T09:14:03Z")
    for clock in ("00:00:00", "23:59:59", "24:00:00", "19:60:00", "19:00:60", "29:00:00",
                  "20:59:59", "09:5a:00"):
        values.append(f"2026-11-21T{clock}Z")
    for position, char in itertools.product(range(len(valid)), "0596-:T.Zx+ "):
        values.append(valid[:position] + char + valid[position + 1:])
    return list(dict.fromkeys(values))


def test_required_members_are_kept_exactly_when_their_checks_accept_them(warehouse_dsn, tmp_path):
    good_id = str(uuid.UUID(int=2**128 - 1))
    ids = [good_id, good_id.upper(), good_id.replace("-", ""), good_id + "0", good_id[:-1],
           "h" * 36, "hhhhhhhh-hhhh-hhhh-hhhh-hhhhhhhhhhhh", good_id.replace("f", "g", 1), "",
           good_id[:8] + "_" + good_id[9:]]
    types = ["page_view", " page_view", "\u00a0x", "x y", "", "\t", "tab\there", "é", "x\n"]
    cases = ([(web.OCCURRED_AT, {"occurred_at": value}) for value in timestamp_candidates()]
             + [(web.EVENT_ID, {"event_id": value}) for value in ids]
             + [(web.EVENT_TYPE, {"event_type": value}) for value in types])
    events_file(tmp_path, 9, [event(n, **changes) for n, (_, changes) in enumerate(cases, 100)])
    [loaded] = load(warehouse_dsn, tmp_path).files
    expected = {number: check.reason(changes[check.name])
                for number, (check, changes) in enumerate(cases, 1)}
    assert {n for _, n in event_ids(warehouse_dsn)} == {n for n, why in expected.items() if not why}
    assert {line: reason for _, line, _, reason in quarantine(warehouse_dsn, "web")} == {
        n: why for n, why in expected.items() if why}
    assert 0 < loaded.rows_quarantined < loaded.rows_read == len(cases)
    assert_balanced(warehouse_dsn, RAW, "web")


def test_members_are_read_whatever_their_order_spacing_or_company(warehouse_dsn, tmp_path):
    def with_properties(n: int, json_text: bytes) -> bytes:
        doc = {name: value for name, value in event(n).items() if name != "properties"}
        return orjson.dumps(doc)[:-1] + b',"properties":' + json_text + b"}"

    kept = [
        event(1, user_id="WU12", utm={"source": "g", "medium": "cpc"}),
        event(2, traits={"email": "a@example.nl", "first_name": "Zoë"}, anonymous_id=""),
        event(3, properties={"list": ["weekly", "deals"], "nested": {"ok": True, "no": None}}),
        event(4, properties=None, utm=None, page_url=None, session_id=None),
        {"occurred_at": "2026-11-21T09:14:03Z", "event_type": "hologram_viewed",
         "event_id": str(uuid.UUID(int=5))},  # other order, optional members absent
        event(6, properties={"a:b": "c,d", "t": "09:14:03", "x": "[{1}]"}),
        event(7, page_url="https://shop.example/€?q=1"),
        event(8, extra="member"),  # a member the contract does not name: not stored
        event(9, utm={"s": 'a"b'}),
    ]
    spaced = b'{ "event_id" : "%s" ,\t"event_type":"login",\r"occurred_at": "%s" , "utm" : null }' % (
        str(uuid.UUID(int=10)).encode(), b"2026-11-21T09:14:03Z")
    refused = [
        (orjson.dumps(event(11, user_id=7)), "user_id: '7' is not a JSON string"),
        (orjson.dumps(event(12, user_id=True)), "user_id: 't***' is not a JSON string"),
        (orjson.dumps(event(13, traits=["a"])), "traits: '[\"a\"]' is not a JSON object"),
        (b'{"event_id":"x","event_id":"%s"}' % str(uuid.UUID(int=14)).encode(),
         "event_type: empty, expected a value; occurred_at: empty, expected a valid ISO 8601 "
         "timestamp in UTC"),
        (b"{}", "event_id: empty, expected a UUID; event_type: empty, expected a value; "
         "occurred_at: empty, expected a valid ISO 8601 timestamp in UTC"),
        (with_properties(16, b'"a text"'), "properties: '\"a text\"' is not a JSON object"),
    ]
    events_file(tmp_path, 9, [*kept, spaced, *(line for line, _ in refused)])
    [loaded] = load(warehouse_dsn, tmp_path).files
    assert (loaded.rows_read, loaded.rows_loaded) == (len(kept) + 1 + len(refused), len(kept) + 1)
    stored = fetch(warehouse_dsn, f"select {', '.join(web.COLUMNS)}, _line_number from {RAW} "
                                  "order by _line_number")
    assert stored == [tuple(doc.get(name) for name in web.COLUMNS) + (number,)
                      for number, doc in enumerate([*kept, orjson.loads(spaced)], 1)]
    assert [(line, reason) for _, line, _, reason in quarantine(warehouse_dsn, "web")] == [
        (number, reason) for number, (_, reason) in enumerate(refused, len(kept) + 2)]
    assert_balanced(warehouse_dsn, RAW, "web")


def test_a_line_with_two_events_or_part_of_one_is_refused_and_the_rest_keep_their_numbers(
        warehouse_dsn, tmp_path):
    lines = [orjson.dumps(event(n)) for n in range(1, 4)]
    events_file(tmp_path, 9, [
        lines[0],
        lines[1] + b" " + orjson.dumps(event(8)),  # two on a line
        lines[2][:-1], b"}",  # one event over two lines
        b"\x0b",  # a blank line, though not JSON's blank
        b"{}{}",
        orjson.dumps(event(4)),
    ])
    [loaded] = load(warehouse_dsn, tmp_path).files
    assert (loaded.rows_read, loaded.rows_loaded, loaded.rows_quarantined) == (6, 2, 4)
    assert [n for _, n in event_ids(warehouse_dsn)] == [1, 7]
    refused = quarantine(warehouse_dsn, "web")
    assert [line for _, line, _, _ in refused] == [2, 3, 4, 6]
    assert all(reason.startswith("not valid JSON: ") for *_, reason in refused)
