"""`libnet serve`: the web catalogue under gunicorn."""

from __future__ import annotations

import argparse
import errno
import socket
import sys

from libnet.cli.console import EXIT_FAILED, EXIT_OK
from libnet.config import Config


def port(text: str) -> int:
    """A TCP port number, 0 for any free one (an argparse type)."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)")
    return int(text)


def at_least_one(text: str) -> int:
    """A whole number of at least 1 (an argparse type)."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def cmd_serve(config: Config, args: argparse.Namespace) -> int:
    """Run the web catalogue until SIGTERM or Ctrl-C; gunicorn ends the process itself."""
    from webapp.wsgi import serve

    problem = listen_problem(args.host, args.port)
    if problem:
        print(f"libnet: {problem}", file=sys.stderr)
        return EXIT_FAILED
    serve(config, host=args.host, port=args.port, workers=args.workers, threads=args.threads)
    return EXIT_OK


def listen_problem(host: str, port: int) -> str:
    """Why the catalogue cannot listen on host:port, in one line, or "" when it can.

    Asked before gunicorn starts: gunicorn would try a taken port five times, a second apart,
    and then stop with a log of retries. Bound as gunicorn binds (SO_REUSEADDR, so a port
    whose last connections still linger after a restart counts as free), then let go.
    """
    if port == 0:
        return ""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM
        )[0]
    except socket.gaierror as exc:
        return f"cannot listen on {host}: {exc.strerror}"
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"port {port} on {host} is taken: choose another with make demo PORT=... "
                    f"or libnet serve --port ..."
                )
            return f"cannot listen on port {port} on {host}: {exc.strerror}"
    return ""
