"""The union index: one Whoosh document per cluster, searched with filters and facet counts.

Everything that touches Whoosh lives here, behind ClusterDoc, UnionIndex and SearchResult, so
the web pages never see a Whoosh object and a faster search can replace this one later.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from itertools import pairwise
from pathlib import Path

from whoosh import index, query, sorting
from whoosh.analysis import RegexTokenizer
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.qparser import AndGroup, FieldAliasPlugin, MultifieldParser
from whoosh.qparser.common import QueryParserError
from whoosh.reading import IndexReader

from index.analysis import (
    exact_title,
    fold,
    isbn_analyzer,
    isbn_terms,
    keyword_analyzer,
    name_analyzer,
    text_analyzer,
    words,
)
from index.vectors import Snapshot
from libnet.processes import end_with_parent
from libnet.records.bib import BibRecord

SEARCH_FIELDS = ("title", "subtitle", "authors", "subjects", "series", "publisher", "isbn")
# the fields a query may name: those searched, the year, and what the SRU server (id:) and the
# pages (subject_facet:) write; to the parser library:, spell:, doc: ... are words
QUERY_FIELDS = (*SEARCH_FIELDS, "year", "id", "subject_facet")
FILTER_FIELDS = ("library", "format", "language", "decade", "available")
FACET_FIELDS = {"library": "library", "format": "format", "language": "language",
                "decade": "decade", "subject": "subject_facet"}  # fmt: skip
SUBJECT_FACET_SIZE = 20
SORTS = ("relevance", "year_desc", "year_asc", "title")
EXACT_TITLE_BOOST = 50.0  # far above any BM25 score of a short title, so the exact title leads
SUGGEST_BELOW = 3  # a search with fewer hits may get a "did you mean"
# completion keys are cut here: a title has one key per word, each as long as the rest of it;
# complete() checks a longer prefix against the display form
COMPLETION_KEY_CHARS = 60
_UNIT_SEPARATOR = "\x1f"  # between folded key and display form; str.split() drops it

_OPERATORS = frozenset(("AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"))
_NOT_WORDS = _OPERATORS | {"TO"}  # dropped from a mistyped query
_ONLY_ISBN = re.compile(r"[\dXx\s-]+")
_EMPTY_FIELD = re.compile(r"\w:(?:\s|$)")
_FIELD_NAME = re.compile(r"\w+:")
_COMPLETENESS_SKIP = frozenset(("library", "local_id", "items"))
_LONGEST_CORRECTED = 30  # letters; a longer word is no typo we can fix cheaply


@dataclass(frozen=True, slots=True)
class Holding:
    """One library's copies of a cluster member with one call number and status."""

    library: str
    local_id: str
    call_number: str
    status: str  # one of libnet.records.holdings.ITEM_STATUSES
    copies: int


@dataclass(frozen=True, slots=True)
class ClusterDoc:
    """What the index stores for one cluster: one hit."""

    id: int
    title: str
    subtitle: str
    authors: tuple[str, ...]
    subjects: tuple[str, ...]
    series: tuple[str, ...]
    publisher: str
    isbns: tuple[str, ...]
    year: int | None
    format: str
    language: str
    holdings: tuple[Holding, ...]

    @property
    def libraries(self) -> tuple[str, ...]:
        """The holding libraries, each once, in the order of the holdings."""
        return tuple(dict.fromkeys(h.library for h in self.holdings))

    @property
    def available_at(self) -> tuple[str, ...]:
        """The libraries with at least one copy on the shelf."""
        return tuple(dict.fromkeys(h.library for h in self.holdings if h.status == "available"))


