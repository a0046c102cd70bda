"""Facet counts in numpy: one field's values and, per document, which of them it has."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.hits import EMPTY_DOCS


@dataclass(frozen=True, slots=True)
class Facet:
    """One field's values and, per document, which of them it has (compressed rows)."""

    values: tuple[str, ...]
    starts: np.ndarray  # document d has value numbers numbers[starts[d]:starts[d + 1]]
    numbers: np.ndarray
    docs_of: tuple[np.ndarray, ...]  # the documents of each value, ascending

    @classmethod
    def of(cls, values: tuple[str, ...], docs: list[np.ndarray], doc_count_all: int) -> Facet:
        """The facet of values whose documents (ascending, each once) are docs[n] for value n."""
        if docs:
            doc = np.concatenate(docs)
            number = np.repeat(np.arange(len(docs)), [len(d) for d in docs])
            order = np.argsort(doc, kind="stable")
            counts = np.bincount(doc, minlength=doc_count_all)
        else:
            number, order = EMPTY_DOCS, EMPTY_DOCS
            counts = np.zeros(doc_count_all, dtype=np.int64)
        starts = np.zeros(doc_count_all + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        return cls(values, starts, number[order], tuple(docs))

    def counts(self, docs: np.ndarray) -> dict[str, int]:
        """How many of docs have each value; values none of them has are left out."""
        begin, end = self.starts[docs], self.starts[docs + 1]
        lengths = end - begin
        total = int(lengths.sum())
        if not total:
            return {}
        # the positions begin[i] .. end[i] - 1 of every doc, laid end to end
        positions = np.repeat(begin - np.cumsum(lengths) + lengths, lengths) + np.arange(total)
        counted = np.bincount(self.numbers[positions], minlength=len(self.values))
        return {self.values[n]: int(counted[n]) for n in np.flatnonzero(counted)}

    def docs_with(self, values: Sequence[str]) -> np.ndarray:
        """The documents with any of values, ascending."""
        wanted = set(values)
        found = [self.docs_of[n] for n, value in enumerate(self.values) if value in wanted]
        if not found:
            return EMPTY_DOCS
        return found[0] if len(found) == 1 else np.unique(np.concatenate(found))
