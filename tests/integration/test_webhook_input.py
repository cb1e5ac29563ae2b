"""Bad input at the app's doors, over HTTP to uvicorn: the cases reported, one by one.

Validly signed bodies that are not events we understand are answered 200 and kept for a
person (a 5xx would have Stripe retry them for three days); anything unsigned or not a
JSON object is a 400; an oversized body a 413. None of them changes the books, and a
genuine payment for the same client afterwards goes through.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from functions.app import MAX_WEBHOOK_BODY
from functions.notices import STYLE_SOURCE
from functions.work import drain_outbox
from local.stripe_server.server import DEFAULT_API_KEY
from local.stripe_server.webhooks import sign_payload
from site_builder.views import content_security_policy
from tests.integration.conftest import checkout, token, wait_until

OPEN = "INV-2026-0130"  # harbor-light, $1,650.00
OTHER = "INV-2026-0131"  # xinghe, due in 5 days
TRAVERSAL = "pi_x/../../../../tmp/x"


def post(system: dict[str, Any], body: bytes, signature: str | None = None) -> httpx.Response:
    if signature is None:
        signature = sign_payload(body, system["stripe"].webhook_secret)
    url = f"{system['url']}/webhooks/stripe"
    return httpx.post(url, content=body, headers={"Stripe-Signature": signature})


def books(system: dict[str, Any], session_id: str) -> tuple[Any, ...]:
    """What an event may change: payments, the outbox, the checkout session."""
    store = system["store"]
    return (store.payments(), [i.key for i in store.unsent()], store.session(session_id))


@pytest.fixture(scope="module")
def session_id(system: dict[str, Any]) -> str:
    """A real checkout session for OPEN, opened through /checkout."""
    response = checkout(system, invoice=OPEN, token=token())
    assert response.status_code == 303
    return response.headers["location"].rsplit("/", 1)[1]


def completed(session_id: str, **fields: Any) -> dict[str, Any]:
    """A genuine-looking completed checkout of OPEN's session, with a fresh event id."""
    obj = {
        "id": session_id,
        "object": "checkout.session",
        "payment_intent": f"pi_{secrets.token_hex(8)}",
        "amount_total": 165000,
        "currency": "usd",
        "payment_status": "paid",
        "payment_method_types": ["card"],
        **fields,
    }
    return {
        "id": f"evt_{secrets.token_hex(8)}",
        "object": "event",
        "type": "checkout.session.completed",
        "created": int(time.time()),
        "data": {"object": obj},
    }


def _without(event: dict[str, Any], *path: str) -> dict[str, Any]:
    target = event
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return event


def _refund_without_amount(session_id: str) -> dict[str, Any]:
    event = completed(session_id)
    event["type"] = "charge.refunded"
    event["data"]["object"] = {
        "id": f"ch_{secrets.token_hex(8)}",
        "object": "charge",
        "payment_intent": f"pi_{secrets.token_hex(8)}",
        "currency": "usd",
    }
    return event


# each a signed body that is a JSON object but not an event we understand
NOT_UNDERSTOOD: dict[str, Callable[[str], dict[str, Any]]] = {
    "{}": lambda s: {},
    "no data": lambda s: _without(completed(s), "data"),
    "object without id": lambda s: _without(completed(s), "data", "object", "id"),
    "created as text": lambda s: {**completed(s), "created": str(int(time.time()))},
    "refund without amount_refunded": _refund_without_amount,
    "payment intent with a path": lambda s: completed(s, payment_intent=TRAVERSAL),
}


@pytest.mark.parametrize("body", [b"[]", b"null", b'"x"', b"{", b"\xff\xfe{}", b"[" * 50_000])
def test_a_signed_body_that_is_not_a_json_object_is_a_400(
    system: dict[str, Any], session_id: str, body: bytes
) -> None:
    before, reviews = books(system, session_id), len(system["store"].reviews())
    assert post(system, body).status_code == 400
    assert books(system, session_id) == before and len(system["store"].reviews()) == reviews


