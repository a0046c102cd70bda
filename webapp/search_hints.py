"""What the catalogue tells a patron whose search it cannot run as typed.

A search with no words gets a hint what to type. A search whose syntax is wrong (a bracket or
quotation mark without its partner, a field name with no word, an operator out of place) is
run on its words alone (index/search.py), and the page says so instead of guessing a spelling.
A search too broad: index/pricing.py prices every query before and while it runs and raises QueryTooBroad naming
the bound it went over; the search page and the Atom feeds (webapp/catalogue/) show this
message, which says what to change. The JSON API answers the index's own English words
(webapp/api/search.py) and the SRU server a diagnostic (webapp/sru/server.py).
"""

from __future__ import annotations

from flask_babel import gettext

from index.errors import QueryTooBroad


def empty_search_message() -> str:
    """The hint for a search sent with nothing in it."""
    return gettext(
        "Please type what you are looking for: words of a title, a person or a subject, or an "
        "ISBN."
    )


def not_understood_message(problem: str, words: str) -> str:
    """What was wrong with the search's syntax (index.search.syntax_problem) and what was
    searched instead."""
    if problem == "unbalanced":
        reason = gettext("a bracket or quotation mark has no partner")
    elif problem == "empty_field":
        reason = gettext("a field name such as title: has no word after it")
    else:
        reason = gettext("AND, OR or NOT stands where no word follows or precedes it")
    if words:
        return gettext(
            "Your search was not understood as typed (%(reason)s), so the catalogue searched "
            "for its words: %(words)s.",
            reason=reason,
            words=words,
        )
    return gettext(
        "Your search was not understood as typed (%(reason)s), and it has no word to search "
        "for.",
        reason=reason,
    )


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
