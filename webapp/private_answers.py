"""`Cache-Control: no-store` on every answer that depends on who asks.

A page rendered for a logged-in person names them in its header, and their account, loan
request, staff and admin pages hold patrons' names and cards; an API answer to a token or a
session is that caller's. None of it may stay in a shared cache (a proxy, the library's
public PC) or the browser's history cache after logout. The rule, in this one place: the
answer is private when a person is logged in, when the request carried an Authorization
header, or when the answer sets a cookie (the login page's CSRF session among them).
Anonymous catalogue pages, the open API's search answers, feeds and static files keep their
caching; feeds and static files are the same for everyone even when sent with a session.
"""

from __future__ import annotations

from flask import Response, g, request, session

NO_STORE = "no-store"
# the same for every caller, logged in or not
SHARED_ENDPOINTS = frozenset({"static"})
SHARED_BLUEPRINTS = frozenset({"feeds"})


def no_store_when_personal(response: Response) -> Response:
    """An app.after_request rule: no-store on the answers that depend on who asks."""
    if request.endpoint in SHARED_ENDPOINTS or request.blueprint in SHARED_BLUEPRINTS:
        return response
    if is_personal(response):
        response.headers["Cache-Control"] = NO_STORE
    return response


def is_personal(response: Response) -> bool:
    """Whether this answer was made for the person asking."""
    return (
        g.get("user") is not None
        or "Authorization" in request.headers
        or session.modified
        or "Set-Cookie" in response.headers
    )
