"""Field checks: each value must parse with the contract's format (contracts/SOURCES.md).

A check gives the reason a value is refused, or None. Values that parse but are
implausible (an e-mail without @, a future birth date, a negative handle time)
pass: the expectations flag those later (contracts/QUALITY.md).

Every check has two forms. `fast` is one regular expression that accepts exactly
the valid values except a few rare ones (29 February), so a whole record can be
tested in one match per row; `reason` is the exact, slower test, run only on the
records the fast form did not accept, and it says what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from c360.privacy.personal_data import shown

_HOUR_MINUTE_SECOND = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
_YEAR = r"(?!0000)[0-9]{4}"
# day and month of every date but 29 February, which leaves to the exact check
_DAY_MONTH = (r"(?:(?:0[1-9]|1[0-9]|2[0-8])-(?:0[1-9]|1[0-2])|(?:29|30)-(?:0[13-9]|1[0-2])"
              r"|31-(?:0[13578]|1[02]))")
_MONTH_DAY = (r"(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)"
              r"|(?:0[13578]|1[02])-31)")
_FRACTION = r"(?:\.[0-9]{1,6})?"
_OFFSET = r"(?:Z|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)"
_UTC = r"(?:Z|\+00:?00)"


@dataclass(frozen=True)
class Check:
    name: str
    fast: str  # regex: a full match means valid
    shape: str  # regex a valid value matches in full; dates also need a real calendar day
    expected: str
    optional: bool = False
    ymd: tuple[slice, slice, slice] | None = None  # where year, month, day sit in a date

    def reason(self, value: str | None) -> str | None:
        if not value:
            return None if self.optional else f"{self.name}: empty, expected {self.expected}"
        if re.fullmatch(self.shape, value) and self._is_calendar_day(value):
            return None
        return f"{self.name}: {quote(shown(self.name, value))} is not {self.expected}"

    def _is_calendar_day(self, value: str) -> bool:
        if self.ymd is None:
            return True
        year, month, day = (int(value[part]) for part in self.ymd)
        try:
            date(year, month, day)
        except ValueError:
            return False
        return True


def quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def matches(name: str, regex: str, expected: str, optional: bool = False) -> Check:
    return Check(name, regex, regex, expected, optional)


def required(name: str) -> Check:
    return Check(name, r"\S[^\t]*+", r"(?s).*?\S.*", "a value")


def identifier(name: str) -> Check:
    """A plain identifier: letters, digits, '-' and '_', 1 to 64 of them. Such a value
    is safe to use in a file name (no '/', no '..')."""
    return matches(name, "[A-Za-z0-9][A-Za-z0-9_-]{0,63}",
                   "a plain identifier (letters, digits, '-' and '_', at most 64)")


def integer(name: str, optional: bool = False) -> Check:
    return matches(name, r"[+-]?[0-9]{1,9}", "an integer", optional)  # fits 32 bits


def decimal(name: str, optional: bool = False) -> Check:
    return matches(name, r"[+-]?[0-9]{1,15}(?:\.[0-9]{1,6})?", "a decimal number with a dot",
                   optional)


def one_of(name: str, values: Sequence[str], optional: bool = False) -> Check:
    regex = "(?:" + "|".join(map(re.escape, values)) + ")"
    return matches(name, regex, "one of " + ", ".join(values), optional)


_YYYY_MM_DD = (slice(0, 4), slice(5, 7), slice(8, 10))


def dutch_timestamp(name: str, optional: bool = False) -> Check:
    """DD-MM-YYYY HH:MM:SS."""
    return Check(
        name, f"{_DAY_MONTH}-{_YEAR} {_HOUR_MINUTE_SECOND}",
        rf"[0-9]{{2}}-[0-9]{{2}}-[0-9]{{4}} {_HOUR_MINUTE_SECOND}",
        "a valid DD-MM-YYYY HH:MM:SS", optional, (slice(6, 10), slice(3, 5), slice(0, 2)),
    )


def _iso_date_check(name: str, tail: str, label: str, optional: bool) -> Check:
    return Check(name, f"{_YEAR}-{_MONTH_DAY}{tail}", rf"[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}{tail}",
                 f"a valid {label}", optional, _YYYY_MM_DD)


def iso_date(name: str, optional: bool = False) -> Check:
    return _iso_date_check(name, "", "YYYY-MM-DD", optional)


def local_timestamp(name: str, optional: bool = False) -> Check:
    return _iso_date_check(name, f" {_HOUR_MINUTE_SECOND}", "YYYY-MM-DD HH:MM:SS", optional)


def iso_timestamp_with_offset(name: str, optional: bool = False) -> Check:
    return _iso_date_check(name, f"T{_HOUR_MINUTE_SECOND}{_FRACTION}{_OFFSET}",
                           "ISO 8601 timestamp with offset", optional)


def iso_timestamp_utc(name: str, optional: bool = False) -> Check:
    return _iso_date_check(name, f"T{_HOUR_MINUTE_SECOND}{_FRACTION}{_UTC}",
                           "ISO 8601 timestamp in UTC", optional)


UUID_CHECK = matches("event_id", r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}", "a UUID")


@dataclass(frozen=True)
class AtLeastOne:
    """A record-level rule: at least one of `names` holds a value."""

    names: tuple[str, ...]

    def reason(self, record: dict[str, str]) -> str | None:
        if any(record.get(n) for n in self.names):
            return None
        return "no identifier: at least one of " + ", ".join(self.names) + " must be set"


def record_pattern(columns: Sequence[str], checks: Sequence[Check]) -> re.Pattern[str]:
    """One regex for a record as tab-joined fields in `columns` order (empty = no value)."""
    by_name = {c.name: c for c in checks}
    parts = []
    for name in columns:
        check = by_name.get(name)
        if check is None:
            parts.append(r"[^\t]*+")  # possessive: a field ends at a tab, no going back
        else:
            parts.append(f"(?:{check.fast}){'?' if check.optional else ''}")
    return re.compile("\t".join(parts))
