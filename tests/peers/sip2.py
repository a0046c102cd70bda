"""A real SIP2 server on 127.0.0.1: pysip2's, answering from a table of patrons and of items.

pysip2 (an independent implementation of SIP2 2.00) runs in an AnyIO event loop on a thread
of its own. In front of it sits a small TCP relay that misbehaves on request: the test sets
`server.fault` and the relay spoils the answers about patrons and items (64, 24 and 18) the
way a broken network or server would. Login, SC Status and the requests pass through untouched.

    with Sip2Peer([Card("1001", "1234", "Erika Muster")], login=("libnet", "geheim")) as peer:
        peer.fault = Fault.WRONG_CHECKSUM_ONCE
        ... connect to 127.0.0.1:peer.port
"""

from __future__ import annotations

import contextlib
import enum
import socket
import threading
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from types import TracebackType

from anyio.from_thread import start_blocking_portal
from pysip2 import (
    ITEM_INFORMATION,
    LOGIN,
    PATRON_INFORMATION,
    PATRON_STATUS,
    ItemInformationRequest,
    ItemInformationResponse,
    LoginRequest,
    LoginResponse,
    PatronInformationRequest,
    PatronInformationResponse,
    PatronStatusRequest,
    PatronStatusResponse,
    RequestContext,
    SIP2Server,
)

PATRON_ANSWERS = (b"64", b"24", b"18")  # the answers a fault spoils
GARBAGE = bytes(range(256)) * 4
SC_RESEND = b"96AZFEF6\r"  # Request SC Resend, with its checksum


@dataclass(frozen=True)
class Card:
    """One patron of the library's system."""

    card: str
    pin: str
    name: str
    email: str = ""
    language: str = "000"  # SIP2 language code: 001 English, 003 German
    blocked: bool = False  # charge and hold privileges denied
    lost: bool = False  # card reported lost
    expired: bool = False  # as Koha answers: charge privileges denied and a screen message
    fines: bool = False  # excessive outstanding fines
    checks_pin: bool = True  # False: the answer leaves the valid-password flag (CQ) out


class Fault(enum.Enum):
    NONE = "none"
    SLOW = "slow"  # the patron answer comes `delay` seconds late
    GARBAGE = "garbage"  # bytes that are no SIP2, instead of every patron answer
    WRONG_CHECKSUM_ONCE = "wrong checksum once"  # the first patron answer's AZ is off
    WRONG_CHECKSUM_ALWAYS = "wrong checksum always"
    CLOSE_MID_ANSWER = "close mid answer"  # half the patron answer, then the line drops
    RESEND_ONCE = "resend once"  # the first answer becomes a 96: "send your request again"
    HANG = "hang"  # no answer, ever (until the peer stops)


@dataclass(frozen=True)
class Shelved:
    """One copy in the library's system, as Item Information (18) tells it."""

    barcode: str
    status: str  # the circulation status: "03" available, "04" charged, "12" lost ...
    due: str = ""  # AH as the system writes it ("20261220    235900"), "" for none
    title: str = "Die Vermessung der Welt"


