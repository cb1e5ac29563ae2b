"""The content model: what an agency writes, validated.

Amounts a person types (prices, fees, payments) are Decimals parsed from the
source text; the billing rules turn them into integer minor units of the
invoice's currency. Identifiers come from file names (``clients/acme.yaml`` is
client ``acme``; ``invoices/INV-1.yaml`` is invoice ``INV-1``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    WrapSerializer,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from site_builder.i18n import resolve_locale
from site_builder.money import MoneyError, exponent, parse_decimal, to_minor

STRIPE_CHECKOUT = "https://checkout.stripe.com"  # where Stripe hosts its Checkout pages

# --- field types -------------------------------------------------------------


def _currency(value: str) -> str:
    exponent(value)  # raises with a clear message for an unknown code
    return value


def _locale(value: str) -> str:
    resolve_locale(value)
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (expected e.g. Europe/Warsaw)") from None
    return value


_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")


# What a text field may not hold, and why. A one-line field (a name, a title, an item's
# description) ends up in email headers, PDF lines, CSV cells and page titles: a line break
# there splits a header (a contact name with CR/LF broke `portal remind`), a tab or another
# C0/C1 control prints as nothing or as garbage, and a bidirectional override or isolate
# makes text display differently from what it says (an IBAN or a sender that reads
# backwards). Paragraphs may break lines; a file's CR and a tab are kept there for Markdown.
# The marks U+200E, U+200F and U+061C stay allowed everywhere: right-to-left text needs them.
_BIDI = "\u202a-\u202e\u2066-\u2069"
_NOT_IN_A_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}]")
_NOT_IN_PROSE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029{_BIDI}]")
_BREAKS = {
    "\n": "a line break",
    "\r": "a carriage return",
    "\x85": "a line break",
    "\x0b": "a line break",
    "\x0c": "a page break",
    "\u2028": "a line separator",
    "\u2029": "a paragraph separator",
}


def _found(char: str, where: int, multi_line: bool) -> str:
    code = f"U+{ord(char):04X}"
    if char in _BREAKS:
        what = _BREAKS[char]
        advice = "use an ordinary line break" if multi_line else "write it on one line"
    elif char == "\t":
        what, advice = "a tab", "use spaces"
    elif char >= "\u202a":
        what = f"the bidirectional control {unicodedata.name(char)}"
        advice = "remove it: it makes text display differently from what it says"
    else:
        what, advice = "a control character", "remove it"
    return f"contains {what} ({code}) at character {where + 1}; {advice}"


def _one_line(value: str) -> str:
    if found := _NOT_IN_A_LINE.search(value):
        raise ValueError(_found(found.group(), found.start(), multi_line=False))
    return value


def _prose(value: str) -> str:
    if found := _NOT_IN_PROSE.search(value):
        raise ValueError(_found(found.group(), found.start(), multi_line=True))
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an email address")
    return value


def _url(value: str) -> str:
    if not re.fullmatch(r"https?://[^\s\"'<>]+", value):
        raise ValueError(f"expected an http:// or https:// address, got {value!r}")
    return value.rstrip("/")


def _slug(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", value):
        raise ValueError(f"{value!r} must be letters, digits, '.', '_' or '-'")
    return value


# Stripe's payment method types, as Checkout's ``excluded_payment_method_types`` takes them
# (the SDK's list for the API version the functions use): what ``payment_methods`` may name,
# and what /checkout leaves out of a session for a currency with a list
PAYMENT_METHOD_TYPES = (
    "acss_debit", "affirm", "afterpay_clearpay", "alipay", "alma", "amazon_pay",
    "au_becs_debit", "bacs_debit", "bancontact", "billie", "bizum", "blik", "boleto", "card",
    "cashapp", "crypto", "customer_balance", "eps", "fpx", "giropay", "grabpay", "ideal",
    "kakao_pay", "klarna", "konbini", "kr_card", "mb_way", "mobilepay", "multibanco",
    "naver_pay", "nz_bank_account", "oxxo", "p24", "pay_by_bank", "payco", "paynow", "paypal",
    "paypay", "payto", "pix", "promptpay", "revolut_pay", "samsung_pay", "satispay",
    "scalapay", "sepa_debit", "sequra", "sofort", "sunbit", "swish", "twint", "upi",
    "us_bank_account", "wechat_pay", "zip",
)  # fmt: skip


def _payment_method(value: str) -> str:
    if value not in PAYMENT_METHOD_TYPES:
        raise ValueError(
            f"unknown payment method {value!r} (Stripe's names, e.g. card, sepa_debit, "
            "us_bank_account, blik, p24, fpx, alipay, wechat_pay)"
        )
    return value


def _no_repeats(methods: list[str]) -> list[str]:
    twice = sorted({m for m in methods if methods.count(m) > 1})
    if twice:
        raise ValueError(f"names {', '.join(twice)} more than once")
    return methods


PaymentMethodType = Annotated[str, AfterValidator(_slug), AfterValidator(_payment_method)]
PaymentMethodList = Annotated[
    list[PaymentMethodType], Field(min_length=1), AfterValidator(_no_repeats)
]


# Past this an amount is a typo, and sums of amounts would outgrow the 28 digits that
# Decimal arithmetic keeps exactly. A quadrillion is more than any invoice in any currency
# (a billion US dollars is some 4 * 10**13 Iranian rial).
MAX_AMOUNT = Decimal(10) ** 15


def _in_range(value: Decimal) -> Decimal:
    if abs(value) >= MAX_AMOUNT:
        raise ValueError(f"must be less than 10**15 (a quadrillion), got {value:.6g}")
    return value


# Content dates: wide enough for any agency's history and plans, narrow enough to catch a
# mistyped year (2206 for 2026) and to keep the billing's date arithmetic (due dates, fee
# steps, reminders up to 10 years either side) far from the calendar's ends at 1 and 9999.
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2199, 12, 31)


def _plausible_day(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(
            f"expected a date between {FIRST_DAY} and {LAST_DAY} (a typo in the year?), got {value}"
        )
    return value


def _non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError(f"must not be negative, got {value}")
    return value


def _percent(value: Decimal) -> Decimal:
    if not 0 <= value <= 100:
        raise ValueError(f"must be a percentage between 0 and 100, got {value}")
    return value


# What an editor may write for an amount (``portal schema``): text such as "1500.10", or a
# number; the reader keeps a YAML float's source text, so 1500.10 unquoted is exact too.
_DECIMAL_TEXT = (
    r"^\s*[+-]?(?=[0-9_]*\.?[0-9_]*[0-9])[0-9_]*\.?[0-9_]*"  # digits, at most one point
    r"([eE][+-]?[0-9_]*[0-9][0-9_]*)?\s*$"  # an exponent
)
_AMOUNT_SCHEMA = {
    "anyOf": [{"type": "number"}, {"type": "string", "pattern": _DECIMAL_TEXT}],
    "description": 'An exact amount, best written as text: "1500.00" (or an integer: 1500).',
}
Amount = Annotated[
    Decimal,
    BeforeValidator(parse_decimal),
    AfterValidator(_in_range),
    WithJsonSchema(_AMOUNT_SCHEMA),
]
NonNegativeAmount = Annotated[Amount, AfterValidator(_non_negative)]
Percent = Annotated[Amount, AfterValidator(_percent)]
Currency = Annotated[str, AfterValidator(_currency)]
Locale = Annotated[str, AfterValidator(_locale)]
OneLine = AfterValidator(_one_line)  # first, so a line break is named as one
Email = Annotated[str, OneLine, AfterValidator(_email)]
URL = Annotated[str, OneLine, AfterValidator(_url)]
Slug = Annotated[str, AfterValidator(_slug)]
# every single-line text field of the content is a Line; paragraphs are Prose
Line = Annotated[str, Field(min_length=1, max_length=2000), OneLine]
Prose = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_prose)]
Days = Annotated[int, Field(ge=0, le=3650, strict=True)]
Day = Annotated[date, AfterValidator(_plausible_day)]
# A fixed amount, either one figure for every currency or one per currency
PerCurrencyAmount = NonNegativeAmount | dict[Currency, NonNegativeAmount]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# --- terms -------------------------------------------------------------------

# The word that switches off a rule inherited from the level above (``late_fee: none``,
# ``cap: none``). An empty value is refused instead: ``late_fee:`` with nothing after it is
# as likely a half-written override as a wish for no fees, and fees silently gone cost money.
OFF = "none"


def _off(what: str, kind: object) -> BeforeValidator:
    def check(value: object) -> object:
        if value is None:
            raise ValueError(
                f"empty: write `{OFF}` to turn {what} off, or leave the field out to keep "
                "what applies from above"
            )
        if isinstance(value, str) and value.strip().lower() == OFF:
            return None
        return value

    return BeforeValidator(check, json_schema_input_type=kind | Literal["none"])  # type: ignore[operator]


def _say_off(value: object, handler: Callable[[object], object]) -> object:
    # a switched-off rule is written back as the word, so snapshots read back as it was written
    return OFF if value is None else handler(value)


SAID_OFF = WrapSerializer(_say_off)


def _exact_in(amount: object, field: str) -> None:
    """Each figure of a per-currency amount must fit its currency: JPY 2550.5 is a typo."""
    if isinstance(amount, dict):
        for currency, value in amount.items():
            try:
                to_minor(value, currency, exact=True)
            except MoneyError as exc:
                raise ValueError(f"{field}: {exc}") from None


class LateFeeStep(Model):
    """A one-off charge once an invoice is ``days_overdue`` days late."""

    days_overdue: Annotated[int, Field(ge=1, le=3650, strict=True)]
    percent: Percent
    of: Literal["total", "balance"] = "total"


class Cap(Model):
    percent: Percent | None = None
    amount: PerCurrencyAmount | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Cap:
        if (self.percent is None) == (self.amount is None):
            raise ValueError("give exactly one of 'percent' or 'amount'")
        return self

    @field_validator("amount")
    @classmethod
    def _exact(cls, amount: object) -> object:
        _exact_in(amount, "the cap")
        return amount


class LateFeePolicy(Model):
    """Late fees. A client's or invoice's late_fee changes only the fields it writes:
    steps: [] drops the steps from above, and monthly_interest, flat or cap: none drops
    that rule (late_fee: none drops them all)."""

    steps: list[LateFeeStep] = []
    monthly_interest: Annotated[Percent | None, _off("the interest", Percent), SAID_OFF] = None
    flat: Annotated[PerCurrencyAmount | None, _off("the flat fee", PerCurrencyAmount), SAID_OFF] = (
        None
    )
    grace_days: Days = 0
    cap: Annotated[Cap | None, _off("the cap", Cap), SAID_OFF] = None

    @field_validator("flat")
    @classmethod
    def _exact(cls, flat: object) -> object:
        _exact_in(flat, "the flat fee")
        return flat

    @model_validator(mode="after")
    def _ordered(self) -> LateFeePolicy:
        days = [s.days_overdue for s in self.steps]
        if days != sorted(set(days)):
            raise ValueError("steps must be in increasing order of days_overdue, no day twice")
        return self


class EarlyDiscount(Model):
    percent: Percent
    within_days: Days


class Terms(Model):
    """Payment terms; every field left out is inherited from the level above."""

    net_days: Days | None = None
    # a deposit with no due date of its own is due this many days after the issue date;
    # left out everywhere, it is the net days (a deposit is not late the day after issue)
    deposit_days: Days | None = None
    late_fee: Annotated[LateFeePolicy | None, _off("late fees", LateFeePolicy), SAID_OFF] = None
    early_discount: EarlyDiscount | None = None


Tone = Literal["friendly", "firm", "final"]


def _bare_days(value: object) -> object:
    # "overdue: [1, 7, 14]": a bare number is a step with the schedule's default tone and CC
    if isinstance(value, int) and not isinstance(value, bool):
        return {"days": value}
    if not isinstance(value, dict | ReminderStep):
        raise ValueError(
            "expected a number of days or {days: N, tone: ..., cc_leadership: ...}, "
            f"got {value!r}"
        )
    return value


class ReminderStep(Model):
    """One reminder: ``days`` before (or after) the due date, its tone, whether to CC leadership.

    A tone or CC left out follows the schedule's thresholds, so a step is usually a bare number.
    """

    days: Annotated[int, Field(ge=1, le=3650, strict=True)]
    tone: Tone | None = None
    cc_leadership: bool | None = None


Step = Annotated[
    ReminderStep,
    BeforeValidator(
        _bare_days,
        json_schema_input_type=Annotated[int, Field(ge=1, le=3650)] | ReminderStep,
    ),
]


class ReminderSchedule(Model):
    """When reminders go out; a client's schedule overrides only the fields it writes."""

    before_due: list[Step] = [ReminderStep(days=10), ReminderStep(days=5), ReminderStep(days=3)]
    on_due: bool = True
    overdue: list[Step] = [ReminderStep(days=d) for d in (1, 7, 14, 30)]
    repeat_every_days: Annotated[int, Field(ge=0, le=365, strict=True)] = 30
    stop_after_days: Days | None = None
    cc_leadership_from_days_overdue: Days = 14
    # the tone of a step that names none: friendly, then firm, then (if set) final
    firm_from_days_overdue: Days = 14
    final_from_days_overdue: Days | None = None
    skip_weekends: bool = False
    holidays: list[Day] = []

    @field_validator("before_due", "overdue")
    @classmethod
    def _distinct(cls, steps: list[ReminderStep], info: ValidationInfo) -> list[ReminderStep]:
        days = [s.days for s in steps]
        if len(set(days)) != len(days):
            raise ValueError(f"{info.field_name} names the same day twice: {days}")
        return steps


