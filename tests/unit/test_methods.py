"""Stripe's payment method types in the words we record, and the labels every page names."""

from __future__ import annotations

import typing
from typing import Any

import pytest

from functions.methods import STRIPE_METHODS, method_of, offered_method, paid_with
from functions.receipts import _METHODS as RECEIPT_LABELS
from site_builder.i18n import UI_LOCALES
from site_builder.model import Payment
from site_builder.render import Theme


@pytest.mark.parametrize(
    ("stripe_type", "recorded"),
    [
        ("card", "card"),
        ("us_bank_account", "bank_debit"),
        ("sepa_debit", "bank_debit"),
        ("bacs_debit", "bank_debit"),
        ("au_becs_debit", "bank_debit"),
        ("acss_debit", "bank_debit"),
        ("customer_balance", "bank_transfer"),
        ("blik", "blik"),
        ("p24", "p24"),
        ("fpx", "fpx"),
        ("alipay", "alipay"),
        ("wechat_pay", "wechat_pay"),
        ("cashapp", "other"),  # a method we do not name is recorded, as "other"
        ("a_type_stripe_adds_next_year", "other"),
    ],
)
def test_a_stripe_type_is_recorded_in_our_words(stripe_type: str, recorded: str) -> None:
    assert method_of(stripe_type) == recorded


def test_a_session_offering_two_methods_does_not_say_which_paid() -> None:
    assert offered_method(["card", "us_bank_account"]) is None  # today's bug: it said "card"
    assert offered_method(["sepa_debit"]) == "bank_debit"
    assert offered_method(["us_bank_account", "sepa_debit"]) == "bank_debit"  # both debits
    assert offered_method([]) is None


RECORDED = sorted({*STRIPE_METHODS.values(), "other"})


def test_every_recorded_method_is_one_the_content_model_takes() -> None:
    (allowed,) = [
        typing.get_args(arg)
        for arg in [Payment.model_fields["method"].annotation]
        if typing.get_origin(arg) is typing.Literal
    ]
    assert set(RECORDED) <= set(allowed)


@pytest.mark.parametrize("locale", UI_LOCALES)
def test_every_recorded_method_has_a_label_on_pages_and_in_receipts(locale: str) -> None:
    """A page names a method through ``method_labels`` (a missing one fails the render: the
    theme's Undefined is strict), a receipt email through ``receipts._METHODS``: both agree."""
    theme = Theme()
    env = theme.environment(locale)
    page = env.from_string(
        '{% from "_macros.html" import method_labels %}'
        "{% for m in methods %}{{ m }}={{ method_labels[m] }}\n{% endfor %}"
    )
    on_pages = dict(line.split("=", 1) for line in page.render(methods=RECORDED).splitlines())
    t = theme.translations(locale)
    in_receipts = {m: t.gettext(RECEIPT_LABELS.get(m, "Other")) for m in RECORDED}
    assert on_pages == in_receipts
    assert all(on_pages.values())


@pytest.mark.parametrize(
    ("locale", "alipay", "bank_debit"),
    [
        ("en", "Alipay", "Bank debit"),
        ("zh_Hans", "支付宝", "银行自动扣款"),
        ("pl", "Alipay", "Polecenie zapłaty"),
    ],
)
def test_a_method_is_named_in_the_clients_language(
    locale: str, alipay: str, bank_debit: str | None
) -> None:
    t = Theme().translations(locale)
    assert t.gettext(RECEIPT_LABELS["alipay"]) == alipay
    if bank_debit:
        assert t.gettext(RECEIPT_LABELS["bank_debit"]) == bank_debit
    assert t.gettext(RECEIPT_LABELS["blik"]) == "BLIK"  # a brand, as written


class Answers:
    """Stand-in for the Checkout Sessions API returning shapes the local Stripe server does
    not make (a bank transfer with no charge yet, an answer of another shape): the lookup's
    reading of Stripe's answer is what is tested here, the call itself in
    tests/integration/test_payment_method_twice.py against the local server."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.asked: list[tuple[str, Any]] = []

    def create(self, params: dict[str, Any], options: dict[str, Any]) -> Any:
        raise AssertionError("not used")

    def retrieve(self, session_id: str, params: dict[str, Any] | None = None) -> Any:
        self.asked.append((session_id, params))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def intent(charge: Any = None, types: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": "cs_1",
        "payment_intent": {"latest_charge": charge, "payment_method_types": types},
    }


def test_the_method_is_read_off_the_charge_else_the_intents_one_type() -> None:
    by_charge = Answers(intent({"payment_method_details": {"type": "sepa_debit"}}, ["card"]))
    assert paid_with(by_charge, "cs_1") == "bank_debit"
    assert by_charge.asked == [("cs_1", {"expand": ["payment_intent.latest_charge"]})]
    # a bank transfer has no charge until the money arrives: the intent's one type says it
    assert paid_with(Answers(intent(None, ["customer_balance"])), "cs_1") == "bank_transfer"


@pytest.mark.parametrize(
    "answer",
    [
        intent(None, ["card", "us_bank_account"]),  # no charge, two types: not known yet
        {"id": "cs_1", "payment_intent": "pi_1"},  # not expanded
        intent({"payment_method_details": {"type": "../../etc"}}),  # not a type's name
        ConnectionError("Stripe unreachable"),
    ],
)
def test_a_method_stripe_does_not_give_is_unknown_never_an_error(answer: Any) -> None:
    assert paid_with(Answers(answer), "cs_1") is None
