"""Writing the union index: its schema and each cluster's document as Whoosh fields."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields

from whoosh.analysis import RegexTokenizer
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.index import FileIndex

from index.analysis import (
    fold,
    isbn_analyzer,
    keyword_analyzer,
    name_analyzer,
    text_analyzer,
)
from index.document import ClusterDoc
from index.errors import WriteRefused, WriterFailed
from index.suggest import completions, spellings
from libnet.processes import end_with_parent
from libnet.records.volumes import volume_key

# Raise when the schema changes: `libnet index` then rebuilds instead of writing into an
# index whose fields no longer fit.
SCHEMA_VERSION = 3


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
        # one line per spell word: folded word, unit separator, the word as catalogued (lower
        # case), so "did you mean" shows "Märchen" and not the folded "marchen"
        spell_forms=TEXT(analyzer=RegexTokenizer(r"[^\n]+"), phrase=False),
        # one line per completion: folded key, unit separator, title or author as catalogued
        complete=TEXT(analyzer=RegexTokenizer(r"[^\n]+"), phrase=False),
        title_sort=ID(sortable=True),
        doc=STORED(),
    )


def write(
    whoosh_index: FileIndex,
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
        raise WriteRefused("only a fresh index is written by several processes")
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

    def add(writer: SegmentWriter, docs: Iterable[ClusterDoc], told: Callable[[int], None]) -> int:
        written = 0
        seen: set[int] = set()
        for doc in docs:
            # update_document deletes only committed documents: a repeat would be kept twice
            if doc.id in seen:
                raise WriteRefused(f"cluster {doc.id} given twice in one write")
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
        part = SegmentWriter(whoosh_index, _lk=False, limitmb=limitmb, codec=codec)
        written = add(part, docs, lambda n: pipe.send(("written", n)))
        pipe.send(("done", written, part._finalize_segment()))

    writer = whoosh_index.writer(limitmb=limitmb, codec=codec)
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
                    raise WriterFailed(
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


def title_sort(doc: ClusterDoc) -> str:
    """The title sort's key: the folded title, then the volume of a multi-volume work counted
    as a number ("Band 2" before "Band 10"). The separator sorts below every character of a
    title, so the volumes of "Der Mann" stay together before "Der Mann ohne Eigenschaften"."""
    title = fold(doc.title)
    return f"{title}\x1f{volume_key(doc.volume)}" if doc.volume else title


def _fields(doc: ClusterDoc) -> dict[str, object]:
    # what dataclasses.asdict() gives at a fifth of its cost: it deep-copies every value
    stored = {f.name: getattr(doc, f.name) for f in fields(doc)}
    stored["holdings"] = [{f.name: getattr(h, f.name) for f in fields(h)} for h in doc.holdings]
    values: dict[str, object] = {
        "id": str(doc.id),
        "title": doc.title,
        "title_exact": doc.title,
        # a volume's own title is searched as the subtitle is: "Die Gefährten" finds its volume
        "subtitle": "\n".join(filter(None, (doc.subtitle, doc.part))),
        "authors": "\n".join(doc.authors),
        "subjects": "\n".join(doc.subjects),
        "series": "\n".join(doc.series),
        "publisher": doc.publisher,
        "isbn": " ; ".join(doc.isbns),
        "library": " ".join(doc.libraries),
        "available": " ".join(doc.available_at),
        "subject_facet": "\n".join(doc.subjects),
        "spell": "\n".join((doc.title, *doc.authors, *doc.subjects)),
        "spell_forms": spellings(doc),
        "complete": completions(doc),
        "title_sort": title_sort(doc),
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
