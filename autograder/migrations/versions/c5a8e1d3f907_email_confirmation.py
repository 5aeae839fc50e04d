"""e-mail confirmation: user.email_confirmed_at

Revision ID: c5a8e1d3f907
Revises: b4d9e2f70a16
Create Date: 2026-12-02 09:00:00.000000

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5a8e1d3f907'
down_revision = 'b4d9e2f70a16'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_confirmed_at', sa.DateTime(timezone=True), nullable=True))
    # Grandfathered: every account that already has a password counts as confirmed now (nothing could
    # confirm it before). Accounts still waiting for their invitation stay unconfirmed: using the
    # invitation confirms them.
    users = sa.table('user', sa.column('password_hash', sa.String),
                     sa.column('email_confirmed_at', sa.DateTime(timezone=True)))
    op.get_bind().execute(users.update().where(users.c.password_hash != '')
                          .values(email_confirmed_at=datetime.now(timezone.utc)))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('email_confirmed_at')
