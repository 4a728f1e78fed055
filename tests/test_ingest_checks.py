"""The field checks: exact verdicts, and a fast form that never accepts a bad value."""

from __future__ import annotations

import re

import pytest

from c360.ingest import checks

# (check, values it accepts, values it refuses)
SAMPLES = [
    (checks.dutch_timestamp("t"),
     ["21-11-2026 09:15:00", "31-12-2026 23:59:59", "29-02-2024 00:00:00", "29-02-2000 12:00:00"],
     ["29-02-2026 00:00:00", "29-02-2100 00:00:00", "31-04-2026 10:00:00", "30-02-2024 10:00:00",
      "00-01-2026 10:00:00", "01-13-2026 10:00:00", "01-01-0000 10:00:00", "21-11-2026 24:00:00",
      "21-11-2026 09:60:00", "21-11-2026 9:15:00", "2026-11-21 09:15:00", " 21-11-2026 09:15:00"]),
    (checks.local_timestamp("t"),
     ["2026-11-21 14:03:12", "2024-02-29 10:00:00", "2000-02-29 10:00:00"],
     ["2100-02-29 10:00:00", "2026-06-31 10:00:00", "2026-11-21T14:03:12", "2026-11-21"]),
    (checks.iso_date("d"), ["1980-02-29", "2026-11-30"], ["1981-02-29", "2026-11-31", "2026-1-5"]),
    (checks.iso_timestamp_with_offset("t"),
     ["2026-11-21T10:15:00+01:00", "2026-11-21T10:15:00.123456Z", "2026-11-21T10:15:00+0100",
      "2026-11-21T10:15:00-05", "2024-02-29T10:15:00+01:00"],
     ["2026-11-21T10:15:00", "2026-11-21 10:15:00+01:00", "2025-02-29T10:15:00+01:00"]),
    (checks.iso_timestamp_utc("t"),
     ["2026-11-21T09:14:03.123Z", "2026-11-21T09:14:03Z", "2026-11-21T09:14:03+00:00"],
     ["2026-11-21T09:14:03+01:00", "2026-11-21T09:14:03.1234567Z", "2026-11-21T09:14:03"]),
    (checks.integer("i"), ["0", "-30", "+5", "123456789"], ["1234567890", "1.0", "1e3", " 1"]),
    (checks.decimal("d"), ["19.95", "-1", "0.5"], ["19,95", ".5", "1.", "1.2.3"]),
    (checks.one_of("e", ("Y", "N")), ["Y", "N"], ["y", "YES", "Y "]),
    (checks.required("r"), ["x", " x "], ["   "]),
    (checks.UUID_CHECK, ["00000000-0000-0000-0000-000000000001"],
     ["not-a-uuid", "00000000000000000000000000000001"]),
]


@pytest.mark.parametrize(("check", "valid", "invalid"), SAMPLES,
                         ids=[c.expected for c, _, _ in SAMPLES])
def test_exact_and_fast_forms_agree_with_the_contract(check, valid, invalid):
    fast = re.compile(check.fast)
    for value in valid:
        assert check.reason(value) is None, value
    for value in invalid:
        assert check.reason(value) is not None, value
        assert not fast.fullmatch(value), value  # the fast form never lets a bad value through


def test_exact_checks_tell_what_is_wrong():
    started_at = checks.dutch_timestamp("started_at")
    assert started_at.reason("29-02-2024 10:00:00") is None
    assert started_at.reason("29-02-2026 10:00:00") == (
        "started_at: '29-02-2026 10:00:00' is not a valid DD-MM-YYYY HH:MM:SS")
    assert started_at.reason(None) == "started_at: empty, expected a valid DD-MM-YYYY HH:MM:SS"
    assert checks.one_of("csat", "12345", optional=True).reason(None) is None
    assert checks.integer("n").reason("O'Brien") == "n: 'O''Brien' is not an integer"
    assert checks.AtLeastOne(("email", "phone")).reason({"email": None, "phone": ""}) == (
        "no identifier: at least one of email, phone must be set")


def test_record_pattern_checks_every_field_in_header_order():
    contract_checks = [checks.integer("n"), checks.one_of("flag", ("Y", "N"), optional=True)]
    pattern = checks.record_pattern(["flag", "free", "n"], contract_checks)
    assert pattern.fullmatch("Y\tanything at all\t12")
    assert pattern.fullmatch("\t\t12")
    assert not pattern.fullmatch("Y\tx\t")  # n is required
    assert not pattern.fullmatch("J\tx\t12")
