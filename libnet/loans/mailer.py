"""Sending the queued notices through the [mail] server of config.toml, by SMTP.

`send_pending()` (`libnet notices send`, from cron every few minutes; the nightly run; the web
app in the background) sends the notices libnet.loans.notices queued that are due, each in its
own transaction, and notes each outcome on the notice. A notice the server refuses is tried
again later and later, and given up after MAX_ATTEMPTS; a server that cannot be used stops the
round, and every due notice waits for the next. A library's address is looked up only now,
from config.toml, so an address changed there also reaches notices queued before the change;
a library without one has its notices skipped (logged, never sent). A notice whose address
cannot take a message (one stored before libnet.email_address checked them, say with a line
break in it) is given up at once with the reason, and the round goes on.
"""

from __future__ import annotations

import email.policy
import logging
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import Engine, func, select, update

from libnet.config import Config, MailConfig
from libnet.email_address import AddressProblem, normalised_email
from libnet.errors import one_line
from libnet.loans.notices import LIBRARY, SKIPPED, Notice, due_notices
from libnet.store.schema import notices

log = logging.getLogger("libnet.notices")

MAX_ATTEMPTS = 3  # a notice the server refuses is given up after this many attempts in all
FIRST_RETRY = timedelta(minutes=5)  # after a failure; doubled each time, up to LAST_RETRY
LAST_RETRY = timedelta(hours=1)
LEASE = timedelta(minutes=15)  # a notice being sent is left alone by other senders this long
# the server cannot be used at all; the round stops and every due notice is kept
_SERVER_FAILURES = (OSError, smtplib.SMTPException)
# the server refuses this one notice (its recipient, its content); the others may still go
_REFUSALS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPNotSupportedError)
# Headers unfolded, one line of at most 998 characters as RFC 5322 allows: Python's folding
# moves and drops spaces around encoded words, and a subject with umlauts arrived changed.
_WIRE = email.policy.SMTP.clone(max_line_length=998)


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
        due = due_notices(conn, now)
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
            address = normalised_email(recipient, local=True)
            if isinstance(address, AddressProblem):  # stored before addresses were checked
                _undeliverable(engine, notice, f"bad recipient address: {address}")
                failed += 1
                continue
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


def _undeliverable(engine: Engine, notice: Notice, error: str) -> None:
    """Give the notice up at once: its address can never take a message; the round goes on."""
    with engine.begin() as conn:
        conn.execute(
            update(notices)
            .where(notices.c.id == notice.id, notices.c.sent_at.is_(None))
            .values(attempts=notice.attempts + 1, last_error=error[:500], next_attempt_at=None)
        )
    log.warning("notice given up", extra={"notice": notice.id, "error": error})


def _skip(engine: Engine, notice: Notice) -> None:
    """Never send the notice: its library has no address in config.toml."""
    library = notice.recipient.removeprefix(LIBRARY)
    with engine.begin() as conn:
        conn.execute(
            update(notices)
            .where(notices.c.id == notice.id)
            .values(last_error=f"{SKIPPED}library {library} has no email", next_attempt_at=None)
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
