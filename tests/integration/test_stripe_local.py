"""The local Stripe server, over real sockets, driven by the real ``stripe`` SDK.

Webhooks arrive at a tiny ThreadingHTTPServer on 127.0.0.1; the hosted checkout page is
driven with httpx. Every wait is a bounded poll.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import stripe

from local.stripe_server import LocalStripe, sign_payload

SECRET = "whsec_test_local_0123456789abcdef"
API_KEY = "sk_test_local_integration"
DEADLINE = 5.0


def _keys(names: str) -> set[str]:
    return set(names.split())


# Top-level keys of Stripe's own published example objects (API version 2026-10),
# checked against them when this file was written.
FIXTURE_KEYS: dict[str, set[str]] = {
    "checkout.session": _keys(
        """adaptive_pricing after_expiration allow_promotion_codes amount_subtotal amount_total
        automatic_tax billing_address_collection cancel_url client_reference_id client_secret
        collected_information consent consent_collection created currency currency_conversion
        custom_fields custom_text customer customer_account customer_creation customer_details
        customer_email discounts expires_at id integration_identifier invoice invoice_creation
        livemode locale managed_payments metadata mode object origin_context payment_intent
        payment_link payment_method_collection payment_method_configuration_details
        payment_method_options payment_method_types payment_status permissions
        phone_number_collection recovered_from saved_payment_method_options setup_intent
        shipping_address_collection shipping_cost shipping_options status submit_type
        subscription success_url total_details ui_mode url wallet_options"""
    ),
    "payment_intent": _keys(
        """amount amount_capturable amount_details amount_received application
        application_fee_amount automatic_payment_methods canceled_at cancellation_reason
        capture_method client_secret confirmation_method created currency customer
        customer_account description excluded_payment_method_types id last_payment_error
        latest_charge livemode managed_payments metadata next_action object on_behalf_of
        payment_method payment_method_configuration_details payment_method_options
        payment_method_types processing receipt_email review setup_future_usage shipping source
        statement_descriptor statement_descriptor_suffix status transfer_data
        transfer_group"""
    ),
    "charge": _keys(
        """amount amount_captured amount_refunded application application_fee
        application_fee_amount balance_transaction billing_details
        calculated_statement_descriptor captured created currency customer description disputed
        failure_balance_transaction failure_code failure_message fraud_details id livemode
        metadata object on_behalf_of outcome paid payment_intent payment_method
        payment_method_details receipt_email receipt_number receipt_url refunded refunds review
        shipping source source_transfer statement_descriptor statement_descriptor_suffix status
        transfer_data transfer_group"""
    ),
    "refund": _keys(
        """amount balance_transaction charge created currency customer customer_account
        destination_details id metadata object payment_intent payment_method reason
        receipt_number source_transfer_reversal status transfer_reversal"""
    ),
    "event": _keys("api_version created data id livemode object pending_webhooks request type"),
    "dispute": _keys(
        """amount balance_transactions charge created currency enhanced_eligibility_types
        evidence evidence_details id is_charge_refundable livemode metadata object
        payment_intent payment_method_details reason status"""
    ),
}


# -- a webhook receiver ---------------------------------------------------------------------


class WebhookReceiver:
    """Stores every POST as (headers, body); answers 500 to the next ``fail_next`` requests."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.fail_next = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    failing = receiver.fail_next > 0
                    if failing:
                        receiver.fail_next -= 1
                    else:
                        receiver.received.append((dict(self.headers.items()), body))
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/stripe"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def events(self, predicate: Callable[[dict[str, Any]], bool] | None = None) -> list[dict]:
        with self.lock:
            bodies = [json.loads(body) for _, body in self.received]
        return [e for e in bodies if predicate is None or predicate(e)]

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], count: int = 1
    ) -> list[tuple[dict[str, str], bytes]]:
        """Deliveries whose event matches, once there are ``count`` of them (≤ 5 s)."""
        deadline = time.monotonic() + DEADLINE
        while True:
            with self.lock:
                hits = [(h, b) for h, b in self.received if predicate(json.loads(b))]
            if len(hits) >= count:
                return hits
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} matching webhook(s), got {len(hits)}")
            time.sleep(0.02)