def _fraction(value: Decimal) -> Decimal:
    if not 0 <= value <= 1:
        raise ValueError(f"must be a share between 0 and 1 (0.5 is half), got {value}")
    return value


class LatePayers(Model):
    """When ``portal status`` and the agency report flag a client as a habitual late payer.

    All three must hold: enough paid invoices to judge by, a large enough share
    of them paid after their due date, and late by enough days on average (over
    every paid invoice, an on-time one counting 0). One late invoice is bad luck;
    many invoices paid a day late are bank delays.
    """

    min_paid_invoices: Annotated[int, Field(ge=1, le=10_000, strict=True)] = 3
    share_late: Annotated[Amount, AfterValidator(_fraction)] = Decimal("0.5")
    average_days_late: Annotated[Amount, AfterValidator(_non_negative)] = Decimal(7)


# --- parties -----------------------------------------------------------------

Address = Annotated[list[Line], Field(min_length=1, max_length=8)]


# How tax is rounded: once per rate on the sum of that rate's lines (what invoices always did
# here), or on each line and then summed (what some tax offices and accounting systems expect).
TaxRounding = Literal["invoice", "line"]


def _email_off(value: object) -> object:
    # YAML reads a bare ``off`` as false: the word the agency wrote, not a boolean
    return "off" if value is False else value


