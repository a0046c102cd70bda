"""Seeds, dictionary words and hypothesis strategies for the targets of tests/fuzz/edges.py.

tests/fuzz/seeds.py and tests/fuzz/strategies.py take them into SEEDS, WORDS and STRUCTURED.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from hypothesis import strategies as st

from tests.peers.http_faults import marcxml_record, sru_page
from tests.peers.oai_faults import list_records, marc_record
from tests.peers.raw_http import chunked

ROOT = Path(__file__).resolve().parents[2]

# --------------------------------------------------------------------------- session cookies

RAW, SIGNED, FLIPPED = b"\x00", b"\x01", b"\x02"  # edges.COOKIE_KINDS by first byte
COOKIE_SEEDS = (
    RAW,
    RAW + b"eyJzaWQiOiJ4In0.Zz1aBw.c2lnbmF0dXJl",
    RAW + b".eJwrzs8rSS0uAQAKXgMI.Zz1aBw.AAAA",  # "." first: zlib-compressed, claims Flask
    RAW + b'"quoted;value"; other=1',
    SIGNED + b'{"sid": "a-token-nobody-was-given"}',
    SIGNED + b'{"sid": 12345}',
    SIGNED + b'{"sid": ["a", "b"], "_permanent": "yes"}',
    SIGNED + b'{"sid": null, "csrf_token": {"x": 1}}',
    SIGNED + b'{"_fresh": true, "_user_id": "1", "language": "xx"}',
    FLIPPED,  # the real cookie: the one input that may log in
    FLIPPED + b"\x00" * 40 + b"\x01",
    FLIPPED + b"\x20" * 8,
)
COOKIE_WORDS = (
    ".", "eyJ", ".eJw", '{"sid":', '"csrf_token":', '"_permanent":', '" t":', '" d"', '" b"',
    '" m"', "null", "true", "[]", ";", "=", '"', "\\", "%00",
)  # fmt: skip


@st.composite
def cookies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from((RAW, SIGNED, FLIPPED)))
    if kind == SIGNED:
        value = draw(
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.text(max_size=40),
                lambda inner: (
                    st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=3)
                ),
                max_leaves=6,
            )
        )
        names = st.sampled_from(("sid", "csrf_token", "_permanent", "_fresh", " t", "language"))
        fields = draw(st.dictionaries(names, st.just(value), min_size=1, max_size=3))
        return kind + json.dumps(fields).encode()
    return kind + draw(st.binary(max_size=120))


# --------------------------------------------------------------------------- the command line

_NUL = b"\x00"
_ARGVS = (
    ["runs"], ["runs", "marl", "--limit", "3", "--json"], ["runs", "--rejects", "abc"],
    ["runs", "--limit", "-5"], ["search", "welt", "--json", "--library", "marl"],
    ["search", "--page", "0", "x"], ["search", "--sort", "nonsense", "x"],
    ["search", "title:", "--held-by", "herten", "--format", "book"],
    ["records", "show", "marl", "300002", "--marcxml"], ["records", "stats", "--json"],
    ["clusters", "show", "marl:1"], ["clusters", "show", "12", "--json"],
    ["clusters", "show", ":"], ["users", "list", "--library", "marl", "--json"],
    ["notices", "list", "--unsent"], ["serve", "--port", "70000"], ["serve", "--workers", "0"],
    ["--help"], ["search", "--help"], ["harvest", "--full", "marl"], ["backup"],
    ["clusters", "split", "a", "b:c"], ["users", "add", "--role", "patron"], [],
)  # fmt: skip
ARGV_SEEDS = (
    *(_NUL.join(arg.encode() for arg in argv) for argv in _ARGVS),
    b"search\x00\xff\xfe\x00--json",  # not UTF-8, as a shell may pass it
    b"runs\x00--limit\x00\xd9\xa3",  # an Arabic-Indic digit
)
ARGV_WORDS = (
    "\x00", "runs", "search", "records", "show", "stats", "clusters", "users", "list", "notices",
    "serve", "harvest", "index", "nightly", "backup", "restore", "demo-data", "loans", "timers",
    "split", "join", "update", "--json", "--marc", "--marcxml", "--limit", "--rejects", "--page",
    "--sort", "--library", "--held-by", "--home", "--format", "--port", "--workers", "--threads",
    "--full", "--force", "--unsent", "--config", "--help", "-h", "--", "marl:", "300002", "-1", "²",
    "relevance", "year_desc",
)  # fmt: skip
argvs = st.lists(
    st.sampled_from(ARGV_WORDS[1:]) | st.text(max_size=12).filter(lambda a: "\x00" not in a),
    max_size=6,
).map(lambda args: _NUL.join(a.encode("utf-8", "surrogatepass") for a in args))


# --------------------------------------------------------------------------- config.toml

_LIBRARY = (
    '[[libraries]]\ncode = "marl"\nname = "Stadtbibliothek Marl"\n'
    '[libraries.source]\ntype = "sru"\nurl = "http://127.0.0.1:1/sru"\n'
)
TOML_SEEDS = (
    (ROOT / "config.toml").read_bytes(),
    b'[storage]\ndata_dir = "var"\n' + _LIBRARY.encode(),
    b"[storage]\ndata_dir = 7\n",
    b'[[libraries]]\ncode = ""\n[libraries.source]\ntype = "marc"\n',
    (_LIBRARY + _LIBRARY).encode(),
    b'[mail]\nhost = "127.0.0.1"\nport = 99999\noperators = "a@b"\n',
    b"[sessions]\nidle_hours = -1\nmax_hours = nan\n",
    b'[nightly]\nmax_age_hours = inf\nharvest_here = "yes"\n',
    b"storage = 1\nlibraries = {}\n",
    b'[storage]\ndata_dir = "\\u0000"\n',
    b"\xef\xbb\xbf[storage]\n",
)
TOML_WORDS = (
    "[storage]", "[[libraries]]", "[libraries.source]", "[libraries.patrons]", "[mail]", "[web]",
    "[nightly]", "[sessions]", "data_dir", "database_url", "code", "name", "isil", "holdings",
    "type", "url", "timeout", "retries", "page_size", "max_pages", "host", "port", "operators",
    "site_url", " = ", '"', "'", '"""', "'''", "\n", "true", "false", "nan", "inf", "-0", "1e400",
    "1979-05-27T07:32:00Z", "{}", "[]", "sru", "oai", "marc", "koha", "de924", "\\u", "#",
)  # fmt: skip
_KEY = st.sampled_from(("code", "name", "type", "url", "data_dir", "port", "host", "timeout",
                        "retries", "harvest_here", "max_hours", "operators", "x"))  # fmt: skip
