"""The billing rules: pure functions from content to money owed.

No I/O and no clock: "today" is always an argument, so a build, a reminder
run or a test for a given day always gives the same figures.
"""

from site_builder.billing.dates import add_months
from site_builder.billing.discount import (
    discount_amount,
    discount_applies,
    discount_deadline,
    discount_offered,
    discount_taken,
)
from site_builder.billing.errors import BillingError
from site_builder.billing.fees import FeeCharge, fixed_amount, late_fee_charges
from site_builder.billing.retainers import expand_retainer, period_suffix
from site_builder.billing.schedule import ScheduleEntry, payment_schedule
from site_builder.billing.statement import (
    CreditUse,
    EntryStatement,
    PaymentRecord,
    Statement,
    statement,
)
from site_builder.billing.terms import ResolvedTerms, due_date, resolve_terms
from site_builder.billing.totals import LineAmount, Totals, invoice_totals

__all__ = [
    "BillingError",
    "CreditUse",
    "EntryStatement",
    "FeeCharge",
    "LineAmount",
    "PaymentRecord",
    "ResolvedTerms",
    "ScheduleEntry",
    "Statement",
    "Totals",
    "add_months",
    "discount_amount",
    "discount_applies",
    "discount_deadline",
    "discount_offered",
    "discount_taken",
    "due_date",
    "expand_retainer",
    "fixed_amount",
    "invoice_totals",
    "late_fee_charges",
    "payment_schedule",
    "period_suffix",
    "resolve_terms",
    "statement",
]