def refused_port() -> int:
    """A loopback port that nothing listens on: connecting is refused (a server that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sip2Peer:
    """pysip2's server behind a fault relay; `port` is the relay's."""

    def __init__(
        self,
        cards: list[Card],
        *,
        items: Sequence[Shelved] = (),
        login: tuple[str, str] | None = None,
        encoding: str = "utf-8",
        delay: float = 1.0,
    ) -> None:
        self.cards = {card.card: card for card in cards}
        self.items = {item.barcode: item for item in items}
        self.item_requests: list[tuple[str, str]] = []  # (institution AO, barcode AB) of every 17
        self.login = login
        self.fault = Fault.NONE
        self.delay = delay
        self.logins: list[str] = []  # the user id of every Login (93) received
        self.patron_requests: list[tuple[str, str]] = []  # (card, pin) of every 63 and 23
        self.dates: list[str] = []  # the transaction date of every 63 and 23
        self.codes: list[str] = []  # the code of every message the clients sent, in order
        self.port = 0
        self._spoiled = 0
        self._stopping = threading.Event()
        self._server = SIP2Server(encoding=encoding, login_required=login is not None)
        self._server.route(LOGIN)(self._answer_login)
        self._server.route(PATRON_INFORMATION)(self._answer_information)
        self._server.route(PATRON_STATUS)(self._answer_status)
        self._server.route(ITEM_INFORMATION)(self._answer_item)
        self._stack = ExitStack()
        self._listener = socket.create_server(("127.0.0.1", 0))

    def reset(self) -> None:
        """No fault, and nothing received yet: the state a test starts from."""
        self.fault = Fault.NONE
        self._spoiled = 0
        for received in (self.logins, self.patron_requests, self.dates, self.codes,
                         self.item_requests):  # fmt: skip
            received.clear()

    def __enter__(self) -> Sip2Peer:
        portal = self._stack.enter_context(start_blocking_portal())
        backend = self._stack.enter_context(
            portal.wrap_async_context_manager(self._server.start("127.0.0.1", 0))
        )
        self._backend = backend
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stopping.set()
        self._listener.close()
        self._stack.close()

    # -- the library's system, as pysip2 handlers --------------------------------------------

    async def _answer_login(self, request: LoginRequest, ctx: RequestContext) -> LoginResponse:
        self.logins.append(request.login_user_id)
        right = self.login == (request.login_user_id, request.login_password)
        return LoginResponse(ok="1" if right else "0")

    async def _answer_information(
        self, request: PatronInformationRequest, ctx: RequestContext
    ) -> PatronInformationResponse:
        self.dates.append(request.transaction_date)
        fields = self._patron(request.patron_identifier, request.patron_password or "")
        counts = {
            f"{kind}_count": "0000"
            for kind in ("hold_items", "overdue_items", "charged_items", "fine_items")
        }
        return PatronInformationResponse(
            **fields,
            **counts,
            recall_items_count="0000",
            unavailable_holds_count="0000",
            transaction_date=ctx.now_18(),
            institution_id=request.institution_id,
        )

    async def _answer_status(
        self, request: PatronStatusRequest, ctx: RequestContext
    ) -> PatronStatusResponse:
        fields = self._patron(request.patron_identifier, request.patron_password)
        fields.pop("email_address")  # 24 has no e-mail field
        return PatronStatusResponse(
            **fields, transaction_date=ctx.now_18(), institution_id=request.institution_id
        )

    async def _answer_item(
        self, request: ItemInformationRequest, ctx: RequestContext
    ) -> ItemInformationResponse:
        self.item_requests.append((request.institution_id, request.item_identifier))
        item = self.items.get(request.item_identifier)
        return ItemInformationResponse(
            circulation_status=item.status if item else "01",
            security_marker="00",
            fee_type="01",
            transaction_date=ctx.now_18(),
            item_identifier=request.item_identifier,
            title_identifier=item.title if item else "",
            due_date=(item.due or None) if item else None,
            screen_message=() if item else ("Item not found",),
        )

    def _patron(self, number: str, pin: str) -> dict:
        self.patron_requests.append((number, pin))
        card = self.cards.get(number)
        if card is None:
            return {
                "patron_status": " " * 14,
                "language": "000",
                "patron_identifier": number,
                "personal_name": "",
                "valid_patron": "N",
                "valid_patron_password": "N",
                "email_address": None,
            }
        flags = [" "] * 14
        for position, on in ((0, card.blocked or card.expired), (3, card.blocked),
                             (4, card.lost), (10, card.fines)):  # fmt: skip
            if on:
                flags[position] = "Y"
        return {
            "patron_status": "".join(flags),
            "language": card.language,
            "patron_identifier": number,
            "personal_name": card.name,
            "valid_patron": "Y",
            "valid_patron_password": ("Y" if pin == card.pin else "N") if card.checks_pin else None,
            "email_address": card.email or None,
            "screen_message": ("Patron account expired",) if card.expired else (),
        }

    # -- the relay ------------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # the listener was closed: the peer stops
            backend = socket.create_connection(("127.0.0.1", self._backend))
            threading.Thread(target=self._requests, args=(client, backend), daemon=True).start()
            threading.Thread(target=self._answers, args=(backend, client), daemon=True).start()

    def _requests(self, client: socket.socket, backend: socket.socket) -> None:
        """Requests pass unchanged; when the client goes, the backend connection goes too."""
        with client, backend:
            while data := _receive(client):
                self.codes += [m[:2].decode("latin-1") for m in data.split(b"\r") if m]
                backend.sendall(data)

    def _answers(self, backend: socket.socket, client: socket.socket) -> None:
        buffer = b""
        while data := _receive(backend):
            buffer += data
            while b"\r" in buffer:
                message, _, buffer = buffer.partition(b"\r")
                if not self._send(client, message + b"\r"):
                    _close(client, backend)
                    return
        _close(client, backend)

    def _send(self, client: socket.socket, message: bytes) -> bool:
        """Pass one answer on, spoiled as `fault` says; False when the line is to drop."""
        fault = self.fault if message[:2] in PATRON_ANSWERS else Fault.NONE
        try:
            if fault is Fault.SLOW:
                self._stopping.wait(self.delay)
            elif fault is Fault.HANG:
                self._stopping.wait()
                return False
            elif fault is Fault.RESEND_ONCE and self._spoiled == 0:
                self._spoiled += 1
                message = SC_RESEND
            elif fault is Fault.GARBAGE:
                message = GARBAGE
            elif fault is Fault.WRONG_CHECKSUM_ALWAYS or (
                fault is Fault.WRONG_CHECKSUM_ONCE and self._spoiled == 0
            ):
                self._spoiled += 1
                message = _wrong_checksum(message)
            elif fault is Fault.CLOSE_MID_ANSWER:
                client.sendall(message[: len(message) // 2])
                time.sleep(0.05)  # let the half arrive before the line drops
                return False
            client.sendall(message)
        except OSError:
            return False
        return True


def _wrong_checksum(message: bytes) -> bytes:
    """The same answer with its AZ value off by one."""
    body = message.removesuffix(b"\r")
    value = (int(body[-4:], 16) + 1) & 0xFFFF
    return body[:-4] + f"{value:04X}".encode("ascii") + b"\r"


def _receive(sock: socket.socket) -> bytes:
    try:
        return sock.recv(4096)
    except OSError:
        return b""


def _close(*socks: socket.socket) -> None:
    for sock in socks:
        with contextlib.suppress(OSError):  # already gone
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()