@pytest.mark.parametrize("case", list(NOT_UNDERSTOOD))
def test_a_signed_event_not_understood_is_kept_for_review_once(
    system: dict[str, Any], session_id: str, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = system["store"]
    before, reviews = books(system, session_id), store.reviews()
    body = json.dumps(NOT_UNDERSTOOD[case](session_id)).encode()
    with caplog.at_level(logging.WARNING):
        first, again = post(system, body), post(system, body)  # Stripe delivers twice
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() == {"received": True, "understood": False}
    assert books(system, session_id) == before  # no payment, no outbox item, session open
    assert store.session(session_id).status == "open"
    (kept,) = store.reviews()[len(reviews) :]
    assert kept["problem"] == "event not understood" and kept["errors"]
    assert kept["excerpt"] == body[:500].decode()
    event_id = json.loads(body).get("id")
    assert kept["event"] == event_id if event_id else kept["event"].startswith("body:")
    # one line for a person, and no traceback
    assert any("not understood" in r.getMessage() for r in caplog.records)
    assert not any(r.exc_info for r in caplog.records)


def test_a_later_genuine_payment_for_the_same_client_goes_through(
    system: dict[str, Any], session_id: str
) -> None:
    root: Path = system["root"]
    outside = [root / "tmp", Path("/tmp/x"), Path("/tmp/x.html"), Path("/tmp/x.pdf")]
    assert not any(p.exists() for p in outside)
    before = {p for p in root.rglob("*") if p.is_file()}
    for case in NOT_UNDERSTOOD.values():
        assert post(system, json.dumps(case(session_id)).encode()).status_code == 200

    system["stripe"].pay(session_id)
    store = system["store"]
    assert wait_until(lambda: [p.status for p in store.payments(OPEN)] == ["succeeded"])
    assert system["stripe"].wait_for_deliveries(5)
    (payment,) = store.payments(OPEN)
    assert "/" not in payment.id and payment.amount == 165000
    report = drain_outbox(system["services"])
    assert not report.retried
    portal = system["public"] / "c" / token()
    page = (portal / "invoices" / f"{OPEN}.html").read_text()
    assert "badge-paid" in page and 'name="invoice"' not in page
    # nothing was written anywhere but the site, the store and the build's own files
    assert not any(p.exists() for p in outside)
    written = {p for p in root.rglob("*") if p.is_file()} - before
    assert written and all(
        p.is_relative_to(system["public"]) or p.name.startswith("store.sqlite3") for p in written
    ), sorted(written)
    assert not any("tmp" in p.relative_to(root).parts for p in written)


def test_stripes_own_refund_and_dispute_events_are_understood(system: dict[str, Any]) -> None:
    store = system["store"]
    response = checkout(system, invoice=OTHER, token=token("xinghe"))
    system["stripe"].pay(response.headers["location"].rsplit("/", 1)[1])
    assert wait_until(lambda: [p.status for p in store.payments(OTHER)] == ["succeeded"])
    (payment,) = store.payments(OTHER)
    reviews = len(store.reviews())

    system["stripe"].client().v1.refunds.create(
        params={"payment_intent": payment.id, "amount": 1000}
    )
    assert wait_until(lambda: store.payment(payment.id).refunded == 1000)
    dispute = httpx.post(
        f"{system['stripe'].url}/_test/disputes",
        data={"payment_intent": payment.id},
        headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"},
    )
    assert dispute.status_code == 200
    assert wait_until(lambda: store.payment(payment.id).disputed)
    assert system["stripe"].wait_for_deliveries(5)
    new = store.reviews()[reviews:]
    assert [r["problem"] for r in new] == ["dispute opened"]


@pytest.mark.parametrize(
    "signature",
    ["", "garbage", "t=abc,v1=00", "t=1,v1=\u00e9\u00e9", "t=" + "9" * 5000 + ",v1=00"],
)
def test_garbled_signatures_are_a_400(system: dict[str, Any], signature: str) -> None:
    body = json.dumps(completed("cs_test_x")).encode()
    headers = {"Stripe-Signature": signature.encode("latin-1")}
    response = httpx.post(f"{system['url']}/webhooks/stripe", content=body, headers=headers)
    assert response.status_code == 400


def test_signatures_with_another_secret_or_out_of_time_are_a_400(system: dict[str, Any]) -> None:
    body = json.dumps(completed("cs_test_x")).encode()
    secret = system["stripe"].webhook_secret
    assert post(system, body, sign_payload(body, "whsec_other")).status_code == 400
    assert post(system, body, sign_payload(body, secret, int(time.time()) - 301)).status_code == 400


def _padded(size: int) -> bytes:
    """A signed-able event of a type we do not handle, exactly ``size`` bytes long."""
    event = {"id": f"evt_{secrets.token_hex(8)}", "type": "customer.updated", "created": 1}
    head = json.dumps({**event, "pad": ""}).encode()
    return json.dumps({**event, "pad": "x" * (size - len(head))}).encode()


def test_a_body_over_512_kb_is_a_413_before_anything_else(system: dict[str, Any]) -> None:
    url = f"{system['url']}/webhooks/stripe"
    at_the_cap = _padded(MAX_WEBHOOK_BODY)
    assert len(at_the_cap) == MAX_WEBHOOK_BODY
    assert post(system, at_the_cap).json() == {
        "received": True,
        "understood": True,
        "duplicate": False,
    }
    over = _padded(MAX_WEBHOOK_BODY + 1)
    assert post(system, over).status_code == 413  # signed or not, it is not read
    assert httpx.post(url, content=b"x" * 50_000_000).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: read until it passes the cap
        for _ in range(1000):
            yield b"x" * 65536

    assert httpx.post(url, content=chunks()).status_code == 413


def test_every_answer_carries_the_security_headers(system: dict[str, Any]) -> None:
    url = system["url"]
    answers = [
        httpx.get(f"{url}/health"),
        httpx.get(f"{url}/nowhere"),
        httpx.post(f"{url}/webhooks/stripe", content=b"{}"),
        checkout(system, invoice="INV-2026-0902", token=token("reykjavik")),  # a 303 to Stripe
        checkout(system, invoice="INV-NOPE", token=token()),  # an HTML page
    ]
    for response in answers:
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
    assert answers[3].status_code == 303
    page = answers[-1]
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    # the portal pages' policy, and the notices' one stylesheet by its hash
    policy = content_security_policy(url).replace(
        "style-src 'self'", f"style-src 'self' {STYLE_SOURCE}"
    )
    assert page.headers["content-security-policy"] == f"{policy}; frame-ancestors 'none'"
    assert all("content-security-policy" not in r.headers for r in answers[:4])


@pytest.mark.parametrize(
    "form",
    [
        {"invoice": OPEN, "token": "\u00e9" * 32},  # hmac.compare_digest refuses non-ASCII text
        {"invoice": OPEN, "token": token(), "instalment": "../x"},
        {"invoice": "../" + OPEN, "token": token()},
        {"invoice": OPEN + "\x00", "token": token()},
        {"invoice": "I" * 5000, "token": token()},
    ],
)
def test_odd_checkout_forms_are_the_same_404(system: dict[str, Any], form: dict[str, str]) -> None:
    unknown = checkout(system, invoice="INV-NOPE", token=token())
    response = checkout(system, **form)
    assert response.status_code == 404 and response.text == unknown.text
