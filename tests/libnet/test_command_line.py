"""The `libnet` command line: what the fuzzer of tests/fuzz/edges.py found, kept as sentences."""

from __future__ import annotations

from pathlib import Path

import pytest

from libnet.cli import main
from tests.test_nightly import write_config


@pytest.mark.parametrize(
    "argv",
    [["runs", "ma\udc81"], ["records", "show", "marl", "3\udc8bl"], ["users", "list", "--library",
     "m\udcd1rl"], ["clusters", "show", "m\udcc8:1"]],
)  # fmt: skip
def test_an_argument_that_is_not_utf8_is_a_usage_error_naming_its_bytes(
    tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # Python hands argv bytes that are not UTF-8 (a shell in a Latin-1 locale) over as surrogates
    config = write_config(tmp_path)
    assert main([*argv, "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("libnet: an argument is not UTF-8: b'") and err.count("\n") == 1
    assert not (tmp_path / "var").exists()  # refused before anything was opened
