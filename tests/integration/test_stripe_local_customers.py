"""The local Stripe's Customers, PaymentMethods, SetupIntents, setup-mode Checkout and
off-session PaymentIntents, driven by the real ``stripe`` SDK over sockets.

The hosted page is driven with httpx form posts; webhooks arrive at the receiver of
test_stripe_local; every wait is a bounded poll.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import stripe

from local.stripe_server import LocalStripe
from tests.integration.test_stripe_local import API_KEY, SECRET, WebhookReceiver, poll, verify

DEADLINE = 5.0


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver()
    yield hook
    hook.close()


@pytest.fixture(scope="module")
def server(receiver: WebhookReceiver) -> Iterator[LocalStripe]:
    with LocalStripe(
        webhook_url=receiver.url, webhook_secret=SECRET, async_payment_delay=0.2
    ) as local:
        yield local


@pytest.fixture(scope="module")
def client(server: LocalStripe) -> stripe.StripeClient:
    return stripe.StripeClient(API_KEY, base_addresses={"api": server.url})


def customer(client: stripe.StripeClient, name: str = "Acme Ltd") -> Any:
    return client.v1.customers.create(
        params={"email": "billing@acme.test", "name": name, "metadata": {"client": "acme"}}
    )


def saved_card(client: stripe.StripeClient, cus: Any, test_pm: str) -> str:
    """A test PaymentMethod saved to ``cus`` through a confirmed SetupIntent."""
    intent = client.v1.setup_intents.create(
        params={
            "customer": cus["id"],
            "payment_method": test_pm,
            "confirm": True,
            "usage": "off_session",
            "payment_method_types": ["card"],
        }
    )
    assert intent["status"] == "succeeded"
    return str(intent["payment_method"])


def charge(client: stripe.StripeClient, cus: Any, pm: str, key: str, **extra: Any) -> Any:
    params = {
        "amount": 12000,
        "currency": "usd",
        "customer": cus["id"],
        "payment_method": pm,
        "off_session": True,
        "confirm": True,
        "metadata": {"invoice": "INV-1", "autopay": "1"},
        **extra,
    }
    return client.v1.payment_intents.create(params=params, options={"idempotency_key": key})


def events_about(receiver: WebhookReceiver, object_id: str) -> list[str]:
    return [e["type"] for e in receiver.events() if e["data"]["object"].get("id") == object_id]


def setup_session(client: stripe.StripeClient, cus: Any, currency: str = "eur") -> Any:
    return client.v1.checkout.sessions.create(
        params={
            "mode": "setup",
            "customer": cus["id"],
            "currency": currency,
            "success_url": "http://127.0.0.1:9/autopay/done?session={CHECKOUT_SESSION_ID}",
            "cancel_url": "http://127.0.0.1:9/c/token/",
            "metadata": {"client": "acme", "purpose": "autopay"},
            "setup_intent_data": {"metadata": {"client": "acme"}},
        }
    )


# -- customers and payment methods ----------------------------------------------------------


def test_a_customer_is_created_retrieved_and_updated(
    client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    created = client.v1.customers.create(
        params={"email": "a@b.test", "name": "A", "metadata": {"client": "acme"}},
        options={"idempotency_key": "customer:acme"},
    )
    again = client.v1.customers.create(
        params={"email": "a@b.test", "name": "A", "metadata": {"client": "acme"}},
        options={"idempotency_key": "customer:acme"},
    )
    assert again["id"] == created["id"]  # one Customer per client, however often asked
    assert created["id"].startswith("cus_") and created["object"] == "customer"
    assert created["metadata"].to_dict() == {"client": "acme"}
    fetched = client.v1.customers.retrieve(created["id"])
    assert fetched["email"] == "a@b.test"
    pm = client.v1.payment_methods.attach("pm_card_visa", params={"customer": created["id"]})
    updated = client.v1.customers.update(
        created["id"],
        params={"name": "B", "invoice_settings": {"default_payment_method": pm["id"]}},
    )
    assert updated["name"] == "B"
    assert updated["invoice_settings"]["default_payment_method"] == pm["id"]
    receiver.wait_for(lambda e: e["type"] == "customer.updated")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.retrieve("cus_missing")
    assert caught.value.http_status == 404 and caught.value.code == "resource_missing"


def test_attach_list_and_detach_a_card(
    client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    cus = customer(client)
    pm = client.v1.payment_methods.attach("pm_card_mastercard", params={"customer": cus["id"]})
    assert pm["id"].startswith("pm_") and pm["id"] != "pm_card_mastercard"
    assert pm["customer"] == cus["id"] and pm["type"] == "card"
    card = pm["card"]
    assert (card["brand"], card["last4"], card["country"]) == ("mastercard", "4444", "US")
    assert card["exp_month"] == 12 and card["exp_year"] > time.gmtime().tm_year
    listed = client.v1.customers.payment_methods.list(cus["id"], params={"type": "card"})
    assert [m["id"] for m in listed["data"]] == [pm["id"]]
    assert [m["id"] for m in client.v1.payment_methods.list(params={"customer": cus["id"]})] == [
        pm["id"]
    ]
    detached = client.v1.payment_methods.detach(pm["id"])
    assert detached["customer"] is None
    assert client.v1.customers.payment_methods.list(cus["id"])["data"] == []
    receiver.wait_for(
        lambda e: e["type"] == "payment_method.detached" and e["data"]["object"]["id"] == pm["id"]
    )
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_methods.detach(pm["id"])  # not attached any more


def test_a_declined_card_cannot_be_attached_but_0341_can(client: stripe.StripeClient) -> None:
    cus = customer(client)
    with pytest.raises(stripe.CardError) as caught:
        client.v1.payment_methods.attach("pm_card_chargeDeclined", params={"customer": cus["id"]})
    assert caught.value.http_status == 402
    assert caught.value.code == "card_declined"
    assert caught.value.error.decline_code == "generic_decline"
    attached = client.v1.payment_methods.attach(
        "pm_card_chargeCustomerFail", params={"customer": cus["id"]}
    )
    assert attached["card"]["last4"] == "0341"


# -- setup intents --------------------------------------------------------------------------


def test_a_setup_intent_saves_a_card_and_expands_it(
    client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    cus = customer(client)
    created = client.v1.setup_intents.create(
        params={"customer": cus["id"], "usage": "off_session", "metadata": {"client": "acme"}}
    )
    assert created["status"] == "requires_payment_method"
    assert created["automatic_payment_methods"]["enabled"] is True
    confirmed = client.v1.setup_intents.confirm(
        created["id"], params={"payment_method": "pm_card_visa"}
    )
    assert confirmed["status"] == "succeeded"
    fetched = client.v1.setup_intents.retrieve(created["id"], params={"expand": ["payment_method"]})
    assert fetched["payment_method"]["card"]["last4"] == "4242"
    assert fetched["payment_method"]["customer"] == cus["id"]
    (delivery,) = receiver.wait_for(
        lambda e: (
            e["type"] == "setup_intent.succeeded" and e["data"]["object"]["id"] == created["id"]
        )
    )
    assert verify(delivery).data.object["metadata"]["client"] == "acme"


def test_a_setup_intent_with_a_declined_card_fails(
    client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    cus = customer(client)
    params = {"customer": cus["id"], "payment_method": "pm_card_chargeDeclined"}
    with pytest.raises(stripe.CardError) as declined:
        client.v1.setup_intents.create(params={**params, "confirm": True})
    intent = declined.value.error.setup_intent
    assert intent["status"] == "requires_payment_method"
    assert intent["last_setup_error"]["decline_code"] == "generic_decline"
    receiver.wait_for(
        lambda e: (
            e["type"] == "setup_intent.setup_failed" and e["data"]["object"]["id"] == intent["id"]
        )
    )
    assert client.v1.customers.payment_methods.list(cus["id"])["data"] == []


# -- setup-mode Checkout through the hosted page ---------------------------------------------


def test_setup_mode_checkout_saves_a_card_over_a_real_form_post(
    client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    cus = customer(client)
    session = setup_session(client, cus, "usd")
    assert session["mode"] == "setup" and session["amount_total"] is None
    assert session["setup_intent"] is None  # made when the client completes it
    assert session["payment_method_types"] == ["card", "us_bank_account"]
    page = httpx.get(session["url"]).text
    assert "Save a way to pay" in page
    assert "you allow this business to charge it for future payments" in page
    assert "you authorize this business to debit the bank account" in page  # the ACH mandate
    response = httpx.post(
        session["url"], data={"method": "card", "card_number": "4242 4242 4242 4242"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == (
        f"http://127.0.0.1:9/autopay/done?session={session['id']}"
    )
    done = client.v1.checkout.sessions.retrieve(session["id"])
    assert done["status"] == "complete" and done["payment_status"] == "no_payment_required"
    intent = client.v1.setup_intents.retrieve(
        done["setup_intent"], params={"expand": ["payment_method"]}
    )
    assert intent["status"] == "succeeded" and intent["customer"] == cus["id"]
    assert intent["metadata"].to_dict() == {"client": "acme"}
    assert intent["payment_method"]["card"]["last4"] == "4242"
    assert intent["payment_method"]["customer"] == cus["id"]
    (completed,) = receiver.wait_for(
        lambda e: (
            e["type"] == "checkout.session.completed" and e["data"]["object"]["id"] == session["id"]
        )
    )
    event = verify(completed).data.object
    assert event["mode"] == "setup" and event["setup_intent"] == intent["id"]
    receiver.wait_for(
        lambda e: (
            e["type"] == "setup_intent.succeeded" and e["data"]["object"]["id"] == intent["id"]
        )
    )


def test_setup_mode_sepa_shows_the_mandate_and_saves_the_account(
    client: stripe.StripeClient,
) -> None:
    cus = customer(client)
    session = setup_session(client, cus, "eur")
    assert session["payment_method_types"] == ["card", "sepa_debit"]
    page = httpx.get(session["url"]).text
    assert "to send instructions to your bank to debit your account" in page
    assert "A refund must be claimed within 8 weeks" in page
    wrong = httpx.post(session["url"], data={"method": "sepa_debit", "iban": "DE00 1234"})
    assert wrong.status_code == 200 and "Your IBAN is incorrect" in wrong.text
    assert client.v1.checkout.sessions.retrieve(session["id"])["status"] == "open"
    saved = httpx.post(
        session["url"], data={"method": "sepa_debit", "iban": "DE89 3704 0044 0532 0130 00"}
    )
    assert saved.status_code == 303
    done = client.v1.checkout.sessions.retrieve(session["id"])
    intent = client.v1.setup_intents.retrieve(
        done["setup_intent"], params={"expand": ["payment_method"]}
    )
    method = intent["payment_method"]
    assert method["type"] == "sepa_debit"
    assert (method["sepa_debit"]["last4"], method["sepa_debit"]["bank_code"]) == (
        "3000",
        "37040044",
    )
    assert intent["mandate"].startswith("mandate_")


def test_setup_mode_refuses_line_items_and_needs_a_currency(client: stripe.StripeClient) -> None:
    cus = customer(client)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.checkout.sessions.create(
            params={"mode": "setup", "customer": cus["id"], "success_url": "http://x.test/"}
        )
    assert caught.value.param == "currency"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.checkout.sessions.create(
            params={"mode": "setup", "customer": "cus_nope", "currency": "usd"}
        )
    assert unknown.value.http_status == 404


def test_payment_mode_with_setup_future_usage_saves_the_method(
    client: stripe.StripeClient,
) -> None:
    cus = customer(client)
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "customer": cus["id"],
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 5000,
                        "product_data": {"name": "Invoice INV-9"},
                    },
                    "quantity": 1,
                }
            ],
            "payment_intent_data": {
                "setup_future_usage": "off_session",
                "metadata": {"invoice": "INV-9"},
            },
            "success_url": "http://127.0.0.1:9/paid?session={CHECKOUT_SESSION_ID}",
        }
    )
    assert session["customer"] == cus["id"]
    response = httpx.post(
        session["url"], data={"method": "card", "card_number": "4242424242424242"}
    )
    assert response.status_code == 303
    done = client.v1.checkout.sessions.retrieve(
        session["id"], params={"expand": ["payment_intent"]}
    )
    intent = done["payment_intent"]
    assert intent["setup_future_usage"] == "off_session"
    assert intent["customer"] == cus["id"]
    method = client.v1.payment_methods.retrieve(intent["payment_method"])
    assert method["customer"] == cus["id"] and method["card"]["last4"] == "4242"


# -- off-session payment intents --------------------------------------------------------------


def test_an_off_session_charge_to_4242_succeeds_with_its_events(
    client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    cus = customer(client)
    pm = saved_card(client, cus, "pm_card_visa")
    intent = charge(client, cus, pm, "autopay:INV-1:0:1")
    assert intent["status"] == "succeeded" and intent["amount_received"] == 12000
    assert intent["customer"] == cus["id"] and intent["payment_method"] == pm
    found = client.v1.payment_intents.retrieve(intent["id"], params={"expand": ["latest_charge"]})
    assert found["latest_charge"]["status"] == "succeeded"
    assert found["latest_charge"]["payment_method_details"]["type"] == "card"
    (succeeded,) = receiver.wait_for(
        lambda e: (
            e["type"] == "payment_intent.succeeded" and e["data"]["object"]["id"] == intent["id"]
        )
    )
    metadata = verify(succeeded).data.object["metadata"].to_dict()
    assert metadata == {"invoice": "INV-1", "autopay": "1"}
    receiver.wait_for(
        lambda e: (
            e["type"] == "charge.succeeded"
            and e["data"]["object"]["payment_intent"] == intent["id"]
        )
    )
    listed = client.v1.payment_intents.list(params={"customer": cus["id"]})
    assert [i["id"] for i in listed["data"]] == [intent["id"]]


@pytest.mark.parametrize(
    ("test_pm", "code", "decline_code"),
    [
        ("pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
        ("pm_card_authenticationRequired", "authentication_required", "authentication_required"),
        ("pm_card_chargeCustomerFail", "card_declined", "generic_decline"),
    ],
)
def test_off_session_declines_have_stripes_error_shape(
    client: stripe.StripeClient,
    receiver: WebhookReceiver,
    test_pm: str,
    code: str,
    decline_code: str,
) -> None:
    cus = customer(client)
    pm = saved_card(client, cus, test_pm)  # each of these saves fine
    with pytest.raises(stripe.CardError) as caught:
        charge(client, cus, pm, f"autopay:{test_pm}:0:1")
    error = caught.value
    assert error.http_status == 402 and error.code == code
    assert error.error.type == "card_error" and error.error.decline_code == decline_code
    failed = error.error.payment_intent
    assert failed["status"] == "requires_payment_method"
    assert failed["last_payment_error"]["code"] == code
    assert failed["last_payment_error"]["decline_code"] == decline_code
    assert error.error.charge == failed["latest_charge"]
    stored = client.v1.payment_intents.retrieve(failed["id"])
    assert stored["status"] == "requires_payment_method"
    assert stored["metadata"]["autopay"] == "1"
    receiver.wait_for(
        lambda e: (
            e["type"] == "payment_intent.payment_failed"
            and e["data"]["object"]["id"] == failed["id"]
        )
    )
    receiver.wait_for(
        lambda e: e["type"] == "charge.failed" and e["data"]["object"]["id"] == error.error.charge
    )
    # the same key replays the decline, never a second attempt
    with pytest.raises(stripe.CardError) as again:
        charge(client, cus, pm, f"autopay:{test_pm}:0:1")
    assert again.value.error.payment_intent["id"] == failed["id"]
    assert len(client.v1.payment_intents.list(params={"customer": cus["id"]})["data"]) == 1


def test_a_sepa_debit_is_processing_then_succeeds_or_is_returned(
    client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    results = {}
    cases = (
        ("DE89370400440532013000", "succeeded"),
        ("DE62370400440532013001", "requires_payment_method"),
    )
    for iban, expected in cases:
        cus = customer(client)
        session = setup_session(client, cus, "eur")
        httpx.post(session["url"], data={"method": "sepa_debit", "iban": iban})
        done = client.v1.checkout.sessions.retrieve(session["id"])
        pm = client.v1.setup_intents.retrieve(done["setup_intent"])["payment_method"]
        intent = charge(client, cus, pm, f"autopay:{iban}", currency="eur")
        assert intent["status"] == "processing"
        results[iban] = poll(
            lambda i=intent, want=expected: (
                client.v1.payment_intents.retrieve(i["id"])["status"] == want and i["id"]
            ),
            f"{iban} to settle",
        )
    ok, returned = results.values()
    receiver.wait_for(
        lambda e: e["type"] == "payment_intent.succeeded" and e["data"]["object"]["id"] == ok
    )
    (failed,) = receiver.wait_for(
        lambda e: (
            e["type"] == "payment_intent.payment_failed" and e["data"]["object"]["id"] == returned
        )
    )
    assert verify(failed).data.object["last_payment_error"]["code"] == "insufficient_funds"
    assert "payment_intent.processing" in events_about(receiver, ok)


# -- idempotency ------------------------------------------------------------------------------


def test_two_identical_requests_at_once_make_one_payment_intent(
    client: stripe.StripeClient, server: LocalStripe
) -> None:
    cus = customer(client)
    pm = saved_card(client, cus, "pm_card_visa")
    body = {
        "amount": "12000",
        "currency": "usd",
        "customer": cus["id"],
        "payment_method": pm,
        "off_session": "true",
        "confirm": "true",
        "metadata[invoice]": "INV-2",
    }
    headers = {"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": "autopay:INV-2:0:1"}
    answers: list[httpx.Response] = []
    start = threading.Barrier(4)

    def post() -> None:
        start.wait()
        answers.append(
            httpx.post(f"{server.url}/v1/payment_intents", data=body, headers=headers, timeout=5)
        )

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [200] * 4
    assert len({a.json()["id"] for a in answers}) == 1
    assert sorted(a.headers.get("idempotent-replayed", "") for a in answers) == [
        "",
        "true",
        "true",
        "true",
    ]
    assert len(client.v1.payment_intents.list(params={"customer": cus["id"]})["data"]) == 1
    different = httpx.post(
        f"{server.url}/v1/payment_intents", data={**body, "amount": "13000"}, headers=headers
    )
    assert different.status_code == 400
    assert different.json()["error"]["type"] == "idempotency_error"


def test_off_session_needs_an_attached_method(client: stripe.StripeClient) -> None:
    cus = customer(client)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        charge(client, cus, "pm_card_visa", "autopay:unattached")
    assert caught.value.param == "payment_method"
