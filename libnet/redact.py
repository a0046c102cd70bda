"""Secrets out of everything libnet prints: the one rule for hiding credentials in URLs.

A library's source URL may carry a password (`https://harvest:geheim@opac.example/sru`) or a
key in its query (`?apikey=...`, `&X-Amz-Signature=...`). Error messages, `libnet runs`, the
nightly report and its mail, the log and /staff/operations show URLs so an operator knows
which source failed; they show them through this module, which keeps what identifies the
source (scheme, user name, host, port, path, the other parameters) and puts `***` where a
secret was:

    >>> redact_url("https://harvest:geheim@opac.example/sru?db=marl&apikey=abc123")
    'https://harvest:***@opac.example/sru?db=marl&apikey=***'

`redact_text` does the same to every URL and query parameter inside a free text (an
exception's message names the URL in its own ways, such as urllib3's "url: /sru?apikey=..."),
and to known secrets wherever they appear. A user info without a password is hidden whole:
a lone name before the @ is often a token (`https://TOKEN@host/`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus, unquote, unquote_plus, urlsplit

MASK = "***"
_PCHAR = "!$&'()*+,;=:@~"  # what a URL's path and user info may hold unencoded
SHORTEST_SECRET = 4  # a known secret this short is not searched for in free text: it would
# mask ordinary words ("marl"); inside a URL it is hidden all the same, by its place

# query parameter names are split into words ("X-Amz-Signature", "apiKey", "access_token");
# a name is secret when one of its words is one of these, or ends in one of SECRET_ENDINGS
# ("apikey", "privatetoken", "jsessionid")
SECRET_WORDS = frozenset({
    "auth", "authorization", "credential", "credentials", "key", "pass",
    "passphrase", "passwd", "password", "pw", "pwd", "secret", "session", "sessid", "sid",
    "sig", "signature", "token",
})  # fmt: skip
SECRET_ENDINGS = (
    "key", "token", "password", "passwd", "pwd", "secret", "signature", "sessionid", "sessid",
    "credential", "credentials",
)  # fmt: skip

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
# scheme://netloc, the netloc up to the path, query, fragment or the end of the URL in a text
_AUTHORITY = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<netloc>[^\s/?#\"'<>]*)")
# name=value after ? & ; or # (query, matrix parameters like ;jsessionid=, OAuth fragments)
# (a value ends before punctuation that ends the sentence around it: "...?key=abc: refused")
_PARAMETER = re.compile(
    r"(?P<lead>[?&;#])(?P<name>[^\s=&;#?\"'<>]+)="
    r"(?P<value>[^\s&;#?\"'<>]*?)(?=[.,:;!)]*(?:[\s&;#?\"'<>]|$))"
)


def is_secret_name(name: str) -> bool:
    """Whether a query parameter named `name` (in any case or spelling) holds a secret."""
    name = unquote_plus(name)
    words = [w.lower() for w in _WORD.findall(name)]
    squeezed = "".join(words)
    return any(w in SECRET_WORDS or w.endswith(SECRET_ENDINGS) for w in words) or (
        squeezed.endswith(SECRET_ENDINGS)
    )


def redact_url(url: str) -> str:
    """The URL with its password (or a user info without one) and secret parameters as ***."""
    return redact_text(url)


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every URL in it redacted as redact_url does, and each of `secrets` as ***.

    The secrets are also found percent-encoded; those shorter than SHORTEST_SECRET are not
    searched for (they are still hidden inside URLs).
    """
    text = _AUTHORITY.sub(_hide_user_info, text)
    text = _PARAMETER.sub(_hide_parameter, text)
    for secret in sorted(_spellings(secrets), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def redact_json(value: Any) -> Any:
    """Every string in a JSON-like structure (dicts, lists) redacted as redact_text does."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {key: redact_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_json(item) for item in value]
    return value


def url_secrets(url: str) -> tuple[str, ...]:
    """The secrets a URL carries (its password, its secret parameters' values), as written."""
    found = []
    netloc = urlsplit(url).netloc
    if "@" in netloc:
        user_info = netloc.rpartition("@")[0]
        user, colon, password = user_info.partition(":")
        found.append(password if colon else user)
    for match in _PARAMETER.finditer(url):
        if is_secret_name(match["name"]) and match["value"]:
            found.append(match["value"])
    return tuple(s for s in found if s)


def _hide_user_info(match: re.Match[str]) -> str:
    netloc = match["netloc"]
    if "@" not in netloc:
        return match[0]
    user_info, _, host = netloc.rpartition("@")  # a password may hold an unencoded @
    user, colon, _password = user_info.partition(":")
    shown = f"{user}:{MASK}" if colon and user else MASK
    return f"{match['scheme']}{shown}@{host}"


def _hide_parameter(match: re.Match[str]) -> str:
    if not is_secret_name(match["name"]):
        return match[0]
    return f"{match['lead']}{match['name']}={MASK}"


def _spellings(secrets: Iterable[str]) -> set[str]:
    """Each secret as written, decoded and encoded, the way messages may quote it."""
    found = set()
    for secret in secrets:
        for form in (secret, unquote(secret), unquote_plus(secret)):
            found |= {form, quote(form, safe=""), quote(form, safe=_PCHAR), quote_plus(form)}
    return {s for s in found if len(s) >= SHORTEST_SECRET and s != MASK}