StatementEmail = Annotated[
    Literal["monthly", "off"],
    BeforeValidator(_email_off, json_schema_input_type=Literal["monthly", "off"]),
]


class Statements(Model):
    """The statement of account by email: off unless the agency turns it on.

    ``day`` is of the month, 1 to 28 so every month has it; one statement run a month for
    the whole agency, as accounting systems send them.
    """

    email: StatementEmail = "off"
    day: Annotated[int, Field(ge=1, le=28, strict=True)] = 1


class ClientStatements(Model):
    """A client's exception to the agency's ``statements:``: the email on or off for it."""

    email: StatementEmail | None = None  # None: as the agency says


AutopayMode = Literal["off", "allowed", "required"]
RetryDay = Annotated[int, Field(ge=1, le=365, strict=True)]


class Autopay(Model):
    """Automatic payments (site_builder/billing/autopay.py); a client's ``autopay:`` changes
    only the fields it writes, as ``reminders`` do.

    ``mode``: off (the portal does not offer it), allowed (offered), required (asked for, at
    the top of the portal). ``when``: due (each part on its own due day) or issue (an invoice
    without a plan on its issue day: retainers). ``notice_days``: the email before a charge.
    ``retry_days``: after a failed first attempt, tried again this many days after it.
    """

    mode: Annotated[
        AutopayMode, BeforeValidator(_email_off, json_schema_input_type=AutopayMode)
    ] = "off"
    when: Literal["due", "issue"] = "due"
    notice_days: Annotated[int, Field(ge=0, le=365, strict=True)] = 3
    retry_days: Annotated[list[RetryDay], Field(max_length=10)] = [3, 7]

    @field_validator("retry_days")
    @classmethod
    def _increasing(cls, days: list[int]) -> list[int]:
        if days != sorted(set(days)):
            raise ValueError(f"must be in increasing order, no day twice, got {days}")
        return days


