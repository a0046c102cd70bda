"""Coverage-guided fuzzing of tests/fuzz/targets.py with atheris (libFuzzer), target by target.

    .venv/bin/python -m tests.fuzz.run_atheris                # every target, make fuzz's budget
    .venv/bin/python -m tests.fuzz.run_atheris --scale 20     # twenty times as many inputs
    .venv/bin/python -m tests.fuzz.run_atheris --seconds 3600 web_form   # one target, an hour

Each target runs in a process of its own, as many at a time as there are cores, from the
seeds of tests/fuzz/seeds.py and the corpus earlier runs grew (tests/artifacts/fuzz/corpus/,
not in git), with the words of its input language as libFuzzer's dictionary. An input that
breaks the rule is saved once per kind of failure (the shortest one seen) under
tests/artifacts/fuzz/crashes/TARGET/ with its traceback, and fuzzing goes on. An input over
the time limit is a hang: caught by targets.time_limit() where Python can interrupt it, by
libFuzzer's -timeout (which ends that target's run) where it cannot. The summary gives per
target the inputs run and the crashes found; the exit status is 1 when there was one.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts" / "fuzz"
# inputs per target in `make fuzz`, some six minutes on two cores: a record takes 0.3 ms, a
# web request 10 to 30 ms, a search (both paths, and "did you mean") up to 40 ms, a command
# line that opens the store 80 ms, a harvest over a raw connection 5 to 20 ms
BUDGET = {
    "iso2709_record": 35_000,
    "marcxml_record": 20_000,
    "marc_file": 10_000,
    "sru_answer": 6_000,
    "oai_answer": 4_000,
    "cql_query": 8_000,
    "search_query": 4_000,
    "web_form": 5_000,
    "web_api": 6_000,
    "web_get": 3_000,
    "web_cookie": 3_000,
    "cli_argv": 3_000,
    "config_toml": 20_000,
    "http_framing": 4_000,
}
# the longest input in bytes: a search is cut at the API's 1000 characters, CQL at 2000
MAX_LEN = {
    "sru_answer": 8192,
    "oai_answer": 8192,
    "marc_file": 8192,
    "search_query": 1024,
    "cql_query": 2048,
    "http_framing": 8192,
    "config_toml": 16384,  # the shipped config.toml is a seed
    "cli_argv": 512,
    "web_cookie": 1024,
}
HANG_SECONDS = 30  # libFuzzer's -timeout, for what targets.time_limit() cannot interrupt
# the project's own code, where a traceback's last frame names the kind of failure
_OURS = re.compile(r'File "[^"]*/(?:libnet|harvesters|index|webapp)/[^"]+", line \d+')


@dataclass(frozen=True)
class Outcome:
    target: str
    inputs: int
    crashes: int
    seconds: float
    note: str = ""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:  # before anything imports the code that atheris instruments
        return _child(argv[1], argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("targets", nargs="*", metavar="TARGET", help=", ".join(BUDGET))
    parser.add_argument("--scale", type=float, default=1.0, help="times the inputs of BUDGET")
    parser.add_argument("--seconds", type=int, default=0, help="run each target this long")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    unknown = set(args.targets) - set(BUDGET)
    if unknown:
        parser.error(f"no target {', '.join(sorted(unknown))}; there are {', '.join(BUDGET)}")
    names = args.targets or list(BUDGET)
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="libnet-fuzz-") as work,
        ThreadPoolExecutor(max_workers=args.jobs) as pool,
    ):
        runs = [pool.submit(_run, name, args.scale, args.seconds, Path(work)) for name in names]
        outcomes = [run.result() for run in runs]
    _print(outcomes, time.monotonic() - started)
    return 1 if any(o.crashes for o in outcomes) else 0


def _run(name: str, scale: float, seconds: int, work: Path) -> Outcome:
    """One target in a child process; its inputs and crashes counted from what it left."""
    from tests.fuzz.seeds import SEEDS, WORDS

    corpus, crashes = ARTIFACTS / "corpus" / name, ARTIFACTS / "crashes" / name
    seeds, logs, found = work / "seeds" / name, ARTIFACTS / "logs", work / "found" / name
    for folder in (corpus, crashes, seeds, logs, found):
        folder.mkdir(parents=True, exist_ok=True)
    for n, seed in enumerate(SEEDS[name]):
        (seeds / f"seed-{n}").write_bytes(seed)
    words = work / f"{name}.dict"
    words.write_text("".join(f'"{_escaped(word)}"\n' for word in WORDS[name]))
    before = set(crashes.glob("timeout-*")) | set(crashes.glob("oom-*"))
    limit = [f"-max_total_time={seconds}"] if seconds else [f"-runs={int(BUDGET[name] * scale)}"]
    command = [
        sys.executable,
        "-m",
        "tests.fuzz.run_atheris",
        "--child",
        name,
        *limit,
        f"-timeout={HANG_SECONDS}",
        f"-max_len={MAX_LEN.get(name, 4096)}",
        f"-dict={words}",
        f"-artifact_prefix={crashes}/",
        "-print_final_stats=1",
        str(corpus),
        str(seeds),
    ]
    env = {
        **os.environ,
        "LIBNET_FUZZ_WORKDIR": str(work / "worlds"),
        "LIBNET_FUZZ_FOUND": str(found),
    }
    started = time.monotonic()
    log = logs / f"{name}.log"
    with log.open("w") as out:
        done = subprocess.run(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    text = log.read_text(errors="replace")
    runs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", text) or re.findall(
        r"^#(\d+)\s", text, re.MULTILINE
    )
    hangs = (set(crashes.glob("timeout-*")) | set(crashes.glob("oom-*"))) - before
    note = ""
    if done.returncode != 0:  # libFuzzer stopped: a hang, memory, or the runner itself failed
        note = f"exit {done.returncode}, " + (f"{sorted(hangs)[0]}" if hangs else f"see {log}")
    crashed = len(list(found.iterdir())) + (done.returncode != 0)
    inputs = int(runs[-1]) if runs else 0
    return Outcome(name, inputs, crashed, time.monotonic() - started, note)


def _escaped(word: str) -> str:
    return "".join(
        chr(b) if 32 <= b < 127 and b not in b'"\\' else f"\\x{b:02x}" for b in word.encode("utf-8")
    )


def _print(outcomes: list[Outcome], seconds: float) -> None:
    print(f"{'target':<16} {'inputs':>9} {'crashes':>8} {'seconds':>8}")
    for o in outcomes:
        print(f"{o.target:<16} {o.inputs:>9} {o.crashes:>8} {o.seconds:>8.0f}  {o.note}".rstrip())
    total = sum(o.inputs for o in outcomes)
    crashes = sum(o.crashes for o in outcomes)
    print(f"{'all':<16} {total:>9} {crashes:>8} {seconds:>8.0f}")
    if crashes:
        print(f"crashing inputs and their tracebacks: {ARTIFACTS / 'crashes'}")


def _child(name: str, libfuzzer_args: list[str]) -> int:
    """Fuzz one target in this process; libFuzzer ends it with the process' exit status."""
    import atheris

    with atheris.instrument_imports(
        include=[
            "libnet",
            "harvesters",
            "index",
            "webapp",
            "pymarc",
            "whoosh.qparser",
            "oaipmh_scythe",
            "tomllib",
            "itsdangerous",
            "urllib3",
            "h11",
            "httpcore2",
            "httpx2",
        ]
    ):
        from tests.fuzz import targets
    target = targets.TARGETS[name]
    crashes = ARTIFACTS / "crashes" / name
    found = Path(os.environ.get("LIBNET_FUZZ_FOUND") or tempfile.mkdtemp())
    seen: dict[str, int] = {}

    def one_input(data: bytes) -> None:
        try:
            with targets.time_limit():
                target(data)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # every other failure is a crash: kept, and on we go
            _keep(crashes, found, seen, data, exc)

    atheris.Setup([sys.argv[0], *libfuzzer_args], one_input)
    atheris.Fuzz()
    return 0


def _keep(folder: Path, found: Path, seen: dict[str, int], data: bytes, exc: BaseException) -> None:
    """Save the shortest input of each kind of failure, with its traceback; note the kind in
    `found`, where the parent counts this run's crashes."""
    text = "".join(traceback.format_exception(exc))
    frames = _OURS.findall(text)
    kind = f"{type(exc).__name__} {frames[-1] if frames else ''}"
    key = hashlib.sha1(kind.encode()).hexdigest()[:12]
    if key in seen and seen[key] <= len(data):
        return
    if key not in seen:
        print(f"CRASH ({kind}):\n{text}", file=sys.stderr, flush=True)
        (found / key).write_text(kind)
    for old in folder.glob(f"crash-{key}*"):
        old.unlink()
    seen[key] = len(data)
    (folder / f"crash-{key}").write_bytes(data)
    (folder / f"crash-{key}.txt").write_text(f"{data!r}\n\n{text}")


if __name__ == "__main__":
    sys.exit(main())