_VALUE = st.sampled_from(('""', '"marl"', "0", "-1", "1e400", "nan", "true", "[]", "{}",
                          '"http://127.0.0.1:1/"', "2024-01-01", '"\\u00e4"'))  # fmt: skip
_TABLE = st.sampled_from(("[storage]", "[[libraries]]", "[libraries.source]", "[mail]", "[web]",
                          "[nightly]", "[sessions]", ""))  # fmt: skip
tomls = st.lists(st.tuples(_TABLE, st.lists(st.tuples(_KEY, _VALUE), max_size=4)), max_size=5).map(
    lambda tables: "\n".join(
        t + "\n" + "".join(f"{k} = {v}\n" for k, v in pairs) for t, pairs in tables
    ).encode()
)


# --------------------------------------------------------------------------- HTTP framing

SRU_KIND, OAI_KIND = b"\x00", b"\x01"  # edges.http_framing by the first byte's parity
_SRU_BODY = sru_page([marcxml_record("s1"), marcxml_record("s2", "Über & unter")], 2)
_OAI_BODY = list_records(marc_record("oai:x:1", "Erster")).body
_XML = b"Content-Type: text/xml; charset=utf-8\r\n"


def _framings(body: bytes) -> tuple[bytes, ...]:
    n = len(body)
    return (
        b"HTTP/1.1 200 OK\r\n" + _XML + f"Content-Length: {n}\r\n\r\n".encode() + body,
        b"HTTP/1.1 200 OK\r\n" + _XML + b"Transfer-Encoding: chunked\r\n\r\n" + chunked(body),
        b"HTTP/1.1 200 OK\r\n" + _XML + f"Content-Length: {n * 2}\r\n\r\n".encode() + body,
        b"HTTP/1.1 200 OK\r\n" + _XML + f"Content-Length: {n // 2}\r\n\r\n".encode() + body,
        b"HTTP/1.1 200 OK\r\n"
        + _XML
        + b"Transfer-Encoding: chunked\r\n\r\n"
        + chunked(body)[:-5],  # no last chunk
        b"HTTP/1.1 200 OK\r\n" + _XML + b"Transfer-Encoding: chunked\r\n\r\nfff\r\n" + body,
        b"HTTP/1.1 200 OK\r\n" + _XML + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n" + body,
        b"HTTP/1.1 200 OK\r\n" + _XML + b"Content-Length: 5\r\nContent-Length: 7\r\n\r\n" + body,
        b"HTTP/1.1 200 OK\r\n"
        + _XML
        + f"Content-Length: {n}\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        + chunked(body),
        b"HTTP/1.1 200 OK\r\n" + _XML + b"Content-Length: -1\r\n\r\n" + body,
        b"HTTP/1.1 200 OK\r\n" + _XML + b"Content-Length: 99999999999999999999\r\n\r\n" + body,
        b"HTTP/1.1 200 OK\r\n" + _XML + b"Content-Encoding: gzip\r\n\r\n" + body,
        b"HTTP/1.1 200 OK\r\n"
        + _XML
        + b"Content-Encoding: gzip\r\n\r\n"
        + gzip.compress(body)[:-9],  # cut off before its checksum
        b"HTTP/1.0 200 OK\r\n" + _XML + b"\r\n" + body,  # ends when the connection does
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n" + _XML + b"\r\n" + body,
        b"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n" + body,
        b"ICY 200 OK\r\n\r\n" + body,
        b"HTTP/1.1 200 OK\r\n" + _XML + b" folded: header\r\nno colon here\r\n\r\n" + body,
        b"HTTP/1.1 200 OK\r\n" + _XML + b"X-Long: " + b"a" * 70000 + b"\r\n\r\n" + body,
        b"HTTP/1.1 200 OK\r\n" + _XML,  # the head never ends
        b"",
    )


