"""Asking the libraries of a title, all at once, with one deadline and a cache.

A record page asks every library that has a live source ([libraries.availability]) about its
copies, each in a thread of its own, and waits at most the longest configured timeout for all
of them together: one slow library costs the page its timeout once, not once per library.
Answers, failures included, are kept `cache_seconds` per library and record, so a page read
twice, or by many at once, asks the library once. An answer that comes after the page stopped
waiting is still kept for the next page. How long each library took, and its last failure,
are kept for the operations page (stats.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from dataclasses import dataclass
from datetime import UTC, datetime

from libnet.availability.config import AvailabilityConfig
from libnet.availability.daia import DaiaSource
from libnet.availability.model import Answer, Copy, LiveSource, Unanswered, best_state, copy_of
from libnet.availability.sip2 import Sip2Source
from libnet.availability.stats import SourceState, SourceStats
from libnet.records.holdings import Item

WORKERS = 16  # questions in flight at once, for all pages of the process


@dataclass(frozen=True, slots=True)
class Question:
    """One library's record of a title and the copies libnet knows of it."""

    library: str
    record_id: str  # the library's own id of the record (its 001, or its id_field)
    copies: tuple[Copy, ...]


def source_for(library: str, config: AvailabilityConfig) -> LiveSource | None:
    """The live source a library's [libraries.availability] names; None for type "none"."""
    if config.type == "daia":
        return DaiaSource(library, config.url, config.timeout)
    if config.type == "sip2":
        return Sip2Source(library, config)
    return None


class Availability:
    """The live sources of the network's libraries, with their cache and threads."""

    def __init__(
        self,
        configs: Mapping[str, AvailabilityConfig],
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._configs = {code: c for code, c in configs.items() if c.live}
        self._sources = {code: source_for(code, c) for code, c in self._configs.items()}
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[Question, tuple[float, Answer]] = {}  # question -> (until, answer)
        self._asking: dict[Question, Future[Answer]] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._stats = SourceStats(wall_clock)

    def asks(self, library: str) -> bool:
        """Whether the library has a live source."""
        return library in self._sources

    def state(self, library: str) -> SourceState:
        """How the library's source has been doing in this process (the operations page)."""
        return self._stats.state(library)

    def ask(
        self, questions: Sequence[Question], now: datetime | None = None
    ) -> dict[Question, Answer]:
        """Each question's answer: its copies' statuses, or Unanswered (no source, too slow,
        failed). Returns within the longest timeout of the libraries asked."""
        now = now or datetime.now(UTC)
        answers: dict[Question, Answer] = {}
        waiting: dict[Question, Future[Answer]] = {}
        for question in dict.fromkeys(questions):
            if question.library not in self._sources:
                answers[question] = Unanswered(question.library, "no live source")
                continue
            cached = self._cached(question)
            if cached is not None:
                answers[question] = cached
            else:
                waiting[question] = self._asked(question, now)
        if waiting:
            deadline = max(self._configs[q.library].timeout for q in waiting)
            wait_for(waiting.values(), timeout=deadline)
            for question, future in waiting.items():
                if future.done():
                    answers[question] = future.result()
                else:
                    reason = f"no answer within {deadline:g} s"
                    answers[question] = Unanswered(question.library, reason)
        return answers

    def _cached(self, question: Question) -> Answer | None:
        with self._lock:
            until, answer = self._cache.get(question, (0.0, None))
            if answer is not None and until <= self._clock():
                del self._cache[question]
                return None
            return answer

    def _asked(self, question: Question, now: datetime) -> Future[Answer]:
        """The question on its way: already asked by another page, or asked now."""
        with self._lock:
            future = self._asking.get(question)
            if future is None:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="availability")
                future = self._pool.submit(self._answer, question, now)
                self._asking[question] = future
            return future

    def _answer(self, question: Question, now: datetime) -> Answer:
        source = self._sources[question.library]
        assert source is not None
        started = time.monotonic()
        try:
            answer = source.statuses(question.record_id, question.copies, now)
        except Exception as exc:  # a source's own bug: one library's, not the page's
            answer = Unanswered(question.library, f"the source failed: {exc!r}"[:300])
        if isinstance(answer, Unanswered):
            self._stats.failed(question.library, answer.reason)
        else:
            self._stats.answered(question.library, time.monotonic() - started)
        keep = self._configs[question.library].cache_seconds
        with self._lock:
            self._asking.pop(question, None)
            if keep > 0:
                self._cache[question] = (self._clock() + keep, answer)
        return answer

    def close(self) -> None:
        """Stop the threads (questions on their way end by their own timeouts)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        for source in self._sources.values():
            close = getattr(source, "close", None)
            if close is not None:
                close()


def question(library: str, record_id: str, items: Sequence[Item]) -> Question:
    """What to ask a library about its record and items; a record without items is asked
    about as a whole (one blank copy, which gets the answer's summary)."""
    return Question(library, record_id, tuple(copy_of(i) for i in items) or (copy_of(None),))


def live_states(
    records: Iterable[tuple[str, str, Sequence[Item]]], answers: Mapping[Question, Answer]
) -> dict[str, str]:
    """library -> the live state of its best lendable copy (model.best_state), for the
    libraries that answered about one: (library, record id, items) of each record, and the
    answers. The rota reads it (libnet.loans.rota)."""
    found: dict[str, list[str]] = {}
    for library, record_id, items in records:
        answer = answers.get(question(library, record_id, items))
        if answer is None or isinstance(answer, Unanswered):
            continue
        states = [s.state for i, s in zip(items, answer, strict=False) if s and i.lendable]
        found.setdefault(library, []).extend(states)
    return {library: best_state(states) for library, states in found.items() if states}
