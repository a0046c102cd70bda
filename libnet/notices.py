"""E-mail notices of the loan network: what causes which, queued in the store, sent by SMTP.

Every change of a loan request (libnet.loans: `place_request`, `act`) calls
`queue_for_change()` inside its own transaction. The notices the change causes are rendered
from the templates in notice_templates/ and written to the `notices` table together with the
change, or not at all. No mail server is asked then, so a click never waits for one, and a
server that is down loses nothing. `send_pending()` (`libnet notices send`, from cron every few
minutes) sends what is due later and notes each outcome on the notice.

Who hears of what:
- the patron, in the account's language (de or en; German for any other): the request is
  placed ("placed"), the rota is used up ("unfilled"), the copy arrived at the pickup library
  ("ready": action receive), the due date passed ("overdue": mark_overdue), the supplier wants
  the copy back ("recalled": recall). The last two only while the patron has the copy, not
  while it waits uncollected at the pickup library or after the patron brought it back. A
  patron without an e-mail address gets none.
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

import email.policy
import logging
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound
from sqlalchemy import Connection, Engine, func, insert, select, update

from libnet.accounts import get_user
from libnet.config import Config, MailConfig
from libnet.errors import one_line
from libnet.loan_states import NEXT_SUPPLIER, TRANSITIONS, State
from libnet.schema import loan_events, notices
from libnet.times import utc

if TYPE_CHECKING:
    from libnet.loans import LoanRequest  # loans imports this module

log = logging.getLogger("libnet.notices")

PATRON_KINDS = ("placed", "unfilled", "ready", "overdue", "recalled")
LIBRARY_KINDS = ("incoming", "renewal")
LANGUAGES = ("de", "en")  # the first is the default
LIBRARY = "library:"  # recipient "library:CODE": the address is looked up when sending
MAX_ATTEMPTS = 3  # a notice the server refuses is given up after this many attempts in all
FIRST_RETRY = timedelta(minutes=5)  # after a failure; doubled each time, up to LAST_RETRY
LAST_RETRY = timedelta(hours=1)
LEASE = timedelta(minutes=15)  # a notice being sent is left alone by other senders this long
PATRON_PAGE = "/account/requests"
LIBRARY_PAGE = "/staff/requests/{id}"
_BY_ACTION = {"receive": "ready", "mark_overdue": "overdue", "recall": "recalled",
              "renew": "renewal"}  # fmt: skip
# "please return it" only while the patron has the copy: not when it waits uncollected at
# the pickup library, nor when the patron brought it back already
_WITH_PATRON = {"mark_overdue": State.HANDED_TO_PATRON, "recall": State.HANDED_TO_PATRON}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip
_TEMPLATES = Path(__file__).parent / "notice_templates"
# the server cannot be used at all; the round stops and every due notice is kept
_SERVER_FAILURES = (OSError, smtplib.SMTPException)
# the server refuses this one notice (its recipient, its content); the others may still go
_REFUSALS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPNotSupportedError)
# Headers unfolded, one line of at most 998 characters as RFC 5322 allows: Python's folding
# moves and drops spaces around encoded words, and a subject with umlauts arrived changed.
_WIRE = email.policy.SMTP.clone(max_line_length=998)


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
        """One of sent, waiting (to be tried, now or later), failed (given up, or skipped)."""
        if self.sent_at is not None:
            return "sent"
        return "waiting" if self.next_attempt_at is not None else "failed"


@dataclass(frozen=True, slots=True)
class SendReport:
    sent: int  # delivered in this round
    failed: int  # tried in this round and not delivered: tried again later, or given up
    waiting: int  # not sent after this round and still to be tried (later, or once mail is on)
    skipped: int = 0  # for a library without an address in config.toml: never sent
    error: str = ""  # why the round stopped early: the server could not be used

    @property
    def ok(self) -> bool:
        return self.failed == 0


# --------------------------------------------------------------------------- queuing


def kinds_for(action: str, from_state: State | None, request: LoanRequest) -> tuple[str, ...]:
    """The notices `action` ("place" for a new request) from `from_state` causes; `request`
    as the action left it. For an overdue request `from_state` is the state before it was
    overdue (`_before_overdue`), which says where the copy is."""
    if action == "place":
        return ("placed", "incoming")
    transition = TRANSITIONS.get(action)
    if transition is not None and transition.target == NEXT_SUPPLIER:
        return ("incoming",) if request.state is State.REQUEST_RECEIVED else ("unfilled",)
    if action in _WITH_PATRON and from_state is not _WITH_PATRON[action]:
        return ()
    return (_BY_ACTION[action],) if action in _BY_ACTION else ()


def queue_for_change(
    conn: Connection,
    request: LoanRequest,
    action: str,
    from_state: State | None,
    *,
    now: datetime,
    mailing: Mailing | None = None,
) -> list[int]:
    """Queue, in the caller's transaction, the notices an action causes; their ids.

    `request` is the request as `action` left it (from `from_state`, None for "place");
    library notices go to its supplier, the one it is at now.
    """
    mailing = mailing or Mailing()
    if from_state is State.OVERDUE:
        from_state = _before_overdue(conn, request.id)
    queued = []
    for kind in kinds_for(action, from_state, request):
        if kind in LIBRARY_KINDS:
            recipient, language, patron = f"{LIBRARY}{request.supplier}", LANGUAGES[0], ""
            page = LIBRARY_PAGE.format(id=request.id)
        else:
            account = get_user(conn, request.patron_id)
            if account is None or not account.email:
                continue
            recipient, language, patron = account.email, _language(account.language), account.name
            page = PATRON_PAGE
        subject, body = render(kind, language, _context(request, mailing, language, patron, page))
        queued.append(
            conn.execute(
                insert(notices).values(
                    request_id=request.id, kind=kind, recipient=recipient, language=language,
                    subject=subject, body=body, created_at=now, attempts=0, next_attempt_at=now,
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
    request: LoanRequest, mailing: Mailing, language: str, patron: str, page: str
) -> dict[str, object]:
    due = date.fromisoformat(request.due_date) if request.due_date else None
    return {
        "title": request.title,
        "request_id": request.id,
        "patron": patron,
        "pickup": mailing.name(request.pickup_library),
        "requesting": mailing.name(request.requesting_library),
        "supplier": mailing.name(request.supplier),
        "supplier_local_id": request.supplier_local_id,
        "moved_on": request.rota_position > 0,
        "due_date": _date(due, language) if due else "",
        "link": mailing.site_url.rstrip("/") + page,
    }


def _date(day: date, language: str) -> str:
    if language == "en":
        return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


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


def _notice(row: Mapping) -> Notice:
    values = dict(row)
    for name in ("created_at", "sent_at", "next_attempt_at"):
        values[name] = utc(values[name])
    return Notice(**values)


# --------------------------------------------------------------------------- sending


def library_addresses(config: Config) -> dict[str, str]:
    """Each library's address for notices, of the libraries that have one."""
    return {lib.code: lib.email for lib in config.libraries if lib.email}


