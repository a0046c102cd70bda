"""The record store: harvest runs, records, rejects, the change counter."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "harvest_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("library", sa.String(40), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("full", sa.Boolean, nullable=False),
        sa.Column("added", sa.Integer, nullable=False),
        sa.Column("changed", sa.Integer, nullable=False),
        sa.Column("unchanged", sa.Integer, nullable=False),
        sa.Column("deleted", sa.Integer, nullable=False),
        sa.Column("rejected", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("cursor", sa.String(64)),
    )
    op.create_index("ix_harvest_runs_library", "harvest_runs", ["library", "id"])
    op.create_table(
        "records",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("library", sa.String(40), nullable=False),
        sa.Column("local_id", sa.String(200), nullable=False),
        sa.Column("source_id", sa.String(400), nullable=False),
        sa.Column("syntax", sa.String(10), nullable=False),
        sa.Column("raw", sa.LargeBinary, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_changed", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("harvest_runs.id"), nullable=False),
        sa.Column("change_no", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("library", "local_id", name="uq_records_library_local_id"),
    )
    op.create_index("ix_records_change_no", "records", ["change_no"])
    op.create_index("ix_records_source_id", "records", ["library", "source_id"])
    op.create_table(
        "rejects",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("harvest_runs.id"), nullable=False),
        sa.Column("position", sa.String(400), nullable=False),
        sa.Column("local_id", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("excerpt", sa.Text, nullable=False),
    )
    op.create_index("ix_rejects_run_id", "rejects", ["run_id"])
    state = op.create_table(
        "store_state",
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(state, [{"key": "change_no", "value": 0}])


def downgrade() -> None:
    op.drop_table("store_state")
    op.drop_table("rejects")
    op.drop_table("records")
    op.drop_table("harvest_runs")
