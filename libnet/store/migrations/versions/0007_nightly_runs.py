"""The reports of the nightly runs."""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "nightly_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("report", sa.Text, nullable=False, server_default="{}"),
    )
    op.create_index("ix_nightly_runs_finished", "nightly_runs", ["finished_at"])


def downgrade() -> None:
    op.drop_table("nightly_runs")
