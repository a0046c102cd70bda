"""What the commands share: exit statuses, the store they open, tables and progress bars."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from libnet.config import Config
from libnet.logs import setup_logging
from libnet.store import RecordStore, open_store

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

# reports progress as (library or stage, done, expected)
ProgressBars = Callable[[str, int, int | None], None]


def open_configured(config: Config) -> RecordStore:
    return open_store(config.storage.url, config.storage.data_dir)


def log_quietly_on_a_terminal() -> bool:
    """Warnings only where progress bars are shown, the whole log otherwise (cron, systemd)."""
    terminal = sys.stderr.isatty()
    setup_logging(logging.WARNING if terminal else logging.INFO)
    return terminal


@contextmanager
def progress_bars(shown: bool) -> Iterator[ProgressBars | None]:
    """A progress bar per library (or per stage) on stderr when shown, else None."""
    if not shown:
        yield None
        return
    bars = Progress(
        TextColumn("{task.description:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    )
    tasks: dict[str, Any] = {}

    def update(library: str, done: int, expected: int | None) -> None:
        if library not in tasks:
            tasks[library] = bars.add_task(library, total=expected)
        bars.update(tasks[library], completed=done, total=expected)

    with bars:
        yield update


_NUMERIC = {"run", "added", "changed", "unchanged", "deleted", "rejected", "repaired", "seconds",
            "records"}  # fmt: skip


def print_table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    """A table on stdout; numbers right-aligned; wide enough for cron mail when piped."""
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, justify="right" if column in _NUMERIC else "left", overflow="fold")
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    Console(width=None if sys.stdout.isatty() else 200).print(table)
