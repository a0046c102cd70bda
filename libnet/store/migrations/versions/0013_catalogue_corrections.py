"""Librarians' corrections in the browser: their audit log, and who made each override.

A split or join made on the staff view of a cluster is one row of catalogue_corrections
(who, when, why, which records); the pairs it adds to cluster_overrides name it, so an undo
removes exactly those, and name the librarian, so the cluster's explanation can say who.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"


def upgrade() -> None:
    with op.batch_alter_table("cluster_overrides") as batch:
        batch.add_column(sa.Column("made_by", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("correction_id", sa.Integer))
    op.create_table(
        "catalogue_corrections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("cluster_id", sa.Integer, nullable=False),
        sa.Column("other_cluster_id", sa.Integer),
        sa.Column("records", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("by_name", sa.String(200), nullable=False),
        sa.Column("by_library", sa.String(40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undoes", sa.Integer, sa.ForeignKey("catalogue_corrections.id")),
        sa.Column("undone_by", sa.Integer),
    )
    op.create_index("ix_catalogue_corrections_at", "catalogue_corrections", ["at"])


def downgrade() -> None:
    op.drop_table("catalogue_corrections")
    with op.batch_alter_table("cluster_overrides") as batch:
        batch.drop_column("correction_id")
        batch.drop_column("made_by")
