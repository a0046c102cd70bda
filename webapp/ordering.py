"""Placing a request from a web page, for the patron or by a librarian at the desk: the title
as the index has it now, the request placed, the notices sent a moment later."""

from __future__ import annotations

from flask import abort

from libnet import loans
from libnet.accounts import Account
from libnet.loans import LoanError
from webapp.availability import live_on_shelf
from webapp.errors import NoIndex
from webapp.state import catalogue


def place_for(
    patron: Account, cluster_id: int, pickup: str, placed_by: Account | None = None
) -> LoanError | None:
    """Place the patron's request for a title; its refusal as a value, or None when placed.

    A title the index no longer has is 404, an index not yet built 503.
    """
    try:
        doc = catalogue().current_doc(cluster_id)
    except NoIndex:
        abort(503)
    if doc is None:
        abort(404)
    live = live_on_shelf(doc.id)  # asked before the transaction: it may wait for a library
    try:
        with loans.transaction(catalogue().store.engine) as conn:
            loans.place_request(conn, patron, doc.id, title=doc.title, pickup_library=pickup,
                                placed_by=placed_by, mailing=catalogue().mailing,
                                live=live)  # fmt: skip
    except LoanError as exc:
        return exc
    catalogue().send_notices_soon()
    return None
