"""Facet values read per segment and kept between commits: a new searcher reads only new ones.

Whoosh never changes a segment once it is written: a commit adds segments, merges some into a
new one, and marks deleted documents in its table of contents, not in the segment. So a
segment's facet values and each value's documents, once read from its postings, hold for every
later commit that keeps the segment. A new searcher after an incremental commit reads the new
segments' postings only, and joins them with the kept ones, leaving out the documents deleted
by then; the facets are the ones reading every segment anew would give. Reading them was most
of the time a searcher took to open.
"""

from __future__ import annotations

import threading

import numpy as np

from index.facets import Facet
from index.postings import Leaves, read_postings

Part = tuple[tuple[str, ...], list[np.ndarray]]  # a segment's values, each one's documents


class SegmentFacets:
    """Per segment and field: its facet values and their documents, numbered in the segment.

    Shared by the searchers of one index, in any thread; keep_only() drops the segments that
    are gone.
    """

    def __init__(self) -> None:
        self._parts: dict[tuple[str, str], Part] = {}
        self._lock = threading.Lock()

    def facet(self, leaves: Leaves, live: np.ndarray, field: str) -> Facet:
        """The facet of field over all leaves (the live documents only)."""
        by_value: dict[str, list[np.ndarray]] = {}  # in the order the leaves first name them
        for leaf, offset in leaves:
            values, docs = self._part(leaf, field)
            for value, found in zip(values, docs, strict=True):
                by_value.setdefault(value, []).append(found + offset)
        joined = [
            np.concatenate(parts) if len(parts) > 1 else parts[0] for parts in by_value.values()
        ]
        return Facet.of(tuple(by_value), [docs[live[docs]] for docs in joined], len(live))

    def keep_only(self, leaves: Leaves) -> None:
        """Forget the segments other than these leaves' (merged away or deleted)."""
        kept = {_segment_id(leaf) for leaf, _ in leaves}
        with self._lock:
            for key in [key for key in self._parts if key[0] not in kept]:
                del self._parts[key]

    def _part(self, leaf, field: str) -> Part:
        key = (_segment_id(leaf), field)
        with self._lock:
            found = self._parts.get(key)
        if found is not None:
            return found
        reader = leaf.reader()
        everyone = np.ones(reader.doc_count_all(), dtype=bool)  # deletions apply when joined
        terms = list(reader.lexicon(field))
        docs = [
            read_postings([(leaf, 0)], everyone, field, btext, values=False)[0] for btext in terms
        ]
        part = (tuple(btext.decode("utf-8") for btext in terms), docs)
        if key[0]:
            with self._lock:
                self._parts[key] = part
        return part


def _segment_id(leaf) -> str:
    """The segment's name, unique in the index; "" for a leaf without one (not kept)."""
    segment = getattr(leaf.reader(), "segment", lambda: None)()
    return segment.segment_id() if segment is not None else ""
