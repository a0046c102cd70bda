"""Keep the Whoosh index in step with the clusters: only what changed, never half of it.

The clusters' change feed says which clusters changed since the index last took them; each
batch is written in one Whoosh commit, and only then does the index note how far it got (in
a small file inside its folder, so a new index starts from zero). A crash between the two
makes the next run write the same batch again, which changes nothing. A full rebuild goes into
a new folder that replaces the old one in one rename of the `index` link, so searchers never
see a half-built index; an index built with another schema version is rebuilt the same way.
A new folder is written by one process per core, each a run of the cluster feed into a segment
of its own, and committed once.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from sqlalchemy import Connection

from index.document import ClusterDoc, cluster_doc
from index.errors import NotTheIndexLink
from index.grouping import ClusterReport, update_clusters
from index.search import UnionIndex
from index.writer import SCHEMA_VERSION
from libnet.store import RecordStore, clusters, grouping_feed, published

BATCH = 10_000  # clusters per Whoosh commit: each makes every web worker open a new searcher
PART_MIN = 5_000  # clusters a process of a new folder's build writes at least
# a cluster's record costs its process about a seventh of what its index document costs
PER_MEMBER = 0.15
CURSOR = "libnet-index.json"

#: progress(clusters done, clusters to do)
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class IndexReport:
    records: int  # changed records regrouped into clusters
    written: int  # cluster documents added or replaced
    removed: int  # clusters that left the index
    seconds: float
    total: int  # clusters in the index now
    before: int = 0  # clusters in the index before
    rebuilt: bool = False  # written into a new folder

    @property
    def added(self) -> int:
        """Clusters new to the index: in an update, those written that were not there before."""
        if self.rebuilt:
            return self.written
        return max(0, min(self.written, self.total - self.before + self.removed))

    @property
    def changed(self) -> int:
        """Clusters whose document was written again."""
        return self.written - self.added


def index_path(data_dir: Path) -> Path:
    """Where searchers open the index: a link to the folder of the current build."""
    return data_dir / "index"


def update_index(
    store: RecordStore,
    data_dir: Path,
    *,
    full: bool = False,
    progress: Progress | None = None,
    workers: int = 0,
    grouped: ClusterReport | None = None,
) -> IndexReport:
    """Regroup changed records, then bring the index up to the clusters' latest change.

    `workers`: processes that write a new index folder, each a part of the clusters; 0 = one
    per core when there are at least PART_MIN clusters for each. `grouped`: the grouping a
    caller ran as a step of its own (the nightly), so it is not run again here.
    """
    started = time.monotonic()
    regrouped = grouped if grouped is not None else update_clusters(store, full=full)
    link = index_path(data_dir)
    rebuilt = full or not link.exists() or read_cursor(link).schema != SCHEMA_VERSION
    before = 0 if not link.exists() else UnionIndex(link).count()
    # a build killed before its switch leaves its folder, as big as the index, behind; the
    # nightly only updates, so every run removes it (the caller holds the data dir's lock)
    _remove_abandoned_builds(data_dir, link)
    if rebuilt:
        folder = data_dir / f"index-{time.time_ns()}"
        written, removed = _build(store, UnionIndex(folder), folder, progress, workers)
        _switch(link, folder)
    else:
        folder = link.resolve()
        written, removed = _apply(store, UnionIndex(folder), folder, progress)
    total = UnionIndex(link).count()
    seconds = time.monotonic() - started
    return IndexReport(regrouped.records, written, removed, seconds, total, before, rebuilt)


def _build(
    store: RecordStore, index: UnionIndex, folder: Path, progress: Progress | None, workers: int
) -> tuple[int, int]:
    """Write every live cluster into a new folder in one commit, in parts written in parallel.

    Nobody searches the folder yet, so one commit at the end is enough. The parts cut the
    cluster feed into runs of about equal work, so the documents keep the feed's order.
    """
    with store.engine.connect() as conn:
        last = clusters.state(conn, "cluster_change_no")
        live, removed = clusters.live_and_gone(conn, last)
        count = workers or min(os.cpu_count() or 1, max(1, live // PART_MIN))
        cuts = clusters.feed_parts(conn, last, count, PER_MEMBER) if count > 1 else []
    told = (lambda done: progress(done, live)) if progress else None
    if count == 1:
        written = index.write(_documents_between(store, 0, last), fresh=True, progress=told)
    else:
        # no open database connection crosses into the forked writers
        store.engine.dispose()
        parts = [_documents_between(store, a, b) for a, b in pairwise([0, *cuts, last])]
        written = index.write(fresh=True, parts=parts, progress=told)
    _save_cursor(folder, last)
    return written, removed


def _apply(
    store: RecordStore, index: UnionIndex, folder: Path, progress: Progress | None
) -> tuple[int, int]:
    """Write the clusters changed since the folder's cursor, a batch per commit."""
    since = read_cursor(folder).change_no
    with store.engine.connect() as conn:
        last = clusters.state(conn, "cluster_change_no")
    written = removed = done = 0
    todo = last - since  # change numbers, so at most this many clusters
    while True:
        with store.engine.connect() as conn:
            changed = clusters.changed_clusters(conn, since, BATCH)
            if not changed:
                break
            docs = _documents(conn, [c.id for c in changed if c.members])
        gone = [c.id for c in changed if not c.members]
        written += index.write(docs, delete=gone)
        removed += len(gone)
        since = changed[-1].change_no
        _save_cursor(folder, since)
        done += len(changed)
        if progress:
            progress(done, max(todo, done))
    return written, removed