HTTP_SEEDS = tuple(SRU_KIND + f for f in _framings(_SRU_BODY)) + tuple(
    OAI_KIND + f for f in _framings(_OAI_BODY)
)
HTTP_WORDS = (
    "HTTP/1.1 ", "HTTP/1.0 ", " 200 OK", "\r\n", "\r\n\r\n", "Content-Length: ",
    "Transfer-Encoding: chunked", "Transfer-Encoding: gzip, chunked", "Content-Encoding: gzip",
    "Content-Encoding: deflate", "Connection: close", "Connection: keep-alive", "Location: ",
    "Retry-After: ", "0\r\n\r\n", "ffffffffffffffff", "-1", ";ext=1", "Content-Type: text/html",
)  # fmt: skip


@st.composite
def framings(draw: st.DrawFn) -> bytes:
    """A status line, headers and a body whose framing may lie in the ways servers do."""
    kind = draw(st.sampled_from((SRU_KIND, OAI_KIND)))
    body = _SRU_BODY if kind == SRU_KIND else _OAI_BODY
    body = body[: draw(st.integers(0, len(body)))] if draw(st.booleans()) else body
    status = draw(st.sampled_from((b"HTTP/1.1 200 OK", b"HTTP/1.0 200 OK", b"HTTP/1.1 204 No",
                                   b"HTTP/1.1 304 Not", b"HTTP/1.1 500 Boom", b"HTTP/1.1 2xx ?",
                                   b"HTTP/2 200", b"HTTP/1.1 200")))  # fmt: skip
    head = [status, b"Content-Type: text/xml"]
    framing = draw(st.sampled_from(("length", "chunked", "none", "both")))
    lie = draw(st.integers(-3, 3) | st.just(10**6))
    if framing in ("length", "both"):
        head.append(f"Content-Length: {max(len(body) + lie, 0)}".encode())
    if framing in ("chunked", "both"):
        head.append(b"Transfer-Encoding: chunked")
        sizes = tuple(draw(st.lists(st.integers(1, 200), min_size=1, max_size=3)))
        body = chunked(body, sizes)
        if draw(st.booleans()):  # a chunk size that lies
            at = draw(st.integers(0, max(len(body) - 1, 0)))
            body = (
                body[:at] + draw(st.sampled_from((b"ff\r\n", b"0\r\n", b"x\r\n", b""))) + body[at:]
            )
    head += draw(st.lists(st.sampled_from((b"Content-Encoding: gzip", b"Connection: close",
                                           b"Connection: keep-alive", b"Retry-After: 0",
                                           b"Location: /elsewhere", b"X: \x00\x7f")),
                          max_size=2))  # fmt: skip
    return kind + b"\r\n".join(head) + b"\r\n\r\n" + body


EDGE_SEEDS = {
    "web_cookie": COOKIE_SEEDS,
    "cli_argv": ARGV_SEEDS,
    "config_toml": TOML_SEEDS,
    "http_framing": HTTP_SEEDS,
}
EDGE_WORDS = {
    "web_cookie": COOKIE_WORDS,
    "cli_argv": ARGV_WORDS,
    "config_toml": TOML_WORDS,
    "http_framing": HTTP_WORDS,
}
EDGE_STRUCTURED = {
    "web_cookie": cookies(),
    "cli_argv": argvs,
    "config_toml": tomls,
    "http_framing": framings(),
}
