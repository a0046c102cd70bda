"""Permalinks that last: the history of cluster ids, and the cluster each departed record left.

cluster_history says what became of an id (merged into another, gone, split, returned) with
the title it had, so /record/N can redirect or offer a search for it; departed_records lets a
record that comes back within a year take its old cluster id again.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    op.create_table(
        "cluster_history",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("cluster_id", sa.Integer, sa.ForeignKey("clusters.id"), nullable=False),
        sa.Column("event", sa.String(20), nullable=False),
        sa.Column("into_id", sa.Integer, sa.ForeignKey("clusters.id")),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
    )
    op.create_index("ix_cluster_history_cluster", "cluster_history", ["cluster_id", "id"])
    op.create_table(
        "departed_records",
        sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id"), primary_key=True),
        sa.Column("cluster_id", sa.Integer, sa.ForeignKey("clusters.id"), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_departed_records_left_at", "departed_records", ["left_at"])


def downgrade() -> None:
    op.drop_table("departed_records")
    op.drop_table("cluster_history")
