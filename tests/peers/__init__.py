"""Real servers the tests start on 127.0.0.1, and what to do when one is not installed."""

from __future__ import annotations

import os

import pytest


def missing_peer(message: str) -> None:
    """Skip on a developer's machine; fail in CI, where `make test` installs every peer."""
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(f"{message} (`make test` installs it)")
    pytest.skip(message)
