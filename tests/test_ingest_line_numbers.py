"""Line numbers as COPY text: the same as str() of each, from texts kept up to a bound."""

from __future__ import annotations

from c360.ingest import line_numbers
from c360.ingest.line_numbers import line_number_texts


def test_line_numbers_read_as_their_decimal_text():
    assert line_number_texts([]) == []
    assert line_number_texts(range(1, 4)) == ["1", "2", "3"]
    assert line_number_texts([2, 9, 70_000]) == ["2", "9", "70000"]
    assert list(line_number_texts(range(65_530, 65_540))) == [str(n) for n in range(65_530, 65_540)]


def test_numbers_beyond_the_kept_texts_are_written_one_by_one():
    beyond = line_numbers.KEPT_TEXTS + 5
    assert line_number_texts(range(beyond - 2, beyond + 1)) == [str(n) for n in range(beyond - 2, beyond + 1)]
    assert len(line_numbers._texts) <= line_numbers.KEPT_TEXTS
