"""prepare(): one harvested record decoded, identified and normalised, ready for the store.

A harvester hands over RawRecords; prepare() turns each into a Prepared (or a RecordProblem)
that the record store writes. It needs nothing but the record and its library's settings, so
a harvest runs it in worker processes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace

from libnet.config import LibraryConfig
from libnet.errors import RecordError
from libnet.records.bib import normalise
from libnet.records.harvested import FieldRepair, RawRecord, RecordProblem, excerpt
from libnet.records.identifiers import record_id
from libnet.records.marc import decode
from libnet.records.overlap_keys import NO_KEYS, OverlapKeys, overlap_keys
from libnet.records.raw_hash import raw_hash


@dataclass(frozen=True, slots=True)
class Prepared:
    """One harvested record, decoded and normalised, ready to be stored."""

    local_id: str
    source_id: str
    syntax: str
    raw: bytes
    content_hash: str
    fields: str  # BibRecord.to_dict() as JSON
    deleted: bool = False  # the source deleted it (leader/05 'd' or an OAI-PMH deleted header)
    # malformed fields repaired or left out on the way in, each naming the record
    repairs: tuple[FieldRepair, ...] = ()
    keys: OverlapKeys = NO_KEYS  # for the holdings-overlap report
    # the hash of the bytes as delivered (libnet.records.raw_hash); "" when the next harvest
    # must decode the record again all the same (a deletion, a record with repairs)
    raw_hash: str = ""


@dataclass(frozen=True, slots=True)
class Unchanged:
    """A record whose raw hash the store already holds: the stored record, not decoded again."""

    local_id: str
    raw_hash: str
    source_id: str = ""  # the source's own identifier, as in Prepared


def prepare(raw: RawRecord, library: LibraryConfig) -> Prepared | RecordProblem:
    """Decode, identify and normalise one harvested record for the store."""
    if raw.deleted and not raw.data:  # an OAI-PMH deletion: a header, no record
        return Prepared("", raw.source_id, raw.syntax, b"", "", "", deleted=True)
    delivered = raw_hash(raw, library)  # of the bytes as delivered: decode() may rewrite them
    decoded = decode(raw)
    if isinstance(decoded, RecordProblem):
        return decoded
    raw = decoded
    assert raw.record is not None
    local_id = record_id(raw.record, library.id_field) or ""
    if not local_id:
        reason = f"no record id in {library.id_field}"
        if raw.repairs:  # the id field itself may have been the one left out
            reason += " (" + "; ".join(str(r) for r in raw.repairs) + ")"
        return RecordProblem(raw.position, reason, "", excerpt(raw.data))
    if raw.deleted or str(raw.record.leader)[5:6] == "d":
        return Prepared(local_id, raw.source_id, raw.syntax, b"", "", "", deleted=True)
    try:
        bib = normalise(raw.record, library.code, library.holdings, library.id_field)
    except RecordError as exc:
        return RecordProblem(raw.position, str(exc), local_id, excerpt(raw.data))
    fields = json.dumps(bib.to_dict(), ensure_ascii=False, separators=(",", ":"))
    # raw record and normalised view together: a better mapping also counts as a change,
    # so the next harvest carries it to the index
    digest = hashlib.sha256(raw.data + b"\0" + fields.encode("utf-8")).hexdigest()
    repairs = tuple(replace(r, position=raw.position, local_id=local_id) for r in raw.repairs)
    return Prepared(
        local_id, raw.source_id, raw.syntax, raw.data, digest, fields, repairs=repairs,
        keys=overlap_keys(bib), raw_hash="" if repairs else delivered,
    )  # fmt: skip