def server_failed(mail: MailConfig, error: str) -> str:
    """What to say when a round stopped because the [mail] server could not be used."""
    return f"the mail server {mail.host}:{mail.port} failed: {error}"


def send_due(engine: Engine, config: Config, now: datetime | None = None) -> SendReport:
    """send_pending() with the [mail] server and the libraries' addresses of config.toml: what
    `libnet notices send`, the nightly run and the web app's background sending call."""
    return send_pending(engine, config.mail, library_addresses(config), now)


def send_pending(
    engine: Engine,
    mail: MailConfig,
    addresses: Mapping[str, str],
    now: datetime | None = None,
) -> SendReport:
    """Send the notices that are due through the [mail] server, each in its own transaction.

    `addresses`: each library's address (`library_addresses(config)`). A failure counts an
    attempt, keeps the error and sets the next attempt later and later; a notice the server
    refuses is given up after MAX_ATTEMPTS. When the server cannot be reached, or drops the
    connection, the round stops at once and every due notice waits for the next one. With
    mail off (no host) nothing is sent and everything waits.
    """
    now = now or datetime.now(UTC)
    if not mail.enabled:
        return SendReport(0, 0, _waiting(engine))
    with engine.connect() as conn:
        query = select(notices).where(notices.c.next_attempt_at <= now).order_by(notices.c.id)
        due = [_notice(row) for row in conn.execute(query).mappings()]
    sent = failed = skipped = 0
    server: smtplib.SMTP | None = None
    try:
        for position, notice in enumerate(due):
            recipient = _recipient(notice, addresses)
            if recipient is None:
                _skip(engine, notice)
                skipped += 1
                continue
            if not _claim(engine, notice, now):
                continue  # another sender took it
            try:
                server = server or _connect(mail)
                message = _message(notice, mail.sender, recipient, now)
                refused = _send(server, mail.sender, recipient, message)
            except _SERVER_FAILURES as exc:
                _drop(server)
                server = None
                later = [n for n in due[position:] if _recipient(n, addresses) is not None]
                error = _keep_for_later(engine, later, exc, now)
                return SendReport(sent, failed + len(later), _waiting(engine), skipped, error)
            if refused:
                _failed(engine, notice, refused, now, refused=True)
                failed += 1
            else:
                _sent(engine, notice, now)
                sent += 1
    finally:
        _quit(server)
    return SendReport(sent, failed, _waiting(engine), skipped)


