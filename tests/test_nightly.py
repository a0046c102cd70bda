"""`libnet nightly`: every step, the report in all its places, one run at a time, exit status.

Three libraries with MARC files in tmp_path; the operators' mail goes to aiosmtpd on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, select, update

from index.search import UnionIndex
from index.update import index_path
from libnet.cli import main
from libnet.lock import data_dir_lock
from libnet.store.schema import nightly_runs, notices
from tests.builders import book, iso2709
from tests.peers.postgres import free_port
from tests.peers.smtp import SmtpServer

OPERATOR = "it@kreis-re.example"


def write_config(folder: Path, *, mail: str = "", nightly: str = "", broken: str = "") -> Path:
    """Datteln, Herten and Marl with a book each; `broken`'s files are missing."""
    libraries = ""
    for n, code in enumerate(("datteln", "herten", "marl")):
        if code != broken:
            (folder / f"{code}.mrc").write_bytes(
                iso2709(book(f"{code}-1", isbn=f"978-3-16-14841{n}-0", title=f"Buch aus {code}"))
            )
        libraries += (f'[[libraries]]\ncode = "{code}"\nname = "Bibliothek {code}"\n'
                      f'[libraries.source]\ntype = "marc"\nurl = "{code}.mrc"\n')  # fmt: skip
    path = folder / "config.toml"
    path.write_text(f'[storage]\ndata_dir = "var"\n{mail}\n{nightly}\n{libraries}')
    return path


def mail_to(smtp: SmtpServer | None, port: int | None = None) -> str:
    port = port or (smtp.port if smtp else 25)
    return f'[mail]\nhost = "127.0.0.1"\nport = {port}\noperators = "{OPERATOR}"\n'


def runs(folder: Path) -> list[dict]:
    engine = create_engine(f"sqlite:///{folder / 'var' / 'libnet.sqlite3'}")
    with engine.connect() as conn:
        rows = [dict(row) for row in conn.execute(select(nightly_runs)).mappings()]
    engine.dispose()
    return rows


