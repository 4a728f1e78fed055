"""C360_HOME for its owner only: the secrets, logs, reports, exports and GX results in it.

The `c360` command creates what it writes with umask 077 (folders 0700, files
0600). Where the embedded PostgreSQL runs as another account (`postgres`, when
c360 runs as root), that account must pass through C360_HOME and the cluster's
folder to reach its data: those two are 0711 then, which lets it pass but not
list; every other folder in C360_HOME stays 0700.
"""

from __future__ import annotations

import os
from pathlib import Path

from c360.config import Settings
from c360.local.postgres import server_account

PRIVATE_UMASK = 0o077
OWNER_ONLY = 0o700
PASSABLE = 0o711  # others may pass through to a path they know, not list the folder


def passable_by_server(settings: Settings, folder: Path) -> bool:
    """Whether the embedded server's own account must pass through `folder`."""
    return (settings.embedded and server_account() is not None
            and (folder == settings.pg_dir or folder in settings.pg_dir.parents))


def keep_home_private(settings: Settings) -> None:
    """Set umask 077 for what this process makes, and C360_HOME's folders to owner only."""
    os.umask(PRIVATE_UMASK)
    home = settings.home
    home.mkdir(parents=True, exist_ok=True)
    for folder in (home, *(p for p in home.iterdir() if p.is_dir() and not p.is_symlink())):
        if folder.stat().st_uid == os.geteuid():
            folder.chmod(PASSABLE if passable_by_server(settings, folder) else OWNER_ONLY)
