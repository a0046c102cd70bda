"""`libnet serve`: gunicorn on 127.0.0.1 over a config.toml, stopped by a signal."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Queue

import pytest

from libnet.cli import main
from libnet.cli.serve import listen_problem
from libnet.config import Config
from libnet.records.holdings import PROFILES
from webapp.wsgi import READY_MESSAGE

COMMAND = [sys.executable, "-m", "libnet.cli", "serve"]
STARTS_WITHIN = 30  # seconds, on a busy test machine
STOPS_WITHIN = 10


def config_toml(config: Config, data_dir: Path) -> str:
    """config.toml naming the libraries of `config` and a store in data_dir."""
    lines = ["[storage]", f"data_dir = {json.dumps(str(data_dir))}", ""]
    for library in config.libraries:
        profile = next(name for name, p in PROFILES.items() if p == library.holdings)
        lines += [
            "[[libraries]]",
            f"code = {json.dumps(library.code)}",
            f"name = {json.dumps(library.name)}",
            f"holdings = {json.dumps(profile)}",
            "[libraries.source]",
            f"type = {json.dumps(library.source.type)}",
            f"url = {json.dumps(library.source.url)}",
            "",
        ]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def config_file(demo_config: Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("serve") / "config.toml"
    path.write_text(config_toml(demo_config, demo_config.storage.data_dir), encoding="utf-8")
    return path


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    log: list[str] = field(default_factory=list)


@contextmanager
def served(config_file: Path, *options: str) -> Iterator[Server]:
    """`libnet serve --port 0` until the test has stopped it, or killed if it has not."""
    process = subprocess.Popen(
        [*COMMAND, "--config", str(config_file), "--port", "0", *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its workers are in its process group: killed with it
    )
    log: list[str] = []
    ready: Queue[str] = Queue()

    def read_log() -> None:  # drained to the end: a full pipe would stop the server
        for line in process.stderr:
            log.append(line.rstrip("\n"))
            if READY_MESSAGE in line:
                ready.put(re.search(r"url=(\S+)", line).group(1))

    threading.Thread(target=read_log, daemon=True).start()
    try:
        try:
            url = ready.get(timeout=STARTS_WITHIN)
        except Empty:
            pytest.fail("libnet serve did not start:\n" + "\n".join(log))
        yield Server(process, url, log)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def get(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=STARTS_WITHIN) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode("utf-8")


def stop(server: Server, signum: int) -> int:
    server.process.send_signal(signum)
    return server.process.wait(timeout=STOPS_WITHIN)


def test_the_catalogue_is_served_on_127_0_0_1_until_sigterm(config_file: Path) -> None:
    with served(config_file) as server:
        host, port = re.fullmatch(r"http://([\d.]+):(\d+)", server.url).groups()
        assert host == "127.0.0.1"
        status, headers, page = get(f"{server.url}/no/such/page")
        assert status == 404 and '<main id="main"' in page and 'role="search"' in page
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert get(f"{server.url}/opensearch.xml")[0] == 200
        # only where told: another loopback address of this machine finds nobody listening
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.2", int(port)), timeout=5).close()
        assert stop(server, signal.SIGTERM) == 0
    requests = [line for line in server.log if " request " in line]
    assert any("path=/no/such/page status=404" in line for line in requests)
    assert not any("?" in line or "127.0.0.1" in line for line in requests)


def test_without_an_index_it_still_starts_and_ctrl_c_stops_it(
    demo_config: Config, tmp_path: Path
) -> None:
    config_file = tmp_path / "config.toml"
    config_file.write_text(config_toml(demo_config, tmp_path / "var"), encoding="utf-8")
    with served(config_file, "--workers", "1", "--threads", "2") as server:
        assert get(f"{server.url}/opensearch.xml")[0] == 200
        status, _, page = get(f"{server.url}/feed?q=krimi")
        assert status == 503 and '<main id="main"' in page
        assert stop(server, signal.SIGINT) == 0


def test_a_configuration_error_exits_2_with_one_line(tmp_path: Path) -> None:
    config_file = tmp_path / "config.toml"
    config_file.write_text('[storage]\ndata_dir = "var"\nport = 8080\n', encoding="utf-8")
    done = subprocess.run(
        [*COMMAND, "--config", str(config_file)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "storage.port" in done.stderr


def test_a_port_out_of_range_is_a_usage_error(config_file: Path) -> None:
    done = subprocess.run(
        [*COMMAND, "--config", str(config_file), "--port", "70000"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "port" in done.stderr


def test_a_taken_port_exits_1_with_one_line_saying_how_to_choose_another(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        '[storage]\ndata_dir = "var"\n[[libraries]]\ncode = "marl"\nname = "Marl"\n'
        '[libraries.source]\ntype = "marc"\nurl = "marl/*.mrc"\n',
        encoding="utf-8",
    )
    with socket.socket() as other:  # another program, listening on the port
        other.bind(("127.0.0.1", 0))
        other.listen()
        taken = other.getsockname()[1]
        status = main(["serve", "--config", str(config_file), "--port", str(taken)])
    assert status == 1
    assert capsys.readouterr().err == (
        f"libnet: port {taken} on 127.0.0.1 is taken: choose another with make demo PORT=... "
        "or libnet serve --port ...\n"
    )


def test_a_free_port_and_any_port_pass_the_check() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    assert listen_problem("127.0.0.1", free) == ""
    assert listen_problem("127.0.0.1", 0) == ""


def test_a_client_that_dribbles_its_headers_does_not_stop_the_others(config_file: Path) -> None:
    """Slowloris: a request whose headers come a byte at a time holds one of gunicorn's
    threads (gthread reads a started request to its end); the other threads answer everyone
    else. Many such clients at once are nginx's to stop (docs/deployment.md, "Slow clients")."""
    with served(config_file, "--workers", "1", "--threads", "2") as server:
        port = int(server.url.rsplit(":", 1)[1])
        slow = socket.create_connection(("127.0.0.1", port), timeout=5)
        stop_dribbling = threading.Event()

        def dribble() -> None:
            slow.sendall(b"GET /opensearch.xml HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            for byte in b"X-Slow: " + b"s" * 1000:
                if stop_dribbling.wait(0.2):
                    return
                slow.sendall(bytes([byte]))

        dribbler = threading.Thread(target=dribble, daemon=True)
        dribbler.start()
        try:
            time.sleep(0.5)  # the worker has taken the slow request up and waits for its end
            status, _, _ = get(f"{server.url}/opensearch.xml")  # at most STARTS_WITHIN
            assert status == 200
            assert dribbler.is_alive()  # answered while the slow one is still sending
            slow.setblocking(False)
            with pytest.raises(BlockingIOError):  # and the slow one got no answer yet
                slow.recv(1)
        finally:
            stop_dribbling.set()
            dribbler.join()
            slow.close()
