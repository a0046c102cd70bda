"""The record page's holdings with each copy's live status, and the rota's view of it.

Every library of the title with a live source ([libraries.availability]) is asked at once
(libnet.availability.service); a copy whose library answers in time shows the status it
answered, the others the harvested status and its age ("Stand: gestern 02:14"), from the
library's last successful harvest. The hit list never asks: it shows the harvested status.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import format_date, format_time, gettext, to_user_timezone

from index.document import ClusterDoc, Holding
from libnet.availability.model import NOT_AVAILABLE, ON_LOAN, RECALLED, CopyStatus, Unanswered
from libnet.availability.service import Answer, Question, live_states, question
from libnet.records.holdings import Item
from libnet.store import published
from libnet.store.published import MemberRecord
from libnet.times import utc
from webapp.labels import LIVE_LABELS, STATUS_LABELS
from webapp.state import catalogue


@dataclass(frozen=True, slots=True)
class HoldingRow:
    """A line of the record page's holdings: a library's copies with one call number and
    one status, live or harvested."""

    holding: Holding  # the index's group of these copies (library, record, call number)
    status: str  # a live state (libnet.availability.model.STATES) or the harvested status
    copies: int
    live: CopyStatus | None  # the library's answer; None: the harvested status stands
    as_of: datetime | None  # when the harvested status was read; None when live or unknown

    @property
    def library(self) -> str:
        return self.holding.library

    @property
    def call_number(self) -> str:
        return self.holding.call_number

    @property
    def local_id(self) -> str:
        return self.holding.local_id

    @property
    def ill_code(self) -> str:
        return self.holding.ill_code


def holding_rows(doc: ClusterDoc, members: Sequence[MemberRecord]) -> list[HoldingRow]:
    """The title's holdings, live where the library answers in time."""
    items = {(m.library, m.local_id): m.bib.items for m in members if not m.deleted}
    answers = _ask(items)
    harvests = {code: utc(moment) for code, moment in catalogue().last_harvests().items()}
    rows: list[HoldingRow] = []
    for holding in doc.holdings:
        held = items.get((holding.library, holding.local_id), ())
        answer = answers.get(question(holding.library, holding.local_id, held))
        live = None if answer is None or isinstance(answer, Unanswered) else answer
        grouped = _live_groups(holding, held, live) if live is not None else None
        if not grouped:
            as_of = harvests.get(holding.library)
            rows.append(HoldingRow(holding, holding.status, holding.copies, None, as_of))
            continue
        for status, count in grouped.items():
            if status is None:  # copies whose answer did not come in time
                as_of = harvests.get(holding.library)
                rows.append(HoldingRow(holding, holding.status, count, None, as_of))
            else:
                rows.append(HoldingRow(holding, status.state, count, status, None))
    return rows


def live_on_shelf(cluster_id: int) -> dict[str, str]:
    """library -> the live state of its best lendable copy of the title, for the libraries
    that answer in time (the rota prefers those with one on the shelf, passes over those
    whose copy is on loan, lost, missing or in processing)."""
    with catalogue().store.engine.connect() as conn:
        members = published.member_records(conn, [cluster_id], raw=False)[cluster_id]
    items = {(m.library, m.local_id): m.bib.items for m in members if not m.deleted}
    answers = _ask(items)
    return live_states([(lib, rid, held) for (lib, rid), held in items.items()], answers)


def _ask(items: dict[tuple[str, str], tuple[Item, ...]]) -> dict[Question, Answer]:
    availability = catalogue().availability
    asked = [
        question(lib, rid, held) for (lib, rid), held in items.items() if availability.asks(lib)
    ]
    return availability.ask(asked) if asked else {}


def _live_groups(
    holding: Holding, held: Sequence[Item], live: Sequence[CopyStatus | None]
) -> dict[CopyStatus | None, int]:
    """The live statuses of the copies one holding row stands for, counted (None: copies not
    answered in time); {} when the index and the store disagree on them (the row then keeps
    its harvested status)."""
    if not held:  # a record without items: the answer's summary is the record's status
        return {live[0]: holding.copies} if live else {}
    counted: dict[CopyStatus | None, int] = {}
    for item, status in zip(held, live, strict=False):
        if item.call_number == holding.call_number and item.status == holding.status:
            counted[status] = counted.get(status, 0) + 1
    return counted


def live_label(status: CopyStatus) -> str:
    """A live status as a patron reads it: "entliehen bis 20.12.2026", or "nicht ausleihbar
    (Lesesaal)" with the library's own words on a limitation in brackets."""
    if status.state in (ON_LOAN, RECALLED) and status.expected:
        try:
            until = format_date(datetime.fromisoformat(status.expected).date(), "medium")
        except ValueError:
            until = status.expected
        if status.state == ON_LOAN:
            text = gettext("on loan until %(date)s", date=until)
        else:
            text = gettext("recalled, due back %(date)s", date=until)
    elif status.state == NOT_AVAILABLE:
        text = str(STATUS_LABELS["not_for_loan"]) if status.on_site else gettext("not available")
    else:
        label = LIVE_LABELS.get(status.state) or STATUS_LABELS.get(status.state, status.state)
        text = str(label)
    return f"{text} ({status.note})" if status.note else text


def as_of(moment: datetime, now: datetime) -> str:
    """When a harvested status was read, in the page's language: "gestern 02:14"."""
    day, today = to_user_timezone(moment).date(), to_user_timezone(now).date()
    at = format_time(moment, "short")
    if day == today:
        return gettext("today %(time)s", time=at)
    if day == today - timedelta(days=1):
        return gettext("yesterday %(time)s", time=at)
    return f"{format_date(moment, 'medium')} {at}"
