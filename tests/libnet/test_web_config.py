"""[web] and [rate_limits] in config.toml: defaults that protect, and a wrong value named."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from libnet.config import load_config
from libnet.errors import ConfigError
from libnet.web_config import RateLimitsConfig, WebConfig
from tests.libnet.test_config import GOOD, ROOT, write


def test_without_the_tables_proxies_are_not_believed_and_limits_are_on(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert config.web.trusted_proxies == 0
    assert config.rate_limits.enabled and config.rate_limits.storage_url == "memory://"
    assert config.rate_limits.search == "60/minute"


def test_the_tables_are_read(tmp_path: Path) -> None:
    text = GOOD + (
        "\n[web]\ntrusted_proxies = 2\n"
        '\n[rate_limits]\nstorage_url = "redis://127.0.0.1:6379/0"\n'
        'search = "10/second;300/hour"\napi = ""\nstaff_factor = 5\nenabled = false\n'
    )
    config = load_config(write(tmp_path, text))
    assert config.web == WebConfig(trusted_proxies=2)
    assert config.rate_limits == RateLimitsConfig(
        enabled=False, storage_url="redis://127.0.0.1:6379/0", search="10/second;300/hour",
        api="", staff_factor=5,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[web]\ntrusted_proxies = -1", r"web\.trusted_proxies: must not be negative"),
        ("[web]\ntrusted_proxies = true", r"web\.trusted_proxies: expected a whole number"),
        ("[web]\nproxies = 1", r"web\.proxies: unknown key"),
        ('[rate_limits]\nsearch = "many"', r"rate_limits\.search: 'many' is not a limit"),
        ('[rate_limits]\nsru = "0/minute"', r"rate_limits\.sru: '0/minute' is not a limit"),
        ('[rate_limits]\noai = "60/fortnight"', r"rate_limits\.oai: '60/fortnight' is not"),
        ("[rate_limits]\napi = 60", r"rate_limits\.api: expected a string"),
        ('[rate_limits]\nstorage_url = "memcached://x"', r"rate_limits\.storage_url: 'memc"),
        ("[rate_limits]\nstaff_factor = 0", r"rate_limits\.staff_factor: must be 1 or more"),
        ('[rate_limits]\nenabled = "yes"', r"rate_limits\.enabled: expected true or false"),
    ],
)
def test_a_wrong_value_names_its_key(tmp_path: Path, table: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, f"{GOOD}\n{table}\n"))


def test_every_key_is_documented_in_the_shipped_config() -> None:
    text = (ROOT / "config.toml").read_text()
    keys = [f.name for f in fields(WebConfig)] + [f.name for f in fields(RateLimitsConfig)]
    missing = [key for key in keys if not re.search(rf"\b{key}\b", text)]
    missing += [table for table in ("[web]", "[rate_limits]") if table not in text]
    assert not missing, f"config.toml does not mention {missing}"
    shipped = load_config(ROOT / "config.toml", environ={})
    assert shipped.rate_limits == RateLimitsConfig() and shipped.web == WebConfig()
