"""Exceptions of the union index: grouping, writing and searching.

Each also is the builtin a caller would expect (a bad search is a ValueError, an unknown
record a LookupError), so code that catches those keeps working.
"""

from __future__ import annotations

from libnet.errors import LibnetError


class UnionIndexError(LibnetError):
    """Base of every error the union index raises on purpose."""


class BadSearch(UnionIndexError, ValueError):
    """A search asked for what the index cannot do: an unknown sort or filter, page 0."""


class QueryTooBroad(BadSearch):
    """A query over one of index.pricing's bounds; `bound` says which, `limit` how far it goes.

    bound is "wildcards" (too many words with * or ?), "leading" (a word starting with * or ?
    beside other wildcard words), "terms" (its wildcards match too many words of the index) or
    "time" (it ran out of its time budget).
    """

    def __init__(self, bound: str, limit: float, message: str) -> None:
        super().__init__(message)
        self.bound = bound
        self.limit = limit


class UnknownRecord(UnionIndexError, LookupError):
    """A correction names a record the store does not hold."""


class WriteRefused(UnionIndexError, ValueError):
    """A write the index cannot take as asked: parts into an existing index, a cluster twice."""


class WriterFailed(UnionIndexError, RuntimeError):
    """A process writing part of a new index folder died."""


class NotTheIndexLink(UnionIndexError, OSError):
    """Where the index link belongs there is a folder libnet did not make."""


class WhooshChanged(UnionIndexError, TypeError):
    """Whoosh is not the release the fast path reads the internals of (pyproject.toml pins it)."""


class CorrectionRefused(UnionIndexError, ValueError):
    """A librarian's correction that cannot be made as asked; `code` says why.

    code is "reason" (none given), "same-cluster" (a join of a cluster with itself),
    "not-member" (a split of a record not in the cluster), "alone" (a split of a cluster's
    only record), "no-cluster" (gone or never there), "changed" (someone changed the cluster
    after the librarian looked: nothing was saved), "undone" (undone already) or "undo" (an
    undo, which is not undone but corrected anew).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
