"""A browser's User-Agent header as a person reads it: "Firefox on Windows", "Safari on iPhone".

Shown beside each open session on "Mein Konto", so that a patron recognises their devices.
The header is the browser's own word and may lie; it is only a hint, never a check.
"""

from __future__ import annotations

import re

# the first that matches names it: Edge and Opera say "Chrome" too, Chrome says "Safari"
_BROWSERS = (
    ("Edge", re.compile(r"\bEdg(e|A|iOS)?/")),
    ("Opera", re.compile(r"\b(OPR|Opera)/")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/")),
    ("Firefox", re.compile(r"\b(Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"(Chrome|Chromium|CriOS)/")),  # HeadlessChrome too
    ("Safari", re.compile(r"\bSafari/")),
)
_SYSTEMS = (
    ("Android", re.compile(r"\bAndroid\b")),
    ("iPhone", re.compile(r"\biPhone\b")),
    ("iPad", re.compile(r"\biPad\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("macOS", re.compile(r"\bMac OS X\b|\bMacintosh\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("Linux", re.compile(r"\bLinux\b")),
)
MAX_LABEL = 60


def browser_label(user_agent: str) -> str:
    """Browser and system ("Firefox · Windows"), one of them, or the header shortened."""
    browser = next((name for name, pattern in _BROWSERS if pattern.search(user_agent)), "")
    system = next((name for name, pattern in _SYSTEMS if pattern.search(user_agent)), "")
    if browser and system:
        return f"{browser} · {system}"
    if browser or system:
        return browser or system
    text = " ".join(user_agent.split())
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"
