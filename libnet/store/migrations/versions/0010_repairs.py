"""Records kept with a malformed field: the repairs table and each run's `repaired` count.

A record whose leader, directory and encoding are sound but one field is malformed is kept
with that field repaired or left out (libnet.records.iso_fields); the run keeps one row per
such field, apart from the records it rejected.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    with op.batch_alter_table("harvest_runs") as batch:
        batch.add_column(sa.Column("repaired", sa.Integer, nullable=False, server_default="0"))
    op.create_table(
        "repairs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("harvest_runs.id"), nullable=False),
        sa.Column("position", sa.String(400), nullable=False),
        sa.Column("local_id", sa.String(200), nullable=False),
        sa.Column("tag", sa.String(10), nullable=False),
        sa.Column("field", sa.Integer, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_repairs_run_id", "repairs", ["run_id"])


def downgrade() -> None:
    op.drop_table("repairs")
    with op.batch_alter_table("harvest_runs") as batch:
        batch.drop_column("repaired")
