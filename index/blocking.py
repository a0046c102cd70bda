"""Blocking keys: only records that share a key are ever compared.

So a million records cost a few million comparisons, not a million squared. A key shared by
more than MAX_BLOCK records means little (one edition has at most one record per library):
such a block compares each record with its next MAX_BLOCK neighbours only.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from index.facts import Facts, record_facts
from libnet.records.bib import BibRecord

MAX_BLOCK = 100  # one edition has at most one record per library; a bigger block is suspect


def blocking_keys(facts: Facts) -> list[str]:
    """match_keys() of the record these facts are of."""
    keys = [f"isbn:{number}" for number in facts.isbns]
    keys += [f"id:{value}" for value in facts.ids]
    if facts.title and facts.author and facts.year:
        keys.append(f"tay:{facts.title}|{facts.author}|{facts.year}")
    return keys


def match_keys(bib: BibRecord) -> frozenset[str]:
    """Blocking keys: records are compared only when they share one.

    "isbn:<ISBN-13>", "id:<identifier>" ("id:(DE-101)1234567890", "id:ean:4012345006940"), and
    "tay:<title key>|<first author's surname>|<year>": none without a title, author or year,
    so a generic title ("Gedichte") never blocks alone; compare() asks it for more besides.
    """
    return frozenset(blocking_keys(record_facts(bib)))


class Blocks:
    """The records of a catalogue by blocking key."""

    def __init__(self, facts: Sequence[Facts]) -> None:
        self.keys = [blocking_keys(fact) for fact in facts]
        self._members: dict[str, list[int]] = {}
        for index, record_keys in enumerate(self.keys):
            for key in record_keys:
                self._members.setdefault(key, []).append(index)

    def large(self, max_block: int) -> tuple[tuple[str, int], ...]:
        """The keys shared by more than max_block records, with how many share each."""
        return tuple(sorted((k, len(v)) for k, v in self._members.items() if len(v) > max_block))

    def candidates(self, index: int, max_block: int) -> set[int]:
        """The records after `index` that share a key with it, max_block at most per key."""
        candidates: set[int] = set()
        for key in self.keys[index]:
            block = self._members[key]
            if len(block) > 1:
                start = bisect_right(block, index)
                candidates.update(block[start : start + max_block])
        return candidates
