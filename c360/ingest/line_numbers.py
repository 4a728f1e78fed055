"""Line numbers as COPY text, made once per process.

A load writes each row's line number: str() of each costs a tenth of a second per
million lines, a slice of texts made before a few milliseconds. The texts are kept
up to a bound, so that one very long file does not hold a worker's memory.
"""

from __future__ import annotations

from collections.abc import Sequence

KEPT_TEXTS = 1 << 20  # at most this many texts (about 60 MB)
GROWTH = 1 << 16
_texts = ["0"]


def line_number_texts(numbers: Sequence[int]) -> Sequence[str]:
    """The numbers (ascending, none below 0) as text."""
    if not numbers:
        return []
    top = numbers[-1]
    if top >= len(_texts) and len(_texts) < KEPT_TEXTS:
        stop = min(KEPT_TEXTS, (top // GROWTH + 1) * GROWTH)
        _texts.extend(map(str, range(len(_texts), stop)))
    if top >= len(_texts):
        return list(map(str, numbers))
    if isinstance(numbers, range) and numbers.step == 1:
        return _texts[numbers.start:numbers.stop]
    return list(map(_texts.__getitem__, numbers))
