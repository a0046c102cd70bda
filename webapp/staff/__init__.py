"""The staff's side: the loan network's pages (one blueprint, "staff_pages", in blueprint.py)
and the operations and statistics pages.

queues.py, loan_request.py and shelf.py each add their routes to the blueprint; importing
this package imports them, so `bp` has all its routes.
"""

from webapp.staff import loan_request, queues, shelf
from webapp.staff.blueprint import bp

__all__ = ["bp", "loan_request", "queues", "shelf"]