def poll(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + DEADLINE
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def about(session_id: str, event_type: str) -> Callable[[dict[str, Any]], bool]:
    return lambda e: e["type"] == event_type and e["data"]["object"].get("id") == session_id


def verify(delivery: tuple[dict[str, str], bytes]) -> stripe.Event:
    headers, body = delivery
    signature = {k.lower(): v for k, v in headers.items()}["stripe-signature"]
    return stripe.Webhook.construct_event(body.decode(), signature, SECRET, tolerance=300)


# -- fixtures -------------------------------------------------------------------------------


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


def session_params(**overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 12345,
                    "product_data": {"name": "Invoice INV-2026-007"},
                },
                "quantity": 2,
            },
            {
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 500,
                    "product_data": {"name": "Late fee"},
                },
                "quantity": 1,
            },
        ],
        "client_reference_id": "INV-2026-007",
        "customer_email": "client@example.com",
        "locale": "en",
        "metadata": {"invoice": "INV-2026-007", "client": "acme"},
        "payment_intent_data": {"metadata": {"invoice": "INV-2026-007"}},
        "success_url": "http://127.0.0.1:9/paid?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://127.0.0.1:9/invoice/INV-2026-007",
        "expires_at": int(time.time()) + 3600,
    }
    params.update(overrides)
    return params


def eur_params() -> dict[str, Any]:
    return session_params(
        line_items=[
            {
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 9900,
                    "product_data": {"name": "Retainer"},
                },
                "quantity": 1,
            }
        ]
    )


def pay(session: Any, **form: str) -> httpx.Response:
    return httpx.post(session["url"], data=form, follow_redirects=False, timeout=DEADLINE)


def paid_by_card(client: stripe.StripeClient, server: LocalStripe) -> Any:
    session = client.v1.checkout.sessions.create(params=session_params())
    assert pay(session, method="card", card_number="4242424242424242").status_code == 303
    return client.v1.checkout.sessions.retrieve(session["id"])


# -- tests ----------------------------------------------------------------------------------


def test_requests_without_a_secret_key_get_401(server: LocalStripe) -> None:
    url = f"{server.url}/v1/checkout/sessions"
    for headers in ({}, {"Authorization": "Bearer pk_test_public"}, {"Authorization": "x"}):
        response = httpx.get(url, headers=headers)
        assert response.status_code == 401
        error = response.json()["error"]
        assert error["type"] == "invalid_request_error"
        assert error["message"]
    publishable = stripe.StripeClient("pk_test_x", base_addresses={"api": server.url})
    with pytest.raises(stripe.AuthenticationError):
        publishable.v1.checkout.sessions.list()


def test_create_then_retrieve_gives_the_same_stripe_shaped_session(
    client: stripe.StripeClient, server: LocalStripe
) -> None:
    params = session_params()
    created = client.v1.checkout.sessions.create(params=params)
    retrieved = client.v1.checkout.sessions.retrieve(created["id"])

    assert created.to_dict() == retrieved.to_dict()
    assert set(created.to_dict()) == FIXTURE_KEYS["checkout.session"]
    assert created["id"].startswith("cs_test_")
    assert created["object"] == "checkout.session"
    assert created["status"] == "open"
    assert created["payment_status"] == "unpaid"
    assert created["mode"] == "payment"
    assert created["url"] == f"{server.url}/pay/{created['id']}"
    assert created["payment_intent"] is None
    assert created["amount_subtotal"] == created["amount_total"] == 2 * 12345 + 500
    assert created["currency"] == "usd"
    assert created["expires_at"] == params["expires_at"]
    assert created["metadata"].to_dict() == params["metadata"]
    assert created["client_reference_id"] == "INV-2026-007"
    assert created["customer_email"] == "client@example.com"
    assert created["livemode"] is False
    assert created["payment_method_types"] == ["card", "us_bank_account"]
    assert abs(created["created"] - time.time()) < 60

    items = client.v1.checkout.sessions.line_items.list(created["id"])
    assert [(i["description"], i["quantity"], i["amount_total"]) for i in items["data"]] == [
        ("Invoice INV-2026-007", 2, 24690),
        ("Late fee", 1, 500),
    ]


