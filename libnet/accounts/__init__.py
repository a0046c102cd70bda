"""Accounts of the loan network: patrons, librarians and the network's administrators.

- `model`: the account and its rules (roles, languages, who may have which card or name);
  accounts are found by id, by a library's card or by a staff name.
- `tokens`: the JSON API's bearer tokens.
- `patron_systems`: what a library's own patron system (LDAP, SIP2) answers for a card and
  PIN, as values: a `Patron`, `Refused` or `Unreachable`; `checkers` makes each library's.
- `login`: one login attempt, from the form to an account; `throttle`: failed logins slow
  down per card and client address; `sessions`: logins that end.
"""

from libnet.accounts.model import (
    LANGUAGES,
    MIN_PASSWORD,
    ROLES,
    Account,
    AccountError,
    Contact,
    add_user,
    card_account,
    check_password,
    contact,
    contacts,
    disable_user,
    find_user,
    get_user,
    list_users,
    set_contact,
    set_password,
    staff_account,
    staff_names,
)
from libnet.accounts.tokens import account_for_token, issue_token, revoke_tokens
from libnet.email_address import is_email

__all__ = [
    "LANGUAGES", "MIN_PASSWORD", "ROLES", "Account", "AccountError", "Contact",
    "account_for_token", "add_user", "card_account", "check_password", "contact", "contacts",
    "disable_user", "find_user", "get_user", "is_email", "issue_token", "list_users",
    "revoke_tokens", "set_contact", "set_password", "staff_account", "staff_names",
]  # fmt: skip