@dataclass(frozen=True, slots=True)
class Hit:
    """One cluster in a result list; holdings ordered for the patron's home library."""

    id: int
    title: str
    authors: tuple[str, ...]
    year: int | None
    format: str
    isbns: tuple[str, ...]
    holdings: tuple[Holding, ...]


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One page of hits, the number of all hits and facet counts over all of them."""

    total: int
    hits: tuple[Hit, ...]
    facets: dict[str, list[tuple[str, int]]]
    suggestion: str | None = None  # the query with misspelt words corrected, when it finds more


def cluster_doc(cluster_id: int, members: Sequence[BibRecord]) -> ClusterDoc:
    """Merge a cluster's records: the most complete one describes it, lists are united."""
    best = max(members, key=completeness)  # max keeps the first of equals: the describing one
    holdings: list[Holding] = []
    for member in members:
        copies: dict[tuple[str, str], int] = {}
        for item in member.items:
            key = (item.call_number, item.status)
            copies[key] = copies.get(key, 0) + 1
        if not copies:
            holdings.append(Holding(member.library, member.local_id, "", "unknown", 0))
        holdings.extend(
            Holding(member.library, member.local_id, call_number, status, count)
            for (call_number, status), count in copies.items()
        )
    return ClusterDoc(
        id=cluster_id,
        title=best.title,
        subtitle=best.subtitle,
        authors=_united(m.authors for m in members),
        subjects=_united(m.subjects for m in members),
        series=_united(tuple(title for title, _ in m.series) for m in members),
        publisher=best.publisher,
        isbns=_united(m.isbns for m in members),
        year=best.year,
        format=best.format,
        language=best.language,
        holdings=tuple(holdings),
    )


def completeness(record: BibRecord) -> int:
    """How many fields a record fills: a cluster is described by its most complete member."""
    return sum(
        1
        for f in fields(record)
        if f.name not in _COMPLETENESS_SKIP and getattr(record, f.name) not in (None, "", ())
    )


def _united(lists: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for values in lists:
        for value in values:
            seen.setdefault(fold(value), value)
    return tuple(seen.values())


# Raise when the schema changes: `libnet index` then rebuilds instead of writing into an
# index whose fields no longer fit.
SCHEMA_VERSION = 2


def schema() -> Schema:
    """The union index's fields; analyzers come from index.analysis, an importable module."""
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=text_analyzer(), field_boost=2.0),
        title_exact=TEXT(analyzer=keyword_analyzer(), phrase=False),
        subtitle=TEXT(analyzer=text_analyzer()),
        authors=TEXT(analyzer=name_analyzer()),
        subjects=TEXT(analyzer=text_analyzer()),
        series=TEXT(analyzer=text_analyzer()),
        publisher=TEXT(analyzer=name_analyzer()),
        isbn=TEXT(analyzer=isbn_analyzer(), phrase=False),
        # an undated record sorts as year 0: last when newest come first
        year=NUMERIC(int, bits=32, sortable=True, default=0),
        decade=ID(sortable=True),
        format=ID(sortable=True),
        language=ID(sortable=True),
        library=KEYWORD(lowercase=False, scorable=False),
        available=KEYWORD(lowercase=False, scorable=False),
        # whole subject headings, one a line, for the subject facet
        subject_facet=TEXT(analyzer=RegexTokenizer(r"[^\n]+"), phrase=False),
        # words of title, authors and subjects, folded but not stemmed: what "did you mean" offers
        spell=TEXT(analyzer=name_analyzer(), phrase=False),
        # one line per completion: folded key, unit separator, title or author as catalogued
        complete=TEXT(analyzer=RegexTokenizer(r"[^\n]+"), phrase=False),
        title_sort=ID(sortable=True),
        doc=STORED(),
    )


