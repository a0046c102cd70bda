"""Clusters: the same edition held by several libraries, one hit in the catalogue; what became of
old cluster ids, and the librarians' corrections."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from libnet.store.schema.base import metadata

# A cluster keeps its id as long as one of its members survives; a cluster that lost its
# members is kept as a tombstone (members 0), one merged into another points there.
clusters = Table(
    "clusters",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("members", Integer, nullable=False),
    Column("merged_into", Integer, ForeignKey("clusters.id")),
    # position in the cluster change feed the index reads
    Column("change_no", BigInteger, nullable=False),
    Index("ix_clusters_change_no", "change_no"),
)

# Which cluster each live record belongs to, and which rule put it there.
cluster_members = Table(
    "cluster_members",
    metadata,
    Column("record_id", Integer, ForeignKey("records.id"), primary_key=True),
    Column("cluster_id", Integer, ForeignKey("clusters.id"), nullable=False),
    Column("rule", String(40), nullable=False),
    Column("evidence", Text, nullable=False),
    Index("ix_cluster_members_cluster_id", "cluster_id"),
)

# What became of cluster ids that no longer name a live cluster, oldest first: "merged" (into
# into_id), "gone" (no member left), "split" (part of it went to the new cluster into_id),
# "returned" (a record that had left came back and took the id again). title: the cluster's
# title when it happened, for the search a gone permalink offers.
cluster_history = Table(
    "cluster_history",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cluster_id", Integer, ForeignKey("clusters.id"), nullable=False),
    Column("event", String(20), nullable=False),
    Column("into_id", Integer, ForeignKey("clusters.id")),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("title", Text, nullable=False, default=""),
    Index("ix_cluster_history_cluster", "cluster_id", "id"),
)

# The cluster each record left when its library stopped exporting it, and when: a record that
# comes back within a year takes that id again while it is free (libnet.store.cluster_history).
departed_records = Table(
    "departed_records",
    metadata,
    Column("record_id", Integer, ForeignKey("records.id"), primary_key=True),
    Column("cluster_id", Integer, ForeignKey("clusters.id"), nullable=False),
    Column("left_at", DateTime(timezone=True), nullable=False),
    Index("ix_departed_records_left_at", "left_at"),
)

# Blocking keys of live records: records sharing a key are compared, no others.
match_keys = Table(
    "match_keys",
    metadata,
    Column("key", String(300), nullable=False),
    Column("record_id", Integer, ForeignKey("records.id"), nullable=False),
    Index("ix_match_keys_key", "key"),
    Index("ix_match_keys_record_id", "record_id"),
)

# Librarians' corrections: two records that must never share a cluster, or must.
cluster_overrides = Table(
    "cluster_overrides",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(10), nullable=False),  # never, always
    Column("library_a", String(40), nullable=False),
    Column("local_id_a", String(200), nullable=False),
    Column("library_b", String(40), nullable=False),
    Column("local_id_b", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("note", Text, nullable=False, default=""),
    # who said it, for the evidence line ("" from the command line), and the web correction
    # (catalogue_corrections) it belongs to, which an undo removes with it
    Column("made_by", String(200), nullable=False, default=""),
    Column("correction_id", Integer),
    UniqueConstraint(
        "library_a", "local_id_a", "library_b", "local_id_b", name="uq_cluster_overrides_pair"
    ),
)

# The audit log of the librarians' corrections made in the browser: one row each, an undo a
# row of its own (undoes) that the undone row points back to (undone_by). records: the
# records it is about, as JSON [[library, local id], ...]: a split's member first.
catalogue_corrections = Table(
    "catalogue_corrections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(10), nullable=False),  # split, join, undo
    Column("cluster_id", Integer, nullable=False),
    Column("other_cluster_id", Integer),  # a join's other cluster
    Column("records", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("by_name", String(200), nullable=False),
    Column("by_library", String(40), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("undoes", Integer, ForeignKey("catalogue_corrections.id")),
    Column("undone_by", Integer),
    Index("ix_catalogue_corrections_at", "at"),
)
