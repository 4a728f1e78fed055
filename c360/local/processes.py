"""Child processes that must not outlive the c360 command that started them.

Python's default SIGTERM ends the process at once, without unwinding, so a
`kill`, a CI timeout or a container stop would leave a child (Airflow running a
night, the Airflow UI) running on its own. `terminate_raises` turns SIGTERM
into SystemExit, so the `finally` that calls `stop` runs.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def terminate_raises() -> Iterator[None]:
    """SIGTERM raises SystemExit inside the block. Signal handlers can only be set from
    the main thread; elsewhere the default stays."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def leave(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def stop(process: subprocess.Popen, grace_seconds: float = 10) -> None:
    """Terminate the process unless it has ended, and kill it if it does not end in time."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_to_end(command: list[str], **popen_args: object) -> int:
    """Run the command and return its exit code; if we are stopped first, so is it."""
    process = subprocess.Popen(command, **popen_args)
    with terminate_raises():
        try:
            return process.wait()
        finally:
            stop(process)
