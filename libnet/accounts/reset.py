"""A forgotten password set anew by e-mail: a signed link that works once, for one hour.

The link's token carries the account's id and a fingerprint of its password hash and last
login, signed with the web app's secret key (itsdangerous, a salt of its own, a timestamp). It
needs no row in the store: once the password is set anew, by this link or otherwise, or the
account logs in, the fingerprint no longer fits and the link opens nothing; after VALID the
signature is too old. Setting the new password ends every session of the account in the same
transaction. Only libnet's own accounts (whose password libnet keeps) that have an e-mail
address can be reset so; a library whose own system checks the PIN resets it there.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import Connection

from libnet.accounts import sessions
from libnet.accounts.model import (
    Account,
    card_account,
    get_user,
    password_hash,
    set_password,
    staff_account,
)

SALT = "libnet.accounts.reset"  # a token for this and nothing else signed with the same key
VALID = timedelta(hours=1)
MAX_TOKEN = 300


def account_to_reset(conn: Connection, library: str, login: str) -> Account | None:
    """The account the form names (a card of `library`; without a library a staff name), if
    a reset mail can go to it: a password kept here, an e-mail address, not disabled."""
    login = login.strip()
    if not login:
        return None
    account = card_account(conn, library, login) if library else staff_account(conn, login)
    if account is None or not account.checked_here or not account.email:
        return None
    return None if account.disabled or account.deleted else account


def issue(conn: Connection, secret: str, account: Account, now: datetime) -> str:
    """A token for the link that sets the account's password anew, valid from `now` on."""
    return _serializer(secret, now).dumps([account.id, _fingerprint(conn, account)])


def account_for(conn: Connection, secret: str, token: str, now: datetime) -> Account | None:
    """The account whose password this token may set at `now`; None when the token is
    forged, older than VALID, used already or outrun by another change of the password."""
    if not token or len(token) > MAX_TOKEN:
        return None
    try:
        user_id, fingerprint = _serializer(secret, now).loads(token, max_age=VALID.total_seconds())
    except (BadData, TypeError, ValueError):
        return None
    if not isinstance(user_id, int) or not isinstance(fingerprint, str):
        return None
    account = get_user(conn, user_id)
    if account is None or account.disabled or account.deleted or not account.checked_here:
        return None
    if not hmac.compare_digest(fingerprint, _fingerprint(conn, account)):
        return None
    return account


def set_new_password(
    conn: Connection, secret: str, token: str, password: str, now: datetime
) -> Account | None:
    """Set the password the token allows (AccountError when it is too short) and end every
    session of the account; the account, or None when the token opens nothing."""
    account = account_for(conn, secret, token, now)
    if account is None:
        return None
    set_password(conn, account.id, password)
    sessions.end_all(conn, account.id, now)
    return account


def _fingerprint(conn: Connection, account: Account) -> str:
    """What changes when the password is set or the account logs in: the link dies then."""
    last_login = account.last_login.isoformat() if account.last_login else ""
    seen = f"{password_hash(conn, account.id) or ''}|{last_login}"
    return hashlib.sha256(seen.encode("utf-8")).hexdigest()[:32]


def _serializer(secret: str, now: datetime) -> URLSafeTimedSerializer:
    """itsdangerous' serializer with `now` as its clock, so that time enters as an argument."""
    stamp = int(now.timestamp())

    class _Signer(TimestampSigner):
        def get_timestamp(self) -> int:
            return stamp

    return URLSafeTimedSerializer(secret, salt=SALT, signer=_Signer)
