"""The snapshots of one commit: one per search running at once, all sharing their arrays.

A Whoosh searcher reads its files by seeking and reading one shared file object, so two threads
must never search with the same one. libnet used to hold a lock around the one searcher of a
web worker: a wildcard query allowed by the bounds (`*a*`, most of a second on a large
catalogue) then held every other search of that worker for as long as it ran. Now each
search takes a Snapshot of its own from this pool for as long as it runs. The first one loads
the arrays (facets, deletions, sort columns, index/vectors.py); the others are its siblings,
each with a Whoosh searcher of its own over the same commit and the arrays shared, so an extra
one costs little. Gunicorn's threads share the CPU of their worker process, and an ordinary
search now gets its turn of it beside a costly one, instead of waiting for it to end.

All of them read the same commit: they are opened from the table of contents read when the
pool was made, not from whatever commit is the latest when a thread needs one. Whoosh deletes
the files of replaced segments at a later commit; a searcher opened before that keeps reading
them (the files stay open), and one that can no longer be opened is not needed: the search
waits for one of the pool's to come free, and the next search opens the next commit's pool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial

from whoosh.codec.base import Segment
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.structfile import BufferFile
from whoosh.index import TOC, FileIndex
from whoosh.reading import EmptyReader, MultiReader, SegmentReader
from whoosh.searching import Searcher

from index.vectors import Snapshot

MOST_SEARCHERS = 8  # open at once per commit: gunicorn's threads of one worker, and some spare
OPEN_ATTEMPTS = 10  # as Whoosh's own Index.reader()


class Searchers:
    """A pool of snapshots of one commit of `ix`, lent to one search (thread) at a time."""

    def __init__(
        self, ix: FileIndex, make: Callable[[Searcher], Snapshot], most: int = MOST_SEARCHERS
    ) -> None:
        """The latest commit of ix; `make` builds the first snapshot (and its arrays)."""
        for attempt in range(OPEN_ATTEMPTS):
            toc = ix._read_toc()
            try:
                files = {
                    segment.segment_id(): _SharedFiles(segment.open_compound_file(ix.storage))
                    for segment in toc.segments
                    if segment.is_compound()
                }
                self._open = partial(_searcher, ix, toc, files)
                first = self._open()
                break
            except OSError:  # a commit between reading its table and opening its files
                if attempt == OPEN_ATTEMPTS - 1:
                    raise
        self.generation = toc.generation
        self._files = files
        self._first = make(first)
        self._free = [self._first]
        self._opened = 1  # snapshots opened and not closed, lent or free
        self._most = most
        self._cannot_open = False  # the commit's files are gone: only its open ones are lent
        self._retired = False
        self._changed = threading.Condition()

    def take(self) -> Snapshot | None:
        """A snapshot no other thread uses until given back; None once the pool is retired."""
        with self._changed:
            while not self._free:
                if self._retired:
                    return None
                if self._opened < self._most and not self._cannot_open:
                    self._opened += 1  # this thread opens one, outside the lock
                    break
                self._changed.wait()
            else:
                return None if self._retired else self._free.pop()
        try:
            return self._first.sibling(self._open())
        except OSError:  # a later commit deleted this one's files: wait for an open one
            with self._changed:
                self._opened -= 1
                self._cannot_open = True
            return self.take()

    def give_back(self, snapshot: Snapshot) -> None:
        """Return a snapshot taken; a retired pool closes it."""
        with self._changed:
            if not self._retired:
                self._free.append(snapshot)
                self._changed.notify()
                return
            self._opened -= 1
            last = self._opened == 0
        snapshot.close()
        if last:
            self._close_files()

    def retire(self) -> None:
        """Close every snapshot now free, and each one lent as soon as it is given back.

        Threads waiting for one get None and take one of the newer commit's pool instead.
        """
        with self._changed:
            self._retired = True
            free, self._free = self._free, []
            self._opened -= len(free)
            last = self._opened == 0
            self._changed.notify_all()
        for snapshot in free:
            snapshot.close()
        if last:
            self._close_files()

    def _close_files(self) -> None:
        """Unmap the commit's files once its last searcher is closed (a rebuild deletes them)."""
        for files in self._files.values():
            files.release()


def _searcher(ix: FileIndex, toc: TOC, files: dict[str, _SharedFiles]) -> Searcher:
    """A Whoosh searcher of the commit that toc describes (Whoosh's Index.searcher() opens the
    latest one, which may be newer than the pool's), reading the files shared in `files`."""
    readers = [
        SegmentReader(
            ix.storage,
            toc.schema,
            _Segment(segment, files[segment.segment_id()]) if segment.is_compound() else segment,
            generation=toc.generation,
        )
        for segment in toc.segments
    ]
    if not readers:
        return Searcher(EmptyReader(toc.schema), fromindex=ix)
    if len(readers) == 1:
        return Searcher(readers[0], fromindex=ix)
    return Searcher(MultiReader(readers, generation=toc.generation), fromindex=ix)


class _SharedFiles(CompoundStorage):
    """A segment's compound file as bytes copied once per commit and read by all its searchers.

    Whoosh's CompoundStorage maps the file, but copies each part a reader opens into a BytesIO
    of that reader's own (BufferFile): a searcher holds a copy of most of the index, about 25 MB
    at 40,000 clusters. A BytesIO made from a bytes object shares it until written, and readers
    never write: here each part is copied once, and every searcher's file objects (each with
    its own read position, so that threads never share one) read that one copy.
    """

    def __init__(self, compound: CompoundStorage) -> None:
        # not CompoundStorage.__init__, which opens and maps the file: `compound` has done that
        self._compound = compound
        self._dir = compound._dir
        self._options = compound._options
        self._locks: dict = {}
        self._source = None
        self._file = None
        self.is_closed = False
        self._parts: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def open_file(self, name: str, *args: object, **kwargs: object) -> BufferFile:
        with self._lock:
            data = self._parts.get(name)
            if data is None:
                part = self._compound.open_file(name)
                data = self._parts[name] = part.read()
                part.close()
        return BufferFile(data, name=name)

    def close(self) -> None:
        """Nothing: each searcher closes its own file objects, the bytes go with the last one."""

    def release(self) -> None:
        """Close the mapped file, once no searcher reads this commit any more."""
        if not self._compound.is_closed:
            self._compound.close()


class _Segment:
    """A segment whose compound file its readers open from _SharedFiles; all else is its own."""

    def __init__(self, segment: Segment, files: _SharedFiles) -> None:
        self._segment = segment
        self._files = files

    def __getattr__(self, name: str) -> object:
        return getattr(self._segment, name)

    def open_compound_file(self, storage: object) -> _SharedFiles:
        return self._files
