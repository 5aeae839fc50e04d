"""course.hidden_seed: each new course draws its hidden cases from a seed of its own

Revision ID: e8f4b0d5c329
Revises: d7e3a9c4b218
Create Date: 2026-12-01 12:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e8f4b0d5c329'
down_revision = 'd7e3a9c4b218'
branch_labels = None
depends_on = None


def upgrade():
    # Existing courses stay NULL: they keep grading (and regrading) with the site's seed, which
    # their submissions were graded with. New courses get a random seed when they are created.
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hidden_seed', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.drop_column('hidden_seed')
