"""course staff and accounts: e-mail skeletons, course time zone, late-day tokens, counted submission, release date, hidden-result visibility, extensions, score overrides

Revision ID: 7c1e0a5b9d42
Revises: 6ec2be1575bb
Create Date: 2026-11-30 10:20:00.000000

"""
from alembic import op
import sqlalchemy as sa

from autograder.services.email_address import skeleton


# revision identifiers, used by Alembic.
revision = '7c1e0a5b9d42'
down_revision = '6ec2be1575bb'
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


    # Course settings, extensions, and manual score overrides (their rows are the audit trail).
    op.create_table('extension',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_assignment_id', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_assignment_id'], ['course_assignment.id'], name=op.f('fk_extension_course_assignment_id_course_assignment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['granted_by_id'], ['user.id'], name=op.f('fk_extension_granted_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_extension_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_extension')),
    sa.UniqueConstraint('user_id', 'course_assignment_id', name=op.f('uq_extension_user_id'))
    )
    with op.batch_alter_table('extension', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_extension_course_assignment_id'), ['course_assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_extension_user_id'), ['user_id'], unique=False)

    op.create_table('score_override',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_assignment_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('comment', sa.String(length=1000), nullable=False),
    sa.Column('previous_score', sa.Float(), nullable=True),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_assignment_id'], ['course_assignment.id'], name=op.f('fk_score_override_course_assignment_id_course_assignment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['set_by_id'], ['user.id'], name=op.f('fk_score_override_set_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_score_override_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_override'))
    )
    with op.batch_alter_table('score_override', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_score_override_course_assignment_id'), ['course_assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_score_override_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_score_override_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), server_default='UTC', nullable=False))
        batch_op.add_column(sa.Column('late_day_tokens', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('late_tokens', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('course_assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counts', sa.Enum('BEST', 'LAST', name='countedsubmission', native_enum=False, length=20), server_default='BEST', nullable=False))
        batch_op.add_column(sa.Column('release_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('hidden_results', sa.Enum('NEVER', 'AFTER_DUE', 'ALWAYS', name='hiddenresults', native_enum=False, length=20), server_default='NEVER', nullable=False))

def downgrade():
    with op.batch_alter_table('course_assignment', schema=None) as batch_op:
        batch_op.drop_column('hidden_results')
        batch_op.drop_column('release_at')
        batch_op.drop_column('counts')

    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.drop_column('late_day_tokens')
        batch_op.drop_column('time_zone')

    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_column('late_tokens')

    with op.batch_alter_table('score_override', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_override_user_id'))
        batch_op.drop_index(batch_op.f('ix_score_override_created_at'))
        batch_op.drop_index(batch_op.f('ix_score_override_course_assignment_id'))

    op.drop_table('score_override')
    with op.batch_alter_table('extension', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_extension_user_id'))
        batch_op.drop_index(batch_op.f('ix_extension_course_assignment_id'))

    op.drop_table('extension')

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_email_skeleton'))
        batch_op.drop_column('email_skeleton')
