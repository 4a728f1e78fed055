"""Privacy desk loads: data-subject requests."""

from __future__ import annotations

from c360.ingest.contract_files import file_silo
from tests.ingest_helpers import DAY, assert_balanced, fetch, quarantine, write_delimited

privacy = file_silo("privacy")
REQUESTS = privacy.dataset("requests")


def request(n: int, **changes: str) -> list[str]:
    row = {
        "request_id": f"DSR-{n}", "received_at": "2026-11-21T10:15:00+01:00",
        "request_type": "erasure", "email": "anna@example.nl", "phone": "", "account_id": "",
        "card_number": "",
    }
    row.update(changes)
    return list(row.values())


def test_requests_load_and_unparseable_ones_are_quarantined(warehouse_dsn, tmp_path):
    write_delimited(tmp_path / f"privacy/{DAY}/requests.csv", REQUESTS.columns, [
        request(1),
        request(2, received_at="2026-11-21T09:15:00Z", request_type="restrict", email="",
                account_id="FA0012345"),
        request(3, received_at="2026-11-21 10:15:00"),  # no offset
        request(4, request_type="delete"),
        request(5, email=""),  # no identifier at all
    ])
    [loaded] = privacy.load_business_date(warehouse_dsn, tmp_path, DAY).files
    assert (loaded.rows_read, loaded.rows_loaded, loaded.rows_quarantined) == (5, 2, 3)
    assert [(line, reason) for _, line, _, reason in quarantine(warehouse_dsn, "privacy")] == [
        (4, "received_at: '2026-11-21 10:15:00' is not a valid ISO 8601 timestamp with offset"),
        (5, "request_type: 'delete' is not one of erasure, restrict, access"),
        (6, "no identifier: at least one of email, phone, account_id, card_number must be set"),
    ]
    assert fetch(warehouse_dsn, "select request_id, email, account_id from raw_privacy.requests "
                                "order by 1") == [
        ("DSR-1", "anna@example.nl", None), ("DSR-2", None, "FA0012345")]
    assert_balanced(warehouse_dsn, "raw_privacy.requests", "privacy")


def test_a_request_id_that_is_no_plain_identifier_is_refused(warehouse_dsn, tmp_path):
    # the id names the access export's file: '../' would write a person's data anywhere
    write_delimited(tmp_path / f"privacy/{DAY}/requests.csv", REQUESTS.columns, [
        request(1, request_id="../../../../../../tmp/x", request_type="access"),
        request(2, request_id="DSR 2", request_type="access"),
        request(3, request_id="PR-20261121-3"),
    ])
    [loaded] = privacy.load_business_date(warehouse_dsn, tmp_path, DAY).files
    assert (loaded.rows_read, loaded.rows_loaded, loaded.rows_quarantined) == (3, 1, 2)
    plain = "a plain identifier (letters, digits, '-' and '_', at most 64)"
    assert [(line, reason) for _, line, _, reason in quarantine(warehouse_dsn, "privacy")] == [
        (2, f"request_id: '../../../../../../tmp/x' is not {plain}"),
        (3, f"request_id: 'DSR 2' is not {plain}"),
    ]
    assert fetch(warehouse_dsn, "select request_id from raw_privacy.requests") == [("PR-20261121-3",)]
