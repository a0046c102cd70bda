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
