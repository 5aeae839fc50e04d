"""user.staff_since: when an account was first staff (TA or instructor) of a course, never cleared

Revision ID: d7e3a9c4b218
Revises: e7b3c9a41d26
Create Date: 2026-12-01 12:30:00.000000

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7e3a9c4b218'
down_revision = 'e7b3c9a41d26'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staff_since', sa.DateTime(timezone=True), nullable=True))
    # Everyone staff of a course now counts as staff from now on. Roles held before and changed since
    # were never recorded: nothing can tell them.
    users = sa.table('user', sa.column('id', sa.Integer), sa.column('staff_since', sa.DateTime(timezone=True)))
    enrollments = sa.table('enrollment', sa.column('user_id', sa.Integer), sa.column('role', sa.String))
    staff = sa.select(enrollments.c.user_id).where(enrollments.c.role.in_(('INSTRUCTOR', 'TA')))
    op.get_bind().execute(users.update().where(users.c.id.in_(staff)).values(staff_since=datetime.now(timezone.utc)))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('staff_since')
