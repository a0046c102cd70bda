"""A patron's lists: the Merkliste and saved searches (libnet/lists/), deleted with the account."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
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

# Titles a patron keeps on the Merkliste, each with a note of their own.
list_entries = Table(
    "list_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("cluster_id", Integer, ForeignKey("clusters.id"), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("added_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("user_id", "cluster_id", name="uq_list_entries_user_cluster"),
)

# Saved searches, the query string as the search page takes it; with alert on, the nightly
# mails the titles new since seen_cluster (the newest cluster id looked at: the watermark).
# token: the unsubscribe link's, random, so turning an alert off needs no login.
saved_searches = Table(
    "saved_searches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("query", Text, nullable=False),
    Column("alert", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_alert_at", DateTime(timezone=True)),  # the last alert mail queued
    Column("seen_cluster", Integer),  # None until the first nightly looked
    Column("token", String(64), nullable=False, unique=True),
    Index("ix_saved_searches_user", "user_id"),
)
