"""`libnet backup` and `libnet restore`: the store copied while libnet runs, and put back."""

from __future__ import annotations

import argparse

from libnet.cli.console import EXIT_OK, open_configured
from libnet.config import Config
from libnet.lock import data_dir_lock


def cmd_backup(config: Config, args: argparse.Namespace) -> int:
    """A copy of the store while the web app and a harvest go on: no lock taken."""
    from libnet.store import backup

    print(backup.back_up(config.storage.url, args.dest, force=args.force).line())
    return EXIT_OK


def cmd_restore(config: Config, args: argparse.Namespace) -> int:
    """The store back from a backup, then the index rebuilt from it, under the lock."""
    from index.update import update_index
    from libnet.store import backup

    with data_dir_lock(config.storage.data_dir):
        restored = backup.restore(config.storage.url, args.src, force=args.force)
        store = open_configured(config)
        try:
            report = update_index(store, config.storage.data_dir, full=True)
        finally:
            store.close()
    print(f"{restored.line()}; index rebuilt: {report.total} clusters")
    return EXIT_OK
