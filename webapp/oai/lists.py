"""A list request (ListIdentifiers, ListRecords): the clusters it selects, and how far it got.

Resumption tokens are stateless: base64url of a JSON object (verb, the list's arguments, the
change number of the last cluster sent, cursor and completeListSize), a dot, and a checksum,
so a mangled token is refused instead of read. They do not expire.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, timedelta

from libnet.store.published import Selection
from webapp.errors import OaiError
from webapp.oai.records import check_format
from webapp.state import catalogue

GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
_SET_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*")
_DAY = re.compile(r"\d{4}-\d\d-\d\d")
_SECOND = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
_TOKEN_KEY = b"libnet oai-pmh resumption token"  # a checksum against mangling, not a secret


@dataclass(frozen=True, slots=True)
class ListState:
    """A list request and how far it got: what a resumption token carries."""

    verb: str
    prefix: str
    start: str | None  # from, as the harvester wrote it
    end: str | None  # until
    library: str | None  # set
    after: int = 0  # the change number of the last cluster sent
    cursor: int = 0  # clusters sent before this page
    size: int | None = None  # completeListSize, counted for the first page


def selected(state: ListState) -> Selection:
    """The clusters a list holds: from and until inclusive, at either granularity."""
    since = before = None
    if state.start is not None:
        since, start_by_day = _moment(state.start, "from")
    if state.end is not None:
        until, end_by_day = _moment(state.end, "until")
        if state.start is not None and start_by_day != end_by_day:
            raise OaiError("badArgument", "from and until must have the same granularity")
        if since is not None and since > until:
            raise OaiError("badArgument", "from is later than until")
        try:
            before = until + (timedelta(days=1) if end_by_day else timedelta(seconds=1))
        except OverflowError:
            before = None  # until 9999-12-31: the end of time
    if state.library is not None:
        if not _SET_SPEC.fullmatch(state.library):
            raise OaiError("badArgument", f"set {state.library!r} is not a setSpec")
        if state.library not in {library.code for library in catalogue().libraries}:
            raise OaiError("noRecordsMatch", f"there is no set {state.library!r}; see ListSets")
    return Selection(since, before, state.library)


def _moment(text: str, name: str) -> tuple[datetime, bool]:
    """A UTC datestamp of either granularity, and whether it names a whole day."""
    try:
        if _DAY.fullmatch(text):
            return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC), True
        if _SECOND.fullmatch(text):
            return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC), False
    except ValueError:
        pass  # digits in the right places, but no such day or time
    raise OaiError("badArgument", f"{name} {text!r} is neither YYYY-MM-DD nor {GRANULARITY}")


def write_token(state: ListState) -> str:
    payload = json.dumps(asdict(state), separators=(",", ":"), sort_keys=True).encode()
    return f"{base64.urlsafe_b64encode(payload).decode().rstrip('=')}.{_checksum(payload)}"


def read_token(token: str, verb: str) -> ListState:
    """The state a token of ours carries; badResumptionToken for anything else."""
    bad = OaiError("badResumptionToken", f"not a resumption token of this list: {token!r}")
    body, _, check = token.partition(".")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        data = json.loads(payload)
    except (binascii.Error, ValueError):
        raise bad from None
    if not hmac.compare_digest(check, _checksum(payload)) or not _well_formed(data):
        raise bad
    state = ListState(**data)
    if state.verb != verb:
        raise bad
    try:
        check_format(state.prefix)
        selected(state)
    except OaiError:
        raise bad from None
    return state


def _well_formed(data: object) -> bool:
    if not isinstance(data, dict) or set(data) != {f.name for f in fields(ListState)}:
        return False
    texts = all(isinstance(data[k], str) for k in ("verb", "prefix"))
    optional = all(data[k] is None or isinstance(data[k], str) for k in ("start", "end", "library"))
    counts = all(type(data[k]) is int and data[k] >= 0 for k in ("after", "cursor"))
    size = data["size"] is None or (type(data["size"]) is int and data["size"] > 0)
    return texts and optional and counts and size


def _checksum(payload: bytes) -> str:
    return hashlib.blake2b(payload, digest_size=8, key=_TOKEN_KEY).hexdigest()