class UnionIndex:
    """The Whoosh index in one folder: write clusters in one commit, search them."""

    def __init__(self, path: Path) -> None:
        if index.exists_in(path):
            self._index = index.open_dir(path)
        else:
            path.mkdir(parents=True, exist_ok=True)
            self._index = index.create_in(path, schema())
        self._path = path
        self._folder = path.resolve()
        self._snapshot_lock = threading.Lock()
        self._current: Snapshot | None = None
        self._current_key: tuple[Path, int] | None = None
        named = Schema(**{name: self._index.schema[name] for name in QUERY_FIELDS})
        self._parser = MultifieldParser(SEARCH_FIELDS, named, group=AndGroup)
        self._parser.add_plugin(FieldAliasPlugin({"authors": ["author"], "subjects": ["subject"]}))

    def write(
        self,
        docs: Iterable[ClusterDoc] = (),
        delete: Iterable[int] = (),
        *,
        fresh: bool = False,
        parts: Sequence[Iterable[ClusterDoc]] = (),
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Delete ids, then add or replace docs, in one commit; returns the docs written.

        Deletions come first, so a cluster both deleted and given stays. An exception cancels
        the writer and the index keeps its last commit. `fresh`: the index is new and every
        doc appears once, so docs are added without looking for an older copy, and the
        segments are left unmerged (a full build writes once).

        `parts` (fresh only): the documents of a parallel build, each iterable written by a
        forked process of its own into a segment of its own (docs, if any, come last). The
        index numbers them parts[0], parts[1] ... one after the other, as one writer would:
        ties in a ranking come out in the same order. Each iterable runs in its process, so it
        must not use a database connection opened before the fork. `progress` hears now and
        then how many documents all processes have written.
        """
        # Local imports: only a parallel build needs most of them. Whoosh's own MpWriter hands
        # batches to whichever process is free, so the numbering of documents would vary from
        # run to run; these processes write one contiguous part each, like its SubWriterTask.
        from multiprocessing import get_context
        from multiprocessing.connection import Connection, wait
        from multiprocessing.process import BaseProcess

        from whoosh.codec import default_codec
        from whoosh.writing import SegmentWriter

        if parts and not fresh:
            raise ValueError("only a fresh index is written by several processes")
        # a fresh build sorts each segment's postings in memory: Whoosh's external sort pickles
        # every posting to a run file and back, which costs more than the indexing itself
        limitmb = 3072 if fresh else 256
        codec = default_codec()
        if fresh:
            # Whoosh keeps each term's shortest and longest field length, a bound for its own
            # top-N search, by looking up every posting's document length: one file-system
            # check per posting of a field without lengths (id, year, library ...), a seventh
            # of a build. Without them the bound is looser and every answer the same; the
            # vectorised search never reads it, and a merge of the segment computes them.
            codec.length_stats = False

        def add(
            writer: SegmentWriter, docs: Iterable[ClusterDoc], told: Callable[[int], None]
        ) -> int:
            written = 0
            seen: set[int] = set()
            for doc in docs:
                # update_document deletes only committed documents: a repeat would be kept twice
                if doc.id in seen:
                    raise ValueError(f"cluster {doc.id} given twice in one write")
                seen.add(doc.id)
                if fresh:
                    writer.add_document(**_fields(doc))
                else:
                    writer.update_document(**_fields(doc))
                written += 1
                if written % 1000 == 0:
                    told(written)
            return written

        def write_part(docs: Iterable[ClusterDoc], pipe: Connection) -> None:
            # in the forked process: the parent holds the index's lock and commits the segment
            end_with_parent(parent)
            part = SegmentWriter(self._index, _lk=False, limitmb=limitmb, codec=codec)
            written = add(part, docs, lambda n: pipe.send(("written", n)))
            pipe.send(("done", written, part._finalize_segment()))

        writer = self._index.writer(limitmb=limitmb, codec=codec)
        parent = os.getpid()
        fork = get_context("fork")
        started: list[tuple[BaseProcess, Connection]] = []
        counts = [0] * (len(parts) + 1)  # documents written by each process, this one last
        segments: list = [None] * len(parts)

        def told(index: int, written: int) -> None:
            counts[index] = written
            if progress:
                progress(sum(counts))

        try:
            for part in parts:
                receive, send = fork.Pipe(duplex=False)
                process = fork.Process(target=write_part, args=(part, send), daemon=True)
                process.start()
                send.close()  # the child's end: a child that dies closes it, recv() then fails
                started.append((process, receive))
            for cluster_id in delete:
                writer.delete_by_term("id", str(cluster_id))
            told(-1, add(writer, docs, lambda n: told(-1, n)))
            waiting = {receive: index for index, (_process, receive) in enumerate(started)}
            while waiting:
                for receive in wait(list(waiting)):
                    index = waiting[receive]
                    try:
                        message = receive.recv()
                    except EOFError:
                        process = started[index][0]
                        process.join()
                        raise RuntimeError(
                            f"an index writer process failed (exit status {process.exitcode})"
                        ) from None
                    told(index, message[1])
                    if message[0] == "done":
                        segments[index] = message[2] if message[1] else None
                        del waiting[receive]
            for process, _receive in started:
                process.join()
        except BaseException:
            for process, _receive in started:
                process.kill()
                process.join()
            writer.cancel()
            raise
        if parts:
            # the parts' segments (the commit removes the files of an empty one) come first,
            # then the one this writer finishes: the order of the documents as given
            done = [segment for segment in segments if segment is not None]
            writer.commit(mergetype=lambda _writer, existing: [*existing, *done])
        else:
            writer.commit(merge=not fresh)
        return sum(counts)

    def count(self) -> int:
        """The number of clusters in the index."""
        return self._index.doc_count()

    def get(self, cluster_id: int) -> ClusterDoc | None:
        """The indexed document of one cluster, or None when the index has no such cluster."""
        snapshot = self._snapshot()
        with snapshot.lock:
            stored = snapshot.searcher.document(id=str(cluster_id))
        return None if stored is None else _cluster_doc(json.loads(stored["doc"]))

    def search(
        self,
        text: str,
        *,
        filters: Mapping[str, Sequence[str]] = {},
        sort: str = "relevance",
        page: int = 1,
        page_size: int = 20,
        home: str = "",
    ) -> SearchResult:
        """One page of clusters matching the patron's query, with facet counts over all hits."""
        _check(filters, sort, page, page_size)
        q = self._query(text)
        if q is None:
            return SearchResult(0, (), {name: [] for name in FACET_FIELDS})
        snapshot = self._snapshot()
        with snapshot.lock:
            matches = snapshot.restrict(snapshot.evaluate(q), filters)
            total = len(matches.docs)
            first = snapshot.top(matches, page * page_size, _SORT_KEYS[sort])
            searcher = snapshot.searcher
            hits = tuple(
                _hit(json.loads(searcher.stored_fields(docnum)["doc"]), home)
                for docnum in first[(page - 1) * page_size :]
            )
            facets = {
                name: _counts(snapshot.facets[field].counts(matches.docs), name)
                for name, field in FACET_FIELDS.items()
            }
            suggestion = None
            if total < SUGGEST_BELOW:
                corrected = _corrected(searcher.reader(), text)
                better = self._query(corrected) if corrected else None
                if better is not None:
                    found = snapshot.restrict(snapshot.evaluate(better), filters)
                    suggestion = corrected if len(found.docs) > total else None
        return SearchResult(total, hits, facets, suggestion)

    def search_with_whoosh(
        self,
        text: str,
        *,
        filters: Mapping[str, Sequence[str]] = {},
        sort: str = "relevance",
        page: int = 1,
        page_size: int = 20,
        home: str = "",
    ) -> SearchResult:
        """search(), answered by Whoosh's own searcher and facets: slow, and the reference.

        The tests compare search() with this; it also helps to tell an engine fault from a
        fault of the fast path.
        """
        _check(filters, sort, page, page_size)
        q = self._query(text)
        if q is None:
            return SearchResult(0, (), {name: [] for name in FACET_FIELDS})
        allow = _whoosh_filter(filters)
        facets = {
            name: sorting.FieldFacet(field, allow_overlap=name in ("library", "subject"))
            for name, field in FACET_FIELDS.items()
        }
        with self._index.searcher() as searcher:
            results = searcher.search(
                q,
                limit=page * page_size,
                sortedby=_sort_facet(sort),
                groupedby=facets,
                maptype=sorting.Count,
                filter=allow,
                optimize=False,  # block skipping would leave hits out of the facet counts
            )
            hits = tuple(
                _hit(json.loads(stored["doc"]), home)
                for stored in results[(page - 1) * page_size : page * page_size]
            )
            total = len(results)
            suggestion = None
            if total < SUGGEST_BELOW:
                corrected = _corrected(searcher.reader(), text)
                better = self._query(corrected) if corrected else None
                if better is not None:
                    more = searcher.search(better, limit=1, filter=allow)
                    suggestion = corrected if len(more) > total else None
            return SearchResult(
                total=total,
                hits=hits,
                facets={name: _counts(results.groups(name), name) for name in FACET_FIELDS},
                suggestion=suggestion,
            )

    def _snapshot(self) -> Snapshot:
        """The searcher of the latest commit with its arrays, opened again after a commit.

        A full rebuild swaps the folder behind the index link: the folder is part of the key,
        since a new folder's first generation may carry an old one's number.
        """
        with self._snapshot_lock:
            folder = self._path.resolve()
            if folder != self._folder:
                self._index = index.open_dir(self._path)
                self._folder = folder
            key = (folder, self._index.latest_generation())
            if self._current is None or self._current_key != key:
                old = self._current
                sort_fields = {field for keys in _SORT_KEYS.values() for field, _ in keys}
                self._current = Snapshot(
                    self._index.searcher(), tuple(FACET_FIELDS.values()), sorted(sort_fields)
                )
                self._current_key = key
                if old is not None:
                    with old.lock:  # a search still running on it finishes first
                        old.close()
            return self._current

    def complete(self, prefix: str, limit: int = 10) -> list[str]:
        """Titles and authors as catalogued that start with prefix, most clusters first.

        A title also completes from any of its words ("vermess", "welt" and "der w" give "Die
        Vermessung der Welt"), an author only from the heading's start ("kehl" gives "Kehlmann,
        Daniel"). Folded, so "mü", "mu" and "mue" give "Müller, Hans"; spellings that fold alike
        are one completion, shown in their most frequent form.
        """
        key = exact_title(prefix)
        if not key or limit < 1:
            return []
        # display form -> (clusters, a term of it); all keys of one title share their clusters
        found: dict[str, tuple[int, bytes]] = {}
        snapshot = self._snapshot()
        with snapshot.lock:
            reader = snapshot.searcher.reader()
            for term, info in reader.iter_prefix("complete", key[:COMPLETION_KEY_CHARS]):
                display = term.decode("utf-8").partition(_UNIT_SEPARATOR)[2]
                if display not in found or found[display][0] < info.doc_frequency():
                    found[display] = (info.doc_frequency(), term)
            if len(key) > COMPLETION_KEY_CHARS:
                found = {
                    display: value
                    for display, value in found.items()
                    if any(k.startswith(key) for k in _completion_keys(display))
                }
            spellings: dict[str, list[tuple[int, str, bytes]]] = {}
            for display, (clusters, term) in found.items():
                spellings.setdefault(fold(display), []).append((clusters, display, term))
            # ties alphabetically by the folded form, so Ö sorts with O and not after Z
            ranked = sorted(
                (
                    -sum(clusters for clusters, _, _ in group),
                    folded,
                    min((-clusters, display) for clusters, display, _ in group)[1],
                    [term for _, _, term in group],
                )
                for folded, group in spellings.items()
            )
            # doc frequencies still count deleted documents until their segment is merged
            live = not reader.has_deletions()
            completions: list[str] = []
            for _, _, display, terms in ranked:
                if live or any(reader.postings("complete", t).is_active() for t in terms):
                    completions.append(display)
                    if len(completions) == limit:
                        break
            return completions

    def _query(self, text: str) -> query.Query | None:
        """The patron's query, or None when it has no word to search for."""
        text = text.strip()
        if text == "*":  # everything (the home page's counts, filters alone): not 6 fields' terms
            return query.Every()
        if _ONLY_ISBN.fullmatch(text):
            terms = isbn_terms(text)
            if terms:
                return query.Or([query.Term("isbn", term) for term in terms])
        parsed = None
        if not _mistyped(text):
            try:
                parsed = self._parser.parse(text)
            # year:[abc TO 2010] is a ValueError; `(NOT NOT title:"")` an IndexError: Whoosh
            # builds a NOT of nothing when an empty phrase is dropped inside parentheses
            except (QueryParserError, ValueError, IndexError):
                parsed = None
            if parsed is not None:
                parsed = parsed.accept(self._phrase_without_positions)
        if parsed is None or parsed is query.NullQuery:
            plain = " ".join(
                match.group().lower()
                for match in words(_FIELD_NAME.sub(" ", text))
                if match.group() not in _NOT_WORDS
            )
            if not plain:
                return None
            # lower case: and, or, not are words, not operators
            parsed = self._parser.parse(plain)
            if parsed is query.NullQuery:
                return None
        exact = query.Term("title_exact", exact_title(text), boost=EXACT_TITLE_BOOST)
        return query.AndMaybe(parsed, exact)

    def _phrase_without_positions(self, q: query.Query) -> query.Query:
        """A phrase in a field that keeps no word positions (isbn:"a b", a subject heading with
        a line break) as all of its words: Whoosh cannot search it as a phrase."""
        if isinstance(q, query.Phrase) and not self._index.schema[q.fieldname].format.supports(
            "positions"
        ):
            return query.And([query.Term(q.fieldname, word) for word in q.words], boost=q.boost)
        return q


def _mistyped(text: str) -> bool:
    """Whether the query has syntax a person got wrong: Whoosh would guess what was meant."""
    if text.count('"') % 2 or any(text.count(a) != text.count(b) for a, b in ("()", "[]", "{}")):
        return True
    if _EMPTY_FIELD.search(text):
        return True
    tokens = text.split()
    if not tokens or tokens[-1] in _OPERATORS or tokens[0] in _OPERATORS - {"NOT"}:
        return True
    return any(a in _OPERATORS and b in _OPERATORS for a, b in pairwise(tokens))


def _corrected(reader: IndexReader, text: str) -> str | None:
    """text with each word missing from the spell field replaced by its nearest one there.

    Operators, field names, numbers and wildcard words stay as typed; a replacement takes the
    case of the word it replaces. None when no word changed.
    """
    corrector = reader.corrector("spell")
    changes: list[tuple[int, int, str]] = []
    for match in words(text):
        word, start, end = match.group(), match.start(), match.end()
        if (
            word in _NOT_WORDS
            or text[end : end + 1] in (":", "*", "?")
            or text[start - 1 : start] in ("*", "?")
            or any(c.isdigit() for c in word)
            or len(word) > _LONGEST_CORRECTED
        ):
            continue
        folded = fold(word)
        if reader.doc_frequency("spell", folded):
            continue
        for maxdist in (1, 2) if len(folded) > 4 else (1,):
            # most misspellings keep the first letter; the prefix also keeps the search short
            nearest = corrector.suggest(folded, limit=1, maxdist=maxdist, prefix=1)
            if nearest:
                changes.append((start, end, _same_case(nearest[0], word)))
                break
    for start, end, replacement in reversed(changes):
        text = text[:start] + replacement + text[end:]
    return text if changes else None


def _same_case(replacement: str, word: str) -> str:
    if word.isupper() and len(word) > 1:
        return replacement.upper()
    if word[0].isupper():
        return replacement.capitalize()
    return replacement


def _completion_keys(title: str) -> list[str]:
    """The folded title from each of its words on: a title completes from any word."""
    folded = exact_title(title).split()
    return [" ".join(folded[n:]) for n in range(len(folded))]


def _completions(doc: ClusterDoc) -> str:
    """The complete field's value: one line per key, each key with its display form."""
    lines: set[str] = set()
    title = " ".join(doc.title.split())  # no line break or unit separator in a display form
    lines.update(
        f"{key[:COMPLETION_KEY_CHARS]}{_UNIT_SEPARATOR}{title}" for key in _completion_keys(title)
    )
    for author in doc.authors:
        author = " ".join(author.split())
        key = exact_title(author)
        if key:
            lines.add(f"{key[:COMPLETION_KEY_CHARS]}{_UNIT_SEPARATOR}{author}")
    return "\n".join(sorted(lines))


def _fields(doc: ClusterDoc) -> dict[str, object]:
    # what dataclasses.asdict() gives at a fifth of its cost: it deep-copies every value
    stored = {f.name: getattr(doc, f.name) for f in fields(doc)}
    stored["holdings"] = [{f.name: getattr(h, f.name) for f in fields(h)} for h in doc.holdings]
    values: dict[str, object] = {
        "id": str(doc.id),
        "title": doc.title,
        "title_exact": doc.title,
        "subtitle": doc.subtitle,
        "authors": "\n".join(doc.authors),
        "subjects": "\n".join(doc.subjects),
        "series": "\n".join(doc.series),
        "publisher": doc.publisher,
        "isbn": " ; ".join(doc.isbns),
        "library": " ".join(doc.libraries),
        "available": " ".join(doc.available_at),
        "subject_facet": "\n".join(doc.subjects),
        "spell": "\n".join((doc.title, *doc.authors, *doc.subjects)),
        "complete": _completions(doc),
        "title_sort": fold(doc.title),
        "doc": json.dumps(stored, ensure_ascii=False),
    }
    if doc.year is not None:
        values["year"] = doc.year
        values["decade"] = str(doc.year // 10 * 10)
    if doc.format:
        values["format"] = doc.format
    if doc.language:
        values["language"] = doc.language
    return {name: value for name, value in values.items() if value != ""}


def result_json(result: SearchResult) -> dict[str, object]:
    """A search result in the field names `libnet search --json` and the web API share."""
    return {
        "total": result.total,
        "hits": [
            {
                "id": hit.id, "title": hit.title, "authors": list(hit.authors), "year": hit.year,
                "format": hit.format, "isbns": list(hit.isbns),
                "holdings": [
                    {"library": h.library, "local_id": h.local_id, "call_number": h.call_number,
                     "status": h.status, "copies": h.copies}
                    for h in hit.holdings
                ],
            }
            for hit in result.hits
        ],
        "facets": {name: [[value, count] for value, count in counts]
                   for name, counts in result.facets.items()},
        "suggestion": result.suggestion,
    }  # fmt: skip


def _cluster_doc(data: dict) -> ClusterDoc:
    values = {f.name: data[f.name] for f in fields(ClusterDoc)}
    for name in ("authors", "subjects", "series", "isbns"):
        values[name] = tuple(values[name])
    values["holdings"] = tuple(Holding(**h) for h in data["holdings"])
    return ClusterDoc(**values)


def _hit(data: dict, home: str) -> Hit:
    holdings = [Holding(**h) for h in data["holdings"]]
    available = {h.library for h in holdings if h.status == "available"}
    libraries = list(dict.fromkeys(h.library for h in holdings))
    libraries.sort(key=lambda lib: 0 if lib == home else 1 if lib in available else 2)
    rank = {lib: n for n, lib in enumerate(libraries)}
    return Hit(
        id=data["id"],
        title=data["title"],
        authors=tuple(data["authors"]),
        year=data["year"],
        format=data["format"],
        isbns=tuple(data["isbns"]),
        holdings=tuple(sorted(holdings, key=lambda h: rank[h.library])),  # sort is stable
    )


def _check(filters: Mapping[str, Sequence[str]], sort: str, page: int, page_size: int) -> None:
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}; one of {', '.join(SORTS)}")
    unknown = set(filters) - set(FILTER_FIELDS)
    if unknown:
        raise ValueError(f"cannot filter on {', '.join(sorted(unknown))}")
    if page < 1 or page_size < 1:
        raise ValueError("page and page_size start at 1")


def _whoosh_filter(filters: Mapping[str, Sequence[str]]) -> query.Query | None:
    allow = query.And(
        [
            query.Or([query.Term(name, value) for value in values])
            for name, values in filters.items()
            if values
        ]
    )
    return allow if allow.subqueries else None


# per sort, the sortable columns (name, descending) after which ties go by document number
_SORT_KEYS: dict[str, tuple[tuple[str, bool], ...]] = {
    "relevance": (),
    "year_desc": (("year", True), ("title_sort", False)),
    "year_asc": (("year", False), ("title_sort", False)),
    "title": (("title_sort", False), ("year", False)),
}


def _sort_facet(sort: str) -> sorting.FacetType | None:
    by_title = sorting.FieldFacet("title_sort")
    if sort == "year_desc":
        return sorting.MultiFacet([sorting.FieldFacet("year", reverse=True), by_title])
    if sort == "year_asc":
        return sorting.MultiFacet([sorting.FieldFacet("year"), by_title])
    if sort == "title":
        return sorting.MultiFacet([by_title, sorting.FieldFacet("year")])
    return None


def _counts(groups: Mapping, name: str) -> list[tuple[str, int]]:
    counts = sorted(
        ((str(value), count) for value, count in groups.items() if value not in (None, "")),
        key=lambda pair: (-pair[1], pair[0]),
    )
    return counts[:SUBJECT_FACET_SIZE] if name == "subject" else counts
