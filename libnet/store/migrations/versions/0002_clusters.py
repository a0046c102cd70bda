"""Clusters: members with the rule that joined them, blocking keys, librarians' overrides."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "clusters",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("members", sa.Integer, nullable=False),
        sa.Column("merged_into", sa.Integer, sa.ForeignKey("clusters.id")),
        sa.Column("change_no", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_clusters_change_no", "clusters", ["change_no"])
    op.create_table(
        "cluster_members",
        sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id"), primary_key=True),
        sa.Column("cluster_id", sa.Integer, sa.ForeignKey("clusters.id"), nullable=False),
        sa.Column("rule", sa.String(40), nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
    )
    op.create_index("ix_cluster_members_cluster_id", "cluster_members", ["cluster_id"])
    op.create_table(
        "match_keys",
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id"), nullable=False),
    )
    op.create_index("ix_match_keys_key", "match_keys", ["key"])
    op.create_index("ix_match_keys_record_id", "match_keys", ["record_id"])
    op.create_table(
        "cluster_overrides",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("library_a", sa.String(40), nullable=False),
        sa.Column("local_id_a", sa.String(200), nullable=False),
        sa.Column("library_b", sa.String(40), nullable=False),
        sa.Column("local_id_b", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.UniqueConstraint(
            "library_a", "local_id_a", "library_b", "local_id_b", name="uq_cluster_overrides_pair"
        ),
    )
    state = sa.table("store_state", sa.column("key", sa.String), sa.column("value", sa.BigInteger))
    op.bulk_insert(
        state,
        [
            {"key": "cluster_change_no", "value": 0},  # the last cluster change number handed out
            {"key": "clustered_change_no", "value": 0},  # record changes the clusters reflect
        ],
    )


def downgrade() -> None:
    op.drop_table("cluster_overrides")
    op.drop_table("match_keys")
    op.drop_table("cluster_members")
    op.drop_table("clusters")
    op.execute("DELETE FROM store_state WHERE key IN ('cluster_change_no', 'clustered_change_no')")
