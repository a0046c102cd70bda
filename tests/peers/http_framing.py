"""A server on 127.0.0.1 that answers in raw bytes: HTTP framing as a test writes it, lies included.

werkzeug and http.server frame their answers correctly; a library's server behind a broken
proxy does not. Here the test writes the status line, the headers and the body byte for byte
(a Content-Length that lies, chunks that lie), and the server closes the connection after it.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class RawHttpServer:
    """Answers every request with `answers[n]` (the last one again for later requests)."""

    def __init__(self, *answers: bytes) -> None:
        self.answers = answers
        self.requests = 0
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/sru"

    def __enter__(self) -> RawHttpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._thread.join()
        self._sock.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            with conn, contextlib.suppress(OSError):
                conn.settimeout(2)
                request = b""
                while b"\r\n\r\n" not in request:
                    piece = conn.recv(4096)
                    if not piece:
                        break
                    request += piece
                answer = self.answers[min(self.requests, len(self.answers) - 1)]
                self.requests += 1
                conn.sendall(answer)
                conn.shutdown(socket.SHUT_WR)  # the connection ends with the bytes written
