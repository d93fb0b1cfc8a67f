"""Files that hold personal data are created readable by their owner only.

The SQLite database (and so its ``-wal`` and ``-shm`` files, which SQLite creates with the
database file's mode), the notification outbox, report exports, register extracts and backups are
created with mode 0600; a folder pathway creates for them, 0700. A file that already exists keeps
the mode its owner gave it.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist (its content is written next)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return
    os.close(fd)
    os.chmod(path, PRIVATE_FILE)  # whatever the umask


def make_private_dir(path: Path) -> None:
    """Create a folder (and missing parents) with mode 0700."""
    if path.is_dir():
        return
    path.mkdir(mode=PRIVATE_DIR, parents=True)
    os.chmod(path, PRIVATE_DIR)
