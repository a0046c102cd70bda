"""The record store's tables (SQLAlchemy Core), one module a subject; Alembic migrations
create and change them. Only libnet's own modules read them: callers outside libnet get
functions and value objects (libnet/store/__init__.py)."""

from __future__ import annotations

from libnet.store.schema.base import MAX_ID, metadata
from libnet.store.schema.clusters import (
    catalogue_corrections,
    cluster_history,
    cluster_members,
    cluster_overrides,
    clusters,
    departed_records,
    match_keys,
)
from libnet.store.schema.lists import list_entries, saved_searches
from libnet.store.schema.loans import loan_events, loan_requests, loan_settings, notices
from libnet.store.schema.people import (
    api_tokens,
    login_failures,
    login_throttle,
    patron_systems,
    user_sessions,
    users,
)
from libnet.store.schema.records import (
    harvest_runs,
    nightly_runs,
    records,
    rejects,
    repairs,
    store_state,
)

__all__ = [
    "MAX_ID",
    "api_tokens",
    "catalogue_corrections",
    "cluster_history",
    "cluster_members",
    "cluster_overrides",
    "clusters",
    "departed_records",
    "harvest_runs",
    "list_entries",
    "loan_events",
    "loan_requests",
    "loan_settings",
    "login_failures",
    "login_throttle",
    "match_keys",
    "metadata",
    "nightly_runs",
    "notices",
    "patron_systems",
    "records",
    "rejects",
    "repairs",
    "saved_searches",
    "store_state",
    "user_sessions",
    "users",
]
