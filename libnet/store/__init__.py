"""The record store: everything that speaks SQL about records, clusters, published clusters,
harvest and nightly runs, backups and migrations. Callers get functions and value objects,
never the tables (schema/), which only libnet's own modules read.

    database.py       opening, migrating (migrations/), transactions
    record_store.py   RecordStore, the records and their change feed
    harvest.py        writing one library's harvest
    runs.py           harvest runs and the records they rejected
    grouping_feed.py  what grouping reads and keeps: changed and live records, blocking keys
    clusters.py       clusters, their members and the cluster change feed
    published.py      the clusters as the catalogue publishes them, with their member records
    nightly_runs.py   the nightly runs and their reports
    backup.py         backing up and restoring the store
"""

from libnet.store.database import MIGRATIONS, transaction, utcnow
from libnet.store.harvest import Counts, SuspiciousDelete
from libnet.store.record_store import RecordStore, StoredRecord, open_store
from libnet.store.runs import Run

__all__ = [
    "MIGRATIONS",
    "Counts",
    "RecordStore",
    "Run",
    "StoredRecord",
    "SuspiciousDelete",
    "open_store",
    "transaction",
    "utcnow",
]
