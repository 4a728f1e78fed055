"""Identifiers drawn in bulk: unique numbers, EAN-13 card numbers, UUIDs."""

from __future__ import annotations

import numpy as np
import pandas as pd


def unique_ints(rng: np.random.Generator, low: int, high: int, n: int) -> np.ndarray:
    """`n` distinct integers in [low, high), in random order."""
    if n > high - low:
        raise ValueError(f"cannot draw {n} distinct numbers from a range of {high - low}")
    out = np.empty(0, dtype=np.int64)
    while len(out) < n:
        draw = rng.integers(low, high, size=int((n - len(out)) * 1.05) + 16)
        out = np.concatenate([out, draw])
        _, first = np.unique(out, return_index=True)
        out = out[np.sort(first)]
    return out[:n]


def padded(prefix: str, numbers: np.ndarray, width: int) -> pd.Series:
    return pd.Series([f"{prefix}{n:0{width}d}" for n in numbers.tolist()], dtype=object)


def ean13(body: np.ndarray) -> pd.Series:
    """12-digit numbers with their EAN-13 check digit appended, as loyalty cards carry."""
    digits = (body[:, None] // 10 ** np.arange(11, -1, -1)) % 10
    weights = np.tile([1, 3], 6)
    check = (10 - (digits * weights).sum(axis=1) % 10) % 10
    return padded("", body * 10 + check, 13)


def uuids(rng: np.random.Generator, n: int) -> pd.Series:
    """Random (version 4) UUID strings."""
    if n == 0:
        return pd.Series([], dtype=object)
    raw = np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    text = raw.tobytes().hex()
    # Plain slicing per id: several times faster than pandas string arithmetic here.
    return pd.Series([f"{text[i:i + 8]}-{text[i + 8:i + 12]}-{text[i + 12:i + 16]}-"
                      f"{text[i + 16:i + 20]}-{text[i + 20:i + 32]}" for i in range(0, 32 * n, 32)],
                     dtype=object)
