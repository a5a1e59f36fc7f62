"""Policy forms: a rule of the purchasing policy; an out-of-pocket purchase and its review."""

from __future__ import annotations

from decimal import Decimal

from flask_wtf.file import FileField
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.domain.policy import ITEM_KIND_WORDS, RULE_KIND_LABELS
from portal.fields import DayField, MoneyField, PercentField, QuantityField, TitleField
from portal.forms import IdempotentForm


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (big enough to tap), none required."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ToleranceForm(IdempotentForm):
    """How far a PO may go above what was approved without approval again."""

    percent = PercentField("Percent of the approved amount", validators=[InputRequired()])
    amount = MoneyField("Amount", validators=[InputRequired()])
    reason = StringField("Why change it", validators=[Optional(), Length(max=1000)])


class PolicyRuleForm(IdempotentForm):
    """What a rule looks at and its settings; the domain checks they make sense for the kind."""

    name = TitleField("Name", validators=[InputRequired("Give the rule a name."), Length(max=120)])
    kind = SelectField(
        "What it looks at",
        choices=[SelectChoice(kind.value, label) for kind, label in RULE_KIND_LABELS.items()],
    )
    amount = StringField("Limit (PO required at or above)", validators=[Optional(), Length(max=20)])
    item_kinds = CheckboxesField(
        "For",
        choices=[
            SelectChoice(kind.value, words.capitalize()) for kind, words in ITEM_KIND_WORDS.items()
        ],
    )
    categories = StringField("Categories, comma-separated", validators=[Length(max=500)])
    message = StringField("Own message (optional)", validators=[Optional(), Length(max=300)])
    reason = StringField("Why the change (kept in the audit trail)", validators=[Length(max=1000)])


class RuleActiveForm(IdempotentForm):
    """Deactivate a rule, or bring it back, with a reason."""

    reason = StringField("Why", validators=[Length(max=1000)])


class OutOfPocketForm(IdempotentForm):
    """What a technician bought with their own money for this work order."""

    description = TitleField(
        "What you bought", validators=[InputRequired("Say what you bought."), Length(max=300)]
    )
    shop_name = TitleField(
        "Where", validators=[InputRequired("Say where you bought it."), Length(max=120)]
    )
    amount = MoneyField(
        "Amount paid",
        validators=[
            InputRequired("Enter the amount you paid."),
            NumberRange(min=Decimal("0.01"), message="Enter the amount you paid, more than 0."),
        ],
    )
    qty = QuantityField(
        "How many (optional)",
        validators=[Optional(), NumberRange(min=Decimal("0.001"), max=Decimal("100000"))],
    )
    category = TitleField("Spend category", validators=[Length(max=60)])
    part_number = TitleField("Or the part number", validators=[Length(max=40)])
    bought_on = DayField("Bought on", validators=[InputRequired("Enter the day you bought it.")])
    receipt = FileField("Receipt photo")
    why = TextAreaField(
        "Why it could not wait",
        validators=[InputRequired("Say why it could not wait for a PO."), Length(max=1000)],
    )


class ReviewForm(IdempotentForm):
    """Reimburse or refuse; refusing needs a reason."""

    decision = SelectField(
        choices=[SelectChoice("approve", "Reimburse"), SelectChoice("refuse", "Refuse")]
    )
    reason = StringField("Reason", validators=[Length(max=1000)])
