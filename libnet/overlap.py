"""The holdings-overlap report (Bestandsabgleich): where the libraries' holdings overlap.

For one library (or the whole county) three lists of titles, a title being a cluster, the
same edition however many libraries hold it:

- only: titles the library alone holds (for the county: titles one library alone holds).
- many: titles the library holds that N or more libraries hold, itself included (for the
  county: titles N or more hold): candidates for weeding, or for buying once for all.
- ordered: titles the library does not hold that its patrons ordered through the loan network
  at least K times in the year before (for the county: titles ordered at least K times by
  patrons of libraries that do not hold them): candidates for buying.

Each list is counted per subject and per decade (libnet.records.overlap_keys), and can be
narrowed to one subject or decade, sorted and paged. The numbers come from one aggregated pass
over the records' overlap keys by cluster (libnet.store.overlap): at a million records about
3.5 s for one library and 6.5 s for the county on two busy cores (docs/performance.md).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from libnet.errors import LibnetError
from libnet.store import overlap as store

LISTS = ("only", "many", "ordered")
SORTS = ("subject", "decade", "libraries", "orders")
DEFAULT_SORT = {"only": "subject", "many": "-libraries", "ordered": "-orders"}
DEFAULT_N, DEFAULT_K = 5, 3
MAX_N, MAX_K = 99, 9999
YEAR = timedelta(days=365)
PAGE_SIZE = 50
NO_YEAR = -1  # the decade filter that asks for the titles without a year


class OverlapError(LibnetError):
    """A report asked for with settings that cannot be used; `field` names which one."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Title:
    cluster_id: int
    subject: str  # "" for none
    decade: int | None  # None for no year
    libraries: int  # libraries holding it
    orders: int  # loan requests of the last year, as the list counts them
    first_record: int  # the record whose short title stands for it


@dataclass(frozen=True, slots=True)
class Tally:
    """How many titles of each list share a subject or a decade."""

    key: str | int | None
    only: int
    many: int
    ordered: int

    @property
    def total(self) -> int:
        return self.only + self.many + self.ordered


@dataclass(frozen=True, slots=True)
class Overlap:
    library: str | None  # None: the county
    n: int
    k: int
    since: datetime  # orders counted from here
    lists: dict[str, tuple[Title, ...]]  # by name of LISTS, in cluster id order
    by_subject: tuple[Tally, ...]  # most titles first
    by_decade: tuple[Tally, ...]  # oldest first, titles without a year last


@dataclass(frozen=True, slots=True)
class Page:
    titles: tuple[Title, ...]
    total: int
    number: int  # from 1
    pages: int


def check(n: int, k: int) -> None:
    """OverlapError unless N and K are numbers the report can use."""
    if not 2 <= n <= MAX_N:
        raise OverlapError(f"N is a number of libraries from 2 to {MAX_N}", "n")
    if not 1 <= k <= MAX_K:
        raise OverlapError(f"K is a number of orders from 1 to {MAX_K}", "k")


def overlap(conn: Connection, library: str | None, n: int, k: int, now: datetime) -> Overlap:
    """The three lists for `library` (None: the county) and their tallies."""
    check(n, k)
    since = now - YEAR
    ordered = store.orders(conn, since, library)
    held = {h.cluster_id: h for h in store.holdings(conn, library, n)}
    often = [cluster_id for cluster_id, count in ordered.items() if count >= k]
    held.update((h.cluster_id, h) for h in store.holdings_of(conn, library, often))
    lists: dict[str, list[Title]] = {name: [] for name in LISTS}
    for h in sorted(held.values(), key=lambda h: h.cluster_id):
        orders = ordered.get(h.cluster_id, 0)
        mine = h.here or library is None
        only, many, wanted = mine and h.libraries == 1, mine and h.libraries >= n, orders >= k
        if not (only or many or (wanted and not h.here)):
            continue  # ordered often, but held here
        title = Title(h.cluster_id, h.subject, h.decade, h.libraries, orders, h.first_record)
        if only:
            lists["only"].append(title)
        if many:
            lists["many"].append(title)
        if wanted and not h.here:
            lists["ordered"].append(title)
    frozen = {name: tuple(titles) for name, titles in lists.items()}
    return Overlap(
        library, n, k, since, frozen,
        tuple(sorted(_tallies(frozen, lambda t: t.subject), key=lambda t: (-t.total, t.key))),
        tuple(sorted(_tallies(frozen, lambda t: t.decade), key=_decade_order)),
    )  # fmt: skip


def choose(
    titles: Iterable[Title], subject: str | None = None, decade: int | None = None, sort: str = ""
) -> list[Title]:
    """The titles of one subject (None: all; "": those without) and one decade (None: all;
    NO_YEAR: those without a year), sorted by one of SORTS ("-" before it: descending)."""
    key = sort.removeprefix("-")
    if key not in SORTS:
        raise OverlapError(f"sort by one of {', '.join(SORTS)}", "sort")
    wanted = [
        t for t in titles
        if (subject is None or t.subject == subject)
        and (decade is None or t.decade == (None if decade == NO_YEAR else decade))
    ]  # fmt: skip
    wanted.sort(key=lambda t: t.cluster_id)
    if key == "decade":  # titles without a year last, whichever the direction
        dated = [t for t in wanted if t.decade is not None]
        dated.sort(key=lambda t: t.decade or 0, reverse=sort.startswith("-"))
        return dated + [t for t in wanted if t.decade is None]
    if key == "subject":
        wanted.sort(key=lambda t: (t.subject == "", t.subject.casefold()))
        if sort.startswith("-"):
            named = [t for t in wanted if t.subject]
            return named[::-1] + [t for t in wanted if not t.subject]
        return wanted
    wanted.sort(key=lambda t: getattr(t, key), reverse=sort.startswith("-"))
    return wanted


def page_of(titles: Sequence[Title], number: int, size: int = PAGE_SIZE) -> Page:
    """Page `number` (from 1) of the titles; OverlapError past the last page."""
    pages = max(1, math.ceil(len(titles) / size))
    if not 1 <= number <= pages:
        raise OverlapError(f"there are {pages} pages", "page")
    chosen = titles[(number - 1) * size : number * size]
    return Page(tuple(chosen), len(titles), number, pages)


def short_titles(conn: Connection, titles: Iterable[Title]) -> dict[int, str]:
    """cluster id -> the short title that stands for it."""
    titles = list(titles)
    found = store.short_titles(conn, (t.first_record for t in titles))
    return {t.cluster_id: found.get(t.first_record, "") for t in titles}


def _tallies(
    lists: dict[str, tuple[Title, ...]], key: Callable[[Title], str | int | None]
) -> list[Tally]:
    counts: dict[str | int | None, dict[str, int]] = defaultdict(lambda: dict.fromkeys(LISTS, 0))
    for name, titles in lists.items():
        for title in titles:
            counts[key(title)][name] += 1
    return [Tally(k, c["only"], c["many"], c["ordered"]) for k, c in counts.items()]


def _decade_order(tally: Tally) -> tuple[bool, int]:
    return tally.key is None, tally.key if isinstance(tally.key, int) else 0
