"""Harvest libraries into the record store: one library at a time, each all-or-nothing.

The records of one library are fetched, decoded and normalised into a spool file first, and
written to the store in one short transaction at the end: a network harvest that takes minutes
never holds the store's write lock, and a source that fails half-way changes nothing.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import pickle
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.exc import SQLAlchemyError

from harvesters.base import Source
from harvesters.errors import SourceError
from libnet.config import Config, LibraryConfig
from libnet.errors import ConfigError, StoreError, one_line
from libnet.processes import end_with_parent
from libnet.records.harvested import RawRecord, RecordProblem
from libnet.records.prepare import Prepared, Unchanged, prepare
from libnet.records.raw_hash import raw_hash
from libnet.redact import redact_text, url_secrets
from libnet.source_credentials import Credentials, source_credentials, source_secrets
from libnet.store import Counts, RecordStore, SuspiciousDelete

log = logging.getLogger("libnet.harvest")

PARALLEL_FROM = 500  # records; a smaller harvest is not worth starting processes for
BATCH = 500  # records sent to a worker process at a time

#: progress(library code, records read so far, records expected or None)
Progress = Callable[[str, int, int | None], None]
#: what the spool holds, one a record read, in the source's order
Entry = Prepared | Unchanged | RecordProblem


@dataclass(frozen=True, slots=True)
class HarvestReport:
    """What one library's harvest did."""

    library: str
    run_id: int
    outcome: str  # ok, failed, refused
    counts: Counts = field(default_factory=Counts)
    error: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def open_source(
    library: LibraryConfig, base_dir: Path, since: str | None, credentials: Credentials | None
) -> Source:
    """The harvester for a library's configured source, logging in with `credentials`."""
    source = library.source
    auth = credentials.as_tuple() if credentials else None
    if source.type == "marc":
        from harvesters.marc_files import MarcFiles

        return MarcFiles(source.url, base_dir)
    if source.type == "sru":
        from harvesters.sru import SruSource

        return SruSource(source, since=since, auth=auth)
    from harvesters.oai_pmh import OaiSource

    return OaiSource(source, since=since, auth=auth)


def harvest_all(
    config: Config,
    store: RecordStore,
    only: Sequence[str] = (),
    *,
    full: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[HarvestReport]:
    """Harvest the named libraries (all when none are named); a failure stops only its library.

    The caller holds the data directory's lock, so runs still marked running are dead.
    `environ` (default: the process's environment) may hold the sources' passwords
    (libnet.source_credentials).
    """
    libraries = [config.library(code) for code in only] if only else list(config.libraries)
    store.close_interrupted_runs()
    return [
        harvest_library(
            config, library, store, full=full, force=force, progress=progress, environ=environ
        )
        for library in libraries
    ]


def harvest_library(
    config: Config,
    library: LibraryConfig,
    store: RecordStore,
    *,
    full: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    environ: Mapping[str, str] | None = None,
) -> HarvestReport:
    started = time.monotonic()
    since = None if full else store.last_cursor(library.code)
    run_id = store.start_run(library.code, full=since is None)
    log.info("harvest started", extra={"library": library.code, "run": run_id})
    spool_dir = config.storage.data_dir / "tmp"
    problems: list[RecordProblem] = []
    secrets = url_secrets(library.source.url)  # no message of this harvest shows them
    try:
        environ = os.environ if environ is None else environ
        credentials = source_credentials(library.code, library.source, environ)
        secrets = source_secrets(library.source, credentials)
        source = open_source(library, config.base_dir, since, credentials)
        spool_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=spool_dir, prefix=f"harvest-{library.code}-") as spool:
            workers = config.harvest.processes
            known = store.raw_hashes(library.code)
            _fill_spool(spool, source, library, workers, known, problems, progress)
            counts = store.apply_harvest(
                run_id,
                library.code,
                _read_spool(spool),
                snapshot=source.snapshot,
                max_delete_share=library.max_delete_share,
                force=force,
                cursor=source.cursor,
            )
    except SuspiciousDelete as exc:
        return _failed(store, library, run_id, "refused", str(exc), problems, started, secrets)
    except (SourceError, ConfigError) as exc:
        return _failed(store, library, run_id, "failed", str(exc), problems, started, secrets)
    except (StoreError, SQLAlchemyError, OSError) as exc:
        reason = f"{type(exc).__name__}: {one_line(exc)}"
        return _failed(store, library, run_id, "failed", reason, problems, started, secrets)
    except Exception as exc:  # a bug in one library's harvest must not stop the others
        log.exception("harvest crashed", extra={"library": library.code, "run": run_id})
        reason = f"internal error: {type(exc).__name__}: {exc}"
        return _failed(store, library, run_id, "failed", reason, problems, started, secrets)
    seconds = time.monotonic() - started
    log.info(
        "harvest finished",
        extra={"library": library.code, "run": run_id, "outcome": "ok", **asdict(counts)},
    )
    return HarvestReport(library.code, run_id, "ok", counts, "", seconds)


