"""Each library's longest loan period and its recall period (libnet.loans.due_dates).

A due date given when shipping or renewing lies at most max_loan_days ahead; a recall brings
the due date forward to recall_days from the day of the recall. Libraries that had settings
before get the defaults of libnet.loans.library_settings.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0013"


def upgrade() -> None:
    with op.batch_alter_table("loan_settings") as batch:
        batch.add_column(
            sa.Column("max_loan_days", sa.Integer, nullable=False, server_default="90")
        )
        batch.add_column(sa.Column("recall_days", sa.Integer, nullable=False, server_default="7"))


def downgrade() -> None:
    with op.batch_alter_table("loan_settings") as batch:
        batch.drop_column("recall_days")
        batch.drop_column("max_loan_days")