def test_idempotency_key_replays_or_refuses(client: stripe.StripeClient) -> None:
    key = f"checkout-INV-2026-007-{time.time_ns()}"
    params = session_params()
    first = client.v1.checkout.sessions.create(params=params, options={"idempotency_key": key})
    again = client.v1.checkout.sessions.create(params=params, options={"idempotency_key": key})
    assert again["id"] == first["id"]
    assert again.to_dict() == first.to_dict()

    changed = session_params(metadata={"invoice": "INV-OTHER"})
    with pytest.raises(stripe.IdempotencyError):
        client.v1.checkout.sessions.create(params=changed, options={"idempotency_key": key})


def test_payment_method_types_is_refused(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.checkout.sessions.create(
            params=session_params(payment_method_types=["card"])  # type: ignore[arg-type]
        )
    assert caught.value.http_status == 400
    assert caught.value.code == "parameter_unknown"
    assert caught.value.param == "payment_method_types"


@pytest.mark.parametrize(
    ("currency", "unit_amount", "accepted"),
    [
        ("huf", 1270000, True),  # 12,700 Ft in Stripe's hundredths
        ("huf", 1270050, False),  # Stripe charges HUF in whole forints
        ("kwd", 10490, True),
        ("kwd", 10499, False),  # three-decimal amounts end in 0
        ("jpy", 980, True),
    ],
)
def test_amounts_follow_stripes_currency_steps(
    client: stripe.StripeClient, currency: str, unit_amount: int, accepted: bool
) -> None:
    item = {
        "price_data": {
            "currency": currency,
            "unit_amount": unit_amount,
            "product_data": {"name": "Invoice INV-2026-0901"},
        },
        "quantity": 1,
    }
    params = session_params(line_items=[item])
    if accepted:
        assert client.v1.checkout.sessions.create(params=params)["amount_total"] == unit_amount
        return
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.checkout.sessions.create(params=params)
    assert caught.value.http_status == 400
    assert caught.value.param == "line_items[0][price_data][unit_amount]"


@pytest.mark.parametrize("offset", [10 * 60, 25 * 3600, -60])
def test_expires_at_outside_30_minutes_to_24_hours_is_refused(
    client: stripe.StripeClient, offset: int
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.checkout.sessions.create(
            params=session_params(expires_at=int(time.time()) + offset)
        )
    assert caught.value.http_status == 400
    assert caught.value.param == "expires_at"


def test_excluded_payment_method_types_hide_bank_debit(
    client: stripe.StripeClient,
) -> None:
    session = client.v1.checkout.sessions.create(
        params=session_params(excluded_payment_method_types=["us_bank_account"])
    )
    assert session["payment_method_types"] == ["card"]
    page = httpx.get(session["url"]).text
    assert "Pay by card" in page
    assert "Pay by bank debit" not in page
    refused = pay(session, method="bank_ok")
    assert "Bank debits are not accepted here." in refused.text
    assert client.v1.checkout.sessions.retrieve(session["id"])["status"] == "open"


def test_hosted_page_is_self_contained_and_escapes_names(
    client: stripe.StripeClient,
) -> None:
    params = eur_params()
    params["line_items"][0]["price_data"]["product_data"]["name"] = '<script>alert("x")</script>'
    params["locale"] = "fr"
    session = client.v1.checkout.sessions.create(params=params)
    response = httpx.get(session["url"])
    page = response.text
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Test mode — no money moves" in page
    assert "99,00\u00a0€" in page  # the total, formatted for the session's locale
    assert "<script" not in page
    assert "&lt;script&gt;" in page
    assert "http://" not in page.replace(session["cancel_url"], "")  # no external resources
    for label in ("Pay by card", "Pay by bank debit (succeeds)", "Pay by bank debit (fails)"):
        assert f">{label}</button>" in page
    assert f'href="{session["cancel_url"]}"' in page
    assert 'name="card_number"' in page and '<label for="card_number">' in page


def test_card_payment_completes_the_session_and_sends_a_signed_event(
    client: stripe.StripeClient, server: LocalStripe, receiver: WebhookReceiver
) -> None:
    session = client.v1.checkout.sessions.create(params=session_params())
    response = pay(session, method="card", card_number="4242 4242 4242 4242")
    assert response.status_code == 303
    assert response.headers["location"] == f"http://127.0.0.1:9/paid?session={session['id']}"

    (delivery,) = receiver.wait_for(about(session["id"], "checkout.session.completed"))
    event = verify(delivery)
    assert event["type"] == "checkout.session.completed"
    assert set(json.loads(delivery[1])) == FIXTURE_KEYS["event"]
    assert event["object"] == "event" and event["id"].startswith("evt_")
    assert event["livemode"] is False
    assert event["data"]["object"]["payment_status"] == "paid"
    assert event["data"]["object"]["metadata"]["invoice"] == "INV-2026-007"

    paid = client.v1.checkout.sessions.retrieve(session["id"])
    assert paid["status"] == "complete"
    assert paid["payment_status"] == "paid"
    assert paid["url"] is None
    intent = client.v1.payment_intents.retrieve(paid["payment_intent"])
    assert set(intent.to_dict()) == FIXTURE_KEYS["payment_intent"]
    assert intent["status"] == "succeeded"
    assert intent["amount"] == intent["amount_received"] == paid["amount_total"]
    assert intent["metadata"]["invoice"] == "INV-2026-007"
    charge = client.v1.charges.retrieve(intent["latest_charge"])
    assert set(charge.to_dict()) == FIXTURE_KEYS["charge"]
    assert charge["paid"] is True
    assert charge["amount_captured"] == paid["amount_total"]
    assert charge["payment_method_details"]["type"] == "card"
    assert charge["payment_intent"] == intent["id"]

    stored = client.v1.events.retrieve(event["id"])
    assert stored["data"]["object"]["id"] == session["id"]
    listed = client.v1.checkout.sessions.list(params={"payment_intent": intent["id"]})
    assert [s["id"] for s in listed["data"]] == [session["id"]]

    # No second payment: the page says it is complete, another POST is refused.
    assert "already complete" in httpx.get(session["url"]).text
    assert pay(session, method="card", card_number="4242424242424242").status_code == 409
    completed = [e for e in server.events if about(session["id"], "checkout.session.completed")(e)]
    assert len(completed) == 1


def test_declined_card_keeps_the_session_open_and_emits_nothing(
    client: stripe.StripeClient, server: LocalStripe
) -> None:
    session = client.v1.checkout.sessions.create(params=session_params())
    before = len(server.events)
    response = pay(session, method="card", card_number="4000 0000 0000 0002")
    assert response.status_code == 200  # the form again, with the decline named
    assert 'role="alert"' in response.text
    assert "Your card was declined." in response.text
    assert "Test mode — no money moves" in response.text
    assert len(server.events) == before
    again = client.v1.checkout.sessions.retrieve(session["id"])
    assert again["status"] == "open"
    assert again["payment_intent"] is None


def test_bank_debit_completes_unpaid_then_succeeds(
    client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    session = client.v1.checkout.sessions.create(params=session_params())
    assert pay(session, method="bank_ok").status_code == 303

    (completed,) = receiver.wait_for(about(session["id"], "checkout.session.completed"))
    assert verify(completed)["data"]["object"]["payment_status"] == "unpaid"
    processing = client.v1.checkout.sessions.retrieve(session["id"])
    assert processing["status"] == "complete"
    assert processing["payment_status"] == "unpaid"
    intent = client.v1.payment_intents.retrieve(processing["payment_intent"])
    assert intent["status"] in ("processing", "succeeded")  # settles 0.2 s later

    (settled,) = receiver.wait_for(about(session["id"], "checkout.session.async_payment_succeeded"))
    assert verify(settled)["data"]["object"]["payment_status"] == "paid"
    assert client.v1.checkout.sessions.retrieve(session["id"])["payment_status"] == "paid"
    intent = client.v1.payment_intents.retrieve(processing["payment_intent"])
    assert intent["status"] == "succeeded"
    charge = client.v1.charges.retrieve(intent["latest_charge"])
    assert charge["paid"] is True
    assert charge["payment_method_details"]["type"] == "us_bank_account"


def test_bank_debit_that_fails(client: stripe.StripeClient, receiver: WebhookReceiver) -> None:
    session = client.v1.checkout.sessions.create(params=eur_params())
    assert pay(session, method="bank_fail").status_code == 303

    (failed,) = receiver.wait_for(about(session["id"], "checkout.session.async_payment_failed"))
    assert verify(failed)["data"]["object"]["payment_status"] == "unpaid"
    after = client.v1.checkout.sessions.retrieve(session["id"])
    assert after["status"] == "complete"
    assert after["payment_status"] == "unpaid"
    intent = client.v1.payment_intents.retrieve(after["payment_intent"])
    assert intent["status"] == "requires_payment_method"
    assert intent["amount_received"] == 0
    charge = client.v1.charges.retrieve(intent["latest_charge"])
    assert charge["payment_method_details"]["type"] == "sepa_debit"
    assert charge["paid"] is False
    assert receiver.events(about(session["id"], "checkout.session.async_payment_succeeded")) == []


def test_partial_and_full_refunds_send_charge_refunded(
    client: stripe.StripeClient, server: LocalStripe, receiver: WebhookReceiver
) -> None:
    session = paid_by_card(client, server)
    intent_id = session["payment_intent"]
    total = session["amount_total"]

    refund = client.v1.refunds.create(params={"payment_intent": intent_id, "amount": 1000})
    assert set(refund.to_dict()) == FIXTURE_KEYS["refund"]
    assert refund["object"] == "refund" and refund["status"] == "succeeded"
    assert refund["amount"] == 1000 and refund["payment_intent"] == intent_id

    def refunded(amount: int) -> Callable[[dict[str, Any]], bool]:
        return lambda e: (
            e["type"] == "charge.refunded"
            and e["data"]["object"]["payment_intent"] == intent_id
            and e["data"]["object"]["amount_refunded"] == amount
        )

    (first,) = receiver.wait_for(refunded(1000))
    charge = verify(first)["data"]["object"]
    assert charge["object"] == "charge" and charge["refunded"] is False

    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create(params={"payment_intent": intent_id, "amount": total})

    rest = client.v1.refunds.create(params={"charge": charge["id"]})
    assert rest["amount"] == total - 1000
    (second,) = receiver.wait_for(refunded(total))
    assert verify(second)["data"]["object"]["refunded"] is True
    assert client.v1.charges.retrieve(charge["id"])["amount_refunded"] == total


def test_dispute_helper_sends_charge_dispute_created(
    client: stripe.StripeClient, server: LocalStripe, receiver: WebhookReceiver
) -> None:
    session = paid_by_card(client, server)
    response = httpx.post(
        f"{server.url}/_test/disputes",
        data={"payment_intent": session["payment_intent"]},
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    assert response.status_code == 200
    (delivery,) = receiver.wait_for(
        lambda e: (
            e["type"] == "charge.dispute.created"
            and e["data"]["object"]["payment_intent"] == session["payment_intent"]
        )
    )
    dispute = verify(delivery)["data"]["object"]
    assert set(dispute.to_dict()) == FIXTURE_KEYS["dispute"]
    assert dispute["status"] == "needs_response"
    assert dispute["amount"] == session["amount_total"]
    assert dispute["currency"] == "usd"
    assert dispute["charge"].startswith("ch_")


def test_expire_sends_checkout_session_expired(
    client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    session = client.v1.checkout.sessions.create(params=session_params())
    expired = client.v1.checkout.sessions.expire(session["id"])
    assert expired["status"] == "expired"
    assert expired["url"] is None
    (delivery,) = receiver.wait_for(about(session["id"], "checkout.session.expired"))
    assert verify(delivery)["data"]["object"]["status"] == "expired"

    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(session["id"])
    assert "expired" in httpx.get(session["url"]).text
    assert pay(session, method="card", card_number="4242424242424242").status_code == 409


def test_unknown_objects_are_404_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.checkout.sessions.retrieve("cs_test_nope")
    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"


def test_sessions_expire_lazily_when_their_time_passes(receiver: WebhookReceiver) -> None:
    with LocalStripe(webhook_url=receiver.url, webhook_secret=SECRET) as local:
        client = local.client()
        session = client.v1.checkout.sessions.create(params=session_params())
        local.advance_time(3601)
        assert client.v1.checkout.sessions.retrieve(session["id"])["status"] == "expired"
        receiver.wait_for(about(session["id"], "checkout.session.expired"))


def test_duplicate_deliveries_send_the_same_event_three_times(
    receiver: WebhookReceiver,
) -> None:
    with LocalStripe(
        webhook_url=receiver.url, webhook_secret=SECRET, duplicate_deliveries=3
    ) as local:
        client = local.client()
        session = client.v1.checkout.sessions.create(params=session_params())
        assert pay(session, method="card", card_number="4242424242424242").status_code == 303
        copies = receiver.wait_for(about(session["id"], "checkout.session.completed"), count=3)
        assert len(copies) == 3
        ids = {verify(copy)["id"] for copy in copies}
        assert len(ids) == 1
        assert local.wait_for_deliveries(DEADLINE)
        assert [d.status for d in local.deliveries] == [200, 200, 200]


def test_failed_delivery_is_retried() -> None:
    flaky = WebhookReceiver()
    flaky.fail_next = 1
    try:
        with LocalStripe(webhook_url=flaky.url, webhook_secret=SECRET) as local:
            client = local.client()
            session = client.v1.checkout.sessions.create(params=session_params())
            client.v1.checkout.sessions.expire(session["id"])
            flaky.wait_for(about(session["id"], "checkout.session.expired"))
            assert local.wait_for_deliveries(DEADLINE)
            assert [(d.attempt, d.status) for d in local.deliveries] == [(1, 500), (2, 200)]
            event_id = local.deliveries[0].event_id
            poll(
                lambda: client.v1.events.retrieve(event_id)["pending_webhooks"] == 0,
                "pending_webhooks to drop",
            )
    finally:
        flaky.close()


def test_sign_payload_matches_the_sdk_verifier() -> None:
    body = b'{"id": "evt_1", "object": "event"}'
    header = sign_payload(body, SECRET)
    stripe.WebhookSignature.verify_header(body.decode(), header, SECRET, tolerance=300)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(body.decode(), header, "whsec_other", 300)


def test_a_state_file_outlives_the_server(tmp_path: Any) -> None:
    """Stripe keeps what the merchant's server has not acknowledged: so does a state file."""
    state = tmp_path / "stripe.json"
    down = WebhookReceiver()
    down.fail_next = 100  # the endpoint is down for every attempt of this run
    try:
        with LocalStripe(
            webhook_url=down.url,
            webhook_secret=SECRET,
            retry=False,
            async_payment_delay=60,  # still settling when the server stops
            state_file=state,
        ) as local:
            client = local.client()
            card = client.v1.checkout.sessions.create(params=session_params())
            assert pay(card, method="card", card_number="4242424242424242").status_code == 303
            debit = client.v1.checkout.sessions.create(params=eur_params())
            assert pay(debit, method="bank_ok").status_code == 303
            assert local.wait_for_deliveries(DEADLINE)
    finally:
        down.close()
    assert state.exists()

    up = WebhookReceiver()
    try:
        with LocalStripe(
            webhook_url=up.url, webhook_secret=SECRET, async_payment_delay=0.2, state_file=state
        ) as again:
            # the unacknowledged events come again, then the debit settles
            up.wait_for(about(card["id"], "checkout.session.completed"))
            up.wait_for(about(debit["id"], "checkout.session.completed"))
            up.wait_for(about(debit["id"], "checkout.session.async_payment_succeeded"))
            session = again.client().v1.checkout.sessions.retrieve(debit["id"])
            assert session["payment_status"] == "paid"
            assert again.wait_for_deliveries(DEADLINE)
        assert len(up.received) == 3
    finally:
        up.close()
    with LocalStripe(webhook_url=None, webhook_secret=SECRET, state_file=state) as third:
        # everything was acknowledged: nothing is owed and nothing is settling any more
        assert all(e["pending_webhooks"] == 0 for e in third.events)
        assert third.store.dump()["settlements"] == {}


def test_a_session_left_at_another_port_expires_on_restart(
    tmp_path: Any, receiver: WebhookReceiver
) -> None:
    state = tmp_path / "stripe.json"
    with LocalStripe(webhook_url=receiver.url, webhook_secret=SECRET, state_file=state) as first:
        session = first.client().v1.checkout.sessions.create(params=session_params())
        with socket.socket() as other:  # a free port that is not the first one's
            other.bind(("127.0.0.1", 0))
            port = other.getsockname()[1]
    with LocalStripe(
        webhook_url=receiver.url, webhook_secret=SECRET, state_file=state, port=port
    ) as moved:
        assert moved.url not in session["url"]
        receiver.wait_for(about(session["id"], "checkout.session.expired"))
        again = moved.client().v1.checkout.sessions.retrieve(session["id"])
        assert again["status"] == "expired"
