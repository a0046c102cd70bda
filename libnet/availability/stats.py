"""How each library's live source has been doing, for the operations page.

Per library: when it last answered, when it last failed and why, and the median time of its
answers over the last hour. Kept in memory, per web process: every record page asks, and a
write to the store per page would cost more than the page's own reading; the numbers are a
look at the last hour, which a restart of the web app (it starts with none) does not spoil
for long. With several web processes, each shows what it asked itself.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

WINDOW = timedelta(hours=1)
MAX_KEPT = 10_000  # answer times kept per library at most (a busy hour's worth)


@dataclass(frozen=True, slots=True)
class SourceState:
    """A library's live source as the operations page shows it."""

    last_ok_at: datetime | None
    last_failure_at: datetime | None
    last_failure: str  # the reason, one line ("" when none)
    median_seconds: float | None  # of the answers in the last hour; None when none
    answers: int  # answers in the last hour


class SourceStats:
    """Thread-safe record of answers and failures, per library."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._times: dict[str, deque[tuple[datetime, float]]] = {}
        self._ok: dict[str, datetime] = {}
        self._failed: dict[str, tuple[datetime, str]] = {}

    def answered(self, library: str, seconds: float) -> None:
        now = self._clock()
        with self._lock:
            self._ok[library] = now
            self._times.setdefault(library, deque(maxlen=MAX_KEPT)).append((now, seconds))

    def failed(self, library: str, reason: str) -> None:
        with self._lock:
            self._failed[library] = (self._clock(), reason)

    def state(self, library: str) -> SourceState:
        since = self._clock() - WINDOW
        with self._lock:
            times = self._times.get(library, deque())
            while times and times[0][0] < since:
                times.popleft()
            recent = [seconds for _, seconds in times]
            failed_at, reason = self._failed.get(library, (None, ""))
            return SourceState(
                self._ok.get(library), failed_at, reason,
                median(recent) if recent else None, len(recent),
            )  # fmt: skip
