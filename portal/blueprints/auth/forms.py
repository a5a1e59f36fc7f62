"""Sign-in form."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length


class LoginForm(FlaskForm):
    """Username and password; the field names are part of the contract (username, password)."""

    username = StringField("Username", validators=[InputRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=200)])
    remember = BooleanField("Keep me signed in on this phone")
    next = HiddenField()


class ChangePasswordForm(FlaskForm):
    """The current password, then the new one twice."""

    current = PasswordField("Current password", validators=[InputRequired(), Length(max=200)])
    new = PasswordField("New password", validators=[InputRequired(), Length(max=200)])
    confirm = PasswordField(
        "New password again",
        validators=[InputRequired(), EqualTo("new", message="The two new passwords differ.")],
    )
