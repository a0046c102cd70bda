"""API tokens of the JSON API (Authorization: Bearer ...): made, checked and revoked.

A token is shown once when it is made; the store keeps only its SHA-256.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, insert, select, update

from libnet.accounts.model import TOKEN_USE_NOTED, Account, AccountError, _account, find_user
from libnet.store import transaction
from libnet.store.schema import api_tokens, users
from libnet.times import utc


def issue_token(conn: Connection, who: str, label: str = "") -> str:
    """A new API token for an account; shown once, only its hash is kept."""
    account = find_user(conn, who)
    if account.disabled:
        raise AccountError(f"{who!r} is disabled")
    token = secrets.token_urlsafe(32)
    conn.execute(
        insert(api_tokens).values(
            user_id=account.id, token_hash=_token_hash(token), label=label,
            created_at=datetime.now(UTC), revoked=False,
        )
    )  # fmt: skip
    return token


def account_for_token(engine: Engine, token: str) -> Account | None:
    """The active account a token belongs to, or None (unknown, revoked, disabled).

    A read; the token's last use is written at most once an hour (TOKEN_USE_NOTED), in a
    transaction of its own, so API calls do not queue for the store's write lock.
    """
    query = (
        select(users, api_tokens.c.id.label("token_id"), api_tokens.c.last_used)
        .join(api_tokens, api_tokens.c.user_id == users.c.id)
        .where(api_tokens.c.token_hash == _token_hash(token), api_tokens.c.revoked.is_(False))
    )
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    if row is None or row["disabled"]:
        return None
    now = datetime.now(UTC)
    last_used = utc(row["last_used"])
    if last_used is None or now - last_used >= TOKEN_USE_NOTED:
        with transaction(engine) as conn:
            conn.execute(
                update(api_tokens).where(api_tokens.c.id == row["token_id"]).values(last_used=now)
            )
    return _account(row)


def revoke_tokens(conn: Connection, who: str) -> int:
    """Revoke every token of an account; how many."""
    account = find_user(conn, who)
    return conn.execute(
        update(api_tokens)
        .where(api_tokens.c.user_id == account.id, api_tokens.c.revoked.is_(False))
        .values(revoked=True)
    ).rowcount


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
