"""What index/vectors.py keeps of a term between searches, shared by the snapshots of a commit.

Keys name a field, a term and what is kept of it: its scored matches (the boost), its
postings with positions (None) or only its documents ("docs").
"""

from __future__ import annotations

import threading
from collections import OrderedDict

Key = tuple[str, bytes, float | str | None]


class TermCache:
    """Arrays of terms by key, at most `most_bytes` of them, the least recently used dropped
    first; safe to share between threads."""

    def __init__(self, most_bytes: int) -> None:
        self._most_bytes = most_bytes
        self._items: OrderedDict[Key, tuple[object, int]]
        self._items = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Key):
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: Key, value: object, size: int) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            self._bytes += size - (old[1] if old else 0)
            self._items[key] = (value, size)
            while self._bytes > self._most_bytes and len(self._items) > 1:
                _, (_old, old_size) = self._items.popitem(last=False)
                self._bytes -= old_size
