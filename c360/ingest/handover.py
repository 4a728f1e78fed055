"""Large bytes that a worker process hands to the loading process through shared memory.

A worker's result crosses a pipe pickled: the worker copies it into the pipe and the
loading process copies it out, then once more into its own bytes. For the web's
COPY rows (some 264 MB a day for a million events) that took the loading process
0.55-0.75 CPU s, beside the PostgreSQL backend it feeds. Handed over as a file in
shared memory (a tmpfs such as /dev/shm) instead, the rows are mapped by the loading
process and sent to PostgreSQL from there. The file is unlinked as soon as it is
mapped; the memory goes when the map does. Where there is no such folder, or for
small ones, the bytes are pickled as before.
"""

from __future__ import annotations

import itertools
import mmap
import os
from pathlib import Path

import numpy as np

Buffer = bytes | mmap.mmap | np.ndarray  # an array: of bytes (uint8), one after another

SHARED_MEMORY_DIR = Path("/dev/shm")
MIN_SHARED_BYTES = 1 << 20  # below this a pipe costs less than a file's making and mapping
_PREFIX = "c360-handover-"
_numbers = itertools.count()


class HandedBytes:
    """Bytes that a worker returns to the process that forked it, through shared memory
    when they are large: the file is named after that process, which maps it when it
    unpickles the result. They may be given in parts (views of the worker's arrays, say),
    which are written to the file one after another, never joined in the worker."""

    def __init__(self, *parts: Buffer):
        self.parts = parts

    @property
    def data(self) -> Buffer:
        """The bytes (a read-only map of them where they were handed over)."""
        if len(self.parts) != 1:
            self.parts = (b"".join(self.parts),)
        return self.parts[0]

    def __reduce__(self):
        size = sum(len(part) for part in self.parts)
        if size and size >= MIN_SHARED_BYTES and SHARED_MEMORY_DIR.is_dir():
            path = SHARED_MEMORY_DIR / f"{_PREFIX}{os.getppid()}-{os.getpid()}-{next(_numbers)}"
            try:
                # readable by this user only: the rows hold personal data
                with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
                    for part in self.parts:
                        file.write(part)
            except OSError:  # a full or read-only folder (Docker's /dev/shm is 64 MB by default)
                path.unlink(missing_ok=True)
            else:
                return _mapped, (str(path), size)
        return HandedBytes, (bytes(self.data),)


def _mapped(path: str, size: int) -> HandedBytes:
    with open(path, "rb") as file:
        os.unlink(path)
        return HandedBytes(mmap.mmap(file.fileno(), size, prot=mmap.PROT_READ))


def remove_orphaned() -> None:
    """Remove what was handed over to a process that is gone (a load killed before it could
    clean up): the rows hold personal data, and nobody else will map them."""
    for path in SHARED_MEMORY_DIR.glob(f"{_PREFIX}*"):
        parent = path.name.removeprefix(_PREFIX).split("-")[0]
        if parent.isdigit() and not _running(int(parent)):
            path.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: running
        return True
    return True


def remove_unmapped() -> None:
    """Remove what workers of this process handed over that was never mapped (results of a
    load that stopped before it took them)."""
    for path in SHARED_MEMORY_DIR.glob(f"{_PREFIX}{os.getpid()}-*"):
        path.unlink(missing_ok=True)
