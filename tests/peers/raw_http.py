"""A server on 127.0.0.1 that answers with raw bytes: the status line, the headers and the body
exactly as given, framing lies included (a Content-Length longer or shorter than the body,
chunk sizes that do not match their chunks, no final chunk, a status line that is no HTTP).

A real HTTP server library would correct such answers; a harvester meets them from broken or
hostile library servers all the same. After the answer the server closes the connection, so
a client waiting for bytes a lie promised sees the end at once instead of its timeout.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable

# what a request line asks for -> the raw answer
Script = Callable[[bytes], bytes]
_LOCATION = re.compile(rb"(?im)^(location[ \t]*:)[^\r\n]*")
_HEAD_END = b"\r\n\r\n"


def staying_here(answer: bytes) -> bytes:
    """The answer with every Location header pointed back at this server: a redirect the
    client follows must not leave the machine."""
    head, sep, body = answer.partition(_HEAD_END)
    return _LOCATION.sub(rb"\1 /moved", head) + sep + body


class RawHttpServer:
    """One thread accepting one connection after the other, each answered by the script."""

    def __init__(self) -> None:
        self.script: Script = lambda _request_line: b""
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/"
        threading.Thread(target=self._serve, daemon=True).start()

    def answer(self, script: Script | bytes) -> None:
        """Answer every request from now on with these bytes, or with the script's bytes."""
        self.script = script if callable(script) else (lambda _line, raw=script: raw)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:  # closed
                return
            with conn:
                try:
                    conn.settimeout(5)
                    request = _read_head(conn)
                    conn.sendall(staying_here(self.script(request.split(b"\r\n", 1)[0])))
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    continue  # the client gave up or reset: the next one

    def close(self) -> None:
        self._listener.close()


def _read_head(conn: socket.socket) -> bytes:
    """The request up to its empty line (a harvester's GET has no body)."""
    data = b""
    while _HEAD_END not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def http_answer(body: bytes, content_type: str = "text/xml; charset=utf-8") -> bytes:
    """A well-framed raw answer: 200, Content-Length, the body."""
    return (
        f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


def chunked(body: bytes, sizes: tuple[int, ...] = (7, 64)) -> bytes:
    """body in chunked transfer encoding, cut into pieces of these sizes in turn."""
    out, at, n = b"", 0, 0
    while at < len(body):
        size = sizes[n % len(sizes)]
        piece = body[at : at + size]
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        at, n = at + size, n + 1
    return out + b"0\r\n\r\n"
