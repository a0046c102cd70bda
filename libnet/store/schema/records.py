"""The harvested records and the runs that brought them: one row a library's record as it came,
what a harvest refused or repaired, and the nightly runs."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from libnet.store.schema.base import metadata

# One row a harvest of one library. outcome: running, ok, failed, refused, interrupted.
harvest_runs = Table(
    "harvest_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("library", String(40), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("outcome", String(20), nullable=False),
    Column("full", Boolean, nullable=False, default=False),
    Column("added", Integer, nullable=False, default=0),
    Column("changed", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("deleted", Integer, nullable=False, default=0),
    Column("rejected", Integer, nullable=False, default=0),
    Column("error", Text),
    # records kept with a malformed field repaired or left out (the repairs table says which)
    Column("repaired", Integer, nullable=False, default=0, server_default="0"),
    # where the next incremental harvest starts (OAI-PMH datestamp, SRU date)
    Column("cursor", String(64)),
    Index("ix_harvest_runs_library", "library", "id"),
)

# The records: one row per library and local record id, the latest version as harvested.
records = Table(
    "records",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("library", String(40), nullable=False),
    Column("local_id", String(200), nullable=False),
    Column("source_id", String(400), nullable=False, default=""),
    Column("syntax", String(10), nullable=False),
    Column("raw", LargeBinary, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("fields", Text, nullable=False),  # the normalised view (BibRecord) as JSON
    # of the bytes as delivered and what normalises them (libnet.records.raw_hash)
    Column("raw_hash", String(64), nullable=False, default="", server_default=""),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_changed", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("run_id", Integer, ForeignKey("harvest_runs.id"), nullable=False),
    # position in the store's change feed: every add, change and delete takes the next number
    Column("change_no", BigInteger, nullable=False),
    # the holdings-overlap report's keys (libnet.records.overlap_keys), kept beside the JSON
    # so that the report reads a million records' subjects and decades without parsing them
    Column("short_title", String(300), nullable=False, default="", server_default=""),
    Column("subject", String(200), nullable=False, default="", server_default=""),
    Column("decade", Integer),
    UniqueConstraint("library", "local_id", name="uq_records_library_local_id"),
    Index("ix_records_change_no", "change_no"),
    # the report reads these columns from the index alone, never the wide rows
    Index("ix_records_overlap", "deleted", "library", "subject", "decade", "id"),
    Index("ix_records_source_id", "library", "source_id"),
)

# Records a harvest could not use, with the reason.
rejects = Table(
    "rejects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("harvest_runs.id"), nullable=False),
    Column("position", String(400), nullable=False),
    Column("local_id", String(200), nullable=False, default=""),
    Column("reason", Text, nullable=False),
    Column("excerpt", Text, nullable=False, default=""),
    Index("ix_rejects_run_id", "run_id"),
)

# Malformed fields of records a harvest kept all the same: one row a field, repaired or left
# out (libnet.records.iso_fields), with the reason.
repairs = Table(
    "repairs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("harvest_runs.id"), nullable=False),
    Column("position", String(400), nullable=False),
    Column("local_id", String(200), nullable=False, default=""),
    Column("tag", String(10), nullable=False),
    Column("field", Integer, nullable=False, default=0),
    Column("action", String(20), nullable=False),  # "repaired" or "left out"
    Column("reason", Text, nullable=False),
    Index("ix_repairs_run_id", "run_id"),
)

# Small store-wide values: the last change number handed out.
store_state = Table(
    "store_state",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# One row a run of `libnet nightly` (libnet/nightly.py). outcome: running, ok, failed,
# interrupted (killed before it finished: the next run marks it). report: the whole report as
# JSON, as printed and mailed; written when the run finishes.
nightly_runs = Table(
    "nightly_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("outcome", String(20), nullable=False),
    Column("report", Text, nullable=False, default="{}"),
    Index("ix_nightly_runs_finished", "finished_at"),
)
