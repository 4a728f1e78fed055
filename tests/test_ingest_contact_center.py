"""Contact center loads: the `;` CRLF dialect, row and file refusals, idempotency."""

from __future__ import annotations

from pathlib import Path

import pytest

from c360.ingest.contract_files import file_silo
from c360.ingest.report import ContractViolation
from tests.ingest_helpers import (
    DAY,
    assert_balanced,
    fetch,
    ledger,
    quarantine,
    raw_snapshot,
    write_delimited,
)

contact_center = file_silo("contact_center")
INTERACTIONS = contact_center.dataset("interactions")

HEADER = list(INTERACTIONS.columns)
NAME = "contact_center/2026-11-21/interactions.csv"
RAW = "raw_contact_center.interactions"


def interaction(n: int, **changes: str) -> list[str]:
    row = {
        "interaction_id": f"CC-20261121-{n:06d}", "started_at": "21-11-2026 09:15:00",
        "channel": "phone", "direction": "inbound", "customer_ref": "fa0012345",
        "caller_name": "Jansen, Piet", "caller_phone": "06-12345678", "caller_email": "",
        "reason": "billing", "handle_seconds": "240", "wait_seconds": "31", "resolved": "Y",
        "first_contact_resolution": "N", "csat": "4", "agent_id": "AG-07",
    }
    row.update(changes)
    return list(row.values())


def write(landing: Path, rows, header=HEADER, **dialect) -> Path:
    options = {"delimiter": ";", "line_end": "\r\n", **dialect}
    return write_delimited(landing / NAME, header, rows, **options)


def load(dsn: str, landing: Path):
    return contact_center.load_business_date(dsn, landing, DAY)


def test_quoted_delimiter_quote_and_line_break_with_bom_and_crlf(warehouse_dsn, tmp_path):
    tricky = 'van der Berg; Anna "Anneke"\r\nsecond line\twith a tab and a \\ backslash'
    write(tmp_path, [interaction(1, caller_name=tricky), interaction(2)], bom=True)
    report = load(warehouse_dsn, tmp_path)
    assert [(f.rows_read, f.rows_loaded, f.status) for f in report.files] == [(2, 2, "loaded")]
    rows = fetch(warehouse_dsn, f"select interaction_id, caller_name, caller_email, _line_number "
                                f"from {RAW} order by 1")
    # the BOM is not part of the first column's name or value; empty is NULL;
    # the second record starts on line 4 because the first spans lines 2 and 3
    assert rows == [("CC-20261121-000001", tricky, None, 2), ("CC-20261121-000002", "Jansen, Piet", None, 4)]
    assert_balanced(warehouse_dsn, RAW, "contact_center")


def test_unparseable_date_number_and_enum_are_quarantined_rest_loads(warehouse_dsn, tmp_path):
    write(tmp_path, [
        interaction(1),
        interaction(2, started_at="2026-11-21 09:15:00"),
        interaction(3, started_at="31-02-2026 10:00:00"),
        interaction(4, handle_seconds="4 min"),
        interaction(5, channel="fax"),
        interaction(6, resolved="yes", csat="7"),
        interaction(7, csat=""),  # skipped survey: valid
        interaction(8, handle_seconds="-30", caller_email="no-at-sign"),  # parses: loaded
        interaction(9, started_at="29-02-2024 23:59:59"),  # a leap day: loaded
        interaction(10, started_at="29-02-2026 10:00:00"),
    ])
    report = load(warehouse_dsn, tmp_path)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (10, 4, 6)
    assert report.contract_failures == []
    refused = {line: reason for _, line, _, reason in quarantine(warehouse_dsn, "contact_center")}
    assert refused == {
        3: "started_at: '2026-11-21 09:15:00' is not a valid DD-MM-YYYY HH:MM:SS",
        4: "started_at: '31-02-2026 10:00:00' is not a valid DD-MM-YYYY HH:MM:SS",
        5: "handle_seconds: '4 min' is not an integer",
        6: "channel: 'fax' is not one of phone, chat, email",
        7: "resolved: 'yes' is not one of Y, N; csat: '7' is not one of 1, 2, 3, 4, 5",
        11: "started_at: '29-02-2026 10:00:00' is not a valid DD-MM-YYYY HH:MM:SS",
    }
    raw_text = quarantine(warehouse_dsn, "contact_center")[0][2]
    assert raw_text == ";".join(interaction(2, started_at="2026-11-21 09:15:00"))
    assert_balanced(warehouse_dsn, RAW, "contact_center")


