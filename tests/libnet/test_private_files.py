"""The data directory is the libnet user's alone: every folder 0700, every file 0600, whatever
the umask of whoever started the command, and an older install's 0644 store is tightened."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from libnet.cli import main
from libnet.lock import data_dir_lock
from libnet.store import open_store
from tests.test_nightly import write_config


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The umask most accounts have: new files 0644, new folders 0755."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def modes(folder: Path) -> dict[str, int]:
    """The permission bits of folder and of everything below it but links, by relative path."""
    found = {".": stat.S_IMODE(folder.stat().st_mode)}
    for path in folder.rglob("*"):
        if not path.is_symlink():
            found[str(path.relative_to(folder))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def too_open(folder: Path) -> dict[str, str]:
    """What below folder the group or the others may read, write or enter, or a folder its
    owner may not. (Files are 0600; whoosh makes its lock file 0700 in an index folder.)"""
    return {
        name: oct(mode)
        for name, mode in modes(folder).items()
        if mode & 0o077 or ((folder / name).is_dir() and mode != 0o700)
    }


def test_after_a_nightly_on_a_fresh_data_dir_every_file_is_0600_and_every_folder_0700(
    tmp_path: Path, open_umask: None, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    assert main(["nightly", "--config", str(config)]) == 0
    capsys.readouterr()
    data_dir = tmp_path / "var"
    written = modes(data_dir)
    assert {"libnet.sqlite3", "libnet.lock", "reports/nightly-000001.json"} <= set(written)
    assert any(name.startswith("index-") and "/" in name for name in written)  # the index files
    assert too_open(data_dir) == {}
    store, lock, report = (
        written[n] for n in ("libnet.sqlite3", "libnet.lock", "reports/nightly-000001.json")
    )
    assert (store, lock, report, written["."]) == (0o600, 0o600, 0o600, 0o700)
    assert os.umask(0o022) == 0o022  # the command gave the process its umask back


def test_the_store_its_wal_and_shm_and_the_lock_are_created_0600_whatever_the_umask(
    tmp_path: Path, open_umask: None
) -> None:
    data_dir = tmp_path / "var"
    store = open_store(f"sqlite:///{data_dir / 'libnet.sqlite3'}", data_dir)
    try:
        with store.engine.begin() as conn:  # a write in WAL mode: the -wal and -shm files exist
            conn.execute(text("CREATE TABLE probe (n INTEGER)"))
        with data_dir_lock(data_dir):
            found = modes(data_dir)
    finally:
        store.close()
    assert {name: oct(mode) for name, mode in found.items()} == {
        ".": "0o700",
        "libnet.sqlite3": "0o600",
        "libnet.sqlite3-wal": "0o600",
        "libnet.sqlite3-shm": "0o600",
        "libnet.lock": "0o600",
    }


def test_an_older_install_readable_by_others_is_tightened_by_the_next_command(
    tmp_path: Path, open_umask: None, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    assert main(["nightly", "--config", str(config)]) == 0
    data_dir = tmp_path / "var"
    for path in [data_dir, *data_dir.rglob("*")]:  # as an older libnet left them
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)
    assert too_open(data_dir) != {}
    assert main(["runs", "--config", str(config)]) == 0  # a command that only reads
    capsys.readouterr()
    assert too_open(data_dir) == {}
