"""`libnet serve`: the web catalogue under gunicorn."""

from __future__ import annotations

import argparse

from libnet.cli.console import EXIT_OK
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

    serve(config, host=args.host, port=args.port, workers=args.workers, threads=args.threads)
    return EXIT_OK
