"""X-Forwarded-For, -Proto and -Host are believed only from [web] trusted_proxies.

Anyone can send these headers. Without a trusted proxy (the default) the client address that
the rate limits and the login throttle see is the socket's, and the addresses the app writes
take the Host header; with `trusted_proxies = 1` (nginx in front) the proxy's values count.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import Flask
from sqlalchemy import select

from libnet.config import Config
from libnet.store.schema import login_throttle
from libnet.web_config import RateLimitsConfig, WebConfig
from tests.webapp.test_loans_api import Served
from tests.webapp.test_login import csrf_token
from webapp import create_app

LIMITS = RateLimitsConfig(complete="2/minute")
ASK = "/api/v1/complete?q=w"  # in the "complete" area, answered without the index
NGINX = "10.0.0.2"  # the proxy in front, as the socket shows it
FORGED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Host": "evil.example",
          "X-Forwarded-Proto": "https"}  # fmt: skip


def app_behind(config: Config, proxies: int) -> Flask:
    return create_app(replace(config, web=WebConfig(proxies), rate_limits=LIMITS), TESTING=True)


def statuses(app: Flask, headers_of_each: list[dict[str, str]]) -> list[int]:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = NGINX
    return [client.get(ASK, headers=headers).status_code for headers in headers_of_each]


def test_without_trusted_proxies_a_forged_address_escapes_no_limit(demo_config: Config) -> None:
    forged = [{"X-Forwarded-For": f"203.0.113.{n}"} for n in range(1, 4)]
    assert statuses(app_behind(demo_config, 0), forged) == [200, 200, 429]


def test_behind_one_trusted_proxy_each_forwarded_client_has_its_own_limit(
    demo_config: Config,
) -> None:
    app = app_behind(demo_config, 1)
    forwarded = [{"X-Forwarded-For": f"203.0.113.{n}"} for n in range(1, 4)]
    assert statuses(app, forwarded) == [200, 200, 200]
    # what the client wrote itself comes first; nginx appends the address it saw, which counts
    appended = [{"X-Forwarded-For": f"192.0.2.{n}, 198.51.100.7"} for n in range(1, 4)]
    assert statuses(app, appended) == [200, 200, 429]


@pytest.mark.parametrize(("proxies", "root"), [(0, "http://localhost/"),
                                                (1, "https://evil.example/")])  # fmt: skip
def test_forwarded_host_and_scheme_reach_the_written_addresses_only_from_a_trusted_proxy(
    demo_config: Config, proxies: int, root: str
) -> None:
    client = app_behind(demo_config, proxies).test_client()
    description = client.get("/opensearch.xml", headers=FORGED).get_data(as_text=True)
    assert f'template="{root}search?q=' in description


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Served:
    return Served(tmp_path_factory.mktemp("proxies"))


@pytest.mark.parametrize("proxies", [0, 1])
def test_the_login_throttle_counts_the_address_only_a_trusted_proxy_may_name(
    network: Served, proxies: int
) -> None:
    config = network.client.application.extensions["libnet"].config
    client = app_behind(config, proxies).test_client()
    proxy, forged = f"10.0.0.{100 + proxies}", f"203.0.113.{100 + proxies}"  # this test's own
    client.environ_base["REMOTE_ADDR"] = proxy
    data = {"login": "D100", "password": "falsch", "library": "datteln",
            "csrf_token": csrf_token(client)}  # fmt: skip
    answer = client.post("/login", data=data, headers={"X-Forwarded-For": forged})
    assert answer.status_code == 401
    with network.engine.connect() as conn:
        keys = set(conn.scalars(select(login_throttle.c.key)))
    assert (f"address:{forged}" in keys) == (proxies == 1)
    assert (f"address:{proxy}" in keys) == (proxies == 0)
