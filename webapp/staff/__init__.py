"""The staff's side: the loan network's pages (one blueprint, "staff_pages", in blueprint.py)
and the operations and statistics pages.

queues.py, loan_request.py, shelf.py, patrons.py (the patron desk), registrations.py (its
approval queue), desk_order.py (ordering for a patron) and corrections.py (the catalogue's
clusters split and joined) each add their routes to the blueprint; importing this package
imports them, so `bp` has all its routes.
"""

from webapp.staff import (
    corrections,
    desk_order,
    loan_request,
    patrons,
    queues,
    registrations,
    shelf,
)
from webapp.staff.blueprint import bp

__all__ = [
    "bp", "corrections", "desk_order", "loan_request", "patrons", "queues", "registrations",
    "shelf",
]  # fmt: skip
