"""Files that hold secrets or personal data: readable by their owner only from the start."""

from __future__ import annotations

import os
from pathlib import Path


def write_private(path: Path, text: str) -> None:
    """Create `path` (it must not exist) holding `text`, mode 0600 from the moment it exists:
    no window in which another user could open it, whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
