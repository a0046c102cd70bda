"""What the catalogue tells a patron whose search the index refused as too broad.

index/pricing.py prices every query before and while it runs and raises QueryTooBroad naming
the bound it went over; the search page and the Atom feeds (webapp/catalogue/) show this
message, which says what to change. The JSON API answers the index's own English words
(webapp/api/search.py) and the SRU server a diagnostic (webapp/sru/server.py).
"""

from __future__ import annotations

from flask_babel import gettext

from index.errors import QueryTooBroad


def too_broad_message(error: QueryTooBroad) -> str:
    """The patron's words for the bound the search went over, in the page's language."""
    if error.bound == "wildcards":
        return gettext(
            "Your search is too broad: it has more than %(n)s words with * or ?. "
            "Please use fewer wildcards.",
            n=int(error.limit),
        )
    if error.bound == "leading":
        return gettext(
            "Your search is too broad: a * or ? at the start of a word is only allowed when it "
            "is the only wildcard of the search. Please type letters before the * or leave out "
            "the other wildcards."
        )
    if error.bound == "terms":
        return gettext(
            "Your search is too broad: a word with * or ? matches too many words. "
            "Please type more letters before the *."
        )
    return gettext(
        "Your search is too broad: it would take too long. "
        "Please use fewer wildcards or more letters before the *."
    )
