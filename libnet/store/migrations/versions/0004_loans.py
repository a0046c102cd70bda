"""The loan network's requests, their history and each library's lending settings."""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "loan_settings",
        sa.Column("library", sa.String(40), primary_key=True),
        sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("pause_note", sa.Text, nullable=False, server_default=""),
        sa.Column("answer_days", sa.Integer, nullable=False),
        sa.Column("max_open", sa.Integer, nullable=False),
        sa.Column("loan_days", sa.Integer, nullable=False),
        sa.Column("closing_days", sa.Text, nullable=False, server_default="[]"),
    )
    op.create_table(
        "loan_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("cluster_id", sa.Integer, sa.ForeignKey("clusters.id"), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("patron_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("requesting_library", sa.String(40), nullable=False),
        sa.Column("pickup_library", sa.String(40), nullable=False),
        sa.Column("supplier", sa.String(40), nullable=False),
        sa.Column("supplier_local_id", sa.String(200), nullable=False),
        sa.Column("rota", sa.Text, nullable=False),
        sa.Column("rota_position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("renewal_pending", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("due_date", sa.String(10)),
        sa.Column("payer", sa.String(30)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("supplier_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    )
    op.create_index("ix_loan_requests_supplier", "loan_requests", ["supplier", "state"])
    op.create_index("ix_loan_requests_pickup", "loan_requests", ["pickup_library", "state"])
    op.create_index("ix_loan_requests_patron", "loan_requests", ["patron_id"])
    op.create_table(
        "loan_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("loan_requests.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("actor", sa.String(20), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("from_state", sa.String(30)),
        sa.Column("to_state", sa.String(30), nullable=False),
        sa.Column("supplier", sa.String(40), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_loan_events_request", "loan_events", ["request_id", "id"])
    op.create_index("ix_loan_events_supplier", "loan_events", ["supplier", "action", "at"])


def downgrade() -> None:
    op.drop_table("loan_events")
    op.drop_table("loan_requests")
    op.drop_table("loan_settings")
