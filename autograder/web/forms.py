"""Flask-WTF forms: every form carries a CSRF token."""

from __future__ import annotations

from decimal import Decimal

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional

from autograder.models.course import LatePolicy


class FiniteDecimalField(DecimalField):
    """A DecimalField that refuses NaN, sNaN and infinities as it reads them.

    Decimal reads "nan", "sNaN" and "inf" as numbers; NumberRange then compares them, and a
    signalling NaN raises there (a 500) while an infinity passes a range with no upper bound.
    """

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value."))


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me signed in")


class RegisterForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=120)])
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField("Repeat the password", validators=[EqualTo("password", "The passwords differ.")])
    join_code = StringField("Course join code (optional)", validators=[Optional(), Length(max=40)])


class JoinCourseForm(FlaskForm):
    join_code = StringField("Join code", validators=[DataRequired(), Length(max=40)])


class SubmitForm(FlaskForm):
    file = FileField("Upload your file")
    code = TextAreaField("…or paste your code")
    # Set by "Submit anyway" after the warning that the file defines none of the graded functions.
    confirm_unrelated = BooleanField("Submit anyway")
    kept_file = HiddenField()


class EmptyForm(FlaskForm):
    """A form with only its CSRF token (buttons that POST)."""


class RosterForm(FlaskForm):
    roster = FileField("Roster CSV")


class DeadlineForm(FlaskForm):
    due_at = DateTimeLocalField("Due (course time zone)", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    late_policy = SelectField("Late policy", choices=[
        SelectChoice(LatePolicy.NONE.value, "Late work counts in full"),
        SelectChoice(LatePolicy.PENALTY.value, "Penalty per started day late"),
        SelectChoice(LatePolicy.CUTOFF.value, "Hard cut-off after a grace period"),
    ])
    penalty_per_day = FiniteDecimalField("Penalty per day (fraction)", places=2,
                                   validators=[Optional(), NumberRange(min=0, max=1)])
    cutoff_days = IntegerField("Grace period (days)", validators=[Optional(), NumberRange(min=0, max=365)])
    release_at = DateTimeLocalField("Release (students see it from; course time zone)", format="%Y-%m-%dT%H:%M",
                                    validators=[Optional()])
    hidden_results = SelectField("Hidden-case results shown to students", default="never", choices=[
        SelectChoice("never", "Never (their score still counts them)"),
        SelectChoice("after_due", "After the due date"),
        SelectChoice("always", "Always"),
    ])
    counts = SelectField("Which submission counts", default="best", choices=[
        SelectChoice("best", "The student's best score"),
        SelectChoice("last", "The student's last graded submission"),
    ])
    time_limit_minutes = IntegerField("Time limit in minutes from the student's Start (empty: untimed)",
                                      validators=[Optional(), NumberRange(min=1, max=7 * 24 * 60)])


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired()])
    new = PasswordField("New password", validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField("Repeat the new password", validators=[EqualTo("new", "The passwords differ.")])


class ForgotPasswordForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])


class SetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField("Repeat the password", validators=[EqualTo("password", "The passwords differ.")])


class AddMemberForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    name = StringField("Name (for a new account)", validators=[Optional(), Length(max=120)])
    role = SelectField("Role", choices=[
        SelectChoice("student", "Student"),
        SelectChoice("ta", "TA (views and grades, cannot change settings)"),
        SelectChoice("instructor", "Instructor"),
    ])


class OverrideForm(FlaskForm):
    score = FiniteDecimalField("Score", places=2, validators=[Optional(), NumberRange(min=0)])
    comment = TextAreaField("Why (kept in the record)", validators=[DataRequired(), Length(max=1000)])
    lift = BooleanField("Lift the override (grading's score counts again)")


class ExtensionForm(FlaskForm):
    due_at = DateTimeLocalField("Own due date (course time zone)", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    reason = StringField("Reason (for staff)", validators=[Optional(), Length(max=200)])


class AccommodationForm(FlaskForm):
    factor = FiniteDecimalField("Time factor (1.5: half as much time again)", places=2, default=Decimal("1"),
                          validators=[DataRequired(), NumberRange(min=1, max=5)])
    extra_minutes = IntegerField("Extra minutes", default=0, validators=[Optional(), NumberRange(min=0, max=24 * 60)])
    reason = StringField("Reason (for staff)", validators=[Optional(), Length(max=200)])


class CourseSettingsForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    time_zone = StringField("Time zone (e.g. Europe/Paris)", validators=[DataRequired(), Length(max=64)])
    late_day_tokens = IntegerField("Free late days per student (whole course)", default=0,
                                   validators=[Optional(), NumberRange(min=0, max=60)])


class NewCourseForm(CourseSettingsForm):
    code = StringField("Course code (e.g. DL-2027)", validators=[DataRequired(), Length(max=40)])
