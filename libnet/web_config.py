"""[web] and [rate_limits]: who the web app believes and how often one client may ask.

    [web]
    trusted_proxies = 1                # nginx in front: believe its X-Forwarded-* headers

    [rate_limits]
    search = "60/minute"               # catalogue searches and feeds, per client
    storage_url = "redis://127.0.0.1:6379/0"   # several web nodes count together

config.toml's comments describe each key; webapp.rate_limits enforces the limits.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from limits import parse_many

# where the counters live: in each worker process, or in a Redis that several share
STORAGE_SCHEMES = ("memory://", "redis://", "rediss://", "redis+unix://")
LIMITED = ("search", "complete", "api", "sru", "oai")  # what each limit is named in the file


@dataclass(frozen=True, slots=True)
class WebConfig:
    """[web]: the web app's place in the network."""

    # proxies in front of libnet serve whose X-Forwarded-For, -Proto and -Host are believed;
    # 0: none, the client address is the socket's and the host the Host header's
    trusted_proxies: int = 0


@dataclass(frozen=True, slots=True)
class RateLimitsConfig:
    """[rate_limits]: requests one client may send, per area of the site.

    A limit is written as Flask-Limiter (the `limits` package) reads it: "60/minute",
    "10/second;300/hour"; "" means no limit for that area.
    """

    enabled: bool = True
    storage_url: str = "memory://"
    search: str = "60/minute"  # the search page and the Atom feed of a search
    complete: str = "300/minute"  # completions while typing: one request a keystroke
    api: str = "120/minute"  # the JSON API under /api/v1, completions aside
    sru: str = "60/minute"
    oai: str = "60/minute"  # a page of 100 records each
    staff_factor: int = 10  # a logged-in librarian or administrator may ask this much more
    token_factor: int = 10  # a request with a valid API token (`libnet users token`) too


def read_web(reader: Any, raw: dict[str, Any]) -> WebConfig:
    reader.unknown(raw, {f.name for f in fields(WebConfig)}, "web")
    proxies = reader.value(raw, "trusted_proxies", int, "web", default=0)
    if proxies < 0:
        raise reader.fail("web.trusted_proxies", "must not be negative")
    return WebConfig(proxies)


def read_rate_limits(reader: Any, raw: dict[str, Any]) -> RateLimitsConfig:
    spec = {f.name: f for f in fields(RateLimitsConfig)}
    reader.unknown(raw, set(spec), "rate_limits")
    kinds = {"bool": bool, "int": int}
    values = {
        name: reader.value(raw, name, kinds.get(str(f.type), str), "rate_limits")
        for name, f in spec.items()
        if name in raw
    }
    settings = RateLimitsConfig(**values)
    if not settings.storage_url.startswith(STORAGE_SCHEMES):
        raise reader.fail(
            "rate_limits.storage_url",
            f"{settings.storage_url!r} is not one of {', '.join(STORAGE_SCHEMES)}...",
        )
    for name in LIMITED:
        text = getattr(settings, name)
        try:
            items = parse_many(text) if text else []
        except ValueError:
            items = [None]
        if not all(item and item.amount > 0 for item in items):
            raise reader.fail(f"rate_limits.{name}", f'{text!r} is not a limit like "60/minute"')
    for name in ("staff_factor", "token_factor"):
        if getattr(settings, name) < 1:
            raise reader.fail(f"rate_limits.{name}", "must be 1 or more")
    return settings
