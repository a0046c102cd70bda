"""The data directory is libnet's alone: folders 0700, files 0600.

The store holds password hashes, sessions, patrons' names and addresses; the index, the logs,
the nightly reports and the harvest spool say what patrons asked for and what libraries hold.
Nobody but the libnet user has any business reading them, so every command makes what it
creates private (`private_umask`, a umask of 077 around the command) and, since an older
libnet created the store 0644 in a 0755 folder, tightens what it finds (`make_private`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from libnet.errors import LibnetError

UMASK = 0o077  # no bits for the group and the others
FILE_MODE = 0o600
FOLDER_MODE = 0o700


@contextmanager
def private_umask() -> Iterator[None]:
    """Everything created inside (files, folders, SQLite's -wal and -shm) is the owner's only."""
    previous = os.umask(UMASK)
    try:
        yield
    finally:
        os.umask(previous)


def make_private(data_dir: Path) -> None:
    """Create data_dir 0700, or take the group's and others' bits from it and from everything
    in it. Symbolic links are left alone (their targets are in data_dir too: the index link).

    A data directory that cannot be changed (read-only, or not the user's) is a LibnetError
    naming it, as libnet.lock words it, before anything else was tried.
    """
    try:
        data_dir.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        _tighten(data_dir)
        for folder, subfolders, files in os.walk(data_dir):
            for name in (*subfolders, *files):
                _tighten(Path(folder) / name)
    except OSError as exc:
        raise LibnetError(
            f"cannot write in the data directory {data_dir}: {exc.strerror}"
        ) from None


def create_private_file(path: Path) -> None:
    """Create an empty file 0600 where none is, whatever the umask (SQLite would make it 0644,
    and its -wal and -shm files take the database file's mode)."""
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))


def _tighten(path: Path) -> None:
    try:
        found = os.lstat(path)
    except FileNotFoundError:  # removed meanwhile (a spool file, an abandoned index build)
        return
    if stat.S_ISLNK(found.st_mode) or not found.st_mode & UMASK:
        return
    os.chmod(path, stat.S_IMODE(found.st_mode) & ~UMASK)