def test_too_few_and_too_many_fields_are_quarantined(warehouse_dsn, tmp_path):
    write(tmp_path, [interaction(1), interaction(2)[:5], interaction(3) + ["extra"]])
    report = load(warehouse_dsn, tmp_path)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 1, 2)
    assert [(line, reason) for _, line, _, reason in quarantine(warehouse_dsn, "contact_center")] == [
        (3, "5 fields where the header has 15"),
        (4, "16 fields where the header has 15"),
    ]
    assert_balanced(warehouse_dsn, RAW, "contact_center")


def test_broken_quoting_quarantines_the_record_and_loading_goes_on(warehouse_dsn, tmp_path):
    path = write(tmp_path, [interaction(1)])
    with path.open("ab") as f:
        f.write(b'CC-2;"21-11-2026 09:15:00"x;phone\r\n' + ";".join(interaction(3)).encode() + b"\r\n")
    report = load(warehouse_dsn, tmp_path)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 2, 1)
    [(_, line, raw, reason)] = quarantine(warehouse_dsn, "contact_center")
    assert line == 3 and raw.startswith("CC-2;") and reason.startswith("malformed CSV record")
    assert_balanced(warehouse_dsn, RAW, "contact_center")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ([c for c in HEADER if c != "started_at"], "header missing required column(s): started_at"),
        ([*HEADER, "mood"], "header unknown column(s): 'mood'"),
    ],
)
def test_header_breaking_the_contract_refuses_the_whole_file(
    warehouse_dsn, tmp_path, header, expected
):
    rows = [interaction(1)[: len(header)], interaction(2)[: len(header)]]
    write(tmp_path, rows, header=header)
    report = load(warehouse_dsn, tmp_path)
    [failure] = report.contract_failures
    assert failure.status == "quarantined" and failure.message == expected
    assert (failure.rows_read, failure.rows_loaded, failure.rows_quarantined) == (2, 0, 2)
    [(_, line, raw, reason)] = quarantine(warehouse_dsn, "contact_center")
    assert (line, raw, reason) == (None, ";".join(header), expected)
    assert fetch(warehouse_dsn, f"select count(*) from {RAW}") == [(0,)]
    with pytest.raises(ContractViolation, match="started_at|mood"):
        report.raise_for_contract()
    # a retry with the same bad file still fails the check, and writes nothing new
    again = load(warehouse_dsn, tmp_path)
    assert [f.status for f in again.files] == ["quarantined"]
    assert len(quarantine(warehouse_dsn, "contact_center")) == 1


@pytest.mark.parametrize("bom", [False, True], ids=["no BOM", "BOM"])
def test_non_utf8_file_is_refused_whole(warehouse_dsn, tmp_path, bom):
    path = write(tmp_path, [interaction(1), interaction(2)], bom=bom)
    data = path.read_bytes().replace(b"Jansen", "Jänsen".encode("latin-1"), 1)
    path.write_bytes(data)
    report = load(warehouse_dsn, tmp_path)
    [failure] = report.contract_failures
    # the offset counts from the file's first byte, the byte-order mark's included
    assert failure.message.startswith(f"not UTF-8: byte 0xe4 at offset {data.index(0xE4)} (line 2)")
    assert fetch(warehouse_dsn, f"select count(*) from {RAW}") == [(0,)]
    assert ledger(warehouse_dsn, "contact_center") == [(NAME, 0, 0, 0, 0, "quarantined")]


@pytest.mark.parametrize("content", [b"", ";".join(HEADER).encode() + b"\r\n"],
                         ids=["zero-bytes", "header-only"])
def test_empty_file_loads_zero_rows(warehouse_dsn, tmp_path, content):
    path = tmp_path / NAME
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    report = load(warehouse_dsn, tmp_path)
    assert [(f.rows_read, f.status) for f in report.files] == [(0, "loaded")]
    assert ledger(warehouse_dsn, "contact_center") == [(NAME, 0, 0, 0, 0, "loaded")]


