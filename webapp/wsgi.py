"""`libnet serve`: the web catalogue under gunicorn, configured in-process.

gunicorn's BaseApplication takes its settings from `CatalogueServer.load_config`, not from a
command line, and each worker process builds its own application with `create_app(config)`,
so no index, store or file handle is shared across a fork. SIGTERM and Ctrl-C stop gracefully:
the workers stop accepting, finish the requests they are answering (at most GRACEFUL_SECONDS)
and exit; a second Ctrl-C stops at once. Every log line goes to stderr as key=value.
"""

from __future__ import annotations

import signal
import sys
from datetime import timedelta
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.glogging import Logger
from gunicorn.workers.base import Worker

from libnet.config import Config
from libnet.logs import KeyValueFormatter
from webapp import create_app

# Search is CPU-bound Python and each worker holds its own searcher and facet arrays in
# memory: one worker per core of the 2-core county server, not gunicorn's 2 × cores + 1.
DEFAULT_WORKERS = 2
# Threads keep connections alive and let a slow client wait without holding a worker.
DEFAULT_THREADS = 4
GRACEFUL_SECONDS = 10  # a search takes well under a second
READY_MESSAGE = "catalogue served"  # logged once the sockets listen, with url=


def serve(
    config: Config,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    workers: int = DEFAULT_WORKERS,
    threads: int = DEFAULT_THREADS,
) -> None:
    """Serve the catalogue until SIGTERM or Ctrl-C; gunicorn ends with SystemExit."""
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    CatalogueServer(config, bind=bind, workers=workers, threads=threads).run()


class CatalogueServer(BaseApplication):
    """gunicorn's master process for one configuration."""

    def __init__(self, config: Config, *, bind: str, workers: int, threads: int) -> None:
        self.config = config
        self.settings: dict[str, Any] = {
            "bind": [bind],
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "graceful_timeout": GRACEFUL_SECONDS,
            "proc_name": "libnet-serve",
            "logger_class": AccessLog,
            "accesslog": "-",
            "errorlog": "-",
            # gunicorn 25+ opens a control socket at one fixed path per user by default: two
            # catalogues (or a test beside `make demo`) would fight over it
            "control_socket_disable": True,
            "when_ready": _log_ready,
            "post_worker_init": _graceful_ctrl_c,
        }
        super().__init__(prog="libnet serve")

    def load_config(self) -> None:
        for key, value in self.settings.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        # X-Forwarded-* are believed only from [web] trusted_proxies (create_app)
        return create_app(self.config)

    def run(self) -> None:
        _Arbiter(self).run()


class _Arbiter(Arbiter):
    def handle_int(self) -> None:
        """Ctrl-C stops as gracefully as SIGTERM; a second one during the stop is quick."""
        raise StopIteration


def _graceful_ctrl_c(worker: Worker) -> None:
    # a terminal sends Ctrl-C to the workers too; gunicorn's workers would quit mid-request
    signal.signal(signal.SIGINT, worker.handle_exit)


def _log_ready(arbiter: Arbiter) -> None:
    arbiter.log.info(
        READY_MESSAGE,
        extra={
            "url": ",".join(str(listener) for listener in arbiter.LISTENERS),
            "workers": arbiter.num_workers,
            "threads": arbiter.cfg.threads,
        },
    )


class AccessLog(Logger):
    """gunicorn's logger, writing its lines and one line per request to stderr as key=value.

    A request's line has no query string and no client address: what a patron searches for
    is not the log's business.
    """

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(KeyValueFormatter())
                handler.setStream(sys.stderr)  # gunicorn writes its access log to stdout

    def access(self, resp: Any, req: Any, environ: dict, request_time: timedelta) -> None:
        status = str(resp.status).split(None, 1)[0]
        self.access_log.info(
            "request",
            extra={
                "method": environ.get("REQUEST_METHOD", "-"),
                "path": environ.get("PATH_INFO", "-"),
                "status": status,
                "bytes": getattr(resp, "sent", None) or 0,
                "ms": round(request_time.total_seconds() * 1000, 1),
            },
        )
