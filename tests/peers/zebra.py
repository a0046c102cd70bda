"""Index Data's Zebra as a real SRU server on 127.0.0.1, indexing records a test writes.

The configuration in zebra/ is copied into a folder of the test's own; zebraidx indexes the
files in its records/ folder and zebrasrv serves them on a free port until stop().
"""

from __future__ import annotations

import contextlib
import copy
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

import pymarc
import pytest
import requests

from tests.peers import missing_peer

CONFIG = Path(__file__).parent / "zebra"
START_WITHIN = 10.0  # seconds; zebrasrv usually answers within 0.05 s


def require_zebra() -> None:
    """Skip when Zebra is not installed, except in CI, which must run these tests."""
    missing = [tool for tool in ("zebraidx", "zebrasrv") if shutil.which(tool) is None]
    if not missing:
        return
    missing_peer(f"{' and '.join(missing)} not on PATH: apt-get install idzebra-2.0 yaz")


def free_port() -> int:
    """A port nothing listens on right now (the kernel's choice for port 0)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_marcxml(path: Path, records: Iterable[pymarc.Record]) -> Path:
    """A MARCXML collection file: Zebra skips a file whose root is a lone <record>."""
    with path.open("wb") as fh:
        fh.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
        fh.write(b'<collection xmlns="http://www.loc.gov/MARC21/slim">\n')
        for record in records:
            fh.write(pymarc.record_to_xml(record) + b"\n")
        fh.write(b"</collection>\n")
    return path


def write_iso2709(path: Path, records: Iterable[pymarc.Record]) -> Path:
    """An ISO 2709 file in UTF-8, leader/09 'a', as Zebra's marc reader expects."""
    with path.open("wb") as fh:
        for record in records:
            record = copy.deepcopy(record)  # as_marc() rewrites the leader: leave the caller's
            record.leader = pymarc.Leader(str(record.leader)[:9] + "a" + str(record.leader)[10:])
            fh.write(record.as_marc())
    return path


class ZebraServer:
    """One zebrasrv over one index folder (Zebra allows no second server on the same index)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.records = folder / "records"
        self.process: subprocess.Popen | None = None
        self.url = ""

    def start(self, records_dir: Path | None = None) -> str:
        """Index the records (default: the folder's records/) and serve them; the base URL."""
        shutil.copytree(CONFIG, self.folder, dirs_exist_ok=True)
        for name in ("reg", "lock", "tmp", "records"):
            (self.folder / name).mkdir(exist_ok=True)
        self._zebraidx("init")
        self.reindex(records_dir or self.records)
        log = self.folder / "zebrasrv.log"
        for _attempt in range(3):  # another process may take the free port before zebrasrv
            if self._serve(free_port(), log):
                return self.url
        text = log.read_text(errors="replace") if log.exists() else "(no log)"
        pytest.fail(f"zebrasrv exited before answering at {self.url}; its log:\n{text}")

    def write(self, name: str, records: Iterable[pymarc.Record]) -> Path:
        """Write a record file into records/: *.mrc as ISO 2709, anything else as MARCXML."""
        self.records.mkdir(parents=True, exist_ok=True)
        write = write_iso2709 if name.endswith(".mrc") else write_marcxml
        return write(self.records / name, records)

    def put(self, name: str, records: Iterable[pymarc.Record]) -> None:
        """Add or replace a record file and index it, as a library's export changes.

        A record is replaced by 001, but zebraidx reads every file again whose time stamp
        is not older than its last run: a changed record belongs in its old file, rewritten,
        not in a second file that an older copy in the first may overwrite.
        """
        self.write(name, records)
        self.reindex()

    def reindex(self, path: Path | None = None) -> None:
        """Index new and changed files; the running server sees them without a restart."""
        self._zebraidx("update", str(path or self.records))

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):  # it may have died on its own
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def _zebraidx(self, *args: str) -> None:
        done = subprocess.run(
            ["zebraidx", "-c", "zebra.cfg", *args],
            cwd=self.folder,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(f"zebraidx {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")

    def _serve(self, port: int, log: Path) -> bool:
        """Start zebrasrv on the port; False when it exits at once, True once it answers."""
        template = (CONFIG / "yazgfs.xml").read_text(encoding="utf-8")
        (self.folder / "yazgfs.xml").write_text(template.replace("@PORT@", str(port)), "utf-8")
        self.url = f"http://127.0.0.1:{port}/marc"
        # its own session, so stop() ends the server and the children it forks per client
        self.process = subprocess.Popen(
            ["zebrasrv", "-f", "yazgfs.xml", "-l", str(log)],
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        probe = {"operation": "searchRetrieve", "version": "1.2", "query": "cql.allRecords=1",
                 "maximumRecords": "0"}  # fmt: skip
        deadline = time.monotonic() + START_WITHIN
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                return False
            try:
                if requests.get(self.url, params=probe, timeout=0.5).status_code == 200:
                    return True
            except (requests.ConnectionError, requests.Timeout):
                pass  # not listening yet
            time.sleep(0.05)
        text = log.read_text(errors="replace") if log.exists() else "(no log)"
        self.stop()
        pytest.fail(f"zebrasrv did not answer at {self.url} within {START_WITHIN:g} s:\n{text}")
