"""Debian's redis-server on 127.0.0.1, for rate limits that several web nodes share.

It runs on a free port from a temporary folder, keeps nothing on disk (no RDB snapshots, no
append-only file) and stops with SIGTERM. As a fixture:

    @pytest.fixture
    def redis_url() -> Iterator[str]:
        with RedisServer() as server:
            yield server.url
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from tests.peers import missing_peer
from tests.peers.postgres import free_port

REDIS_SERVER = "redis-server"
START_WITHIN = 5.0  # seconds; it usually answers within 0.05 s


def require_redis() -> str:
    """The redis-server program; skipped without it, except in CI, which must run the tests."""
    found = shutil.which(REDIS_SERVER) or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if found is None:
        missing_peer("redis-server is not installed: apt-get install redis-server")
    return str(found)


class RedisServer:
    """One redis-server; `url` is its redis:// address (database 0)."""

    def __init__(self) -> None:
        self.program = require_redis()
        self.dir = Path(tempfile.mkdtemp(prefix="libnet-redis-"))
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> RedisServer:
        self.process = subprocess.Popen(
            [self.program, "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.dir), "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        self._wait_until_answers()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def stop(self) -> None:
        """Stop the server (a test may stop it early: a Redis that went down)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=START_WITHIN)

    def _wait_until_answers(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_WITHIN
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = (
                    self.process.stdout.read().decode(errors="replace")
                    if self.process.stdout
                    else ""
                )
                raise RuntimeError(f"redis-server exited ({self.process.returncode}): {output}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port}")
