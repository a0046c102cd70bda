"""Queries priced before they run: how many words their wildcards may reach, and for how long.

A word with * or ? (`kohl*`, `k?hl`, `*mann`) stands for every word of the index it matches,
in each of the six searched fields. `*a*` matches most of the vocabulary, and a query of a
hundred such words once cost a second of CPU, holding the searcher all the while. So:

- before a query runs, price() counts its wildcard words: at most `wildcard_words`, and a word
  that starts with * or ? (which must read the whole vocabulary) only as the query's one
  wildcard word;
- while it runs, a Budget counts the index words its wildcards expand to (`expanded_terms` in
  all, over every field) and its time (`seconds`), checked inside the loops that evaluate it
  (index/vectors.py), so that no query holds the searcher for long.

Over a bound the query raises QueryTooBroad naming the bound; the web app turns that into a
message that says what to change. A term range (`title:[a TO c]`) counts as a wildcard word
too; `*` alone and `title:*` do not: they cost no more than a common word (index/vectors.py).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from whoosh import query
from whoosh.reading import IndexReader

from index.errors import QueryTooBroad

# a deadline is read once per this many words of the vocabulary a wildcard scans
SCAN_CHECK_EVERY = 1024


@dataclass(frozen=True, slots=True)
class Bounds:
    """What one query may cost (DEFAULT_BOUNDS unless the index is opened with others)."""

    wildcard_words: int = 5
    expanded_terms: int = 2_000  # the words of the index all its wildcards match, all fields
    seconds: float = 2.0  # its time budget, checked while it is evaluated
    # completion keys read for one prefix (index.suggest.complete): a two-letter prefix of a
    # large catalogue starts hundreds of thousands; the completions come from the first ones
    completion_keys: int = 50_000


DEFAULT_BOUNDS = Bounds()


class Budget:
    """One query's allowance of time and expanded words, spent while it is evaluated."""

    def __init__(self, bounds: Bounds, clock: Callable[[], float] = time.monotonic) -> None:
        self._bounds = bounds
        self._clock = clock
        self._deadline = clock() + bounds.seconds
        self._terms_left = bounds.expanded_terms

    def check_time(self) -> None:
        """Raise QueryTooBroad("time") once the query has used up its time."""
        if self._clock() > self._deadline:
            seconds = self._bounds.seconds
            raise QueryTooBroad(
                "time",
                seconds,
                f"it took longer than {seconds:g} s; "
                "use fewer wildcards or more letters before the *",
            )

    def in_time(self) -> bool:
        """Whether time is left, for optional work that stops quietly (a "did you mean")."""
        return self._clock() <= self._deadline

    def expand(self, count: int = 1) -> None:
        """Count words a wildcard matched; raise QueryTooBroad("terms") past the bound."""
        self._terms_left -= count
        if self._terms_left < 0:
            most = self._bounds.expanded_terms
            raise QueryTooBroad(
                "terms",
                most,
                f"its wildcards match more than {most:,} words of the index; "
                "type more letters before the *",
            )


def price(q: query.Query, bounds: Bounds) -> None:
    """Raise QueryTooBroad when q has too many wildcard words, or a leading one among others.

    The parser spreads a word the patron typed over the six searched fields, each analysing it
    its own way (stemmed in titles, not in names), so words are counted per field: the field
    with the most wildcard words is the query's count.
    """
    fields: dict[str, dict[tuple, bool]] = {}  # field -> word -> whether it starts with * or ?
    for node in _nodes(q):
        word = wildcard_word(node)
        if word is not None:
            fields.setdefault(node.fieldname, {})[word[0]] = word[1]
    count = max((len(words) for words in fields.values()), default=0)
    if count > bounds.wildcard_words:
        most = bounds.wildcard_words
        raise QueryTooBroad(
            "wildcards", most, f"it has more than {most} words with a wildcard (* or ?); use fewer"
        )
    if count > 1 and any(any(words.values()) for words in fields.values()):
        raise QueryTooBroad(
            "leading",
            1,
            "a word starting with * or ? must be its only word with a wildcard; "
            "type letters before the * or leave out the other wildcards",
        )


def wildcard_word(node: query.Query) -> tuple[tuple, bool] | None:
    """(the word in its field, whether it starts with a wildcard), or None for other queries."""
    if isinstance(node, query.PatternQuery):
        return ("pattern", node.text), node.text[:1] in ("", "*", "?")
    if isinstance(node, query.TermRange):
        return ("range", node.start, node.end), False
    if isinstance(node, query.MultiTerm):  # fuzzy terms, variations: the parser makes none
        return ("other", repr(node)), True
    return None


def expansion(q: query.MultiTerm, reader: IndexReader, budget: Budget) -> Iterator[bytes]:
    """The words of the index q matches, each counted against the budget as it is found."""
    scan = _scan(q, reader)
    for scanned, found in enumerate(scan):
        if scanned % SCAN_CHECK_EVERY == 0:
            budget.check_time()
        if found is not None:
            budget.expand()
            yield found


def _scan(q: query.MultiTerm, reader: IndexReader) -> Iterator[bytes | None]:
    """Each word of the vocabulary q reads: the word when q matches it, else None.

    A wildcard reads every word after its literal start, and all of them when it has none; this
    yields the misses too, so that the caller's clock runs during a long scan.
    """
    if isinstance(q, query.Wildcard):
        pattern = re.compile(q._get_pattern())
        start = q._find_prefix(q.text)
        field = q.fieldname
        candidates = reader.expand_prefix(field, start) if start else reader.lexicon(field)
        from_bytes = reader.schema[field].from_bytes
        for btext in candidates:
            yield btext if pattern.match(from_bytes(btext)) else None
        return
    yield from q._btexts(reader)


def _nodes(q: query.Query) -> Iterator[query.Query]:
    """q and all queries inside it, without recursion (a CQL query may nest deeply)."""
    todo = [q]
    while todo:
        node = todo.pop()
        yield node
        todo.extend(node.children())