# what Stripe gave, shown on pages and receipts: one line, no control characters
StripeText = Annotated[str, OneLine]


class SavedMethod(Model):
    """A client's payment method saved with Stripe for automatic payments (from the store)."""

    type: StripeText  # Stripe's PaymentMethod type: card, sepa_debit, us_bank_account, ...
    brand: StripeText | None = None  # card brand as Stripe names it (visa, amex) or a bank
    last4: StripeText  # 4 digits
    customer: StripeText | None = None  # cus_...: kept so the functions need no second lookup
    id: StripeText | None = None  # pm_...: never shown on a page (pages are public by token only)


class Agency(Model):
    name: Line  # the trading name, as clients know it
    # the registered name, printed beside the trading name on documents where it differs
    # ("Northwind Studio LLC"): the party an accounts department books the invoice against
    legal_name: Line | None = None
    tax_id: Line | None = None
    email: Email
    phone: Line | None = None
    address: Address
    currency: Currency = "USD"
    locale: Locale = "en"
    timezone: Annotated[str, AfterValidator(_timezone)] = "UTC"
    portal_url: URL
    api_url: URL
    # Where /checkout sends the payer: Stripe's hosted Checkout, or a local Stripe-compatible
    # server (``portal serve``). Browsers apply the pages' CSP form-action to that redirect too.
    checkout_url: URL = STRIPE_CHECKOUT
    terms: Terms = Terms(net_days=30)
    reminders: ReminderSchedule = ReminderSchedule()
    statements: Statements = Statements()
    # one text, or one per locale ({"en": ..., "pl": ...}); {contact} and {client} are filled in
    thank_you: Prose | Annotated[dict[Locale, Prose], Field(min_length=1)] = (
        "Thank you, {contact}! It is a pleasure to work with {client}."
    )
    # free text printed under the terms: one text (in the agency's locale), or one per
    # locale; a client whose language has none reads the agency's own, marked as such
    payment_terms: Prose | Annotated[dict[Locale, Prose], Field(min_length=1)] | None = None
    allowed_payment_method_types: list[Slug] | None = None
    # per currency, the only methods Checkout offers ({PLN: [card, blik, p24]}); a currency
    # without a list: Stripe's dynamic payment methods (or allowed_payment_method_types)
    payment_methods: dict[Currency, PaymentMethodList] | None = None
    late_payers: LatePayers = LatePayers()
    autopay: Autopay = Autopay()
    # defaults for every invoice (an invoice may say otherwise): see Invoice
    prices_include_tax: bool = False
    tax_rounding: TaxRounding = "invoice"


