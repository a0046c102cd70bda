"""Whoosh's postings and field lengths read straight into numpy arrays, block by block.

This reads Whoosh internals of the codec "whoosh3" (posting blocks, inlined postings, the
length columns): pyproject.toml pins the Whoosh release this was written against. Only
index/vectors.py uses this module.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from index.errors import WhooshChanged
from index.hits import EMPTY_DOCS

# field-length bytes to lengths, as Whoosh decodes them
LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)

Leaves = Sequence[tuple[Searcher, int]]  # each segment's searcher and its first document


def read_postings(
    leaves: Leaves, live: np.ndarray, field: str, btext: bytes, *, values: bool
) -> tuple[np.ndarray, np.ndarray, list[bytes]]:
    """A term's live documents, its weight in each, and each one's encoded positions if `values`."""
    all_docs, all_weights, all_values = [], [], []
    for leaf, offset in leaves:
        reader = leaf.reader()
        terms = reader._terms
        try:
            info = terms.term_info(field, btext)
        except (TermNotFound, KeyError):
            continue
        if info.is_inlined():
            ids, weights, encoded = info.inlined_postings()
            all_docs.append(np.array(ids, dtype=np.int64) + offset)
            all_weights.append(_weights(weights, len(ids)))
            if values:
                all_values.extend(encoded)
            continue
        matcher = reader._codec.postings_reader(terms._postfile, info, reader.schema[field].format)
        if not isinstance(matcher, W3LeafMatcher):
            raise WhooshChanged(f"unexpected posting reader {type(matcher).__name__}")
        while True:
            matcher._read_data()
            deltas, weights = matcher._data[0], matcher._data[1]
            all_docs.append(np.cumsum(np.array(deltas, dtype=np.int64)) + offset)
            all_weights.append(_weights(weights, len(deltas)))
            if values:
                matcher._read_values()
                all_values.extend(matcher._values)
            if matcher._lastblock:
                break
            matcher._goto(matcher._nextoffset)
    if not all_docs:
        return EMPTY_DOCS, np.zeros(0), []
    docs, weights = np.concatenate(all_docs), np.concatenate(all_weights)
    keep = live[docs]
    if values and not keep.all():
        all_values = [v for v, kept in zip(all_values, keep.tolist(), strict=True) if kept]
    return docs[keep], weights[keep], all_values


def length_bytes(leaves: Leaves, field: str) -> np.ndarray:
    """Each document's encoded length of field (0: the field is empty); LENGTHS decodes it."""
    parts = []
    for leaf, _ in leaves:
        reader = leaf.reader()
        column = reader._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
        encoded = np.zeros(reader.doc_count_all(), dtype=np.uint8)
        if column is not None and column._count:
            raw = column._dbfile.get(column._basepos, column._count)
            encoded[: column._count] = np.frombuffer(raw, dtype=np.uint8)
        parts.append(encoded)
    return np.concatenate(parts) if parts else np.zeros(0, np.uint8)


def _weights(weights: object, count: int) -> np.ndarray:
    """A posting block's weights, which Whoosh leaves out when they are all alike."""
    if weights is None:
        return np.ones(count)
    if isinstance(weights, float | int):
        return np.full(count, float(weights))
    return np.array(weights, dtype=np.float64)
