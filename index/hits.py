"""Hits as numpy arrays: documents with their scores, and how queries combine them.

AND intersects and sums the scores, OR unites and sums them, AND MAYBE adds the optional
part's score where it matched too, each as Whoosh combines its matchers' scores.
index/vectors.py evaluates queries into these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

EMPTY_DOCS = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class Matches:
    """Documents (global numbers, ascending, each once) and their scores."""

    docs: np.ndarray  # int64
    scores: np.ndarray  # float64

    @classmethod
    def none(cls) -> Matches:
        return cls(EMPTY_DOCS, np.zeros(0))

    def boosted(self, boost: float) -> Matches:
        return self if boost == 1.0 else Matches(self.docs, self.scores * boost)


def all_of(parts: list[Matches]) -> Matches:
    """The documents in every part, with the parts' scores summed (AND)."""
    parts.sort(key=lambda m: len(m.docs))
    result = parts[0]
    for part in parts[1:]:
        docs, mine, theirs = np.intersect1d(
            result.docs, part.docs, assume_unique=True, return_indices=True
        )
        result = Matches(docs, result.scores[mine] + part.scores[theirs])
    return result


def any_of(parts: list[Matches]) -> Matches:
    """The documents in any part, with the scores of the parts they are in summed (OR)."""
    parts = [part for part in parts if len(part.docs)]
    if not parts:
        return Matches.none()
    if len(parts) == 1:
        return parts[0]
    docs, where = np.unique(np.concatenate([p.docs for p in parts]), return_inverse=True)
    scores = np.bincount(where, weights=np.concatenate([p.scores for p in parts]))
    return Matches(docs, scores)


def add_where_present(required: Matches, optional: Matches) -> Matches:
    """The required matches, each with the optional score added where it matched too."""
    scores = required.scores.copy()
    _, mine, theirs = np.intersect1d(
        required.docs, optional.docs, assume_unique=True, return_indices=True
    )
    scores[mine] += optional.scores[theirs]
    return Matches(required.docs, scores)


def in_order(positions: Sequence[list[int]], slop: int) -> bool:
    """Whether a chain of positions, one from each list, has each next one 1 to slop after.

    Whoosh's SpanNear2 (ordered, mindist 1) on single-word spans: a chain of spans grows a
    word at a time, and the next word must start 1 to slop positions after the chain ends.
    """
    spans = {(p, p) for p in positions[0]}
    for following in positions[1:]:
        spans = {(start, p) for start, end in spans for p in following if 1 <= p - end <= slop}
        if not spans:
            return False
    return True