class Contact(Model):
    name: Line
    email: Email
    role: Literal["billing", "leadership"] = "billing"


class Notify(Model):
    """Which invoice emails a client gets; a client file writes only the kinds it turns off."""

    new_invoice: bool = True  # the invoice, on the day it is published
    updated_invoice: bool = True  # a change to a figure the client relies on
    void_invoice: bool = True  # the invoice was cancelled


class Client(Model):
    id: Slug
    name: Line
    locale: Locale | None = None
    currency: Currency | None = None
    tax_id: Line | None = None
    po_number: Line | None = None
    address: Address | None = None
    phone: Line | None = None
    # the first billing contact is the person an invoice is addressed to (attention of)
    contacts: Annotated[list[Contact], Field(min_length=1)]
    token_version: Annotated[int, Field(ge=1, strict=True)] = 1
    terms: Terms | None = None
    reminders: ReminderSchedule | None = None
    thank_you: Prose | Annotated[dict[Locale, Prose], Field(min_length=1)] | None = None
    notify: Notify = Notify()
    statements: ClientStatements = ClientStatements()
    autopay: Autopay | None = None  # the fields written override the agency's

    @field_validator("contacts")
    @classmethod
    def _has_billing_contact(cls, contacts: list[Contact]) -> list[Contact]:
        if not any(c.role == "billing" for c in contacts):
            raise ValueError("expected at least one contact with role: billing")
        return contacts


