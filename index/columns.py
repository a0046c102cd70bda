"""Whoosh's sortable columns read straight into numpy: one sort key per document.

Whoosh's column readers give one value at a time, a seek and an unpack each: at a million
clusters the year and title columns took over a second to read that way, each time a
searcher opened. Here a segment's column is read as one block of bytes: a number column
(year) with numpy, a string column (title_sort) sliced at Whoosh's stored offsets. A kind
of column not read here is read value by value, as before.

This reads Whoosh internals of the codec "whoosh3" (the column readers' fields):
pyproject.toml pins the Whoosh release this was written against. Only index/vectors.py uses
this module.
"""

from __future__ import annotations

import numpy as np
from whoosh.columns import NumericColumn, VarBytesColumn
from whoosh.reading import IndexReader

from index.postings import Leaves

# struct's big-endian integer codes (standard sizes) as numpy's; a column of floats or of
# unsigned 64-bit numbers is read by Whoosh
_NUMPY_TYPES = {"b": "i1", "B": "u1", "h": ">i2", "H": ">u2", "i": ">i4", "I": ">u4",
                "l": ">i4", "L": ">u4", "q": ">i8"}  # fmt: skip


def sort_keys(leaves: Leaves, field: str) -> np.ndarray:
    """Each document's sort key for field: its number, or the rank of its string among all.

    Numbers are translated as Whoosh's reader does (from_column_value); strings are ranked
    by their UTF-8 bytes, which sort as the strings do (by code point).
    """
    parts = [_raw_values(leaf.reader(), field) for leaf, _ in leaves]
    if not parts:
        return np.zeros(0, np.int64)
    if all(isinstance(part, list) for part in parts):  # strings
        strings = np.array([value for part in parts for value in part], dtype=object)
        if not len(strings):
            return np.zeros(0, np.int64)
        _, ranks = np.unique(strings, return_inverse=True)
        return ranks.astype(np.int64).reshape(-1)
    if all(isinstance(part, np.ndarray) for part in parts):  # stored numbers
        numbers = np.concatenate(parts)
        distinct, where = np.unique(numbers, return_inverse=True)
        translate = leaves[0][0].schema[field].from_column_value
        values = np.array([translate(int(n)) for n in distinct], dtype=np.int64)
        return values[where.reshape(-1)]
    return _by_whoosh(leaves, field)


def _by_whoosh(leaves: Leaves, field: str) -> np.ndarray:
    """The sort keys from Whoosh's column readers, one value at a time."""
    values: list = []
    for leaf, _ in leaves:
        values.extend(leaf.reader().column_reader(field))
    if values and isinstance(values[0], str | bytes):
        strings = np.array([str(v) for v in values], dtype=object)
        _, ranks = np.unique(strings, return_inverse=True)
        return ranks.astype(np.int64).reshape(-1)
    return np.array(values, dtype=np.int64)


def _raw_values(reader: IndexReader, field: str) -> list[bytes] | np.ndarray | None:
    """One segment's column values before Whoosh translates them: its strings' bytes, or
    its stored numbers; None for a kind of column not read here."""
    column = reader.column_reader(field, translate=False)
    count = reader.doc_count_all()
    if isinstance(column, VarBytesColumn.Reader):
        lengths = np.asarray(column._lengths, dtype=np.int64)
        offsets = np.asarray(column._offsets, dtype=np.int64)
        blob = column._dbfile.get(column._basepos, int(lengths.sum()))
        pairs = zip(offsets.tolist(), lengths.tolist(), strict=True)
        return [blob[offset : offset + length] for offset, length in pairs]
    if isinstance(column, NumericColumn.Reader) and column._typecode in _NUMPY_TYPES:
        stored = min(column._count, count)
        numbers = np.full(count, column._default, dtype=np.int64)
        raw = column._dbfile.get(column._basepos, stored * column._fixedlen)
        numbers[:stored] = np.frombuffer(raw, dtype=_NUMPY_TYPES[column._typecode])
        return numbers
    return None
