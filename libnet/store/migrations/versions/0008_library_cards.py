"""Accounts become cards of a library; server-side sessions; login throttling.

A card number is unique within its library only: the same number at two libraries is two
people. The per-account lockout (failed_logins, locked_until) gives way to the throttle
table, keyed by card and client address; sessions are rows that a logout, a password change
or an administrator can end. A library's patron system's last answer is kept for the
operations page.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    # the old unique constraint on card: unnamed on SQLite (the convention names it for the
    # batch copy), users_card_key on PostgreSQL, uq_users_card after a downgrade
    convention = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
    old = [
        found["name"] or "uq_users_card"
        for found in sa.inspect(op.get_bind()).get_unique_constraints("users")
        if found["column_names"] == ["card"]
    ]
    with op.batch_alter_table("users", naming_convention=convention) as batch:
        for name in old:
            batch.drop_constraint(name, type_="unique")
        batch.create_unique_constraint("uq_users_library_card", ["library", "card"])
        batch.alter_column("password_hash", existing_type=sa.String(300), nullable=True)
        batch.drop_column("failed_logins")
        batch.drop_column("locked_until")
        batch.add_column(sa.Column("order_block", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("desk_block", sa.Text, nullable=False, server_default=""))
        batch.add_column(
            sa.Column("provisional", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("birth_date", sa.String(10)))
        batch.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True)))
    op.create_index("ix_users_card", "users", ["card"])
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("browser", sa.String(200), nullable=False, server_default=""),
    )
    op.create_index("ix_user_sessions_user", "user_sessions", ["user_id", "ended_at"])
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure", sa.DateTime(timezone=True), nullable=False),
        sa.Column("wait_until", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
    )
    op.create_index("ix_login_failures_user", "login_failures", ["user_id", "at"])
    op.create_table(
        "patron_systems",
        sa.Column("library", sa.String(40), primary_key=True),
        sa.Column("last_ok_at", sa.DateTime(timezone=True)),
        sa.Column("last_failure_at", sa.DateTime(timezone=True)),
        sa.Column("last_failure", sa.Text, nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_table("patron_systems")
    op.drop_table("login_failures")
    op.drop_table("login_throttle")
    op.drop_table("user_sessions")
    op.drop_index("ix_users_card", "users")
    with op.batch_alter_table("users") as batch:
        for column in ("deleted_at", "birth_date", "provisional", "desk_block", "order_block"):
            batch.drop_column(column)
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"))
        batch.drop_constraint("uq_users_library_card", type_="unique")
        batch.create_unique_constraint("uq_users_card", ["card"])
