"""Search with facet counts in numpy over one open Whoosh searcher: the engine's fast path.

Whoosh finds and scores hits one posting at a time in Python, and its facet counts walk every
hit again; at a million clusters a common word costs half a second. Here each query term's
posting list is read block by block into numpy arrays, scored with the same BM25F formula and
statistics Whoosh uses (its idf, average field length and field-length bytes), and combined
with array operations: AND by intersection, OR by union with summed scores. Facet counts
come from per-document arrays loaded once per searcher. Phrases intersect their words'
postings the same way and decode positions only for the documents in the intersection. Query
kinds without a vectorised form are evaluated by Whoosh's own matcher and joined in as
arrays, so every query gives the answer Whoosh would give; tests/index/test_vectors.py
compares the two.

This reads Whoosh internals of the codec "whoosh3" (posting blocks, inlined postings, the
length columns, see index/postings.py): pyproject.toml pins the Whoosh release this was written
against. Only index/search.py uses this module; the arrays it combines are index/hits.py's
Matches, its facet counts index/facets.py's Facet.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TypeVar

import numpy as np
from whoosh import query
from whoosh.fields import NUMERIC
from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from index.cache import TermCache
from index.columns import sort_keys
from index.errors import WhooshChanged
from index.facets import Facet
from index.hits import Matches, add_where_present, all_of, any_of, in_order
from index.postings import LENGTHS, length_bytes, read_postings
from index.pricing import Budget, expansion
from index.segments import SegmentFacets

# the arrays of terms in at least this many documents are kept between searches
CACHE_MIN_DOCS = 20_000
CACHE_BYTES = 256 * 1024 * 1024
# and the documents of a term a wildcard expands to, from this many (fewer are read at once)
WILDCARD_CACHE_MIN_DOCS = 64
T = TypeVar("T")
CHECK_EVERY = 256  # a loop over words, documents or postings reads the clock this often


class Snapshot:
    """One Whoosh searcher over a committed state of the index, with its arrays.

    Open a new one after a commit (Whoosh's refresh() shows replaced documents twice). A
    snapshot is used by one thread at a time (index/searchers.py lends them); its siblings,
    each with a searcher of its own over the same commit, share its arrays and term cache.
    """

    def __init__(
        self,
        searcher: Searcher,
        facet_fields: Sequence[str],
        sort_fields: Sequence[str] = (),
        segment_facets: SegmentFacets | None = None,
    ) -> None:
        """`segment_facets`: the facet values of segments read by an earlier snapshot."""
        self.searcher = searcher
        self._leaves = searcher.leaf_searchers()
        self.doc_count_all = searcher.doc_count_all()
        self.live = np.ones(self.doc_count_all, dtype=bool)
        for leaf, offset in self._leaves:
            reader = leaf.reader()
            if reader.has_deletions():
                deleted = np.fromiter(reader.deleted_docs_set, dtype=np.int64)
                self.live[deleted + offset] = False
        self.live_docs = np.flatnonzero(self.live)
        self._segment_facets = segment_facets or SegmentFacets()
        self.facets = {field: self._facet(field) for field in facet_fields}
        self._segment_facets.keep_only(self._leaves)  # the segments merged away are gone
        self._lengths: dict[str, np.ndarray] = {}
        self._columns: dict[str, np.ndarray] = {}
        self._cache = TermCache(CACHE_BYTES)
        self._weighting = searcher.weighting
        if not isinstance(self._weighting, BM25F):
            raise WhooshChanged("the fast path scores with BM25F, the searcher does not")
        for field in sort_fields:  # loaded now, not by the first search that sorts (~1 s)
            self.column(field)

    def sibling(self, searcher: Searcher) -> Snapshot:
        """A snapshot with its own searcher, which must be of the same commit, and these arrays.

        The arrays read later (a filter's facet, a column, field lengths) are added to the
        shared dicts by whichever sibling needs them first; two may both read one, the same.
        """
        other = copy.copy(self)
        other.searcher = searcher
        other._leaves = searcher.leaf_searchers()
        other._weighting = searcher.weighting
        return other

    def close(self) -> None:
        self.searcher.close()

    # -- evaluating a query

    def evaluate(self, q: query.Query, budget: Budget) -> Matches:
        """The live documents q matches, with the scores Whoosh would give them.

        The budget's clock is read at every part of q, and in the loops over words and postings
        below, so a query that runs out of time stops (QueryTooBroad) within a few milliseconds.
        """
        budget.check_time()
        if isinstance(q, query.Term):
            return self._term(q.fieldname, q.text, q.boost)
        if isinstance(q, query.And):
            return self._and(q.subqueries, budget).boosted(q.boost)
        if isinstance(q, query.Or) and q.scale is None:
            return any_of([self.evaluate(sub, budget) for sub in q.subqueries]).boosted(q.boost)
        if isinstance(q, query.AndMaybe):
            required, optional = self.evaluate(q.a, budget), self.evaluate(q.b, budget)
            return add_where_present(required, optional).boosted(q.boost)
        if isinstance(q, query.AndNot):
            kept = self.evaluate(q.a, budget)
            dropped = self.evaluate(q.b, budget).docs
            keep = ~np.isin(kept.docs, dropped, assume_unique=True)
            return Matches(kept.docs[keep], kept.scores[keep]).boosted(q.boost)
        if isinstance(q, query.Not):
            # Whoosh's inverse matcher scores every document it lets through with the boost
            found = self.evaluate(q.query, budget).docs
            docs = np.setdiff1d(self.live_docs, found, assume_unique=True)
            return Matches(docs, np.full(len(docs), float(q.boost)))
        if isinstance(q, query.MultiTerm):
            return self._multiterm(q, budget)
        if isinstance(q, query.NumericRange):  # a year range: terms of several precisions
            return self.evaluate(q._compile_query(self.searcher.reader()), budget)
        if isinstance(q, query.ConstantScoreQuery):
            found = self.evaluate(q.child, budget).docs
            return Matches(found, np.full(len(found), float(q.score)))
        if isinstance(q, query.Phrase):
            return self._phrase(q, budget)
        if q is query.NullQuery:
            return Matches.none()
        if isinstance(q, query.Every):
            if q.fieldname in (None, "", "*"):
                # every live document, each scored with the boost, as Whoosh's Every does
                return Matches(self.live_docs, np.full(len(self.live_docs), float(q.boost)))
            return self._every_in(q.fieldname, q.boost, budget)
        return self._by_whoosh(q, budget)

    def _every_in(self, field: str, boost: float, budget: Budget) -> Matches:
        """The documents with a word in field (`title:*`), each scored with the boost.

        Whoosh reads every posting of the field for this, past any clock; a document's field
        length says the same at once. A field without lengths is a prefix of nothing.
        """
        if field not in self.searcher.schema:
            return Matches.none()
        kind = self.searcher.schema[field]
        if isinstance(kind, NUMERIC):  # `year:*`: its terms are numbers, no prefix of ""
            return self._by_whoosh(query.Every(field, boost=boost), budget)
        if not kind.scorable:
            return self._multiterm(query.Prefix(field, "", boost=boost), budget)
        docs = np.flatnonzero(self.live & (self._length_bytes(field) > 0))
        return Matches(docs, np.full(len(docs), float(boost)))

    def _and(self, subqueries: Sequence[query.Query], budget: Budget) -> Matches:
        positive = [sub for sub in subqueries if not isinstance(sub, query.Not)]
        negative = [sub.query for sub in subqueries if isinstance(sub, query.Not)]
        if not positive:  # only NOTs: Whoosh's inverse matchers, intersected
            return all_of([self.evaluate(query.Not(sub), budget) for sub in negative])
        result = all_of([self.evaluate(sub, budget) for sub in positive])
        for sub in negative:
            drop = np.isin(result.docs, self.evaluate(sub, budget).docs, assume_unique=True)
            # an inverse matcher in an intersection adds its weight, 1.0, to every score
            result = Matches(result.docs[~drop], result.scores[~drop] + 1.0)
        return result

    def _term(self, field: str, text: str | bytes, boost: float = 1.0) -> Matches:
        if field not in self.searcher.schema:
            return Matches.none()
        try:
            btext = self.searcher.schema[field].to_bytes(text)
        except ValueError:  # year:"" or year:"1990 2000": no number, so no document, as in Whoosh
            return Matches.none()
        key = (field, btext, boost)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        docs, weights = self._postings(field, btext)
        scores = self._scores(field, btext, docs, weights)
        result = Matches(docs, scores * boost if boost != 1.0 else scores)
        if len(docs) >= CACHE_MIN_DOCS:
            self._cache.put(key, result, result.docs.nbytes + result.scores.nbytes)
        return result

    def _scores(
        self, field: str, btext: bytes, docs: np.ndarray, weights: np.ndarray
    ) -> np.ndarray:
        """BM25F scores of a term in docs with its weights there, as Whoosh computes them."""
        if not self.searcher.schema[field].scorable or not len(docs):
            return weights
        idf = self.searcher.idf(field, btext.decode("utf-8"))
        avgfl = self.searcher.avg_field_length(field) or 1
        lengths = LENGTHS[self._length_bytes(field)[docs]]
        b, k1 = self._weighting._field_B.get(field, self._weighting.B), self._weighting.K1
        return idf * ((weights * (k1 + 1)) / (weights + k1 * ((1 - b) + b * lengths / avgfl)))

    def _positional_postings(
        self, field: str, btext: bytes
    ) -> tuple[np.ndarray, np.ndarray, list[bytes]]:
        """read_postings() with values, kept between searches for a common term."""
        key = (field, btext, None)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        found = read_postings(self._leaves, self.live, field, btext, values=True)
        docs, weights, values = found
        if len(docs) >= CACHE_MIN_DOCS:
            # a bytes object costs its length and about 33 bytes; the list 8 a value
            size = docs.nbytes + weights.nbytes + sum(map(len, values)) + 41 * len(values)
            self._cache.put(key, found, size)
        return found

    def _term_docs(self, field: str, btext: bytes) -> np.ndarray:
        """The live documents with a term, kept between searches unless the term is rare.

        A wildcard like `*a*` reads hundreds of terms' postings (most of its time, decoding
        Whoosh's posting blocks); the next wildcard reaching the same terms reads them here.
        """
        key = (field, btext, "docs")
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        docs = self._postings(field, btext)[0]
        if len(docs) >= WILDCARD_CACHE_MIN_DOCS:
            self._cache.put(key, docs, docs.nbytes)
        return docs

    def _postings(self, field: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
        """The live documents with a term and its weight in each, read block by block."""
        docs, weights, _ = read_postings(self._leaves, self.live, field, btext, values=False)
        return docs, weights

    def _phrase(self, q: query.Phrase, budget: Budget) -> Matches:
        """The documents with the words in order, as Whoosh's Phrase finds and scores them.

        Whoosh intersects the words' postings, sums their scores and keeps a document when a
        chain of the words' positions has each next word 1 to `slop` positions after the
        one before (SpanNear2, ordered, mindist 1). Here the intersection is the vectorised
        AND, and positions are decoded only for the documents in it.
        """
        field = q.fieldname
        if field not in self.searcher.schema:
            return Matches.none()
        if not self.searcher.schema[field].format.supports("positions"):
            return self._by_whoosh(q, budget)  # Whoosh's own error for a field without positions
        try:
            words = [self.searcher.schema[field].to_bytes(word) for word in q.words]
        except ValueError:
            return Matches.none()
        if not words:
            return Matches.none()
        postings = {word: self._positional_postings(field, word) for word in set(words)}
        docs = postings[words[0]][0]
        for word in words[1:]:
            docs = np.intersect1d(docs, postings[word][0], assume_unique=True)
        if not len(docs):
            return Matches.none()
        scores = np.zeros(len(docs))
        where: dict[bytes, list[int]] = {}
        for word in words:  # a repeated word scores once for each time, as in Whoosh
            term_docs, weights, _ = postings[word]
            at = np.searchsorted(term_docs, docs)
            scores += self._scores(field, word, docs, weights[at])  # only where all words meet
            where[word] = at.tolist()
        decode = self.searcher.schema[field].format.decode_positions
        keep = np.fromiter(
            (
                in_order([decode(postings[w][2][where[w][i]]) for w in words], q.slop)
                for i in _counted(range(len(docs)), budget)
            ),
            dtype=bool,
            count=len(docs),
        )
        return Matches(docs[keep], scores[keep]).boosted(q.boost)

    def _multiterm(self, q: query.MultiTerm, budget: Budget) -> Matches:
        """Prefix, wildcard, term range: the documents with any term it expands to.

        The words it matches are counted against the budget (index/pricing.py). With
        `constantscore` (Whoosh's default for these) every such document scores the query's
        boost, as Whoosh documents it. Whoosh itself does so only in segments of at most 5,000
        documents and in larger ones sums the terms' BM25 scores, so that the same document
        scores differently by the segment it sits in; here it does not.
        """
        texts = sorted(set(expansion(q, self.searcher.reader(), budget)))
        if not q.constantscore:
            found = [self._term(q.field(), text) for text in _counted(texts, budget)]
            return any_of(found).boosted(q.boost)
        found = np.zeros(self.doc_count_all, dtype=bool)
        for text in _counted(texts, budget):
            found[self._term_docs(q.field(), text)] = True
        union = np.flatnonzero(found)
        return Matches(union, np.full(len(union), float(q.boost)))

    def _by_whoosh(self, q: query.Query, budget: Budget) -> Matches:
        """Whoosh's own matcher, one posting at a time: for the kinds not vectorised here."""
        docs: list[int] = []
        scores: list[float] = []
        for leaf, offset in self._leaves:
            matcher = q.matcher(leaf, leaf.context())
            while matcher.is_active():
                if len(docs) % CHECK_EVERY == 0:
                    budget.check_time()
                docs.append(matcher.id() + offset)
                scores.append(matcher.score())
                matcher.next()
        order = np.argsort(np.array(docs, dtype=np.int64), kind="stable")
        return Matches(np.array(docs, dtype=np.int64)[order], np.array(scores)[order])

    # -- per-document arrays

    def _length_bytes(self, field: str) -> np.ndarray:
        """Each document's encoded length of field, read once per snapshot."""
        if field not in self._lengths:
            self._lengths[field] = length_bytes(self._leaves, field)
        return self._lengths[field]

    def column(self, field: str) -> np.ndarray:
        """A sortable column as per-document sort keys: numbers, or ranks of strings."""
        if field not in self._columns:
            self._columns[field] = sort_keys(self._leaves, field)
        return self._columns[field]

    def _facet(self, field: str) -> Facet:
        """A field's terms as facet values, with each document's values."""
        return self._segment_facets.facet(self._leaves, self.live, field)

    # -- filters, facets, order

    def restrict(self, matches: Matches, filters: Mapping[str, Sequence[str]]) -> Matches:
        """Only the matches with one of the given values in every filtered field."""
        for field, wanted in filters.items():
            if not wanted:
                continue
            if field not in self.facets:
                self.facets[field] = self._facet(field)
            keep = np.isin(matches.docs, self.facets[field].docs_with(wanted), assume_unique=True)
            matches = Matches(matches.docs[keep], matches.scores[keep])
        return matches

    def top(self, matches: Matches, limit: int, keys: Sequence[tuple[str, bool]] = ()) -> list[int]:
        """The first `limit` documents by score, or by sortable columns (name, descending).

        Ties go to the lower document number, as in Whoosh's collectors.
        """
        docs, scores = matches.docs, matches.scores
        if not keys:
            if len(docs) > limit:
                # every document scoring at least the limit-th best, ties included
                cut = np.partition(scores, len(scores) - limit)[len(scores) - limit]
                keep = scores >= cut
                docs, scores = docs[keep], scores[keep]
            order = np.lexsort((docs, -scores))
        else:
            columns = []
            for field, descending in keys:
                column = self.column(field)[docs]
                columns.append(-column if descending else column)
            order = np.lexsort((docs, *reversed(columns)))
        return [int(d) for d in docs[order[:limit]]]


def _counted(items: Iterable[T], budget: Budget) -> Iterator[T]:
    """items, with the budget's clock read every CHECK_EVERY of them."""
    for n, item in enumerate(items):
        if n % CHECK_EVERY == 0:
            budget.check_time()
        yield item
