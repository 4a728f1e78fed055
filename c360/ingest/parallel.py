"""Worker processes that parse a large delivery while the load's one connection stores it.

A date's files (or parts of a large delimited file) are read, decoded and checked
in a standard `ProcessPoolExecutor`; each worker hands back the valid rows as COPY
text made by psycopg's own `Copy` with a `FileWriter`, and the loading process
writes those blocks in file order into the COPY of the date's one transaction. So
Python's parsing runs beside PostgreSQL's storing, on every core. A small delivery
is parsed in the loading process: a pool would cost more than it saves.

The pool lives as long as the load: it is shut down when the load ends, fails or
is interrupted, and a worker whose loading process was killed exits by itself.
"""

from __future__ import annotations

import io
import multiprocessing
import multiprocessing.util
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

import psycopg
from psycopg.copy import Copy, FileWriter

T = TypeVar("T")

# a delivery smaller than this is parsed in the loading process
PARALLEL_FROM_BYTES = 4 << 20
# a large delimited file is cut into parts of about this many characters
PART_CHARACTERS = 2 << 20
WORKERS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

# the worker's own connection: psycopg's Copy needs a cursor for its adapters and the
# client encoding, though rows written to a FileWriter never reach the server
_connection: psycopg.Connection | None = None


def _start_worker(dsn: str, parent: int) -> None:
    global _connection
    _connection = psycopg.connect(dsn, autocommit=True)
    multiprocessing.util.Finalize(_connection, _connection.close, exitpriority=0)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: int) -> None:
    """End the worker once its loading process is gone (killed, say), which no pipe tells a
    forked worker: its siblings hold the pipes' other ends too."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


@contextmanager
def worker_pool(dsn: str, delivery_bytes: int) -> Iterator[Executor | None]:
    """A pool for a delivery this large, or None to parse it in the loading process."""
    if delivery_bytes < PARALLEL_FROM_BYTES or WORKERS < 2:
        yield None
        return
    # 'fork': a spawned or forkserver worker is a fresh interpreter that imports the package
    # (and the process's main module, under Airflow its CLI) anew, which costs as much CPU as
    # parsing a large date. Forking is safe here: the workers start at the first submit,
    # before any COPY thread exists; they never touch the inherited connection (psycopg
    # closes a connection only in the process that opened it) and open their own.
    pool = ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("fork"),
                               initializer=_start_worker, initargs=(dsn, os.getpid()))
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def copy_text(write_rows: Callable[[Callable], T]) -> tuple[bytes, T]:
    """In a worker: the COPY text (format text) of the rows that `write_rows` writes with the
    write_row it is given, and what it returns."""
    buffer = io.BytesIO()
    with Copy(_connection.cursor(), writer=FileWriter(buffer)) as copy:
        result = write_rows(copy.write_row)
    return buffer.getvalue(), result