def test_a_good_night_harvests_indexes_and_keeps_its_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    assert main(["nightly", "--config", str(config)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("libnet nightly run 1: ok\n")
    assert "datteln            ok       1 added, 0 changed" in out
    assert "Index: 3 changed records regrouped; clusters 3 added" in out
    assert "Notices: mail is off ([mail] host), 0 waiting" in out
    lines = err.splitlines()
    assert any(" INFO nightly started nightly=1" in line for line in lines)
    assert any("harvest finished library=marl run=3" in line and "nightly=1" in line
               for line in lines)  # fmt: skip
    assert lines[-1].endswith("INFO nightly finished outcome=ok errors=0 nightly=1")
    [row] = runs(tmp_path)
    assert row["outcome"] == "ok" and row["finished_at"] is not None
    stored = json.loads(row["report"])
    assert json.loads((tmp_path / "var" / "reports" / "nightly-000001.json").read_text()) == stored
    assert [lib["library"] for lib in stored["libraries"]] == ["datteln", "herten", "marl"]
    assert stored["index"] | {"seconds": 0} == {
        "outcome": "ok", "error": "", "seconds": 0, "records": 3, "added": 3, "changed": 0,
        "removed": 0, "total": 3, "rebuilt": True,
    }  # fmt: skip
    assert stored["loans"]["moved_on"] == [] and stored["errors"] == []
    assert UnionIndex(index_path(tmp_path / "var")).count() == 3

    assert main(["nightly", "--config", str(config), "--json"]) == 0  # nothing new: all unchanged
    second = json.loads(capsys.readouterr().out)
    assert second["run"] == 2 and second["outcome"] == "ok"
    assert [lib["unchanged"] for lib in second["libraries"]] == [1, 1, 1]
    assert second["index"]["records"] == 0 and second["index"]["rebuilt"] is False


def test_grouping_is_a_step_of_its_own_between_the_harvest_and_the_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    (tmp_path / "marl.mrc").write_bytes(  # Marl holds Datteln's edition: one cluster of two
        iso2709(book("marl-1", isbn="978-3-16-148410-0", title="Buch aus datteln"))
    )
    assert main(["nightly", "--config", str(config), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["group"] | {"seconds": 0} == {
        "outcome": "ok", "error": "", "seconds": 0, "records": 3, "clusters": 2,
        "one_pass": True,
    }  # fmt: skip
    assert (report["index"]["records"], report["index"]["total"]) == (3, 2)
    assert main(["nightly", "--config", str(config)]) == 0  # nothing changed
    out, err = capsys.readouterr()
    assert "Grouping: 0 changed records regrouped, 0 clusters changed (" in out
    assert out.index("Grouping:") < out.index("Index:")
    steps = [line.split(" INFO ")[1].split()[0] for line in err.splitlines() if " finished " in line
             and "step=" in line]  # fmt: skip
    assert steps == ["group", "index", "alerts", "loans", "privacy", "notices"]


def test_a_failing_library_fails_the_run_not_the_others_and_the_operators_hear_of_it(
    tmp_path: Path, smtp: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, mail=mail_to(smtp), broken="herten")
    assert main(["nightly", "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("libnet nightly run 1: failed\n")
    assert f"herten: no file matches {tmp_path / 'herten.mrc'}" in out
    report = runs(tmp_path)[0]
    assert report["outcome"] == "failed"
    libraries = json.loads(report["report"])["libraries"]
    assert [(lib["library"], lib["outcome"], lib.get("added")) for lib in libraries] == [
        ("datteln", "ok", 1), ("herten", "failed", 0), ("marl", "ok", 1)]  # fmt: skip
    [mail] = smtp.to(OPERATOR)
    assert mail.message["Subject"].endswith(": failed (herten)")
    assert mail.body == out  # the mail is the printed report


@pytest.mark.parametrize(
    ("when", "broken", "mailed"),
    [("always", "", True), ("on-failure", "", False), ("never", "marl", False)],
)
def test_when_the_report_is_mailed(
    tmp_path: Path, smtp: SmtpServer, when: str, broken: str, mailed: bool
) -> None:
    nightly = f'[nightly]\nmail_report = "{when}"\n'
    config = write_config(tmp_path, mail=mail_to(smtp), nightly=nightly, broken=broken)
    main(["nightly", "--config", str(config)])
    assert len(smtp.to(OPERATOR)) == (1 if mailed else 0)
    if mailed:
        assert smtp.to(OPERATOR)[0].message["Subject"].endswith(": ok")


def test_a_report_mail_the_server_refused_waits_for_the_next_round(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()  # nobody listens: the mail server is down
    config = write_config(tmp_path, mail=mail_to(None, port), broken="marl")
    assert main(["nightly", "--config", str(config)]) == 1
    engine = create_engine(f"sqlite:///{tmp_path / 'var' / 'libnet.sqlite3'}")
    with engine.begin() as conn:
        [kept] = conn.execute(select(notices)).mappings().all()
        assert kept["recipient"] == OPERATOR and kept["sent_at"] is None
        assert kept["attempts"] == 1 and kept["next_attempt_at"] is not None
        # the retry is due some minutes later: those minutes pass
        conn.execute(update(notices).values(next_attempt_at=kept["created_at"]))
    engine.dispose()
    capsys.readouterr()
    with SmtpServer(port=port) as smtp:
        assert main(["notices", "send", "--config", str(config)]) == 0
        assert "1 sent" in capsys.readouterr().out
        [mail] = smtp.to(OPERATOR)
        assert "marl: no file matches" in mail.body


def test_one_run_at_a_time_and_a_killed_run_does_not_block_the_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom pathlib import Path\n"
         "from libnet.lock import data_dir_lock\n"
         "with data_dir_lock(Path(sys.argv[1])):\n    print('held', flush=True)\n"
         "    time.sleep(600)\n", str(tmp_path / "var")],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline() == "held\n"
        assert main(["nightly", "--config", str(config)]) == 1
        assert "already running" in capsys.readouterr().err
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    assert main(["nightly", "--config", str(config)]) == 0


def test_a_run_killed_before_it_finished_is_marked_interrupted(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    assert main(["nightly", "--config", str(config)]) == 0
    engine = create_engine(f"sqlite:///{tmp_path / 'var' / 'libnet.sqlite3'}")
    started = runs(tmp_path)[0]["started_at"]
    with engine.begin() as conn:
        conn.execute(insert(nightly_runs).values(started_at=started, outcome="running"))
    engine.dispose()
    assert main(["nightly", "--config", str(config)]) == 0
    assert [row["outcome"] for row in runs(tmp_path)] == ["ok", "interrupted", "ok"]


def test_a_configuration_error_is_exit_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, nightly='[nightly]\nmail_report = "sometimes"\n')
    assert main(["nightly", "--config", str(config)]) == 2
    assert "nightly.mail_report: 'sometimes' is not one of" in capsys.readouterr().err
    assert not (tmp_path / "var").exists()


def test_the_lock_is_the_one_harvest_and_index_take(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    with data_dir_lock(tmp_path / "var"):
        assert main(["nightly", "--config", str(config)]) == 1
        assert main(["harvest", "--config", str(config)]) == 1


def test_a_web_node_with_a_copy_of_the_index_neither_harvests_nor_indexes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, nightly="[nightly]\nharvest_here = false\n")
    for command in (["nightly"], ["harvest", "marl"], ["index"], ["restore", "x.backup"]):
        assert main([*command, "--config", str(config)]) == 2
        assert "run `libnet" in capsys.readouterr().err
    assert not (tmp_path / "var").exists()
