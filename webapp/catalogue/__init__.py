"""The patrons' catalogue: the pages (one blueprint, "pages", in blueprint.py) and the feeds.

search.py, record.py and libraries.py each add their routes to the blueprint; importing this
package imports them, so `pages` has all its routes.
"""

from webapp.catalogue import libraries, record, search
from webapp.catalogue.blueprint import pages

__all__ = ["libraries", "pages", "record", "search"]
