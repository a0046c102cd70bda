"""`libnet harvest` and `libnet runs`: the libraries read into the store, and what each run did."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, astuple

from libnet.cli.console import (
    EXIT_FAILED,
    EXIT_OK,
    log_quietly_on_a_terminal,
    open_configured,
    print_table,
    progress_bars,
)
from libnet.cli.search import index_line
from libnet.config import Config
from libnet.lock import data_dir_lock
from libnet.store import RecordStore, Run


def cmd_harvest(config: Config, args: argparse.Namespace) -> int:
    from harvesters.run import harvest_all

    for code in args.codes:
        config.library(code)  # an unknown code is a usage error before anything runs
    terminal = log_quietly_on_a_terminal()
    with data_dir_lock(config.storage.data_dir):
        store = open_configured(config)
        try:
            with progress_bars(terminal) as progress:
                reports = harvest_all(
                    config, store, args.codes, full=args.full, force=args.force, progress=progress
                )
            indexed = None
            if args.index:
                from index.update import update_index  # late: the lock is tried at once

                indexed = update_index(store, config.storage.data_dir)
        finally:
            store.close()
    columns = "library run outcome added changed unchanged deleted rejected repaired seconds error"
    rows = [
        [r.library, r.run_id, r.outcome, *astuple(r.counts), f"{r.seconds:.1f}", r.error]
        for r in reports
    ]
    print_table("Harvest", columns.split(), rows)
    if indexed is not None:
        print(index_line(indexed))
    failed = [r.library for r in reports if not r.ok]
    if failed:
        print(f"libnet: failed: {', '.join(failed)}", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK


def cmd_runs(store: RecordStore, args: argparse.Namespace) -> int:
    if args.repairs is not None:
        return _print_repairs(store, args.repairs, args.json)
    if args.rejects is not None:
        run = _named_run(store, args.rejects)
        if run is None:
            return EXIT_FAILED
        problems = store.rejects(args.rejects)
        if args.json:
            print(json.dumps([asdict(p) for p in problems], ensure_ascii=False, indent=2))
            return EXIT_OK
        print(f"run {run.id} ({run.library}, {run.outcome}): {len(problems)} rejected")
        for p in problems:
            ident = f" id {p.local_id}" if p.local_id else ""
            print(f"{p.position}{ident}: {p.reason}")
            if p.excerpt:
                print(f"    {p.excerpt[:150]}")
        return EXIT_OK
    runs = store.runs(args.library, limit=args.limit)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "library": r.library,
                        "started_at": r.started_at.isoformat(),
                        "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                        "outcome": r.outcome,
                        "full": r.full,
                        "added": r.added,
                        "changed": r.changed,
                        "unchanged": r.unchanged,
                        "deleted": r.deleted,
                        "rejected": r.rejected,
                        "repaired": r.repaired,
                        "error": r.error,
                        "cursor": r.cursor,
                    }
                    for r in runs
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return EXIT_OK
    columns = "run library started seconds outcome added changed unchanged deleted rejected"
    columns += " repaired error"
    rows = [
        [
            r.id,
            r.library,
            f"{r.started_at:%Y-%m-%d %H:%M:%S}",
            f"{r.seconds:.1f}" if r.seconds is not None else "",
            r.outcome,
            r.added,
            r.changed,
            r.unchanged,
            r.deleted,
            r.rejected,
            r.repaired,
            r.error or "",
        ]
        for r in runs
    ]
    print_table("Harvest runs (UTC)", columns.split(), rows)
    return EXIT_OK


def _named_run(store: RecordStore, run_id: int) -> Run | None:
    """The harvest run the command line names; None, said on stderr, when there is none."""
    run = store.run(run_id)
    if run is None:
        print(f"libnet: no harvest run {run_id}", file=sys.stderr)
    return run


def _print_repairs(store: RecordStore, run_id: int, as_json: bool) -> int:
    """The records run RUN kept with a malformed field, and what was done to each field."""
    run = _named_run(store, run_id)
    if run is None:
        return EXIT_FAILED
    found = store.repairs(run_id)
    if as_json:
        print(json.dumps([asdict(r) for r in found], ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"run {run.id} ({run.library}, {run.outcome}): {run.repaired} repaired")
    for r in found:
        ident = f" id {r.local_id}" if r.local_id else ""
        print(f"{r.position}{ident}: {r.action}: {r}")
    return EXIT_OK
