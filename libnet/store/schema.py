"""The record store's tables (SQLAlchemy Core). Alembic migrations create and change them."""

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
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# ids are Integer columns, 32 bits in PostgreSQL: no row has a larger one, and a larger number
# in a query is an error of the database (SQLite's own limit is 64 bits)
MAX_ID = 2**31 - 1

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
    UniqueConstraint("library", "local_id", name="uq_records_library_local_id"),
    Index("ix_records_change_no", "change_no"),
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

# --- clusters: the same edition held by several libraries, one hit in the catalogue ---------

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

# --- the loan network: people and their rights ---------------------------------------------

# Patrons, librarians and the network's administrators. A patron is a card of a library: the
# same card number at two libraries is two people. Staff log in with the name (unique among
# staff, and never a card number). Accounts are disabled, never deleted: requests and the
# audit log point at them; "deleting" one clears its personal data (deleted_at).
# password_hash: None for patrons whose library's own system checks the PIN.
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),  # patron, librarian, admin
    Column("library", String(40), nullable=False),  # home library (patron), library (staff)
    Column("card", String(40)),  # a patron's library card number
    Column("email", String(320), nullable=False, default=""),
    Column("language", String(5), nullable=False, default="de"),
    Column("password_hash", String(300)),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_login", DateTime(timezone=True)),
    # why the patron may log in but not order: from the library's system (an expired card),
    # refreshed at every login, and from the library's desk
    Column("order_block", Text, nullable=False, default=""),
    Column("desk_block", Text, nullable=False, default=""),
    Column("provisional", Boolean, nullable=False, default=False),  # registered, not approved
    Column("birth_date", String(10)),  # ISO date, given when registering online
    Column("deleted_at", DateTime(timezone=True)),
    UniqueConstraint("library", "card", name="uq_users_library_card"),
    Index("ix_users_name", "name"),
    Index("ix_users_card", "card"),
)

# Logins: the cookie holds a random token, the store its SHA-256. A session ends by logout,
# by the idle or absolute lifetime ([sessions]), or when its account's password changes.
user_sessions = Table(
    "user_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("browser", String(200), nullable=False, default=""),  # from the User-Agent
    Index("ix_user_sessions_user", "user_id", "ended_at"),
)

# Failed logins per key ("pair:LIBRARY:LOGIN:ADDRESS", "address:ADDRESS"): how many in a row,
# and until when a further try from there waits (libnet/accounts/throttle.py).
login_throttle = Table(
    "login_throttle",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure", DateTime(timezone=True), nullable=False),
    Column("wait_until", DateTime(timezone=True)),
)

# Recent failed logins of existing accounts, for the staff (kept 30 days).
login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("reason", String(200), nullable=False),  # wrong password, blocked, throttled, ...
    Index("ix_login_failures_user", "user_id", "at"),
)

# The last answer of each library's own patron system (LDAP, SIP2), for the operations page.
patron_systems = Table(
    "patron_systems",
    metadata,
    Column("library", String(40), primary_key=True),
    Column("last_ok_at", DateTime(timezone=True)),
    Column("last_failure_at", DateTime(timezone=True)),
    Column("last_failure", Text, nullable=False, default=""),
)

# Each library's lending settings; a library without a row lends with the defaults.
loan_settings = Table(
    "loan_settings",
    metadata,
    Column("library", String(40), primary_key=True),
    Column("paused", Boolean, nullable=False, default=False),  # skipped in rotas meanwhile
    Column("pause_note", Text, nullable=False, default=""),
    Column("answer_days", Integer, nullable=False),  # working days to answer a request
    Column("max_open", Integer, nullable=False),  # open requests a patron of it may have
    Column("loan_days", Integer, nullable=False),  # the loan period it grants when it ships
    Column("closing_days", Text, nullable=False, default="[]"),  # JSON list of ISO dates
)

# A patron's request for a title (a cluster), at one supplier of its rota at a time.
# patron_id: None once the request is anonymised (libnet/loans/anonymisation.py).
# version grows with every change: a change names the version it saw, so of two librarians
# clicking at once exactly one wins.
loan_requests = Table(
    "loan_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cluster_id", Integer, ForeignKey("clusters.id"), nullable=False),
    Column("title", Text, nullable=False),  # as shown when the request was placed
    Column("patron_id", Integer, ForeignKey("users.id")),
    Column("requesting_library", String(40), nullable=False),  # the patron's home library
    Column("pickup_library", String(40), nullable=False),
    Column("supplier", String(40), nullable=False),  # the library the request is at now
    Column("supplier_local_id", String(200), nullable=False),  # its record of the title
    # JSON: the rota, [[library, local id], ...], and the position of the current supplier
    Column("rota", Text, nullable=False),
    Column("rota_position", Integer, nullable=False, default=0),
    Column("state", String(30), nullable=False),
    Column("renewal_pending", Boolean, nullable=False, default=False),
    Column("due_date", String(10)),  # ISO date, once shipped
    Column("payer", String(30)),  # who pays for a lost copy
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("state_changed_at", DateTime(timezone=True), nullable=False),
    Column("supplier_since", DateTime(timezone=True), nullable=False),  # at this supplier
    Column("version", Integer, nullable=False, default=1),
    Index("ix_loan_requests_supplier", "supplier", "state"),
    Index("ix_loan_requests_pickup", "pickup_library", "state"),
    Index("ix_loan_requests_patron", "patron_id"),
)

# Every change of a request: who, when, from which state to which, and a note.
loan_events = Table(
    "loan_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("request_id", Integer, ForeignKey("loan_requests.id"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id")),  # None: the nightly timers
    Column("actor", String(20), nullable=False),  # patron, requester, supplier, system, admin
    Column("action", String(40), nullable=False),
    Column("from_state", String(30)),
    Column("to_state", String(30), nullable=False),
    Column("supplier", String(40), nullable=False),  # the supplier at the time
    Column("note", Text, nullable=False, default=""),
    Index("ix_loan_events_request", "request_id", "id"),
    Index("ix_loan_events_supplier", "supplier", "action", "at"),
)

# Tokens for the JSON API (Authorization: Bearer ...): only their SHA-256 is kept.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(200), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used", DateTime(timezone=True)),
    Column("revoked", Boolean, nullable=False, default=False),
)

# E-mail notices of the loan network (libnet/loans/notices.py), queued in the transaction of the
# change that causes them and sent later, so that a click never waits for a mail server.
# recipient: an address, or "library:CODE" (the library's address is looked up in config.toml
# when sending). next_attempt_at: when to try next; NULL once sent or given up.
notices = Table(
    "notices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("request_id", Integer, ForeignKey("loan_requests.id")),  # None: not about a request
    Column("kind", String(40), nullable=False),  # placed, ready, incoming, ... (notices.KINDS)
    Column("recipient", String(320), nullable=False),
    Column("language", String(5), nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),  # plain text, rendered when queued
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),  # the last failure, one line
    Column("next_attempt_at", DateTime(timezone=True)),
    Index("ix_notices_next_attempt", "next_attempt_at"),
    Index("ix_notices_request", "request_id"),
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

# --- a patron's lists: the Merkliste and saved searches (libnet/lists/), deleted with the account

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
