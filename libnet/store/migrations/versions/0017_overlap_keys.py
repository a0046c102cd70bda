"""The holdings-overlap report's keys beside each record: short title, subject, decade.

The report (libnet/overlap.py) groups a million records by subject and decade in seconds, so
these are columns of records, written at harvest (libnet.records.overlap_keys). The records
already stored get theirs here, read from their normalised JSON in batches.
"""

import json

import sqlalchemy as sa
from alembic import op

from libnet.records.bib import BibRecord
from libnet.records.overlap_keys import overlap_keys

revision = "0017"
down_revision = "0016"
BATCH = 5000


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.add_column(
            sa.Column("short_title", sa.String(300), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("subject", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("decade", sa.Integer))
    op.create_index(
        "ix_records_overlap", "records", ["deleted", "library", "subject", "decade", "id"]
    )
    records = sa.table(
        "records",
        sa.column("id", sa.Integer),
        sa.column("fields", sa.Text),
        sa.column("deleted", sa.Boolean),
        sa.column("short_title", sa.String),
        sa.column("subject", sa.String),
        sa.column("decade", sa.Integer),
    )
    # bind names differ from the columns': SQLAlchemy keeps those for the SET clause
    write = (
        records.update()
        .where(records.c.id == sa.bindparam("row_id"))
        .values(
            short_title=sa.bindparam("title_"),
            subject=sa.bindparam("subject_"),
            decade=sa.bindparam("decade_"),
        )
    )
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(records.c.id, records.c.fields)
            .where(records.c.id > last, records.c.deleted == sa.false(), records.c.fields != "")
            .order_by(records.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        values = []
        for row in rows:
            keys = overlap_keys(BibRecord.from_dict(json.loads(row.fields)))
            values.append({"row_id": row.id, "title_": keys.short_title,
                           "subject_": keys.subject, "decade_": keys.decade})  # fmt: skip
        conn.execute(write, values)
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_records_overlap", "records")
    with op.batch_alter_table("records") as batch:
        batch.drop_column("decade")
        batch.drop_column("subject")
        batch.drop_column("short_title")
