"""the regrade lane: submission.regrading and submission.cooldown_from

Revision ID: e7b3c9a41d26
Revises: c5a8e1d3f907
Create Date: 2026-12-01 12:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7b3c9a41d26'
down_revision = 'c5a8e1d3f907'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cooldown_from', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('regrading', sa.Boolean(), server_default=sa.false(), nullable=False))
    # Until now the cooldown counted from finished_at: it goes on counting from there. (A regrade
    # before this revision moved finished_at; nothing tells those rows apart any more.)
    submissions = sa.table('submission', sa.column('finished_at', sa.DateTime(timezone=True)),
                           sa.column('cooldown_from', sa.DateTime(timezone=True)))
    op.get_bind().execute(submissions.update().values(cooldown_from=submissions.c.finished_at))


def downgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_column('regrading')
        batch_op.drop_column('cooldown_from')
