"""A record kept with a malformed field is counted as repaired, apart from the rejects, and
`libnet runs --repairs RUN` says which field of which record and why."""

from __future__ import annotations

import json
from pathlib import Path

from libnet.cli import main
from tests.builders import book, iso2709, raw_iso2709
from tests.harvesters.test_run import export, store_of, write_config

LEADER = "00000cam a2200000 i 4500"


def three_indicators(local_id: str) -> bytes:
    """A sound record but for its 245, which has three indicator characters."""
    return raw_iso2709(
        LEADER,
        [
            ("001", local_id.encode()),
            ("008", b"201120s2005    gw            000 1 ger d"),
            ("245", b"100\x1faDer Mann ohne Eigenschaften"),
            ("650", b" 7\x1faRoman\x1f"),
        ],
    )


def harvested(tmp_path: Path, capsys) -> tuple[Path, int]:
    broken = iso2709(book("m3"))[:-40] + b"\x1d"  # a broken structure: still rejected
    export(tmp_path, "marl.mrc", iso2709(book("m1")) + three_indicators("m2") + broken)
    config = write_config(tmp_path, ("marl", "exports/marl.mrc"))
    assert main(["harvest", "--config", str(config)]) == 0
    assert "repaired" in capsys.readouterr().out  # a column of the harvest's table
    run = store_of(config).runs()[0]
    assert (run.added, run.rejected, run.repaired) == (2, 1, 1)
    return config, run.id


def test_runs_repairs_lists_each_field_repaired_or_left_out(tmp_path: Path, capsys) -> None:
    config, run = harvested(tmp_path, capsys)
    assert main(["runs", "--repairs", str(run), "--config", str(config)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"run {run} (marl, ok): 1 repaired"
    assert out[1:] == [
        "marl.mrc #2 (byte 282) id m2: repaired: field 245: indicators '100' cut to two ('10')",
        "marl.mrc #2 (byte 282) id m2: repaired: field 650: a stray delimiter at the end removed",
    ]
    assert main(["runs", "--rejects", str(run), "--config", str(config)]) == 0
    assert "m2" not in capsys.readouterr().out  # repaired is not rejected


def test_runs_repairs_as_json(tmp_path: Path, capsys) -> None:
    config, run = harvested(tmp_path, capsys)
    assert main(["runs", "--repairs", str(run), "--json", "--config", str(config)]) == 0
    first, second = json.loads(capsys.readouterr().out)
    assert first == {
        "tag": "245",
        "action": "repaired",
        "reason": "indicators '100' cut to two ('10')",
        "field": 3,
        "position": "marl.mrc #2 (byte 282)",
        "local_id": "m2",
    }
    assert second["tag"] == "650"
    assert main(["runs", "--json", "--config", str(config)]) == 0
    assert json.loads(capsys.readouterr().out)[0]["repaired"] == 1


def test_runs_repairs_of_an_unknown_run_fails(tmp_path: Path, capsys) -> None:
    config = write_config(tmp_path, ("marl", "exports/marl.mrc"))
    assert main(["runs", "--repairs", "7", "--config", str(config)]) == 1
    assert "no harvest run 7" in capsys.readouterr().err


def test_the_stored_record_reads_back_repaired(tmp_path: Path, capsys) -> None:
    config, _run = harvested(tmp_path, capsys)
    stored = store_of(config).get("marl", "m2")
    assert stored.raw == three_indicators("m2")  # kept as delivered
    assert stored.bib().title.startswith("Der Mann ohne Eigenschaften")
    assert main(["records", "show", "marl", "m2", "--marc", "--config", str(config)]) == 0
