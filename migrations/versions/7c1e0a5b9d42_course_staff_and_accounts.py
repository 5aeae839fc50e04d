"""course staff and accounts: e-mail skeletons

Revision ID: 7c1e0a5b9d42
Revises: 29de92adcbe0
Create Date: 2026-11-30 10:20:00.000000

"""
from alembic import op
import sqlalchemy as sa

from autograder.services.email_address import skeleton


# revision identifiers, used by Alembic.
revision = '7c1e0a5b9d42'
down_revision = '29de92adcbe0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_skeleton', sa.String(length=254), nullable=True))
    users = sa.table('user', sa.column('id', sa.Integer), sa.column('email', sa.String),
                     sa.column('email_skeleton', sa.String))
    connection = op.get_bind()
    for user_id, email in connection.execute(sa.select(users.c.id, users.c.email)).all():
        connection.execute(users.update().where(users.c.id == user_id).values(email_skeleton=skeleton(email)))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('email_skeleton', existing_type=sa.String(length=254), nullable=False)
        batch_op.create_index(batch_op.f('ix_user_email_skeleton'), ['email_skeleton'], unique=False)


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_email_skeleton'))
        batch_op.drop_column('email_skeleton')
