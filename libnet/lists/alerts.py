"""Search alerts: the nightly mails each patron the new titles of their saved searches.

`run_alerts()` is a step of `libnet nightly`, after the index update. It is given the search
as a function (libnet.cli.alerts wires in the union index), so this module needs no index:
`search(query, candidates)` answers which of the candidate clusters the saved query string
matches.

The rules, as VuFind's scheduled alerts:
- "new" means a cluster made after the saved search was last looked at: each search keeps the
  newest cluster id it saw (`seen_cluster`, the watermark; cluster ids only grow). The first
  look mails nothing and only sets the watermark, so an alert starts with what comes next.
- one mail a patron at most every MAIL_GAP (a day, less a few hours so that a nightly which
  starts a little earlier than yesterday's still mails), every search with news in it; until
  then the watermarks stay, and the titles wait for the next mail.
- only to an account that is a patron's, has an e-mail address, and is neither disabled nor
  deleted (deleting an account deletes its searches too).
- a search that cannot run (SearchFailed) keeps its watermark and is counted as failed; the
  others still run.
- the mail is a notice (libnet.loans.notices, kind "alert") in the account's language, sent
  with the other notices; each search in it has a link that turns its alert off without a
  login (/alerts/unsubscribe/<token>).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from sqlalchemy import Connection, Engine, func, select, update

from libnet.accounts import get_user
from libnet.lists.errors import ListError
from libnet.lists.saved_searches import SavedSearch, from_row
from libnet.loans.notices import Mailing, queue_for_account
from libnet.store import transaction
from libnet.store.schema import clusters, saved_searches, users

log = logging.getLogger("libnet.alerts")

MAIL_GAP = timedelta(hours=20)
CANDIDATES = 2000  # the newest new clusters looked at per search: more is a rebuild, not news
TITLES_SHOWN = 20  # titles of one search listed in a mail; the link shows them all
UNSUBSCRIBE = "/alerts/unsubscribe/"


class SearchFailed(ListError):
    """A saved search could not be run: its query is no longer understood, or too broad."""


@dataclass(frozen=True, slots=True)
class NewTitle:
    cluster_id: int
    title: str
    authors: tuple[str, ...]
    year: int | None


# the saved query string and candidate cluster ids -> those it matches
Search = Callable[[str, Sequence[int]], list[NewTitle]]


@dataclass(frozen=True, slots=True)
class AlertReport:
    searches: int  # saved searches with an alert that were run
    first: int  # of them looked at for the first time: watermark set, nothing mailed
    sent: int  # alert mails queued, one a patron (sent by the nightly's notices step)
    failed: int  # saved searches that could not be run
    errors: tuple[str, ...] = ()


def run_alerts(engine: Engine, search: Search, mailing: Mailing, now: datetime) -> AlertReport:
    """Run every due alert, queue one mail per patron with news, move the watermarks."""
    with engine.connect() as conn:
        newest = newest_cluster(conn)
        due = due_alerts(conn, now)
    ran = first = sent = failed = 0
    errors: list[str] = []
    for user_id, theirs in due.items():
        seen: list[SavedSearch] = []
        news: list[tuple[SavedSearch, list[NewTitle]]] = []
        for saved in theirs:
            ran += 1
            if saved.seen_cluster is None:
                first += 1
                seen.append(saved)
                continue
            with engine.connect() as conn:
                candidates = new_clusters(conn, saved.seen_cluster, newest)
            try:
                found = search(saved.query, candidates) if candidates else []
            except SearchFailed as exc:
                failed += 1
                errors.append(f"saved search {saved.id}: {exc}")
                log.warning("alert search failed", extra={"search": saved.id, "error": str(exc)})
                continue
            seen.append(saved)
            if found:
                news.append((saved, found))
        with transaction(engine) as conn:
            mailed = bool(news) and _queue(conn, user_id, news, mailing, now)
            sent += mailed
            for saved in seen:
                values = {"seen_cluster": newest, **({"last_alert_at": now} if mailed else {})}
                conn.execute(update(saved_searches).where(saved_searches.c.id == saved.id)
                             .values(**values))  # fmt: skip
    return AlertReport(ran, first, sent, failed, tuple(errors))


def due_alerts(conn: Connection, now: datetime) -> dict[int, list[SavedSearch]]:
    """The saved searches with an alert on, by patron, of the patrons who may get one now."""
    mailed_lately = (
        select(saved_searches.c.user_id)
        .group_by(saved_searches.c.user_id)
        .having(func.max(saved_searches.c.last_alert_at) > now - MAIL_GAP)
    )
    query = (
        select(saved_searches)
        .join(users, users.c.id == saved_searches.c.user_id)
        .where(
            saved_searches.c.alert.is_(True),
            users.c.role == "patron",
            users.c.disabled.is_(False),
            users.c.deleted_at.is_(None),
            users.c.email != "",
            saved_searches.c.user_id.not_in(mailed_lately),
        )
        .order_by(saved_searches.c.user_id, func.lower(saved_searches.c.name), saved_searches.c.id)
    )
    due: dict[int, list[SavedSearch]] = {}
    for row in conn.execute(query).mappings():
        due.setdefault(row["user_id"], []).append(from_row(row))
    return due


def newest_cluster(conn: Connection) -> int:
    """The highest cluster id handed out so far (0 in an empty store)."""
    return conn.scalar(select(func.max(clusters.c.id))) or 0


def new_clusters(conn: Connection, after: int, upto: int) -> list[int]:
    """The live clusters made after cluster `after`, up to `upto`; the newest CANDIDATES."""
    query = (
        select(clusters.c.id)
        .where(
            clusters.c.id > after,
            clusters.c.id <= upto,
            clusters.c.members > 0,
            clusters.c.merged_into.is_(None),
        )
        .order_by(clusters.c.id.desc())
        .limit(CANDIDATES)
    )
    return sorted(conn.scalars(query))


def _queue(
    conn: Connection,
    user_id: int,
    news: list[tuple[SavedSearch, list[NewTitle]]],
    mailing: Mailing,
    now: datetime,
) -> bool:
    """The alert mail to the patron, in the account's language; False when it cannot go."""
    account = get_user(conn, user_id)
    if account is None:
        return False
    site = mailing.site_url.rstrip("/")
    searches = [
        {
            "name": saved.name,
            "link": f"{site}/search?{saved.query}",
            "unsubscribe": f"{site}{UNSUBSCRIBE}{quote(saved.token)}",
            "count": len(found),
            "titles": [_title(t, site) for t in found[:TITLES_SHOWN]],
            "more": max(0, len(found) - TITLES_SHOWN),
        }
        for saved, found in news
    ]
    context = {"searches": searches, "count": sum(len(found) for _, found in news)}
    return queue_for_account(conn, "alert", account, context, now=now) is not None


def _title(title: NewTitle, site: str) -> dict[str, object]:
    authors = "; ".join(title.authors[:3])
    link = f"{site}/record/{title.cluster_id}"
    return {"title": title.title, "authors": authors, "year": title.year or "", "link": link}
