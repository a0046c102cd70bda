"""One connection to a SIP2 server: a request out, its answer in, within a timeout.

Every answer is checked: its checksum (AZ), its sequence number (AY, the request's), and its
code (the request's answer, 63 -> 64). A broken answer (wrong checksum, wrong sequence
number, bytes that are no SIP2) is asked for again once with Request ACS Resend (97), as the
3M spec has a terminal do on a checksum error; a server that asks for our request again
(Request SC Resend, 96) gets it again, with the same sequence number, once. Whatever goes
wrong after that, or on the network (refused, reset, closed mid-answer, too slow), is a
`Failure` value: nothing here raises for the server's faults.
"""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass
from types import TracebackType

from libnet.sip2.messages import (
    RESEND_CODE,
    TERMINATOR,
    Answer,
    FieldRefused,
    Garbled,
    Request,
    checksum,
    decode,
    encode,
)
from libnet.sip2.requests import answer_code

MAX_ANSWER = 64 * 1024  # bytes without a CR: a server that never ends its answer
SC_RESEND = "96"
# Request ACS Resend (97): "send your last answer again"; it has AZ but no AY.
ACS_RESEND = RESEND_CODE.encode("ascii") + b"AZ"
ACS_RESEND += checksum(ACS_RESEND).encode("ascii") + TERMINATOR


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a SIP2 server listens and how to talk to it."""

    host: str
    port: int
    tls: bool = False  # TLS with the server's certificate checked against the system's CAs
    timeout: float = 5.0  # seconds for the connection, and for each answer
    encoding: str = "utf-8"

    @property
    def name(self) -> str:
        return f"SIP2 server {self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Failure:
    """The server gave no usable answer; `reason` names the server and what went wrong."""

    reason: str


class Connection:
    """An open connection; make one with `Connection.open(endpoint)`."""

    def __init__(self, sock: socket.socket, endpoint: Endpoint) -> None:
        self._sock = sock
        self._endpoint = endpoint
        self._buffer = bytearray()
        self._sequence = 0

    @classmethod
    def open(cls, endpoint: Endpoint) -> Connection | Failure:
        """Connect (and shake hands over TLS) within the endpoint's timeout."""
        name, timeout = endpoint.name, endpoint.timeout
        try:
            sock = socket.create_connection((endpoint.host, endpoint.port), timeout=timeout)
        except ConnectionRefusedError:
            return Failure(f"{name}: connection refused (is the server running?)")
        except TimeoutError:
            return Failure(f"{name}: no connection within {timeout:g} s")
        except OSError as exc:
            return Failure(f"{name}: cannot connect: {exc.strerror or exc}")
        if endpoint.tls:
            context = ssl.create_default_context()
            try:
                sock = context.wrap_socket(sock, server_hostname=endpoint.host)
            except ssl.SSLCertVerificationError as exc:
                sock.close()
                return Failure(f"{name}: TLS certificate not accepted: {exc.verify_message}")
            except (ssl.SSLError, OSError) as exc:
                sock.close()
                return Failure(f"{name}: TLS handshake failed: {exc}")
        return cls(sock, endpoint)

    def exchange(self, request: Request) -> Answer | FieldRefused | Failure:
        """Send `request` and return its answer, asking once more for a broken one."""
        sequence = self._sequence
        self._sequence = (sequence + 1) % 10
        message = encode(request, sequence, self._endpoint.encoding)
        if isinstance(message, FieldRefused):
            return message
        expected = answer_code(request)
        sent = self._send(message)
        if sent is not None:
            return sent
        asked_again = False
        while True:
            raw = self._read()
            if isinstance(raw, Failure):
                return raw
            answer = decode(raw, self._endpoint.encoding)
            if isinstance(answer, Garbled):
                problem, again = answer.reason, ACS_RESEND
            elif answer.code == SC_RESEND:
                problem, again = "asked for the request again (96)", message
            else:
                problem = _problem(answer, expected, sequence)
                if not problem:
                    return answer
                if answer.code != expected:
                    return self._failure(problem)
                again = ACS_RESEND
            if asked_again:
                return self._failure(f"{problem}, again after asking once more")
            asked_again = True
            self._buffer.clear()  # the rest of a broken answer is noise
            sent = self._send(again)
            if sent is not None:
                return sent

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _failure(self, reason: str) -> Failure:
        return Failure(f"{self._endpoint.name}: {reason}")

    def _send(self, message: bytes) -> Failure | None:
        try:
            self._sock.settimeout(self._endpoint.timeout)
            self._sock.sendall(message)
        except TimeoutError:
            return self._failure(f"could not send within {self._endpoint.timeout:g} s")
        except OSError as exc:
            return self._failure(f"connection lost while sending: {exc.strerror or exc}")
        return None

    def _read(self) -> bytes | Failure:
        """One message up to its CR, within the timeout counted from now."""
        deadline = time.monotonic() + self._endpoint.timeout
        while (end := self._buffer.find(b"\r")) < 0:
            if len(self._buffer) > MAX_ANSWER:
                return self._failure(f"answer longer than {MAX_ANSWER} bytes without its end")
            left = deadline - time.monotonic()
            if left <= 0:
                return self._failure(f"no answer within {self._endpoint.timeout:g} s")
            try:
                self._sock.settimeout(left)
                data = self._sock.recv(4096)
            except TimeoutError:
                return self._failure(f"no answer within {self._endpoint.timeout:g} s")
            except OSError as exc:
                return self._failure(f"connection lost: {exc.strerror or exc}")
            if not data:
                where = " in the middle of an answer" if self._buffer else ""
                return self._failure(f"closed the connection{where}")
            self._buffer += data
        message = bytes(self._buffer[: end + 1])
        del self._buffer[: end + 1]
        return message


def _problem(answer: Answer, expected: str, sequence: int) -> str:
    """What is wrong with an answer to the request numbered `sequence`, "" when nothing."""
    if answer.sequence is not None and answer.sequence != sequence:
        return f"answer numbered {answer.sequence}, the request was {sequence}"
    if answer.code != expected:
        return f"answered {answer.code} where {expected} belongs"
    return ""
