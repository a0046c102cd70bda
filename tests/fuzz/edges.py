"""Fuzz targets for libnet's edges that take no records: session cookies, the command line,
config.toml and the HTTP framing of a library's server (issue 16, "Fuzzing widened").

The rules, as in tests/fuzz/targets.py (whose TARGETS holds these too):
- web_cookie: whatever the session cookie, the answer is 2xx-4xx with no exception logged,
  and nobody is logged in unless the cookie is, byte for byte as the app reads it, the real one.
- cli_argv: the `libnet` parser ends with a namespace or SystemExit 0 (help) or 2 (usage);
  a read-only command it accepts runs to an exit status, never a traceback.
- config_toml: load_config gives a Config or a ConfigError.
- http_framing: a harvest from a server answering these raw bytes yields records and problems
  or ends with SourceError.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
from pathlib import Path

from flask.sessions import SecureCookieSessionInterface

from harvesters.errors import SourceError
from harvesters.oai_pmh import OaiSource
from harvesters.sru import SruSource
from libnet.cli import build_parser, main
from libnet.config import Config, SourceConfig, load_config
from libnet.errors import ConfigError
from libnet.records.harvested import RawRecord, RecordProblem
from tests.fuzz import world
from tests.peers.oai_faults import identify
from tests.peers.raw_http import RawHttpServer, http_answer

# --------------------------------------------------------------------------- session cookies

COOKIE_KINDS = ("raw", "signed", "flipped")  # the first byte of an input picks one


def web_cookie(data: bytes) -> None:
    """GET /account with a session cookie made from the input (see COOKIE_KINDS):
    - raw: the bytes as the cookie's value, as a WSGI server hands them on (Latin-1);
    - signed: a session signed with the app's own key whose fields are the input's JSON (an
      object) or {"sid": the input's text}: a forged session that passed the signature;
    - flipped: a logged-in patron's real cookie with the input's bytes XORed into it.
    """
    web = world.web()
    kind = COOKIE_KINDS[data[0] % len(COOKIE_KINDS)] if data else "raw"
    body = data[1:]
    real = web.people[world.PERSON["patron"]].session
    signer = SecureCookieSessionInterface().get_signing_serializer(web.app)
    if kind == "raw":
        value = body.decode("latin-1")
    elif kind == "signed":
        value = signer.dumps(_session_fields(body))
    else:
        flipped = bytearray(real.encode())
        for at, byte in enumerate(body):
            flipped[at % len(flipped)] ^= byte
        value = flipped.decode("latin-1")
    with web.app.test_client() as client:
        answer = client.get("/account", environ_base={"HTTP_COOKIE": f"session={value}"})
    try:
        logged = [r.getMessage() for r in web.errors.seen]
        assert answer.status_code < 500 and not logged, (answer.status_code, logged)
        if answer.status_code == 200:  # "Mein Konto": only for the real patron's session
            assert _same_session(signer, value, real), value
    finally:
        web.reset()


def _session_fields(body: bytes) -> dict:
    text = body.decode("utf-8", "replace")
    try:
        fields = json.loads(text)
    except ValueError:
        return {"sid": text}
    return fields if isinstance(fields, dict) else {"sid": fields}


def _same_session(signer, value: str, real: str) -> bool:
    """Whether the app reads value as the real cookie's session (base64 has bits it ignores)."""
    try:
        return signer.loads(value) == signer.loads(real)
    except Exception:
        return False


# --------------------------------------------------------------------------- the command line

# commands that only read the store or the index: run against an empty data directory
READ_ONLY = {("records", "show"), ("records", "stats"), ("runs", None), ("search", None),
             ("clusters", "show"), ("users", "list"), ("notices", "list")}  # fmt: skip
_CONFIG: list[Path] = []
_PARSER: list[argparse.ArgumentParser] = []  # built once: 20 ms, a parse takes 0.1


def cli_argv(data: bytes) -> None:
    """The `libnet` arguments NUL-separated in the input, decoded as the OS hands argv over."""
    argv = [arg.decode("utf-8", "surrogateescape") for arg in data.split(b"\x00")] if data else []
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            if not _PARSER:
                _PARSER.append(build_parser())
            args = _PARSER[0].parse_args(argv)
        except SystemExit as exc:
            assert exc.code in (0, 2), (exc.code, out.getvalue())
            return
        sub = getattr(args, f"{args.command}_command", None)
        if (args.command, sub) not in READ_ONLY or hasattr(args, "config"):
            return  # a command that writes, or a configuration file of the input's choosing
        status = main(["--config", str(_cli_config()), *argv])
    assert status in (0, 1, 2), status


def _cli_config() -> Path:
    if not _CONFIG:
        folder = world.folder()
        (folder / "config.toml").write_text(
            '[storage]\ndata_dir = "var"\n[[libraries]]\ncode = "marl"\nname = "Marl"\n'
            '[libraries.source]\ntype = "marc"\nurl = "marl.mrc"\n'
        )
        _CONFIG.append(folder / "config.toml")
    return _CONFIG[0]


# --------------------------------------------------------------------------- config.toml

_TOML: list[Path] = []


def config_toml(data: bytes) -> None:
    """config.toml with the input's bytes: a Config, or ConfigError naming the problem."""
    if not _TOML:
        _TOML.append(world.folder() / "config.toml")
    _TOML[0].write_bytes(data)
    try:
        config = load_config(_TOML[0], environ={})
    except ConfigError as exc:
        assert str(exc).startswith(str(_TOML[0])), exc
        assert "\n" not in str(exc).rstrip("\n"), exc  # one line, as the command prints it
    else:
        assert isinstance(config, Config)


# --------------------------------------------------------------------------- HTTP framing

_RAW: list[RawHttpServer] = []
_IDENTIFY = http_answer(identify().body)


def http_framing(data: bytes) -> None:
    """A harvest from a server answering the input's raw bytes (after its first byte, whose
    parity picks SRU or OAI-PMH; OAI-PMH's Identify is answered well, so the lie meets
    ListRecords)."""
    if not _RAW:
        world.one_ssl_context()  # OAI-PMH's client would load the CA certificates every time
        _RAW.append(RawHttpServer())
    server = _RAW[0]
    raw = data[1:]
    if data[:1] and data[0] % 2:
        server.answer(lambda line: _IDENTIFY if b"verb=Identify" in line else raw)
        config = SourceConfig("oai", server.url, timeout=2.0, retries=0, max_pages=3)
        source = OaiSource(config)
    else:
        server.answer(raw)
        config = SourceConfig("sru", server.url, timeout=2.0, retries=0, max_pages=3)
        source = SruSource(config)
    try:
        for item in source:
            assert isinstance(item, RawRecord | RecordProblem), item
    except SourceError as exc:
        assert str(exc), "a SourceError says what happened"


TARGETS = {
    "web_cookie": web_cookie,
    "cli_argv": cli_argv,
    "config_toml": config_toml,
    "http_framing": http_framing,
}
