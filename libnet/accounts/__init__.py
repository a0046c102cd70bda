"""Accounts of the loan network: patrons, librarians and the network's administrators.

- `model`: the account and its rules (roles, languages, who may have which card or name);
  accounts are found by id, by a library's card or by a staff name.
- `tokens`: the JSON API's bearer tokens.
- `patron_systems`: what a library's own patron system (LDAP, SIP2) answers for a card and
  PIN, as values: a `Patron`, `Refused` or `Unreachable`.
"""

from libnet.accounts.model import (
    LANGUAGES,
    LOCK_MINUTES,
    MAX_FAILURES,
    MIN_PASSWORD,
    ROLES,
    Account,
    AccountError,
    Authenticator,
    Contact,
    StoreAuthenticator,
    add_user,
    contact,
    contacts,
    disable_user,
    find_user,
    get_user,
    list_users,
    set_password,
    staff_names,
)
from libnet.accounts.tokens import account_for_token, issue_token, revoke_tokens

__all__ = [
    "LANGUAGES", "LOCK_MINUTES", "MAX_FAILURES", "MIN_PASSWORD", "ROLES", "Account",
    "AccountError", "Authenticator", "Contact", "StoreAuthenticator", "account_for_token",
    "add_user", "contact", "contacts", "disable_user", "find_user", "get_user", "issue_token",
    "list_users", "revoke_tokens", "set_password", "staff_names",
]  # fmt: skip
