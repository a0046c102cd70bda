"""The data directory's lock: one writer at a time, and a look that takes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from libnet.lock import AlreadyRunning, data_dir_lock, is_held


def test_is_held_only_while_a_run_holds_the_lock(tmp_path: Path) -> None:
    assert not is_held(tmp_path)  # no lock file yet
    with data_dir_lock(tmp_path):
        assert is_held(tmp_path)
        with pytest.raises(AlreadyRunning), data_dir_lock(tmp_path):
            pass
    assert not is_held(tmp_path)
    with data_dir_lock(tmp_path):  # looking took nothing
        assert is_held(tmp_path)
