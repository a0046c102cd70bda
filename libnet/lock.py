"""One writer at a time in a data directory: an OS file lock, released even by kill -9."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from libnet.errors import LibnetError
from libnet.private_files import FILE_MODE, FOLDER_MODE


class AlreadyRunning(LibnetError):
    """Another harvest or nightly run holds the data directory."""


@contextmanager
def data_dir_lock(data_dir: Path) -> Iterator[None]:
    """Hold data_dir/libnet.lock; raise AlreadyRunning at once when another process has it.

    A data directory libnet cannot write in (read-only, or not the user's) is a LibnetError
    naming it, before anything has changed.
    """
    path = data_dir / "libnet.lock"
    try:
        data_dir.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    except OSError as exc:
        raise LibnetError(
            f"cannot write in the data directory {data_dir}: {exc.strerror}"
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(
                f"already running: another libnet harvest or nightly run holds {path}"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # closing releases the lock


def is_held(data_dir: Path) -> bool:
    """Whether another harvest or nightly run holds the data directory right now."""
    try:
        fd = os.open(data_dir / "libnet.lock", os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # releases the lock this look took
    return False
