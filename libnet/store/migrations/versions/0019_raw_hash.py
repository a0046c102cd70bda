"""The raw hash beside each record, so a harvest skips decoding what did not change.

Rows stored before it have "": their next harvest decodes them as before and fills it in.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0017"


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("raw_hash", sa.String(64), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.drop_column("raw_hash")
