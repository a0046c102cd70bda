"""How often one client may search, complete, call the API, SRU and OAI-PMH ([rate_limits]).

Flask-Limiter counts each client's requests in fixed windows ("60/minute": at most 60 between
one minute's start and the next), one counter per area of the site (AREAS): the catalogue's
search page and its feeds ("search"), completions ("complete"), the JSON API under /api/v1
("api"), /sru and /oai. A client is an address (the socket's, or the one a trusted proxy names:
[web] trusted_proxies); a logged-in person or a valid API token is counted by account instead,
so patrons behind one library's router do not share a counter with whoever is logged in. Staff
(librarians, administrators) get `staff_factor` times each limit, API tokens `token_factor`.

The counters live in each worker process ("memory://"), or in a Redis that every worker and
every web node share. If Redis cannot be reached, each worker counts on its own until it can
be again: a broken Redis never takes the catalogue down.

A client over its limit gets 429 with Retry-After (the seconds until its window ends): the
catalogue's page "Too many requests", a JSON error under /api/, an SRU answer with diagnostic 2
("System temporarily unavailable", the SRU list has nothing nearer), and for OAI-PMH 503 with
Retry-After, the flow control that the protocol (section 3.1.2.2) tells harvesters to obey.
Logins and registrations have their own, stricter throttle (libnet/accounts/throttle.py).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import partial

from flask import Flask, Response, g, request
from flask_limiter import ApplicationLimit, Limiter, RateLimitExceeded
from limits import parse_many
from limits.errors import ConfigurationError

from libnet.errors import ConfigError
from libnet.web_config import RateLimitsConfig
from webapp.auth import bearer_token, token_account
from webapp.errors import Diagnostic, error_page, json_error
from webapp.sru.server import diagnostic_answer

# endpoints counted apart from their blueprint's area
AREAS = {
    "pages.search": "search",
    "feeds.feed": "search",
    "feeds.suggest": "complete",
    "api.complete": "complete",
    "sru.sru": "sru",
    "oai.endpoint": "oai",
}
API_BLUEPRINTS = ("api", "loans_api")  # everything else of theirs is "api"
STAFF_ROLES = ("librarian", "admin")
# a Redis that hangs must not hang the catalogue: after this long, count in memory instead
REDIS_TIMEOUT = 0.5  # seconds


@dataclass(frozen=True, slots=True)
class Client:
    """Who a request's counters belong to, and how much more than the limits they may ask."""

    key: str  # "address:..." or "account:<id>"
    factor: int


def area_of(endpoint: str | None) -> str | None:
    """The area whose limit counts a request to this endpoint; None: not limited."""
    if not endpoint:
        return None
    if endpoint in AREAS:
        return AREAS[endpoint]
    return "api" if endpoint.partition(".")[0] in API_BLUEPRINTS else None


def install(app: Flask, settings: RateLimitsConfig) -> None:
    """Count requests by client from here on; call once the blueprints are registered.

    The limiter's check runs after the other before-request functions, so it knows who is
    logged in (webapp.auth) and in which language to answer.
    """
    if not settings.enabled:
        return
    redis = not settings.storage_url.startswith("memory://")
    timeouts = {"socket_timeout": REDIS_TIMEOUT, "socket_connect_timeout": REDIS_TIMEOUT}
    limiter = Limiter(
        key_func=lambda: client(settings).key,
        storage_uri=settings.storage_url,
        storage_options=timeouts if redis else {},
        strategy="fixed-window",
        # one limit whose value and counter follow the area of the request
        application_limits=[
            ApplicationLimit(partial(_limit, settings), scope=lambda endpoint: area_of(endpoint))
        ],
        key_prefix="libnet",
        swallow_errors=True,  # a fault of the counting is logged; the request is answered
        in_memory_fallback_enabled=True,
    )
    try:
        limiter.init_app(app)
    except ConfigurationError as exc:
        message = f"[rate_limits] storage_url: {exc} (pip install -e '.[redis]')"
        raise ConfigError(message) from None
    app.register_error_handler(RateLimitExceeded, partial(_too_many, limiter))


def client(settings: RateLimitsConfig) -> Client:
    """This request's client: the logged-in account, a valid API token's, or the address."""
    known = g.get("rate_client")
    if known is None:
        known = g.rate_client = _identify(settings)
    return known


def _identify(settings: RateLimitsConfig) -> Client:
    user = g.get("user")
    factor = 1
    if user is None and bearer_token():
        user = token_account()
        factor = settings.token_factor if user is not None else 1
    if user is None:
        return Client(f"address:{request.remote_addr or '-'}", 1)
    if user.role in STAFF_ROLES:
        factor = max(factor, settings.staff_factor)
    return Client(f"account:{user.id}", factor)


def _limit(settings: RateLimitsConfig) -> str:
    """The limit of this request's area for its client; "" (none) outside the limited areas."""
    area = area_of(request.endpoint)
    text = getattr(settings, area) if area else ""
    factor = client(settings).factor if text else 1
    if factor == 1:
        return text
    return ";".join(
        f"{item.amount * factor}/{item.multiples} {item.GRANULARITY.name}"
        for item in parse_many(text)
    )


def _too_many(limiter: Limiter, error: RateLimitExceeded) -> tuple[Response | str, int, dict]:
    """429 with Retry-After, in the language of the part of the site that was asked."""
    breached = limiter.current_limit
    reset_at = breached.reset_at if breached is not None else time.time() + 60
    wait = max(1, math.ceil(reset_at - time.time()))
    headers = {"Retry-After": str(wait), "Cache-Control": "no-store"}
    area = area_of(request.endpoint)
    if area == "sru":
        detail = f"too many requests from this client: try again in {wait} seconds"
        return diagnostic_answer(Diagnostic(2, detail)), 429, headers
    if area == "oai":
        # OAI-PMH 2.0, 3.1.2.2: 503 with Retry-After, and harvesters wait that long
        text = f"Too many requests from this client: try again in {wait} seconds.\n"
        return Response(text, content_type="text/plain; charset=utf-8"), 503, headers
    if request.path.startswith("/api/"):
        detail = f"too many requests from this client ({error.description}): try again in {wait} s"
        return json_error(429, "Too Many Requests", detail), 429, headers
    return error_page(None, 429, retry_after=wait), 429, headers
