"""The loan network: each library's lending settings, requests and their audit log, and the
e-mail notices they cause."""

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
)

from libnet.store.schema.base import metadata

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
    # the longest: a due date lies at most so many days ahead (libnet/loans/due_dates.py)
    Column("max_loan_days", Integer, nullable=False, server_default="90"),
    Column("recall_days", Integer, nullable=False, server_default="7"),  # due after a recall
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
