"""Harvesting libraries into the store: one library's failure never costs another its harvest."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from libnet.cli import main
from libnet.store import open_store
from tests.builders import book, iso2709, marcxml

ROOT = Path(__file__).resolve().parents[2]


def write_config(tmp_path: Path, *libraries: tuple[str, str]) -> Path:
    text = '[storage]\ndata_dir = "var"\n'
    for code, url in libraries:
        text += f'\n[[libraries]]\ncode = "{code}"\nname = "{code.title()}"\n'
        text += f'[libraries.source]\ntype = "marc"\nurl = "{url}"\n'
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def export(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / "exports" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def store_of(config: Path):
    return open_store(f"sqlite:///{config.parent / 'var' / 'libnet.sqlite3'}")


def test_a_failing_library_does_not_stop_the_others(tmp_path: Path, capsys) -> None:
    export(tmp_path, "marl.mrc", iso2709(*(book(f"m{i}") for i in range(3))))
    export(tmp_path, "herten.xml", marcxml(*(book(f"h{i}") for i in range(2))))
    config = write_config(
        tmp_path,
        ("marl", "exports/marl.mrc"),
        ("dorsten", "exports/none/*"),
        ("herten", "exports/herten.xml"),
    )
    assert main(["harvest", "--config", str(config)]) == 1
    out, err = capsys.readouterr()
    assert "failed: dorsten" in err and "no file matches" in out
    store = store_of(config)
    assert store.stats() == {
        "marl": {"records": 3, "deleted": 0},
        "herten": {"records": 2, "deleted": 0},
    }
    assert [r.outcome for r in store.runs()] == ["ok", "failed", "ok"]


def test_broken_records_are_listed_and_do_not_fail_the_harvest(tmp_path: Path, capsys) -> None:
    good = iso2709(book("m1"), book("m2"))
    broken = iso2709(book("m3"))[:-40] + b"\x1d"
    export(tmp_path, "marl.mrc", good + broken + iso2709(book("", title="Ohne Nummer")))
    config = write_config(tmp_path, ("marl", "exports/marl.mrc"))
    assert main(["harvest", "--config", str(config)]) == 0
    capsys.readouterr()
    run = store_of(config).runs()[0]
    assert (run.added, run.rejected) == (2, 2)
    assert main(["runs", "--rejects", str(run.id), "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "marl.mrc #3" in out and "m3" in out
    assert "marl.mrc #4" in out and "no record id in 001" in out


def test_a_truncated_export_is_refused_unless_forced(tmp_path: Path, capsys) -> None:
    export(tmp_path, "marl.mrc", iso2709(*(book(f"m{i}") for i in range(10))))
    config = write_config(tmp_path, ("marl", "exports/marl.mrc"))
    assert main(["harvest", "--config", str(config)]) == 0
    export(tmp_path, "marl.mrc", iso2709(book("m0")))
    assert main(["harvest", "--config", str(config)]) == 1
    assert "would delete 9 of 10" in capsys.readouterr().out
    assert store_of(config).stats()["marl"] == {"records": 10, "deleted": 0}
    assert main(["harvest", "marl", "--force", "--config", str(config)]) == 0
    assert store_of(config).stats()["marl"] == {"records": 1, "deleted": 9}


def test_only_the_named_libraries_are_harvested(tmp_path: Path, capsys) -> None:
    export(tmp_path, "a.mrc", iso2709(book("a1")))
    config = write_config(tmp_path, ("marl", "exports/a.mrc"), ("herten", "exports/a.mrc"))
    assert main(["harvest", "herten", "--config", str(config)]) == 0
    assert list(store_of(config).stats()) == ["herten"]
    assert main(["harvest", "gelsenkirchen", "--config", str(config)]) == 2
    assert "no library with code 'gelsenkirchen'" in capsys.readouterr().err


def test_records_show_prints_every_form(tmp_path: Path, capsysbinary) -> None:
    raw = iso2709(book("m1", title="Die Stadt der Träumenden Bücher"))
    export(tmp_path, "marl.mrc", raw)
    export(tmp_path, "herten.xml", marcxml(book("h1", isbn="3-551-55167-7 (geb.)")))
    config = write_config(tmp_path, ("marl", "exports/marl.mrc"), ("herten", "exports/herten.xml"))
    main(["harvest", "--config", str(config)])
    capsysbinary.readouterr()
    assert main(["records", "show", "marl", "m1", "--marc", "--config", str(config)]) == 0
    assert capsysbinary.readouterr().out == raw  # byte for byte as harvested
    assert main(["records", "show", "herten", "h1", "--json", "--config", str(config)]) == 0
    shown = json.loads(capsysbinary.readouterr().out)
    assert shown["isbns"] == ["9783551551672"] and shown["local_id"] == "h1"
    assert shown["marcxml"].startswith("<record") and "3-551-55167-7 (geb.)" in shown["marcxml"]
    assert main(["records", "show", "marl", "m1", "--marcxml", "--config", str(config)]) == 0
    assert "Träumenden".encode() in capsysbinary.readouterr().out
    assert main(["records", "show", "marl", "nope", "--config", str(config)]) == 1


def test_stats_and_runs_as_json(tmp_path: Path, capsys) -> None:
    export(tmp_path, "marl.mrc", iso2709(book("m1"), book("m2")))
    config = write_config(tmp_path, ("marl", "exports/marl.mrc"))
    main(["harvest", "--config", str(config)])
    capsys.readouterr()
    assert main(["records", "stats", "--json", "--config", str(config)]) == 0
    assert json.loads(capsys.readouterr().out)[0]["records"] == 2
    assert main(["runs", "marl", "--json", "--config", str(config)]) == 0
    assert json.loads(capsys.readouterr().out)[0]["added"] == 2


def test_a_bad_config_is_one_line_and_exit_2(tmp_path: Path, capsys) -> None:
    config = write_config(tmp_path, ("marl", "x"))
    config.write_text(config.read_text().replace('type = "marc"', 'type = "marc"\npage = 3'))
    for command in (["harvest"], ["records", "stats"], ["runs"]):
        assert main([*command, "--config", str(config)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "libraries[marl].source.page: unknown key" in err


def test_a_second_harvest_while_one_runs_is_refused(tmp_path: Path, capsys) -> None:
    from libnet.config import load_config
    from libnet.lock import data_dir_lock

    config = write_config(tmp_path, ("marl", "x"))
    with data_dir_lock(load_config(config).storage.data_dir):
        assert main(["harvest", "--config", str(config)]) == 1
    assert "already running" in capsys.readouterr().err


def _titles(config: Path) -> set[str]:
    with sqlite3.connect(config.parent / "var" / "libnet.sqlite3") as db:
        query = "SELECT DISTINCT json_extract(fields, '$.title') FROM records"
        return {title for (title,) in db.execute(query)}


def _runs_started(config: Path) -> int:
    with sqlite3.connect(config.parent / "var" / "libnet.sqlite3") as db:
        return db.execute("SELECT count(*) FROM harvest_runs").fetchone()[0]


def _wait_until_running(config: Path, process: subprocess.Popen, before: int) -> None:
    """Until the harvest has begun its run (however long a busy machine takes to start it)."""
    deadline = time.monotonic() + 120
    while process.poll() is None and _runs_started(config) == before:
        assert time.monotonic() < deadline, "the harvest did not begin within 120 s"
        time.sleep(0.02)


def _processes_of(config: Path, wait: float = 2.0) -> list[int]:
    """Processes still running a harvest of this config (workers of a killed one, say)."""
    deadline = time.monotonic() + wait
    while True:
        found = []
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                if str(config).encode() in cmdline.read_bytes():
                    found.append(int(cmdline.parent.name))
            except OSError:
                continue  # ended while we looked
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_kill_9_midway_loses_nothing_committed(tmp_path: Path) -> None:
    """A harvest killed at any moment leaves the old records or the new ones, never a mix."""
    count = 12_000  # long enough (seconds) that a kill lands mid-way on a fast machine too
    export(tmp_path, "marl.mrc", iso2709(*(book(f"m{i}", title="Alt") for i in range(count))))
    config = write_config(tmp_path, ("marl", "exports/marl.mrc"))
    command = [sys.executable, "-m", "libnet.cli", "harvest", "--config", str(config)]
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
    export(tmp_path, "marl.mrc", iso2709(*(book(f"m{i}", title="Neu") for i in range(count))))
    killed = 0
    for delay in (0.0, 0.4, 0.8, 1.2, 1.6):  # after the run began
        before = _runs_started(config)
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait_until_running(config, process, before)
        time.sleep(delay)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            killed += 1
        process.wait()
        assert _processes_of(config) == [], "worker processes outlived the killed harvest"
        titles = _titles(config)
        assert titles in ({"Alt"}, {"Neu"}), f"mixed state after kill at {delay}s: {titles}"
        if titles == {"Neu"}:
            break
    assert killed, "the harvest finished before it could be killed"
    result = subprocess.run(command, capture_output=True, cwd=ROOT, text=True)
    assert result.returncode == 0, result.stderr
    assert _titles(config) == {"Neu"}
    store = store_of(config)
    assert store.stats()["marl"] == {"records": count, "deleted": 0}
    outcomes = [r.outcome for r in store.runs()]
    assert outcomes[0] == "ok" and "interrupted" in outcomes
    assert not any((config.parent / "var" / "tmp").iterdir())  # no spool left behind


@pytest.mark.parametrize("form", ["iso2709", "marcxml"])
def test_the_demo_data_harvests_with_its_broken_records_reported(tmp_path: Path, form) -> None:
    from libnet.config import load_config
    from libnet.demo import DEMO_LIBRARIES, generate

    libraries = tuple(lib for lib in DEMO_LIBRARIES if lib.syntax == form)[:2]
    summary = generate(tmp_path / "demo", titles=300, seed=7, libraries=libraries)
    config = write_config(tmp_path, *((lib.code, f"demo/{lib.code}/*") for lib in libraries))
    assert main(["harvest", "--config", str(config)]) == 0
    store = store_of(config)
    stored = sum(v["records"] for v in store.stats().values())
    rejected = sum(r.rejected for r in store.runs())
    assert stored + rejected == summary.records  # the summary counts broken records too
    assert rejected == summary.broken > 0
    assert load_config(config)


def test_a_data_dir_that_cannot_be_written_is_a_clear_error(tmp_path: Path, capsys) -> None:
    export(tmp_path, "marl.mrc", iso2709(book("m1")))
    config = write_config(tmp_path, ("marl", "exports/marl.mrc"))
    (tmp_path / "var").write_text("a file where the data directory belongs")
    assert main(["harvest", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("libnet: ") and "Traceback" not in err
