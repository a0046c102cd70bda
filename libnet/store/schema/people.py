"""The loan network's people and their rights: accounts, sessions, failed logins, the libraries'
own patron systems, API tokens."""

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