def _recipient(notice: Notice, addresses: Mapping[str, str]) -> str | None:
    if notice.recipient.startswith(LIBRARY):
        return addresses.get(notice.recipient[len(LIBRARY) :]) or None
    return notice.recipient


def _connect(mail: MailConfig) -> smtplib.SMTP:
    server = smtplib.SMTP(mail.host, mail.port, timeout=mail.timeout)
    try:
        if mail.starttls:
            server.starttls(context=ssl.create_default_context())
        if mail.username:
            server.login(mail.username, mail.password)
    except BaseException:
        server.close()
        raise
    return server


def _send(server: smtplib.SMTP, sender: str, recipient: str, message: EmailMessage) -> str:
    """Hand the message to the server: "" when it took it, else why it refused this one."""
    if not recipient.isascii():
        return f"recipient refused: {recipient!r} is not plain ASCII (SMTPUTF8 is not used)"
    try:
        server.sendmail(sender, [recipient], message.as_bytes(policy=_WIRE))
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        return f"recipient refused: {code} {text.decode('utf-8', 'replace')}"
    except _REFUSALS as exc:
        return one_line(exc) or type(exc).__name__
    return ""


def _keep_for_later(
    engine: Engine, waiting: list[Notice], exc: BaseException, now: datetime
) -> str:
    """The server failed: every notice still due counts the attempt and waits; the error."""
    error = one_line(exc) or type(exc).__name__
    for notice in waiting:
        _failed(engine, notice, error, now, refused=False)
    log.warning("mail server failed, round stopped", extra={"error": error, "due": len(waiting)})
    return error


def _drop(server: smtplib.SMTP | None) -> None:
    """Close a connection that failed, without a goodbye it would not hear."""
    if server is not None:
        server.close()


def _quit(server: smtplib.SMTP | None) -> None:
    if server is None:
        return
    try:
        server.quit()
    except _SERVER_FAILURES:
        server.close()  # everything was sent and noted; a rude goodbye changes nothing


def _message(notice: Notice, sender: str, recipient: str, now: datetime) -> EmailMessage:
    """The notice as a plain-text message in UTF-8."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = notice.subject
    message["Date"] = format_datetime(now)
    # the same on every attempt, so a notice delivered twice shows as one
    domain = sender.rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<notice-{notice.id}.{notice.created_at:%Y%m%d%H%M%S}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    # quoted-printable: 7-bit clean, so umlauts survive servers that do not speak 8BITMIME
    message.set_content(notice.body, charset="utf-8", cte="quoted-printable")
    message["Content-Language"] = notice.language  # after set_content, which clears Content-*
    return message


def _claim(engine: Engine, notice: Notice, now: datetime) -> bool:
    """Take the notice for this round, unless another sender did since it was read."""
    with engine.begin() as conn:
        return (
            conn.execute(
                update(notices)
                .where(
                    notices.c.id == notice.id,
                    notices.c.sent_at.is_(None),
                    notices.c.next_attempt_at <= now,
                )
                .values(next_attempt_at=now + LEASE)
            ).rowcount
            == 1
        )


def _sent(engine: Engine, notice: Notice, now: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(notices)
            .where(notices.c.id == notice.id)
            .values(sent_at=now, attempts=notice.attempts + 1, next_attempt_at=None)
        )
    log.info("notice sent", extra={"notice": notice.id, "kind": notice.kind})


def _failed(engine: Engine, notice: Notice, error: str, now: datetime, *, refused: bool) -> None:
    """Count the attempt; the next one later and later, or none: refused MAX_ATTEMPTS times."""
    attempts = notice.attempts + 1
    given_up = refused and attempts >= MAX_ATTEMPTS
    delay = min(FIRST_RETRY * 2 ** (attempts - 1), LAST_RETRY)
    with engine.begin() as conn:
        conn.execute(
            update(notices)
            .where(notices.c.id == notice.id, notices.c.sent_at.is_(None))
            .values(
                attempts=attempts,
                last_error=error[:500],
                next_attempt_at=None if given_up else now + delay,
            )
        )
    if given_up:
        log.warning("notice given up", extra={"notice": notice.id, "error": error})


def _skip(engine: Engine, notice: Notice) -> None:
    """Never send the notice: its library has no address in config.toml."""
    library = notice.recipient.removeprefix(LIBRARY)
    with engine.begin() as conn:
        conn.execute(
            update(notices)
            .where(notices.c.id == notice.id)
            .values(last_error=f"skipped: library {library} has no email", next_attempt_at=None)
        )
    log.warning("notice skipped: the library has no email in config.toml",
                extra={"notice": notice.id, "library": library})  # fmt: skip


def _waiting(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(
            select(func.count()).where(
                notices.c.sent_at.is_(None), notices.c.next_attempt_at.is_not(None)
            )
        )
