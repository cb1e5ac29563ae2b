"""The schema of the Stripe events we handle: what passes, what fails and how it is kept."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from functions.events import (
    EXCERPT_BYTES,
    KINDS,
    Event,
    NotUnderstood,
    review,
    understand,
)
from functions.payments import HANDLED, plan
from functions.store import CheckoutSession, Payment
from local.stripe_server import objects

SESSION = CheckoutSession(
    "cs_test_a1", "INV-1", "acme", None, 165000, "USD", "https://pay", 2_000_000_000
)
PAID = Payment("pi_1", "INV-1", "acme", 165000, "USD", "2026-11-20", "card", "succeeded")


def completed(**fields: Any) -> dict[str, Any]:
    """A completed checkout as the local Stripe-compatible server builds it, every field."""
    session = objects.checkout_session(
        session_id="cs_test_a1",
        created=1_763_900_000,
        expires_at=1_763_903_600,
        url="https://pay",
        currency="usd",
        amount_subtotal=165000,
        amount_total=165000,
        payment_method_types=["card"],
        payment_method_configuration=None,
        metadata={"invoice": "INV-1"},
        client_reference_id="INV-1",
        customer_email="anna@acme.example",
        locale="en",
        success_url=None,
        cancel_url=None,
        submit_type=None,
        integration_identifier=None,
    )
    session.update({"status": "complete", "payment_status": "paid", "payment_intent": "pi_1"})
    session.update(fields)
    return objects.event(
        created=1_763_900_100,
        event_type="checkout.session.completed",
        data_object=session,
        pending_webhooks=1,
        request_id=None,
        idempotency_key=None,
    )


def refunded(**fields: Any) -> dict[str, Any]:
    charge = {"id": "ch_1", "object": "charge", "payment_intent": "pi_1", "amount": 165000}
    charge.update({"amount_refunded": 1000, "currency": "usd", "refunded": False, **fields})
    return {"id": "evt_2", "type": "charge.refunded", "created": 1, "data": {"object": charge}}


def test_the_schemas_are_the_kinds_plan_handles() -> None:
    assert set(KINDS) == HANDLED


def test_stripes_own_shapes_pass_and_only_the_read_fields_are_kept() -> None:
    event = understand(completed())
    assert isinstance(event, Event)
    obj = event.plain()["data"]["object"]
    assert obj == {
        "id": "cs_test_a1",
        "payment_intent": "pi_1",
        "amount_total": 165000,
        "currency": "usd",
        "payment_status": "paid",
        "payment_method_types": ["card"],
    }
    change = plan(event.plain(), SESSION, None, "2026-11-23")
    assert [p.id for p in change.payments] == ["pi_1"]


def test_an_unhandled_type_is_read_no_further() -> None:
    body = {"id": "evt_9", "type": "payment_intent.succeeded", "created": 5, "data": [1, {}]}
    event = understand(body)
    assert isinstance(event, Event) and event.plain() == {
        "id": "evt_9",
        "type": "payment_intent.succeeded",
        "created": 5,
    }
    assert plan(event.plain(), None, None, "d").event_id == "evt_9"


def _drop(*path: str) -> Callable[[dict[str, Any]], None]:
    def change(event: dict[str, Any]) -> None:
        target = event
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


def _set(value: Any, *path: str) -> Callable[[dict[str, Any]], None]:
    def change(event: dict[str, Any]) -> None:
        target = event
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


BAD = {
    "no data": (_drop("data"), "data: Field required"),
    "object without id": (_drop("data", "object", "id"), "data.object.id: Field required"),
    "created as text": (_set("1763900100", "created"), "created: Input should be"),
    "created past 2106": (_set(2**40, "created"), "created: Input should be less"),
    "path in the payment intent": (
        _set("pi_x/../../../../tmp/x", "data", "object", "payment_intent"),
        "data.object.payment_intent: String should match pattern",
    ),
    "a newline after an id": (
        _set("pi_1\n", "data", "object", "payment_intent"),
        "data.object.payment_intent: String should match pattern",
    ),
    "an amount as text": (
        _set("165000", "data", "object", "amount_total"),
        "data.object.amount_total: Input should be a valid integer",
    ),
    "an amount as a bool": (
        _set(True, "data", "object", "amount_total"),
        "data.object.amount_total: Input should be a valid integer",
    ),
    "an amount as a float": (
        _set(165000.0, "data", "object", "amount_total"),
        "data.object.amount_total: Input should be a valid integer",
    ),
    "a negative amount": (
        _set(-1, "data", "object", "amount_total"),
        "data.object.amount_total: Input should be greater than or equal to 0",
    ),
    "a huge amount": (
        _set(10**30, "data", "object", "amount_total"),
        "data.object.amount_total: Input should be less than",
    ),
    "an upper-case currency": (
        _set("USD", "data", "object", "currency"),
        "data.object.currency: String should match pattern",
    ),
    "an unknown payment status": (
        _set("maybe", "data", "object", "payment_status"),
        "data.object.payment_status: Input should be",
    ),
    "an object that is a list": (_set([], "data", "object"), "data.object: Input should be"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_what_fails_the_schema_says_where(case: str) -> None:
    change, expected = BAD[case]
    event = completed()
    change(event)
    failure = understand(event)
    assert isinstance(failure, NotUnderstood)
    assert any(e.startswith(expected) for e in failure.errors), failure.errors
    assert failure.event_id == event["id"] and failure.type == "checkout.session.completed"


def test_a_refund_without_its_amount_is_not_understood() -> None:
    event = refunded()
    del event["data"]["object"]["amount_refunded"]
    failure = understand(event)
    assert isinstance(failure, NotUnderstood)
    assert failure.errors == ("data.object.amount_refunded: Field required",)


@pytest.mark.parametrize(
    "value",
    ["cs_test_a1B2", "cs_live_Z9", "cs_1"],
)
def test_checkout_session_ids(value: str) -> None:
    assert isinstance(understand(completed(id=value)), Event)


@pytest.mark.parametrize(
    "value",
    ["cs_", "cs_test_", "cs_a_b", "CS_1", " cs_1", "cs_1 ", "cs_é", "pi_1", "cs_" + "a" * 253, 7],
)
def test_what_is_not_a_checkout_session_id(value: Any) -> None:
    assert isinstance(understand(completed(id=value)), NotUnderstood)


def test_charge_and_dispute_ids_of_bank_payments() -> None:
    assert isinstance(understand(refunded(id="py_1")), Event)
    dispute = {"id": "du_1", "payment_intent": None, "amount": 5, "currency": "usd"}
    body = {"id": "evt_3", "type": "charge.dispute.created", "created": 1, "data": {}}
    body["data"] = {"object": dispute}
    assert isinstance(understand(body), Event)
    body["data"] = {"object": {**dispute, "id": "dp_../x"}}
    assert isinstance(understand(body), NotUnderstood)


def test_a_payment_id_too_long_for_the_content_model_is_refused() -> None:
    assert isinstance(understand(completed(payment_intent="pi_" + "a" * 97)), Event)
    assert isinstance(understand(completed(payment_intent="pi_" + "a" * 98)), NotUnderstood)


@pytest.mark.parametrize("body", [{}, {"id": 1}, {"id": "evt_1/.."}, {"type": "x"}])
def test_a_body_without_a_usable_id_is_keyed_by_its_hash(body: dict[str, Any]) -> None:
    failure = understand(body)
    assert isinstance(failure, NotUnderstood) and failure.event_id is None
    raw = json.dumps(body).encode()
    first, again = review(failure, raw), review(understand(body), raw)  # type: ignore[arg-type]
    assert first.event_id.startswith("body:") and first.event_id == again.event_id
    assert first.event_id != review(failure, raw + b" ").event_id
    assert not (first.payments or first.outbox or first.sessions)


def test_a_review_says_what_failed_with_an_excerpt() -> None:
    event = completed(payment_intent="pi_x/../../../../tmp/x")
    raw = json.dumps(event).encode()
    failure = understand(event)
    assert isinstance(failure, NotUnderstood)
    change = review(failure, raw)
    assert change.event_id == event["id"]  # a retry of it is a duplicate
    (details,) = change.reviews
    assert details["problem"] == "event not understood"
    assert details["type"] == "checkout.session.completed"
    assert details["errors"][0].startswith("data.object.payment_intent")
    assert len(raw) > EXCERPT_BYTES and details["excerpt"].endswith("…")
    assert len(details["excerpt"]) <= EXCERPT_BYTES + 1
    json.dumps(details)  # the stores keep it as JSON


def test_unknown_fields_anywhere_are_ignored() -> None:
    event = copy.deepcopy(completed())
    event["surprise"] = {"nested": [1, 2, {"x": None}]}
    event["data"]["previous_attributes"] = {"status": "open"}
    event["data"]["object"]["new_field_2027"] = "\u202e\x00"
    assert isinstance(understand(event), Event)


def test_a_refund_larger_than_the_payment_or_in_another_currency_is_reviewed() -> None:
    for charge in ({"amount_refunded": 165001}, {"currency": "eur"}):
        event = understand(refunded(**charge))
        assert isinstance(event, Event)
        change = plan(event.plain(), None, PAID, "d")
        assert not change.payments and not change.outbox
        assert change.reviews[0]["problem"] == "refund amount not understood"
    event = understand(refunded(amount_refunded=165000))
    assert isinstance(event, Event)
    assert plan(event.plain(), None, PAID, "d").payments[0].refunded == 165000