def test_same_file_twice_and_a_date_loaded_twice_change_nothing(warehouse_dsn, tmp_path):
    write(tmp_path, [interaction(1), interaction(2, channel="fax")])
    load(warehouse_dsn, tmp_path)
    state = (raw_snapshot(warehouse_dsn, RAW), quarantine(warehouse_dsn, "contact_center"),
             ledger(warehouse_dsn, "contact_center"))
    again = load(warehouse_dsn, tmp_path)
    assert [(f.status, f.rows_read, f.rows_loaded) for f in again.files] == [("unchanged", 2, 1)]
    # the same bytes delivered anew (a fresh copy of the file) are recognised by their hash
    write(tmp_path, [interaction(1), interaction(2, channel="fax")])
    load(warehouse_dsn, tmp_path)
    assert (raw_snapshot(warehouse_dsn, RAW), quarantine(warehouse_dsn, "contact_center"),
            ledger(warehouse_dsn, "contact_center")) == state


def test_redelivered_file_with_changed_content_replaces_the_earlier_load(warehouse_dsn, tmp_path):
    write(tmp_path, [interaction(1), interaction(2, channel="fax")])
    first = load(warehouse_dsn, tmp_path).files[0]
    write(tmp_path, [interaction(1), interaction(2), interaction(3), interaction(4, wait_seconds="x")])
    second = load(warehouse_dsn, tmp_path).files[0]
    assert second.ledger_id == first.ledger_id
    assert (second.status, second.rows_read, second.rows_loaded, second.rows_quarantined) == (
        "loaded", 4, 3, 1)
    assert [r[0] for r in fetch(warehouse_dsn, f"select interaction_id from {RAW} order by 1")] == [
        "CC-20261121-000001", "CC-20261121-000002", "CC-20261121-000003"]
    assert [line for _, line, _, _ in quarantine(warehouse_dsn, "contact_center")] == [5]
    assert ledger(warehouse_dsn, "contact_center") == [(NAME, 4, 3, 1, 0, "loaded")]
    assert_balanced(warehouse_dsn, RAW, "contact_center")


def test_missing_folder_loads_nothing_on_an_empty_warehouse(warehouse_dsn, tmp_path):
    report = load(warehouse_dsn, tmp_path)
    assert report.files == [] and report.contract_failures == []
    assert fetch(warehouse_dsn, "select count(*) from ops.load_ledger") == [(0,)]


def test_a_quoted_field_over_several_lines_keeps_the_line_numbers_after_it(warehouse_dsn, tmp_path):
    # the caller name's middle lines hold no quote: each is a line of one record
    note = "Jansen,\r\nline two\r\nline three\r\nline four"
    rows = [interaction(1), interaction(2, caller_name=note), interaction(3),
            interaction(4, started_at="31-02-2026 10:00:00"), interaction(5)]
    write(tmp_path, rows)
    report = load(warehouse_dsn, tmp_path)
    assert [(f.rows_read, f.rows_loaded, f.rows_quarantined) for f in report.files] == [(5, 4, 1)]
    assert fetch(warehouse_dsn, f"select interaction_id, caller_name, _line_number from {RAW} "
                                "order by _line_number") == [
        ("CC-20261121-000001", "Jansen, Piet", 2),
        ("CC-20261121-000002", note, 3),
        ("CC-20261121-000003", "Jansen, Piet", 7),
        ("CC-20261121-000005", "Jansen, Piet", 9),
    ]
    assert [(line, reason) for _, line, _, reason in quarantine(warehouse_dsn, "contact_center")] \
        == [(8, "started_at: '31-02-2026 10:00:00' is not a valid DD-MM-YYYY HH:MM:SS")]
    assert_balanced(warehouse_dsn, RAW, "contact_center")


def test_lines_that_end_with_a_lone_cr_keep_their_numbers(warehouse_dsn, tmp_path):
    path = write(tmp_path, [interaction(n) for n in range(1, 6)])
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\r", 2))  # the header and record 1
    report = load(warehouse_dsn, tmp_path)
    assert [(f.rows_read, f.rows_loaded) for f in report.files] == [(5, 5)]
    assert fetch(warehouse_dsn, f"select interaction_id, _line_number from {RAW} order by 2") == [
        (f"CC-20261121-{n:06d}", n + 1) for n in range(1, 6)]
