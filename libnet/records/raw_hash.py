"""The raw hash: what lets a harvest skip a record whose bytes did not change.

Decoding and normalising take nearly all of a harvest's time, and a nightly export is mostly
the records of the night before. So the store keeps, beside each record, a hash of the bytes
the source delivered together with everything else that decides the normalised record: the
library's settings that normalisation reads (its code, id field and holdings profile) and the
normaliser itself (the source of libnet.records and the versions of the libraries it uses).
A record whose raw hash is in the store is the stored record, normalised the same way: it
costs a hash and a lookup. When the normaliser or those settings change, every raw hash
changes with them and the next harvest decodes everything again, so a better mapping still
reaches the index (prepare() then stores the new raw hash even for a record that did not
change).

A record kept with a repaired or left-out field gets no raw hash: it goes through the decoder
every time, so each run reports its repairs as before.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import metadata
from pathlib import Path

from libnet.config import LibraryConfig
from libnet.records.harvested import RawRecord
from libnet.records.holdings import HoldingsProfile

_PACKAGES = ("libnet", "pymarc", "lxml", "python-stdnum")  # itself, and what it calls


def raw_hash(raw: RawRecord, library: LibraryConfig) -> str:
    """The raw hash of a record as delivered, for the library it came from."""
    fingerprint = _library_fingerprint(library.code, library.id_field, library.holdings)
    digest = hashlib.blake2b(fingerprint, digest_size=16)
    digest.update(raw.syntax.encode("ascii"))
    digest.update(b"\0" + raw.context + b"\0")  # a MARCXML record's namespaces and encoding
    digest.update(raw.data)
    return digest.hexdigest()


@cache
def _library_fingerprint(code: str, id_field: str, holdings: HoldingsProfile) -> bytes:
    parts = (normaliser_version(), code, id_field, repr(holdings))
    return hashlib.sha256("\0".join(parts).encode("utf-8")).digest()


@cache
def normaliser_version() -> str:
    """A digest of the code that turns raw records into normalised ones, read once a process."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    sources = [*sorted(here.glob("*.py")), here.parent / "xml_text.py", here.parent / "config.py"]
    for path in sources:
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes())
    for package in _PACKAGES:
        try:
            digest.update(f"{package} {metadata.version(package)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{package} -\0".encode())
    return digest.hexdigest()
