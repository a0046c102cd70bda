"""E-mail notices of the loan network: what causes which, their texts, the queue in the store.

Every change of a loan request (libnet.loans.loan_request: `place_request`, `act`) hands a
`RequestChange`, a value, to `queue_for_change()` inside its own transaction. The notices the
change causes are rendered from the templates in notice_templates/ and written to the
`notices` table together with the change, or not at all. No mail server is asked then, so a
click never waits for one, and a server that is down loses nothing. libnet.loans.mailer sends
what is due later (`libnet notices send`, from cron every few minutes) and notes each outcome
on the notice.

Who hears of what:
- the patron, in the account's language (de or en; German for any other): the request is
  placed ("placed"), the rota is used up ("unfilled"), the copy arrived at the pickup library
  ("ready": action receive), the due date passed ("overdue": mark_overdue), the supplier wants
  the copy back ("recalled": recall). The last two only while the patron has the copy, not
  while it waits uncollected at the pickup library or after the patron brought it back. A
  patron without an e-mail address gets none.
- the holder of an account, in its language, about the account itself, tied to no request
  ("password_reset": the link to set a new password, libnet.accounts.reset), and what the
  patron's lists send ("merkliste": the list mailed to oneself; "alert": new titles of the
  saved searches, libnet.lists.alerts).
- a library, in German: a request arrived there ("incoming": placed, or moved on to it by
  cannot_supply or skip_supplier) and a renewal is asked of it ("renewal": renew).

What the store does not know comes from config.toml in two places. The texts need the
libraries' names and the web catalogue's address when they are rendered: a `Mailing`
(`Mailing.from_config(config)`) carries them, passed to loans as `mailing=`; without one, a
library is named by its code and links go to the default site_url. A library's address is
looked up only when sending: its notices are queued for "library:CODE", so an address
changed in config.toml also reaches notices queued before the change. A library without an
address in config.toml has its notices skipped (logged, never sent).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path

from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound
from sqlalchemy import Connection, insert, select

from libnet.accounts import Account, get_user
from libnet.config import Config, MailConfig
from libnet.loans.states import NEXT_SUPPLIER, TRANSITIONS, State
from libnet.store.schema import loan_events, notices
from libnet.times import utc

PATRON_KINDS = ("placed", "unfilled", "ready", "overdue", "recalled")
LIBRARY_KINDS = ("incoming", "renewal")
ACCOUNT_KINDS = ("password_reset", "merkliste", "alert")
LANGUAGES = ("de", "en")  # the first is the default
LIBRARY = "library:"  # recipient "library:CODE": the address is looked up when sending
SKIPPED = "skipped: "  # how the error of a notice never tried starts (libnet.loans.mailer)
PATRON_PAGE = "/account/requests"
LIBRARY_PAGE = "/staff/requests/{id}"
_BY_ACTION = {"receive": "ready", "mark_overdue": "overdue", "recall": "recalled",
              "renew": "renewal"}  # fmt: skip
# "please return it" only while the patron has the copy: not when it waits uncollected at
# the pickup library, nor when the patron brought it back already
_WITH_PATRON = {"mark_overdue": State.HANDED_TO_PATRON, "recall": State.HANDED_TO_PATRON}
# a date in a notice, by the recipient's language: Babel's locale and its date format
# (German "11.01.2027", as the pages write it; English "11 January 2027", never the US order)
_DATE_FORMATS = {"de": ("de_DE", "medium"), "en": ("en_GB", "long")}
_TEMPLATES = Path(__file__).parent / "notice_templates"


@dataclass(frozen=True, slots=True)
class Mailing:
    """What the texts need from config.toml: the web catalogue's address, library names."""

    site_url: str = MailConfig().site_url
    library_names: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: Config) -> Mailing:
        return cls(config.mail.site_url, {lib.code: lib.name for lib in config.libraries})

    def name(self, library: str) -> str:
        return self.library_names.get(library, library)


@dataclass(frozen=True, slots=True)
class Notice:
    id: int
    request_id: int | None
    kind: str
    recipient: str  # an address, or "library:CODE"
    language: str
    subject: str
    body: str
    created_at: datetime
    sent_at: datetime | None
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None  # None once sent or given up

    @property
    def status(self) -> str:
        """One of sent, waiting (to be tried, now or later), skipped (never tried: its library
        has no address), failed (tried and given up)."""
        if self.sent_at is not None:
            return "sent"
        if self.next_attempt_at is not None:
            return "waiting"
        return "skipped" if (self.last_error or "").startswith(SKIPPED) else "failed"


@dataclass(frozen=True, slots=True)
class RequestChange:
    """A change of a loan request, as its notices need it: the action and the request after."""

    request_id: int
    action: str  # "place" for a new request
    from_state: State | None  # None for "place"
    state: State  # as the action left it
    title: str
    patron_id: int | None  # None once anonymised
    requesting_library: str
    pickup_library: str
    supplier: str  # the library the request is at now
    supplier_local_id: str
    moved_on: bool  # past the first library of its rota
    due_date: str | None  # ISO date


# --------------------------------------------------------------------------- queuing


def kinds_for(action: str, from_state: State | None, state: State) -> tuple[str, ...]:
    """The notices `action` ("place" for a new request) from `from_state` to `state` causes.
    For an overdue request `from_state` is the state before it was overdue
    (`_before_overdue`), which says where the copy is."""
    if action == "place":
        return ("placed", "incoming")
    transition = TRANSITIONS.get(action)
    if transition is not None and transition.target == NEXT_SUPPLIER:
        return ("incoming",) if state is State.REQUEST_RECEIVED else ("unfilled",)
    if action in _WITH_PATRON and from_state is not _WITH_PATRON[action]:
        return ()
    return (_BY_ACTION[action],) if action in _BY_ACTION else ()