def _failed(
    store: RecordStore,
    library: LibraryConfig,
    run_id: int,
    outcome: str,
    reason: str,
    problems: list[RecordProblem],
    started: float,
    secrets: Sequence[str],
) -> HarvestReport:
    reason = redact_text(reason, secrets)
    log.error(reason, extra={"library": library.code, "run": run_id, "outcome": outcome})
    store.fail_run(run_id, outcome, reason, problems)
    counts = Counts(rejected=len(problems))
    return HarvestReport(library.code, run_id, outcome, counts, reason, time.monotonic() - started)


def _fill_spool(
    spool: BinaryIO,
    source: Source,
    library: LibraryConfig,
    workers: int,
    known: Mapping[str, str],
    problems: list[RecordProblem],
    progress: Progress | None,
) -> None:
    count = 0
    for entry in _prepared(source, library, workers, known):
        count += 1
        if isinstance(entry, RecordProblem):
            problems.append(entry)  # kept for the reject list even if the source fails later
        pickle.dump(entry, spool, protocol=pickle.HIGHEST_PROTOCOL)
        if progress and count % 500 == 0:
            progress(library.code, count, source.expected)
    if progress:
        progress(library.code, count, source.expected or count)
    spool.flush()
    spool.seek(0)


def _prepared(
    source: Source, library: LibraryConfig, workers: int, known: Mapping[str, str]
) -> Iterator[Entry]:
    """The source's records prepared in order, by `workers` processes once the harvest is big.

    A record whose raw hash the store knows (`known`: raw hash -> local id) is not decoded
    at all: it becomes an Unchanged here, at the cost of a hash and a lookup. Decoding and
    normalising the others take nearly all of a harvest's time and need nothing but the
    record, so batches of them go to worker processes while this one reads on and spools.
    At most a few batches are under way at once: memory stays flat however big the source.
    """
    items = iter(source)
    head = list(itertools.islice(items, PARALLEL_FROM))
    yield from (_prepare_one(item, library, known) for item in head)
    if workers < 2 or len(head) < PARALLEL_FROM:
        yield from (_prepare_one(item, library, known) for item in items)
        return
    # fork: the workers start at once with everything imported; they run only
    # _prepare_batch, which takes no lock another thread could have held at the fork
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=end_with_parent, initargs=(os.getpid(),)
    ) as pool:
        pending: deque[tuple[list[Unchanged | None], Future[list[Entry]] | None]] = deque()
        while batch := list(itertools.islice(items, BATCH)):
            found = [_unchanged(item, library, known) for item in batch]
            rest = [item for item, hit in zip(batch, found, strict=True) if hit is None]
            pending.append((found, pool.submit(_prepare_batch, rest, library) if rest else None))
            if len(pending) > 2 * workers:
                yield from _in_order(*pending.popleft())
        while pending:
            yield from _in_order(*pending.popleft())


def _in_order(found: list[Unchanged | None], rest: Future[list[Entry]] | None) -> Iterator[Entry]:
    """A batch's entries in the source's order: the unchanged ones among the prepared ones."""
    prepared = iter(rest.result() if rest else ())
    for hit in found:
        yield hit if hit is not None else next(prepared)


def _unchanged(
    item: RawRecord | RecordProblem, library: LibraryConfig, known: Mapping[str, str]
) -> Unchanged | None:
    """An Unchanged when the store holds this very record (its raw hash), else None."""
    if not known or isinstance(item, RecordProblem) or item.deleted or not item.data:
        return None
    digest = raw_hash(item, library)
    local_id = known.get(digest)
    return Unchanged(local_id, digest, item.source_id) if local_id else None


def _prepare_one(
    item: RawRecord | RecordProblem, library: LibraryConfig, known: Mapping[str, str]
) -> Entry:
    if isinstance(item, RecordProblem):
        return item
    return _unchanged(item, library, known) or prepare(item, library)


def _prepare_batch(items: list[RawRecord | RecordProblem], library: LibraryConfig) -> list[Entry]:
    return [_prepare_one(item, library, {}) for item in items]


def _read_spool(spool: BinaryIO) -> Iterator[Entry]:
    while True:
        try:
            yield pickle.load(spool)  # one unpickler per entry: nothing it read stays alive
        except EOFError:
            return
