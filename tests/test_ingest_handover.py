"""Workers hand large bytes over in shared memory, and nothing of them is left there."""

from __future__ import annotations

import mmap
import multiprocessing
import os
import pickle
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from c360.ingest import files, handover
from c360.ingest.handover import HandedBytes

LARGE = bytes(range(256)) * 8192  # 2 MiB


def handed(size: int) -> HandedBytes:
    return HandedBytes(LARGE[:size])


def left_over() -> list[str]:
    return sorted(path.name for path in handover.SHARED_MEMORY_DIR.glob("c360-handover-*"))


def test_large_bytes_come_back_from_a_worker_mapped_and_unlinked():
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as workers:
        large = workers.submit(handed, len(LARGE)).result()
        small = workers.submit(handed, 1000).result()
    assert type(large.data) is mmap.mmap and large.data[:] == LARGE
    assert type(small.data) is bytes and small.data == LARGE[:1000]
    assert left_over() == []


def handed_in_parts(size: int) -> HandedBytes:
    data = np.frombuffer(LARGE, np.uint8)
    return HandedBytes(data[:size // 2], b"", memoryview(LARGE)[size // 2:size])


def test_bytes_given_in_parts_come_back_as_one():
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as workers:
        large = workers.submit(handed_in_parts, len(LARGE)).result()
        small = workers.submit(handed_in_parts, 1000).result()
    assert type(large.data) is mmap.mmap and large.data[:] == LARGE
    assert small.data == LARGE[:1000]
    assert handed_in_parts(1000).data == LARGE[:1000]  # in the process that made them
    assert left_over() == []


def test_without_shared_memory_the_bytes_are_pickled(tmp_path, monkeypatch):
    monkeypatch.setattr(handover, "SHARED_MEMORY_DIR", tmp_path / "absent")
    back = pickle.loads(pickle.dumps(HandedBytes(LARGE)))
    assert type(back.data) is bytes and back.data == LARGE


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs Linux's /proc")
def test_a_folder_that_cannot_take_the_file_leaves_the_bytes_pickled(monkeypatch):
    monkeypatch.setattr(handover, "SHARED_MEMORY_DIR", Path("/proc"))  # no files made there, even by root
    back = pickle.loads(pickle.dumps(HandedBytes(LARGE)))
    assert type(back.data) is bytes and back.data == LARGE


def handed_and_not_taken(size: int) -> bytes:
    """A result as a worker sends it, which the loading process then never reads."""
    return pickle.dumps(handed(size))


def test_what_a_stopped_load_never_mapped_is_removed_with_its_workers():
    with pytest.raises(RuntimeError), files.worker_processes(size=1 << 30) as workers:
        workers.submit(handed_and_not_taken, len(LARGE)).result()
        [name] = left_over()
        assert (handover.SHARED_MEMORY_DIR / name).stat().st_mode & 0o777 == 0o600  # personal data
        raise RuntimeError("the load stops")
    assert left_over() == []


def test_what_a_killed_load_left_is_removed_by_the_next_load():
    gone = multiprocessing.get_context("fork").Process(target=os.getpid)
    gone.start()
    gone.join()
    orphan = handover.SHARED_MEMORY_DIR / f"c360-handover-{gone.pid}-{gone.pid + 1}-0"
    orphan.write_bytes(b"rows of a killed load")
    ours = handover.SHARED_MEMORY_DIR / f"c360-handover-{os.getpid()}-1-0"  # a load under way
    ours.write_bytes(b"rows being handed over")
    try:
        with files.worker_processes(size=1 << 30):
            assert not orphan.exists()
            assert ours.exists()
    finally:
        orphan.unlink(missing_ok=True)
        ours.unlink(missing_ok=True)
