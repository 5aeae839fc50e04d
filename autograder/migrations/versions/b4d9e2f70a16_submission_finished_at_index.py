"""an index on submission.finished_at (the recent grading rate behind the poll hint)

Revision ID: b4d9e2f70a16
Revises: 3f8a6d2c1b07
Create Date: 2026-12-01 02:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b4d9e2f70a16'
down_revision = '3f8a6d2c1b07'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_finished_at'), ['finished_at'], unique=False)


def downgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_finished_at'))
