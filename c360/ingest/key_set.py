"""A set of keys of one width (bytes): web event ids, seen in a file or stored in a fresh partition.

A web load keeps the first copy of each event id in a file, and checks each file's
event ids (some 41,700 an hour) against those of the
date's earlier files, which the parent table does not show before the partition is
attached. In a Python set of str that cost the loading process 0.24 CPU s for a
million events (a str object made and hashed per id, and lookups in a set of up to a
million) and some 120 MB. Here the keys are kept as bytes, one after another in one
array, and found through a table probed by their hash (open addressing, each slot
one 64-bit word: the hash's high half and the key's row), by compiled loops (numba)
that take the ids as the text they arrive in, one key after another with one
separator byte between: 0.17 CPU s and some 70 MB. The loops release the GIL.
A worker finds the first copies of a file's ids here too (with the kept ids joined
again: 0.09 CPU s a million ids, 0.18 with a dict of str).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_FNV_OFFSET, _FNV_PRIME = np.uint64(0xCBF29CE484222325), np.uint64(0x100000001B3)
_HALF, _LOW = np.uint64(32), np.uint64(0xFFFFFFFF)
# Room for two million keys before the table is made anew (which would cost as much
# again as adding them); its memory is taken from the system page by page as keys land.
ROOM = 1 << 21


class KeySet:
    """Keys of `width` bytes each."""

    def __init__(self, width: int, room: int = ROOM):
        self.width = width
        self.keys = np.empty(0, np.uint8)  # one after another
        # a power of two, so that a hash's low bits pick the slot; at most half of them full
        self.slots = np.zeros(1 << max(2 * room - 1, 1).bit_length(), np.uint64)  # 0: empty
        self.count = 0

    def add(self, joined: bytes) -> np.ndarray:
        """Add the keys of `joined` (keys with one byte between them); which of them were
        in the set already, as a uint8 mask."""
        if not joined:
            return np.zeros(0, np.uint8)
        if (len(joined) + 1) % (self.width + 1):
            raise ValueError(f"not keys of {self.width} bytes with one byte between them")
        found = np.zeros((len(joined) + 1) // (self.width + 1), np.uint8)
        self._make_room(len(found))
        self.count = _add(self.slots, self.keys, self.count, np.frombuffer(joined, np.uint8),
                          self.width, self.width + 1, found)
        return found

    def _make_room(self, more: int) -> None:
        """Room for `more` keys, the table at most half full."""
        needed = self.count + more
        if needed * self.width > len(self.keys):
            grown = np.empty(max(needed, 2 * self.count) * self.width, np.uint8)
            grown[:self.count * self.width] = self.keys[:self.count * self.width]
            self.keys = grown
        if 2 * needed > len(self.slots):
            size = len(self.slots)
            while 2 * needed > size:
                size *= 2
            self.slots = np.zeros(size, np.uint64)
            _add(self.slots, self.keys, 0, self.keys[:self.count * self.width], self.width,
                 self.width, np.zeros(self.count, np.uint8))


@njit(cache=True, nogil=True)
def _add(slots, stored, count, data, width, stride, found):
    """Add the keys of `data` (each `stride` bytes on from the one before) to those
    `stored` (count of them), marking in `found` the ones stored already; the new count.
    Slots made anew take the stored keys again."""
    # the hashes first: the probes' memory reads then do not each wait on a hash (3x faster)
    hashes = np.empty(len(found), np.uint64)
    for index in range(len(found)):
        value = _FNV_OFFSET
        for offset in range(index * stride, index * stride + width):
            value = (value ^ np.uint64(data[offset])) * _FNV_PRIME
        hashes[index] = value
    mask = np.uint64(len(slots) - 1)
    for index in range(len(found)):
        start = index * stride
        tag = hashes[index] >> _HALF
        slot = hashes[index] & mask
        while slots[slot]:
            if slots[slot] >> _HALF == tag and _same(stored, _row(slots[slot]) * width, data,
                                                     start, width):
                found[index] = 1
                break
            slot = (slot + np.uint64(1)) & mask
        else:
            stored[count * width:(count + 1) * width] = data[start:start + width]
            count += 1
            slots[slot] = (tag << _HALF) | np.uint64(count)
    return count


@njit(cache=True, nogil=True)
def _row(entry):
    return np.int64(entry & _LOW) - 1


@njit(cache=True, nogil=True)
def _same(stored, at, data, start, width):
    for offset in range(width):
        if stored[at + offset] != data[start + offset]:
            return False
    return True


def load_compiled() -> None:
    """Have the compiled loops ready (numba loads them from its cache on first use)."""
    KeySet(1, room=1).add(b"a,b")  # more than its room: the slots are made anew
