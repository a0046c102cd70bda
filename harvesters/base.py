"""The shape every harvester has: an iterator of raw records and problems."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

from libnet.records.harvested import RawRecord, RecordProblem


class Source(ABC):
    """One library's records, fetched by one protocol.

    Iterating yields RawRecord and RecordProblem values and raises SourceError when the
    source cannot be read at all. After a complete iteration, `cursor` holds what the next
    incremental harvest starts from (None: the source has no increments).
    """

    #: a full listing: a record it does not deliver is gone from the library
    snapshot: bool = True
    #: where the next incremental harvest starts; set once iteration has finished
    cursor: str | None = None
    #: how many records are expected, when the source says so (for progress bars)
    expected: int | None = None

    @abstractmethod
    def __iter__(self) -> Iterator[RawRecord | RecordProblem]: ...
