"""A copy's status as a patron reads it, and where it came from: asked live, or harvested.

A library's source of live status (`LiveSource`) is handed the library's record id and the
copies libnet knows of that record, and answers a status for each copy, or an `Unanswered`
saying why not. DAIA (daia.py) is one such source; SIP2's Item Information could be another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from libnet.records.holdings import Item

AVAILABLE = "available"  # on the shelf, may be borrowed now
ON_LOAN = "on_loan"  # lent; `expected` says until when, where known
NOT_AVAILABLE = "not_available"  # cannot be borrowed (reference only, missing, in processing)
UNKNOWN = "unknown"
# what SIP2's circulation status (Item Information 18) says beyond the four above
ON_ORDER = "on_order"  # 02
IN_PROCESSING = "in_processing"  # 06
RECALLED = "recalled"  # 07: lent, and asked back early
ON_HOLD_SHELF = "on_hold_shelf"  # 08: waiting for the patron who reserved it
RESHELVING = "reshelving"  # 09: returned, on its way back to the shelf
IN_TRANSIT = "in_transit"  # 10: between branches
CLAIMED_RETURNED = "claimed_returned"  # 11: the patron says it was returned, it was not found
LOST = "lost"  # 12
MISSING = "missing"  # 13
STATES = (AVAILABLE, ON_LOAN, NOT_AVAILABLE, UNKNOWN, ON_ORDER, IN_PROCESSING, RECALLED,
          ON_HOLD_SHELF, RESHELVING, IN_TRANSIT, CLAIMED_RETURNED, LOST, MISSING)  # fmt: skip
# The rota passes over a library whose best copy is in one of these (libnet.loans.rota).
PASSED_OVER = frozenset({ON_LOAN, LOST, MISSING, IN_PROCESSING})
# A library's best copy, for the rota: the first of these states its copies are in.
BEST_FIRST = (AVAILABLE, RESHELVING, IN_TRANSIT, ON_HOLD_SHELF, RECALLED, ON_ORDER,
              CLAIMED_RETURNED, UNKNOWN, NOT_AVAILABLE, ON_LOAN, IN_PROCESSING, MISSING,
              LOST)  # fmt: skip
LIVE, HARVESTED = "live", "harvested"

# the harvested item statuses (libnet.records.holdings.ITEM_STATUSES) in these states
_FROM_ITEM = {"available": AVAILABLE, "on_loan": ON_LOAN, "lost": NOT_AVAILABLE,
              "not_for_loan": NOT_AVAILABLE, "unknown": UNKNOWN}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Copy:
    """One copy as libnet's holdings know it, for matching with the library's answer."""

    barcode: str = ""
    call_number: str = ""


@dataclass(frozen=True, slots=True)
class CopyStatus:
    """Whether a copy may be borrowed, as of when, and said by whom."""

    state: str  # one of STATES
    source: str  # LIVE (asked just now) or HARVESTED (from the last harvest)
    as_of: datetime | None  # when the library said so (UTC); None when not known
    expected: str = ""  # ON_LOAN, RECALLED: the day (ISO) it is due back, "" when not said
    on_site: bool = False  # NOT_AVAILABLE, but may be used in the library (reference only)
    note: str = ""  # the library's own words on a limitation ("Lesesaal"), as it sent them

    @property
    def live(self) -> bool:
        return self.source == LIVE


@dataclass(frozen=True, slots=True)
class Unanswered:
    """A library that gave no usable answer, and why: its harvested status stands."""

    library: str
    reason: str  # one line for the log: "no answer within 2 s", "HTTP 500", ...


# one status per copy asked about, None for a copy not answered in time; or none at all
Answer = tuple[CopyStatus | None, ...] | Unanswered


class LiveSource(Protocol):
    """A library's live status source: a record's copies -> their statuses now.

    The statuses come in the order of `copies`, one each (None: that copy's status did not
    come in time); a source never raises for a service that is down, slow or wrong, it
    returns Unanswered.
    """

    def statuses(self, record_id: str, copies: Sequence[Copy], now: datetime) -> Answer: ...


def harvested(item: Item | None, harvested_at: datetime | None) -> CopyStatus:
    """An item's status as the last harvest found it; None: a record without items."""
    if item is None:
        return CopyStatus(UNKNOWN, HARVESTED, harvested_at)
    state = _FROM_ITEM.get(item.status, UNKNOWN)
    expected = item.due_date if state == ON_LOAN else ""
    return CopyStatus(state, HARVESTED, harvested_at, expected=expected)


def copy_of(item: Item | None) -> Copy:
    """What a source is asked about an item; None (a record without items): the record."""
    return Copy() if item is None else Copy(item.barcode, item.call_number)


def best_state(states: Sequence[str]) -> str:
    """The state of a library's best copy among `states` (BEST_FIRST), "" for none."""
    return min(states, key=BEST_FIRST.index, default="")