def _documents_between(store: RecordStore, after: int, upto: int) -> Iterator[ClusterDoc]:
    """The documents of the live clusters with change numbers after `after`, up to `upto`."""
    since = after
    while since < upto:
        with store.engine.connect() as conn:
            changed = [
                c for c in clusters.changed_clusters(conn, since, BATCH) if c.change_no <= upto
            ]
            if not changed:
                return
            docs = _documents(conn, [c.id for c in changed if c.members])
        yield from docs
        since = changed[-1].change_no


def _documents(conn: Connection, cluster_ids: list[int]) -> list[ClusterDoc]:
    """The index documents of these clusters, from their members' normalised records."""
    members = published.member_records(conn, cluster_ids, raw=False)
    return [cluster_doc(cid, [m.bib for m in found]) for cid, found in members.items() if found]


@dataclass(frozen=True, slots=True)
class IndexState:
    """How far the index is behind the store, for the operators' page."""

    folder: Path | None  # the current build; None before the first
    updated_at: float | None  # when the index last took changes (a Unix time)
    schema: int | None  # the schema version it was built with
    records_waiting: int  # changed records not yet grouped into clusters
    clusters_waiting: int  # changed clusters not yet written to the index

    @property
    def current(self) -> bool:
        return self.folder is not None and self.schema == SCHEMA_VERSION


def index_state(conn: Connection, data_dir: Path) -> IndexState:
    """What `libnet index` would take in now, and when the index last took changes."""
    link = index_path(data_dir)
    folder = link.resolve() if link.exists() else None
    cursor = read_cursor(folder) if folder else Cursor()
    cursor_file = folder / CURSOR if folder else None
    updated = cursor_file.stat().st_mtime if cursor_file and cursor_file.exists() else None
    clustered = clusters.state(conn, "clustered_change_no")
    return IndexState(folder, updated, cursor.schema, grouping_feed.count_changes(conn, clustered),
                      clusters.count_changed_after(conn, cursor.change_no))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Cursor:
    """What an index folder notes: how far it took the cluster feed, with which schema."""

    change_no: int = 0  # the cluster change number of the last batch written
    schema: int | None = None  # SCHEMA_VERSION of the build


def read_cursor(folder: Path) -> Cursor:
    """The cursor of an index folder (or of the link to it); empty when none can be read."""
    try:
        data = json.loads((folder.resolve() / CURSOR).read_text())
    except (OSError, ValueError):
        return Cursor()
    if not isinstance(data, dict):
        return Cursor()
    return Cursor(data.get("cluster_change_no", 0), data.get("schema"))


def _save_cursor(folder: Path, change_no: int) -> None:
    temporary = folder / f"{CURSOR}.tmp"
    temporary.write_text(json.dumps({"cluster_change_no": change_no, "schema": SCHEMA_VERSION}))
    os.replace(temporary, folder / CURSOR)  # atomic: the old cursor or the new one


def _remove_abandoned_builds(data_dir: Path, link: Path) -> None:
    """Remove the folders of builds that never replaced the index (killed half-way)."""
    current = link.resolve() if link.is_symlink() else None
    for folder in data_dir.glob("index-*"):
        if folder.is_dir() and folder.resolve() != current:
            shutil.rmtree(folder, ignore_errors=True)


def _switch(link: Path, folder: Path) -> None:
    """Point the index link at a new build in one rename, then remove the old build."""
    old = link.resolve() if link.is_symlink() else None
    if link.exists() and not link.is_symlink():
        raise NotTheIndexLink(f"{link} is a folder, not the index link libnet keeps; move it away")
    temporary = link.with_name(f"{link.name}.new")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(folder.name)
    os.replace(temporary, link)
    if old is not None and old != folder.resolve():
        shutil.rmtree(old, ignore_errors=True)  # open searchers keep their files until closed
