"""Row checks run set-based in PostgreSQL: each value must parse with the contract's format.

A check yields a reason (text) for a row that breaks it and NULL otherwise; all of
a row's reasons are joined, so an empty result means the row is valid. Values that
parse but are implausible (an e-mail without @, a future birth date) pass: the
expectations flag those later (contracts/QUALITY.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from psycopg import sql

# A time of day; a leap second (:60) does not cast in PostgreSQL, so it is refused.
_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
_FRACTION = r"(\.[0-9]{1,6})?"
_ISO_DATE_TIME = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T" + _TIME + _FRACTION


@dataclass(frozen=True)
class DateFormat:
    """A date or timestamp layout: the regex of its shape and where year, month and day sit."""

    label: str
    regex: str
    year_at: int  # 1-based positions for substr()
    month_at: int
    day_at: int


DUTCH_TIMESTAMP = DateFormat("DD-MM-YYYY HH:MM:SS", rf"^[0-9]{{2}}-[0-9]{{2}}-[0-9]{{4}} {_TIME}$", 7, 4, 1)
LOCAL_TIMESTAMP = DateFormat("YYYY-MM-DD HH:MM:SS", rf"^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}} {_TIME}$", 1, 6, 9)
ISO_DATE = DateFormat("YYYY-MM-DD", r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", 1, 6, 9)
ISO_TIMESTAMP_WITH_OFFSET = DateFormat(
    "ISO 8601 timestamp with offset",
    rf"^{_ISO_DATE_TIME}(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)$", 1, 6, 9,
)
ISO_TIMESTAMP_UTC = DateFormat(
    "ISO 8601 timestamp in UTC", rf"^{_ISO_DATE_TIME}(Z|\+00:?00)$", 1, 6, 9
)

INTEGER = r"^[+-]?[0-9]{1,9}$"  # fits a 32-bit integer
DECIMAL_DOT = r"^[+-]?[0-9]{1,15}(\.[0-9]{1,6})?$"
UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


@dataclass(frozen=True)
class Check:
    """`reason` is a SQL text expression: why the row breaks the check, or NULL."""

    reason: sql.Composable


def column(name: str) -> sql.Composable:
    return sql.Identifier(name)


def _value_check(
    name: str, value: sql.Composable, valid: sql.Composable, expected: str, optional: bool
) -> Check:
    when_empty = sql.NULL if optional else sql.Literal(f"{name}: empty, expected {expected}")
    return Check(sql.SQL(
        "case when {v} is null then {when_empty} when not ({valid}) "
        "then {name} || quote_literal({v}) || {expected} end"
    ).format(
        v=value, when_empty=when_empty, valid=valid,
        name=sql.Literal(f"{name}: "), expected=sql.Literal(f" is not {expected}"),
    ))


def matches(name: str, regex: str, expected: str, optional: bool = False,
            value: sql.Composable | None = None) -> Check:
    v = value if value is not None else column(name)
    valid = sql.SQL("{v} ~ {re}").format(v=v, re=sql.Literal(regex))
    return _value_check(name, v, valid, expected, optional)


def required(name: str, value: sql.Composable | None = None) -> Check:
    return matches(name, r"\S", "a value", value=value)


def integer(name: str, optional: bool = False) -> Check:
    return matches(name, INTEGER, "an integer", optional)


def decimal(name: str, optional: bool = False) -> Check:
    return matches(name, DECIMAL_DOT, "a decimal number with a dot", optional)


def one_of(name: str, values: Sequence[str], optional: bool = False,
           value: sql.Composable | None = None) -> Check:
    v = value if value is not None else column(name)
    valid = sql.SQL("{v} = any({values})").format(v=v, values=sql.Literal(list(values)))
    return _value_check(name, v, valid, "one of " + ", ".join(values), optional)


def date_like(name: str, fmt: DateFormat, optional: bool = False,
              value: sql.Composable | None = None) -> Check:
    v = value if value is not None else column(name)
    valid = sql.SQL(
        "case when {v} ~ {re} then ops.is_calendar_date("
        "substr({v}, {y}, 4)::int, substr({v}, {m}, 2)::int, substr({v}, {d}, 2)::int) "
        "else false end"
    ).format(v=v, re=sql.Literal(fmt.regex), y=sql.Literal(fmt.year_at),
             m=sql.Literal(fmt.month_at), d=sql.Literal(fmt.day_at))
    return _value_check(name, v, valid, f"a valid {fmt.label}", optional)


def json_type(name: str, value: sql.Composable, types: Sequence[str]) -> Check:
    """A JSON member that, when present, must be of one of `types` (or null)."""
    valid = sql.SQL("jsonb_typeof({v}) = any({types})").format(
        v=value, types=sql.Literal([*types, "null"])
    )
    return _value_check(name, value, valid, "a JSON " + " or ".join(types), optional=True)


def at_least_one(names: Sequence[str]) -> Check:
    return Check(sql.SQL("case when num_nonnulls({cols}) = 0 then {reason} end").format(
        cols=sql.SQL(", ").join(column(n) for n in names),
        reason=sql.Literal("no identifier: at least one of " + ", ".join(names) + " must be set"),
    ))


def reason_expression(checks: Sequence[Check]) -> sql.Composable:
    """One text expression: every broken check's reason, '; '-joined; '' for a valid row."""
    return sql.SQL("concat_ws('; ', {})").format(sql.SQL(", ").join(c.reason for c in checks))


def remove_invalid_rows(
    conn, table: sql.Composable, batch_filter: sql.Composable, checks: Sequence[Check]
) -> list[tuple[int, str]]:
    """Delete the rows of a just-loaded batch that break a check; return (line, reason) of each.

    Rows are checked where they were bulk-loaded, in one pass: valid rows are never
    written twice, and only the few invalid ones are touched again.
    """
    query = sql.SQL(
        """with checked as (
               select ctid as row_id, _line_number as line_number, {reason} as reason
               from {table} where {batch_filter}
           )
           delete from {table} as t using checked
           where t.ctid = checked.row_id and checked.reason <> ''
           returning checked.line_number, checked.reason"""
    ).format(reason=reason_expression(checks), table=table, batch_filter=batch_filter)
    return conn.execute(query).fetchall()
