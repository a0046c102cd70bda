"""Every fuzz target under hypothesis: structured inputs, mutated seeds and random bytes.

A short run by default, the whole file in about a minute; LIBNET_FUZZ_EXAMPLES=N asks each
test for N examples instead. Each input has tests/fuzz/targets.py's time limit. A failing
input is kept in hypothesis' database (.hypothesis/, not in git) and tried first next time.
Long coverage-guided runs: `make fuzz` (tests/fuzz/run_atheris.py).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.run_atheris import BUDGET
from tests.fuzz.seeds import SEEDS
from tests.fuzz.strategies import STRUCTURED, mutated
from tests.fuzz.targets import TARGETS, time_limit

EXAMPLES = int(os.environ.get("LIBNET_FUZZ_EXAMPLES", "200"))
# the web's inputs, a command line that opens the store and a harvest cost ten times the
# others'; they get half as many in the short run
COSTLY = ("web_", "cli_argv", "http_framing")
SHARE = 2 if "LIBNET_FUZZ_EXAMPLES" not in os.environ else 1


def inputs(name: str) -> st.SearchStrategy[bytes]:
    return st.one_of(STRUCTURED[name], mutated(SEEDS[name]), st.binary(max_size=512))


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_no_input_crashes_or_hangs_a_reader(name: str) -> None:
    examples = EXAMPLES // SHARE if name.startswith(COSTLY) else EXAMPLES

    @settings(max_examples=max(examples, 1), deadline=None, suppress_health_check=list(HealthCheck))
    @given(inputs(name))
    def fuzz(data: bytes) -> None:
        with time_limit():
            TARGETS[name](data)

    fuzz()


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_every_seed_is_read_without_a_crash(name: str) -> None:
    for seed in SEEDS[name]:
        with time_limit():
            TARGETS[name](seed)


def test_make_fuzz_gives_every_target_a_budget_of_100_000_inputs_in_all() -> None:
    assert set(BUDGET) == set(TARGETS)
    assert sum(BUDGET.values()) >= 100_000
