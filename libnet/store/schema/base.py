"""What every table of the store shares: one MetaData, and the largest id a row may have."""

from __future__ import annotations

from sqlalchemy import MetaData

metadata = MetaData()

# ids are Integer columns, 32 bits in PostgreSQL: no row has a larger one, and a larger number
# in a query is an error of the database (SQLite's own limit is 64 bits)
MAX_ID = 2**31 - 1
