"""A loan request may lose its patron: anonymised after it ended, or its account deleted.

Completed and cancelled requests keep what the statistics count (libraries, dates, states)
but no longer point at the person who asked ([loans] anonymise_after_days). A downgrade
needs every request to have its patron again, so it fails once one has been anonymised.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    with op.batch_alter_table("loan_requests") as batch:
        batch.alter_column("patron_id", existing_type=sa.Integer, nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("loan_requests") as batch:
        batch.alter_column("patron_id", existing_type=sa.Integer, nullable=False)
