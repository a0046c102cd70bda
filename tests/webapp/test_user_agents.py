"""The browser of an open session, as "Mein Konto" names it."""

from __future__ import annotations

import pytest

from webapp.user_agents import MAX_LABEL, browser_label

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHROME_ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like "
                  "Gecko) Chrome/131.0.0.0 Mobile Safari/537.36")  # fmt: skip
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1")  # fmt: skip
EDGE_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0")  # fmt: skip
HEADLESS = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "HeadlessChrome/131.0.0.0 Safari/537.36")  # fmt: skip


@pytest.mark.parametrize(
    ("header", "label"),
    [(FIREFOX_WINDOWS, "Firefox · Windows"), (CHROME_ANDROID, "Chrome · Android"),
     (SAFARI_IPHONE, "Safari · iPhone"), (EDGE_WINDOWS, "Edge · Windows"),
     (HEADLESS, "Chrome · Linux"), ("curl/8.5.0", "curl/8.5.0"), ("", "")],
)  # fmt: skip
def test_a_browser_is_named_with_its_system(header: str, label: str) -> None:
    assert browser_label(header) == label


def test_an_unknown_long_header_is_shortened() -> None:
    label = browser_label("x" * 300)
    assert len(label) == MAX_LABEL and label.endswith("…")
