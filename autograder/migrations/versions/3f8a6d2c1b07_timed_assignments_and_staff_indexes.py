"""timed assignments (time limit, start times, time accommodations) and indexes for the staff pages

Revision ID: 3f8a6d2c1b07
Revises: 7c1e0a5b9d42
Create Date: 2026-11-30 13:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3f8a6d2c1b07'
down_revision = '7c1e0a5b9d42'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('course_assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_limit_minutes', sa.Integer(), nullable=True))

    op.create_table('timed_start',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_assignment_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_assignment_id'], ['course_assignment.id'], name=op.f('fk_timed_start_course_assignment_id_course_assignment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_timed_start_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timed_start')),
    sa.UniqueConstraint('user_id', 'course_assignment_id', name=op.f('uq_timed_start_user_id'))
    )
    with op.batch_alter_table('timed_start', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timed_start_course_assignment_id'), ['course_assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_timed_start_user_id'), ['user_id'], unique=False)

    # Rows are the audit trail: the newest per (student, assignment) is in force.
    op.create_table('time_accommodation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_assignment_id', sa.Integer(), nullable=False),
    sa.Column('factor', sa.Float(), nullable=False),
    sa.Column('extra_minutes', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_assignment_id'], ['course_assignment.id'], name=op.f('fk_time_accommodation_course_assignment_id_course_assignment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['set_by_id'], ['user.id'], name=op.f('fk_time_accommodation_set_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_time_accommodation_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_time_accommodation'))
    )
    with op.batch_alter_table('time_accommodation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_time_accommodation_course_assignment_id'), ['course_assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_time_accommodation_user_id'), ['user_id'], unique=False)

    # The staff pages: named mistakes are found without reading every check result, pass rates
    # and standings are counted from indexes that cover them, and an assignment's submissions are
    # listed newest first from the index.
    with op.batch_alter_table('check_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_result_mistake'), ['mistake'], unique=False)
        batch_op.create_index('ix_check_result_submission_summary',
                              ['submission_id', 'function', 'status', 'max_score', 'name', 'position'], unique=False)
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.create_index('ix_submission_course_assignment_created', ['course_assignment_id', 'created_at'], unique=False)
        batch_op.create_index('ix_submission_standing', ['course_assignment_id', 'user_id', 'created_at', 'status',
                                                         'final_score', 'late_days', 'assignment_version'], unique=False)


def downgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index('ix_submission_standing')
        batch_op.drop_index('ix_submission_course_assignment_created')
    with op.batch_alter_table('check_result', schema=None) as batch_op:
        batch_op.drop_index('ix_check_result_submission_summary')
        batch_op.drop_index(batch_op.f('ix_check_result_mistake'))

    with op.batch_alter_table('time_accommodation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_time_accommodation_user_id'))
        batch_op.drop_index(batch_op.f('ix_time_accommodation_course_assignment_id'))
    op.drop_table('time_accommodation')

    with op.batch_alter_table('timed_start', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timed_start_user_id'))
        batch_op.drop_index(batch_op.f('ix_timed_start_course_assignment_id'))
    op.drop_table('timed_start')

    with op.batch_alter_table('course_assignment', schema=None) as batch_op:
        batch_op.drop_column('time_limit_minutes')
