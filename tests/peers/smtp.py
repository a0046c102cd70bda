"""Real SMTP peers on 127.0.0.1 for the e-mail notices' tests.

`SmtpServer` is aiosmtpd: it keeps every message it accepts, parsed, and can refuse chosen
recipients or ask for a login. `HangUp` accepts connections and closes them at once, counting
them: a mail server that is there and fails. A port nobody listens on is a server that is down.

As a fixture (the web tests can do the same):

    @pytest.fixture
    def smtp_server() -> Iterator[SmtpServer]:
        with SmtpServer() as server:
            yield server
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.peers.postgres import free_port


@dataclass
class Received:
    """One message as the server got it: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        """The text as a mail program shows it: decoded, lines ending in \\n, not SMTP's CRLF."""
        return self.message.get_content().replace("\r\n", "\n")


@dataclass
class _Handler:
    refuse: set[str]
    login_required: bool
    messages: list[Received] = field(default_factory=list)

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          mail_options: list[str]) -> str:  # fmt: skip
        # aiosmtpd's own auth_required warns about AUTH without TLS: this one stays quiet
        if self.login_required and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:  # fmt: skip
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        # parsed before the 250 goes out: when smtplib returns, the message is here
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


class SmtpServer:
    """aiosmtpd on 127.0.0.1; `port` to reuse one (a server that comes back), else a free one.

    With `login` (username, password) it refuses mail from a client that has not logged in.
    """

    def __init__(
        self,
        port: int | None = None,
        refuse: set[str] | None = None,
        login: tuple[str, str] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.handler = _Handler(set(refuse or ()), login_required=login is not None)
        options: dict[str, Any] = {}
        if login is not None:
            options = {"authenticator": _Authenticator(*login), "auth_require_tls": False}
        # port 0 does not work with aiosmtpd's Controller: it probes the port before serving
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **options)

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def to(self, address: str) -> list[Received]:
        """The messages for one recipient, in the order they came."""
        return [m for m in self.messages if address in m.rcpt_tos]

    def __enter__(self) -> SmtpServer:
        self.controller.start()  # returns once the server answers
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


class _Authenticator:
    def __init__(self, username: str, password: str) -> None:
        self.expected = (username.encode(), password.encode())

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str,
                 auth_data: Any) -> AuthResult:  # fmt: skip
        plain = isinstance(auth_data, LoginPassword)
        given = (auth_data.login, auth_data.password) if plain else ()
        # handled=False: aiosmtpd answers 535 itself (handled=True would leave the client waiting)
        return AuthResult(success=given == self.expected, handled=False)


class HangUp:
    """Accepts each connection and closes it before the greeting; `connections` counts them."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return  # closed by __exit__
            self.connections += 1
            conn.close()

    def __enter__(self) -> HangUp:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() waiting in the thread
        self.sock.close()
        self.thread.join(timeout=5)