# --- invoices ----------------------------------------------------------------


class Tax(Model):
    """A tax rate: the invoice's (every taxable line's default) or one line's own."""

    # a line's rate that names no label takes the invoice's: {percent: "8"} under VAT is VAT 8%
    label: Annotated[str, Field(min_length=1, max_length=40), OneLine] = "Tax"
    percent: Percent


class LineItem(Model):
    description: Line
    quantity: NonNegativeAmount = Decimal(1)
    unit_price: Amount
    kind: Literal["scope", "out_of_scope", "expense"] = "scope"
    taxable: bool = True
    tax: Tax | None = None  # this line's own rate, instead of the invoice's

    @model_validator(mode="after")
    def _line_in_range(self) -> LineItem:
        if abs(self.quantity * self.unit_price) >= MAX_AMOUNT:
            raise ValueError("quantity times unit_price comes to a quadrillion (10**15) or more")
        if self.tax is not None and not self.taxable:
            # which one the agency meant cannot be guessed; a 0% rate is written as one
            raise ValueError("give either a tax rate or taxable: false, not both")
        return self


class Portion(Model):
    """A share of an invoice: a percentage of it, or a fixed amount."""

    percent: Percent | None = None
    amount: NonNegativeAmount | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Portion:
        if (self.percent is None) == (self.amount is None):
            raise ValueError("give exactly one of 'percent' or 'amount'")
        return self


class Deposit(Portion):
    due: Day | None = None  # defaults to the issue date + the terms' deposit_days
    label: Line | None = None


class Instalment(Portion):
    due: Day
    label: Line | None = None


class Retainer(Model):
    """One invoice per period from this template, numbered ``<number>-<period>``."""

    every: Literal["week", "month", "quarter", "year"] = "month"
    start: Day
    until: Day | None = None
    count: Annotated[int, Field(ge=1, le=1200, strict=True)] | None = None


