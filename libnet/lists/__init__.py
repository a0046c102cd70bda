"""A patron's lists, as VuFind's favourites and saved searches behave.

- `merkliste`: titles (clusters) a logged-in patron keeps, each with a note of their own.
- `saved_searches`: searches kept by their query string, as the search page takes it; each
  may have an alert on, and carries a random token for the unsubscribe link of its mails.
- `alerts`: the nightly's step, given a search function: for each patron with alerts, the
  titles new since the last look, in one mail a day in the account's language.

Both lists belong to the account: deleting it deletes them (libnet.accounts.deletion).
"""

from libnet.lists.errors import ListError

__all__ = ["ListError"]
