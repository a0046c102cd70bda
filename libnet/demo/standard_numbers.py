"""ISBN, EAN and DNB numbers for the demo editions, each given once, with their check digits."""

from __future__ import annotations

import random

from libnet.demo.words import PUBLISHERS


class Numbers:
    """ISBN, EAN and DNB number ranges; every number is used once."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._next: dict[tuple[str, str], int] = {}
        self._ean = 4_012_345_000_000 // 10 + rng.randrange(1000)
        self._dnb = 100_000_000 + rng.randrange(10_000_000)

    def isbn(self, publisher: str) -> tuple[str, int, str]:
        """A fresh ISBN-13, the length of its group+publisher prefix, and its publisher.

        A small publisher's ranges run out in big runs; its books then go to another
        publisher of the same language group, so no ISBN is ever given twice.
        """
        group = PUBLISHERS[publisher][2][0][0]
        others = [p for p, row in PUBLISHERS.items() if p != publisher and row[2][0][0] == group]
        for candidate in (publisher, *others):
            for prefix in PUBLISHERS[candidate][2]:
                digits = 9 - len(prefix[0]) - len(prefix[1])
                number = self._next.get(prefix, self._rng.randrange(10**digits // 20 + 1))
                if number < 10**digits:
                    self._next[prefix] = number + self._rng.randint(1, 2)
                    body = f"978{prefix[0]}{prefix[1]}{number:0{digits}d}"
                    return body + isbn13_check(body), 9 - digits, candidate
        raise ValueError("the demo's ISBN ranges are exhausted: ask for fewer titles")

    def ean(self) -> str:
        self._ean += self._rng.randint(1, 9)
        body = f"{self._ean:012d}"
        return body + isbn13_check(body)

    def dnb(self) -> str:
        self._dnb += self._rng.randint(1, 400)
        body = str(self._dnb)
        total = sum(int(d) * w for d, w in zip(body, range(10, 1, -1), strict=True))
        check = (11 - total % 11) % 11
        return body + ("X" if check == 10 else str(check))


def isbn13_check(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return str((10 - total % 10) % 10)


def isbn10(isbn13: str) -> str:
    body = isbn13[3:12]
    total = sum(int(d) * w for d, w in zip(body, range(10, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return body + ("X" if check == 10 else str(check))


def hyphenate(digits: str, prefix_len: int) -> str:
    """ISBN with hyphens after group, publisher and title number (978 first for ISBN-13)."""
    head, rest = ("978-", digits[3:]) if len(digits) == 13 else ("", digits)
    # every group the demo uses (0, 1, 3) is one digit long
    return f"{head}{rest[:1]}-{rest[1:prefix_len]}-{rest[prefix_len:9]}-{rest[9:]}"