class Invoice(Model):
    number: Annotated[str, AfterValidator(_slug)]
    client: Slug
    issued: Day
    due: Day | None = None
    currency: Currency
    po_number: Line | None = None
    title: Line | None = None
    items: Annotated[list[LineItem], Field(min_length=1, max_length=500)]
    tax: Tax | None = None
    # both default to the agency's setting (filled in when the content is read)
    prices_include_tax: bool = False  # unit prices are gross: the tax is inside them
    tax_rounding: TaxRounding = "invoice"
    terms: Terms | None = None
    deposit: Deposit | None = None
    instalments: list[Instalment] | None = None
    retainer: Retainer | None = None
    memo: Prose | None = None
    status: Literal["issued", "void", "draft"] = "issued"

    @field_validator("due")
    @classmethod
    def _due_after_issue(cls, due: date | None, info: ValidationInfo) -> date | None:
        issued = info.data.get("issued")
        if due is not None and issued is not None and due < issued:
            raise ValueError(f"due date {due} is before the issue date {issued}")
        return due

    @field_validator("instalments")
    @classmethod
    def _plan(cls, plan: list[Instalment] | None, info: ValidationInfo) -> list[Instalment] | None:
        if plan is None:
            return plan
        due = info.data.get("due")
        if due is not None and plan and due < max(i.due for i in plan):
            # the invoice would be "overdue" while the plan says nothing is late yet
            raise ValueError(
                f"the last instalment is due {max(i.due for i in plan)}, after the invoice's "
                f"due date {due}: leave due out (a plan is due with its last instalment)"
            )
        if len(plan) < 2:
            raise ValueError("an instalment plan needs at least two instalments")
        if len({i.percent is None for i in plan}) > 1:
            raise ValueError("instalments must all give a percent or all give an amount")
        dues = [i.due for i in plan]
        if dues != sorted(dues):
            raise ValueError("instalments must be in order of due date")
        if plan[0].percent is not None:
            share = sum((i.percent or Decimal(0) for i in plan), Decimal(0))
            if share != 100:
                raise ValueError(f"instalment percentages add up to {share}, not 100")
        return plan

    @field_validator("retainer")
    @classmethod
    def _template_only(cls, retainer: Retainer | None, info: ValidationInfo) -> Retainer | None:
        if retainer is not None and info.data.get("instalments") is not None:
            raise ValueError("a retainer template cannot also have instalments")
        return retainer


# --- what happened afterwards ------------------------------------------------


class Payment(Model):
    """Money received: offline (a cheque, a wire) or recorded by the functions.

    Or credit applied: ``method: credit`` with ``from: <invoice>`` pays ``invoice`` out of
    what the client overpaid on that other invoice; no money moves, so no receipt.
    """

    # the file says "from:" (a Python keyword); snapshots round-trip under either name
    model_config = ConfigDict(validate_by_name=True, serialize_by_alias=True)

    id: Slug
    invoice: Annotated[str, AfterValidator(_slug)]
    amount: Annotated[Amount, AfterValidator(_non_negative)]
    currency: Currency
    date: Day
    method: Literal[
        "card", "bank_debit", "bank_transfer", "wire", "cheque", "cash", "other", "credit",
        # the methods Stripe names that a client knows by name (functions/methods.py)
        "link", "paypal", "klarna", "ideal", "blik", "p24", "fpx", "alipay", "wechat_pay",
    ] = "bank_transfer"  # fmt: skip
    from_invoice: Annotated[str, AfterValidator(_slug)] | None = Field(
        default=None,
        alias="from",
        description="With method: credit: the overpaid invoice whose credit pays this one.",
    )
    instalment: Annotated[int, Field(ge=1, strict=True)] | None = None
    reference: Line | None = None
    refunded: NonNegativeAmount = Decimal(0)
    disputed: bool = False  # the payer disputed it with their bank: a person must look
    processing: bool = False  # on its way (a bank debit settling): counted, not yet a receipt
    # the store's receipt number ("R-2026-0007"), given once when the payment first became a
    # receipt; the store's alone to give, so a content file may not write it (the reader says
    # so) and the file's schema leaves it out. It names the receipt's page: a safe file name.
    receipt: SkipJsonSchema[
        Annotated[str, Field(pattern=r"^R-[0-9]{4}-[0-9]{4,}$"), AfterValidator(_slug)] | None
    ] = None
    # an automatic charge's saved method ("Visa •••• 4242" on its receipt): the store's, as
    # the receipt number is, so a content file may not write it either
    saved: SkipJsonSchema[SavedMethod | None] = None


class Note(Model):
    """A thank-you note by the agency, Markdown with YAML front matter."""

    client: Slug
    slug: Slug
    title: Line
    date: Day
    invoice: Line | None = None
    body: Annotated[str, Field(max_length=100_000), AfterValidator(_prose)]