def queue_for_change(
    conn: Connection, change: RequestChange, *, now: datetime, mailing: Mailing | None = None
) -> list[int]:
    """Queue, in the caller's transaction, the notices a change causes; their ids.

    Library notices go to the request's supplier, the one it is at after the change.
    """
    mailing = mailing or Mailing()
    from_state = change.from_state
    if from_state is State.OVERDUE:
        from_state = _before_overdue(conn, change.request_id)
    queued = []
    for kind in kinds_for(change.action, from_state, change.state):
        if kind in LIBRARY_KINDS:
            recipient, language, patron = f"{LIBRARY}{change.supplier}", LANGUAGES[0], ""
            page = LIBRARY_PAGE.format(id=change.request_id)
        else:
            account = None if change.patron_id is None else get_user(conn, change.patron_id)
            if account is None or not account.email:
                continue
            recipient, language, patron = account.email, _language(account.language), account.name
            page = PATRON_PAGE
        subject, body = render(kind, language, _context(change, mailing, language, patron, page))
        queued.append(
            conn.execute(
                insert(notices).values(
                    request_id=change.request_id, kind=kind, recipient=recipient,
                    language=language, subject=subject, body=body, created_at=now, attempts=0,
                    next_attempt_at=now,
                ).returning(notices.c.id)
            ).scalar_one()
        )  # fmt: skip
    return queued


def queue_plain(
    conn: Connection, kind: str, recipient: str, subject: str, body: str, *, now: datetime
) -> int:
    """Queue, in the caller's transaction, a notice about no request (the nightly report)."""
    return conn.execute(
        insert(notices).values(
            request_id=None, kind=kind, recipient=recipient, language=LANGUAGES[0],
            subject=subject, body=body, created_at=now, attempts=0, next_attempt_at=now,
        ).returning(notices.c.id)
    ).scalar_one()  # fmt: skip


def queue_for_account(
    conn: Connection,
    kind: str,
    account: Account,
    context: Mapping[str, object],
    *,
    now: datetime,
) -> int | None:
    """Queue, in the caller's transaction, a notice about the account itself (no request),
    in the account's language; its id, or None for an account without an e-mail address."""
    if kind not in ACCOUNT_KINDS:
        raise ValueError(f"not a notice about an account: {kind!r}")
    if not account.email:
        return None
    language = _language(account.language)
    subject, body = render(kind, language, {"patron": account.name, **context})
    return conn.execute(
        insert(notices).values(
            request_id=None, kind=kind, recipient=account.email, language=language,
            subject=subject, body=body, created_at=now, attempts=0, next_attempt_at=now,
        ).returning(notices.c.id)
    ).scalar_one()  # fmt: skip


def _before_overdue(conn: Connection, request_id: int) -> State:
    """The state an overdue request was in when its due date passed."""
    before = conn.scalar(
        select(loan_events.c.from_state)
        .where(loan_events.c.request_id == request_id, loan_events.c.action == "mark_overdue")
        .order_by(loan_events.c.id.desc())
        .limit(1)
    )
    return State(before) if before else State.OVERDUE


def _language(language: str) -> str:
    return language if language in LANGUAGES else LANGUAGES[0]


def _context(
    change: RequestChange, mailing: Mailing, language: str, patron: str, page: str
) -> dict[str, object]:
    due = date.fromisoformat(change.due_date) if change.due_date else None
    return {
        "title": change.title,
        "request_id": change.request_id,
        "patron": patron,
        "pickup": mailing.name(change.pickup_library),
        "requesting": mailing.name(change.requesting_library),
        "supplier": mailing.name(change.supplier),
        "supplier_local_id": change.supplier_local_id,
        "moved_on": change.moved_on,
        "due_date": _date(due, language) if due else "",
        "link": mailing.site_url.rstrip("/") + page,
    }


def _date(day: date, language: str) -> str:
    locale, form = _DATE_FORMATS.get(language, _DATE_FORMATS[LANGUAGES[0]])
    return format_date(day, form, locale=locale)


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(_TEMPLATES), autoescape=False, undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )  # fmt: skip


def render(kind: str, language: str, context: Mapping[str, object]) -> tuple[str, str]:
    """Subject and body of a notice from notice_templates/KIND.LANGUAGE.txt (German if none).

    A template's first line is the subject, the rest after one empty line the body.
    """
    env = _environment()
    try:
        template = env.get_template(f"{kind}.{language}.txt")
    except TemplateNotFound:
        template = env.get_template(f"{kind}.{LANGUAGES[0]}.txt")
    subject, _, body = template.render(context).partition("\n\n")
    return " ".join(subject.split()), body.strip() + "\n"


# --------------------------------------------------------------------------- reading


def list_notices(conn: Connection, *, unsent: bool = False) -> list[Notice]:
    """Every notice, or those not sent (waiting or given up), the oldest first."""
    query = select(notices).order_by(notices.c.id)
    if unsent:
        query = query.where(notices.c.sent_at.is_(None))
    return [_notice(row) for row in conn.execute(query).mappings()]


def due_notices(conn: Connection, now: datetime) -> list[Notice]:
    """The notices to be tried at `now` (neither sent nor given up), the oldest first."""
    query = select(notices).where(notices.c.next_attempt_at <= now).order_by(notices.c.id)
    return [_notice(row) for row in conn.execute(query).mappings()]


def _notice(row: Mapping) -> Notice:
    values = dict(row)
    for name in ("created_at", "sent_at", "next_attempt_at"):
        values[name] = utc(values[name])
    return Notice(**values)
