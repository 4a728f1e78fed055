"""The compiled key set answers as a Python set of the same keys would."""

from __future__ import annotations

import random
import uuid

import pytest

from c360.ingest.key_set import KeySet


def joined(keys: list[str]) -> bytes:
    return ",".join(keys).encode()


def test_it_answers_as_a_python_set_through_growth_and_probe_chains():
    rng = random.Random(7)
    keys, expected = KeySet(36, room=2), set()  # collisions, and the table made anew often
    pool = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(3000)]
    pool += [key.upper() for key in pool[:50]]  # other bytes, other keys
    for _ in range(40):
        batch = list(dict.fromkeys(rng.sample(pool, rng.randint(1, 200))))
        assert keys.add(joined(batch)).tolist() == [int(key in expected) for key in batch]
        expected.update(batch)
        assert keys.count == len(expected)
    assert keys.add(joined(pool)).tolist() == [int(key in expected) for key in pool]
    assert keys.count == len(pool)


def test_keys_that_differ_in_one_byte_anywhere_are_apart():
    base = "0123456789abcdef" * 2
    variants = [base[:at] + "x" + base[at + 1:] for at in range(len(base))]
    keys = KeySet(len(base))
    assert keys.add(joined([base])).tolist() == [0]
    assert keys.add(joined(variants)).tolist() == [0] * len(variants)
    assert keys.add(joined([*variants, base])).all()
    assert keys.count == 1 + len(variants)


def test_a_key_repeated_in_one_text_is_found_from_its_second_copy_on():
    keys = KeySet(3)
    assert keys.add(b"abc,xyz,abc,abc").tolist() == [0, 0, 1, 1]
    assert keys.count == 2


def test_an_empty_text_has_no_keys_and_a_ragged_one_is_refused():
    keys = KeySet(3)
    assert keys.add(b"").tolist() == []
    assert keys.count == 0
    with pytest.raises(ValueError, match="not keys of 3 bytes"):
        keys.add(b"abc,de")
