"""`libnet index` and `libnet search`: the union index brought up to date, and searched."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from libnet.cli.console import (
    EXIT_FAILED,
    EXIT_OK,
    log_quietly_on_a_terminal,
    open_configured,
    progress_bars,
)
from libnet.config import Config
from libnet.lock import data_dir_lock
from libnet.nightly_report import INDEX_WORDS


def cmd_index(config: Config, args: argparse.Namespace) -> int:
    from index.update import update_index

    terminal = log_quietly_on_a_terminal()
    with data_dir_lock(config.storage.data_dir):
        store = open_configured(config)
        try:
            with progress_bars(terminal) as bars:
                progress = (lambda done, todo: bars("clusters", done, todo)) if bars else None
                report = update_index(
                    store, config.storage.data_dir, full=args.full, progress=progress
                )
        finally:
            store.close()
    print(index_line(report))
    return EXIT_OK


def index_line(report: Any) -> str:
    """One line of what an index update did (an index.update.IndexReport), in the nightly
    report's words."""
    how = "new index built" if report.rebuilt else "index updated"
    words = INDEX_WORDS.format(records=report.records, added=report.added,
                               changed=report.changed, removed=report.removed,
                               total=report.total)  # fmt: skip
    return f"{how}: {words} ({report.seconds:.1f} s)"


def cmd_search(config: Config, args: argparse.Namespace) -> int:
    from index.search import UnionIndex, result_json
    from index.update import index_path

    path = index_path(config.storage.data_dir)
    if not path.exists():
        print("libnet: there is no index yet: run `libnet index`", file=sys.stderr)
        return EXIT_FAILED
    filters = {"format": args.format, "library": args.library}
    result = UnionIndex(path).search(
        " ".join(args.query), filters={k: v for k, v in filters.items() if v}, sort=args.sort,
        page=max(args.page, 1), home=args.home,
    )  # fmt: skip
    if args.json:
        print(json.dumps(result_json(result), ensure_ascii=False, indent=2))
        return EXIT_OK
    hits = f"{result.total} hit" + ("" if result.total == 1 else "s")
    print(hits + (f", page {args.page}" if args.page > 1 else ""))
    if result.suggestion:
        print(f"Did you mean: {result.suggestion}")
    for hit in result.hits:
        year = f" ({hit.year})" if hit.year else ""
        print(f"\n[{hit.id}] {hit.title}{year} — {hit.format}")
        if hit.authors:
            print(f"    {'; '.join(hit.authors)}")
        for holding in hit.holdings:
            copies = f"{holding.copies} copies" if holding.copies > 1 else ""
            print(f"    {holding.library:<18}{holding.call_number:<20}{holding.status:<14}{copies}")
    return EXIT_OK
