"""The redirect methods on the local hosted Checkout page, over HTTP: BLIK, Przelewy24, FPX,
Alipay and WeChat Pay, each paid, failed and abandoned; and which methods a session offers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import stripe

from local.stripe_server import LocalStripe
from tests.integration.test_stripe_local import API_KEY, SECRET, WebhookReceiver, verify

CANCEL = "http://127.0.0.1:9/c/token/invoices/INV-7.html"
SUCCESS = "http://127.0.0.1:9/paid?session={CHECKOUT_SESSION_ID}"


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver()
    yield hook
    hook.close()


@pytest.fixture(scope="module")
def server(receiver: WebhookReceiver) -> Iterator[LocalStripe]:
    with LocalStripe(webhook_url=receiver.url, webhook_secret=SECRET) as local:
        yield local


@pytest.fixture(scope="module")
def client(server: LocalStripe) -> stripe.StripeClient:
    return stripe.StripeClient(API_KEY, base_addresses={"api": server.url})


def session(client: stripe.StripeClient, currency: str, locale: str, **extra: Any) -> Any:
    return client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": currency,
                        "unit_amount": 25000,
                        "product_data": {"name": "Invoice INV-7"},
                    },
                    "quantity": 1,
                }
            ],
            "locale": locale,
            "success_url": SUCCESS,
            "cancel_url": CANCEL,
            "metadata": {"invoice": "INV-7"},
            **extra,
        }
    )


def charge_type(client: stripe.StripeClient, session_id: str) -> str:
    done = client.v1.checkout.sessions.retrieve(
        session_id, params={"expand": ["payment_intent.latest_charge"]}
    )
    assert done["status"] == "complete" and done["payment_status"] == "paid"
    return str(done["payment_intent"]["latest_charge"]["payment_method_details"]["type"])


def redirect_to_test_page(created: Any, method: str, bank: str | None) -> httpx.Response:
    form = {"method": method, **({"bank": bank} if bank else {})}
    response = httpx.post(created["url"], data=form)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(f"{created['url']}/authorize/{method}")
    page = httpx.get(location)
    assert page.status_code == 200
    return page


def test_which_methods_a_session_offers(client: stripe.StripeClient) -> None:
    offered = {
        (currency, locale): session(client, currency, locale)["payment_method_types"]
        for currency, locale in [
            ("pln", "pl"),
            ("eur", "pl"),
            ("eur", "de"),
            ("myr", "ms"),
            ("cny", "zh"),
            ("usd", "zh"),
            ("usd", "en"),
        ]
    }
    assert offered[("pln", "pl")] == ["card", "blik", "p24", "customer_balance"]
    assert offered[("eur", "pl")] == ["card", "p24", "sepa_debit"]
    assert offered[("eur", "de")] == ["card", "sepa_debit"]
    assert offered[("myr", "ms")] == ["card", "fpx", "customer_balance"]
    assert offered[("cny", "zh")] == ["card", "alipay", "wechat_pay", "customer_balance"]
    assert offered[("usd", "zh")] == ["card", "alipay", "wechat_pay", "us_bank_account"]
    assert offered[("usd", "en")] == ["card", "us_bank_account"]
    explicit = session(client, "pln", "en", allowed_payment_method_types=["card", "blik", "fpx"])
    assert explicit["payment_method_types"] == ["card", "blik"]  # FPX takes no złoty
    excluded = session(client, "cny", "zh", excluded_payment_method_types=["wechat_pay"])
    assert "wechat_pay" not in excluded["payment_method_types"]


def test_blik_with_a_valid_code_pays(
    client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    created = session(client, "pln", "pl")
    page = httpx.get(created["url"]).text
    assert 'name="blik_code"' in page and '<label for="blik_code">BLIK code</label>' in page
    response = httpx.post(created["url"], data={"method": "blik", "blik_code": "123 456"})
    assert response.status_code == 303
    assert response.headers["location"] == SUCCESS.replace("{CHECKOUT_SESSION_ID}", created["id"])
    assert charge_type(client, created["id"]) == "blik"
    (delivery,) = receiver.wait_for(
        lambda e: (
            e["type"] == "checkout.session.completed" and e["data"]["object"]["id"] == created["id"]
        )
    )
    assert verify(delivery).data.object["payment_status"] == "paid"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("12345", "The BLIK code is invalid"),
        ("000001", "The BLIK code has expired"),
        ("000002", "insufficient funds"),
        ("000003", "declined in the banking app"),
    ],
)
def test_blik_failures_keep_the_session_open(
    client: stripe.StripeClient, code: str, message: str
) -> None:
    created = session(client, "pln", "pl")
    response = httpx.post(created["url"], data={"method": "blik", "blik_code": code})
    assert response.status_code == 200
    assert 'role="alert"' in response.text and message in response.text
    assert client.v1.checkout.sessions.retrieve(created["id"])["status"] == "open"


@pytest.mark.parametrize(
    ("currency", "locale", "method", "bank"),
    [
        ("pln", "pl", "p24", "pko_bank_polski"),
        ("myr", "ms", "fpx", "maybank2u"),
        ("cny", "zh", "alipay", None),
        ("cny", "zh", "wechat_pay", None),
    ],
)
def test_a_redirect_method_authorised_on_its_test_page_pays(
    client: stripe.StripeClient, currency: str, locale: str, method: str, bank: str | None
) -> None:
    created = session(client, currency, locale)
    page = redirect_to_test_page(created, method, bank)
    assert ">Authorize test payment</button>" in page.text
    assert ">Fail test payment</button>" in page.text
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action is not None
    form = {"outcome": "authorize", **({"bank": bank} if bank else {})}
    paid = httpx.post(httpx.URL(created["url"]).join(action[1]), data=form)
    assert paid.status_code == 303
    assert paid.headers["location"] == SUCCESS.replace("{CHECKOUT_SESSION_ID}", created["id"])
    assert charge_type(client, created["id"]) == method
    if bank is not None:
        done = client.v1.checkout.sessions.retrieve(
            created["id"], params={"expand": ["payment_intent.latest_charge"]}
        )
        details = done["payment_intent"]["latest_charge"]["payment_method_details"]
        assert details[method]["bank"] == bank


@pytest.mark.parametrize(
    ("currency", "locale", "method", "bank"),
    [
        ("pln", "pl", "p24", "ing"),
        ("myr", "ms", "fpx", "cimb"),
        ("usd", "zh", "alipay", None),
        ("usd", "zh", "wechat_pay", None),
    ],
)
def test_a_redirect_method_failed_on_its_test_page_returns_to_checkout(
    client: stripe.StripeClient, currency: str, locale: str, method: str, bank: str | None
) -> None:
    created = session(client, currency, locale)
    redirect_to_test_page(created, method, bank)
    form = {"outcome": "fail", **({"bank": bank} if bank else {})}
    failed = httpx.post(f"{created['url']}/authorize/{method}", data=form)
    assert failed.status_code == 200
    assert "The payment was not authorised" in failed.text
    assert "Pay " in failed.text  # the checkout page again, to choose another way
    again = client.v1.checkout.sessions.retrieve(created["id"])
    assert again["status"] == "open" and again["payment_intent"] is None


@pytest.mark.parametrize("method", ["blik", "p24", "fpx", "alipay", "wechat_pay"])
def test_abandoning_leads_back_to_the_cancel_url_and_the_session_expires_later(
    client: stripe.StripeClient, server: LocalStripe, method: str
) -> None:
    currency, locale, bank = {
        "blik": ("pln", "pl", None),
        "p24": ("pln", "pl", "mbank_mtransfer"),
        "fpx": ("myr", "ms", "rhb"),
        "alipay": ("cny", "zh", None),
        "wechat_pay": ("cny", "zh", None),
    }[method]
    created = session(client, currency, locale)
    page = httpx.get(created["url"]).text
    if method != "blik":
        page = redirect_to_test_page(created, method, bank).text
    assert f'href="{CANCEL}"' in page  # the way back to the portal, nothing paid
    assert client.v1.checkout.sessions.retrieve(created["id"])["status"] == "open"
    server.advance_time(25 * 3600)
    expired = client.v1.checkout.sessions.retrieve(created["id"])
    assert expired["status"] == "expired" and expired["payment_intent"] is None
    assert "has expired" in httpx.get(f"{created['url']}").text


def test_a_method_not_offered_is_refused(client: stripe.StripeClient) -> None:
    created = session(client, "usd", "en")
    response = httpx.post(created["url"], data={"method": "alipay"})
    assert response.status_code == 200 and "not offered" in response.text
    assert httpx.get(f"{created['url']}/authorize/alipay").status_code == 404
