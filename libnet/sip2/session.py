"""A connection made ready for work: Login (93/94) where configured, then SC Status (99/98).

The login password lives in a file (config's `login_password_file`), read at every connect
so it can be changed without a restart; its trailing newline is not part of it. No reason
returned from here ever holds the password.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from libnet.sip2 import requests
from libnet.sip2.connection import Connection, Endpoint, Failure
from libnet.sip2.messages import FieldRefused


@dataclass(frozen=True, slots=True)
class Login:
    """The SIP2 account the server wants before any other message."""

    user: str
    password_file: Path
    location: str = ""  # CP, the location code


def read_password(path: Path) -> str | Failure:
    """The password in `path` without its line end, or why it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return Failure(f"cannot read login_password_file {path}: {why}")
    password = text.rstrip("\r\n")
    if not password:
        return Failure(f"login_password_file {path} is empty")
    return password


def open_session(endpoint: Endpoint, login: Login | None) -> Connection | Failure:
    """Connect, log in when `login` is given, and check that the server is online."""
    password = read_password(login.password_file) if login else ""
    if isinstance(password, Failure):
        return password
    connection = Connection.open(endpoint)
    if isinstance(connection, Failure):
        return connection
    ready = _login(connection, endpoint, login, password) if login else None
    if ready is None:
        ready = check_status(connection, endpoint)
    if ready is not None:
        connection.close()
        return ready
    return connection


def _login(
    connection: Connection, endpoint: Endpoint, login: Login, password: str
) -> Failure | None:
    answer = connection.exchange(requests.login(login.user, password, login.location))
    if isinstance(answer, FieldRefused):
        # the reason names the field, never the value: CO is the password
        return Failure(f"{endpoint.name}: the login cannot be sent: {answer}")
    if isinstance(answer, Failure):
        return answer
    if answer.fixed[0] != "1":
        return Failure(
            f"{endpoint.name}: login as {login.user!r} refused (94 ok={answer.fixed[0]!r})"
        )
    return None


def check_status(connection: Connection, endpoint: Endpoint) -> Failure | None:
    """SC Status (99/98): None when the server answers that it is online, else why not."""
    answer = connection.exchange(requests.sc_status())
    if isinstance(answer, FieldRefused):
        return Failure(f"{endpoint.name}: {answer}")
    if isinstance(answer, Failure):
        return answer
    if answer.fixed[0] != "Y":
        screen = "; ".join(answer.all("AF"))
        return Failure(
            f"{endpoint.name}: says it is offline (98 on-line status N) {screen}".rstrip()
        )
    return None
