"""Fuzzing the app's two doors over HTTP: hypothesis, the app under uvicorn, a local Stripe.

The webhook gets signed events of every kind we handle with fields dropped, retyped or
made hostile (paths in ids, huge and negative numbers, Unicode, nested junk); /checkout
gets forms with odd, huge or Unicode fields, amounts and currencies it must ignore, wrong
tokens and instalments such as "-1", "1e9" or "../x". Neither ever answers a 5xx; an event
that is not understood changes no payment, outbox item or session; a session is only ever
opened for a real invoice and token, and for the server's own figure.

Each fuzzer runs 1,500 examples by default (about 6 s each on the project's 2-core
machine). ``FUZZ_EXAMPLES`` sets both for a longer run by hand (20,000 each: ~4.5 minutes):

    FUZZ_EXAMPLES=20000 .venv/bin/pytest tests/integration/test_fuzz.py -p no:cacheprovider
"""

from __future__ import annotations

import itertools
import json
import os
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.app import MAX_BODY, NOT_FOUND
from functions.events import Event, understand
from functions.payments import HANDLED
from functions.recorded import invoice_account
from functions.store import CheckoutSession
from local.stripe_server.webhooks import sign_payload
from site_builder.money import to_stripe
from tests.conftest import SAMPLE_TODAY
from tests.integration.conftest import session_of, token


def fuzz(examples: int) -> settings:
    """``examples`` (sized for well under 20 s here), or ``FUZZ_EXAMPLES`` by hand."""
    return settings(
        max_examples=int(os.environ.get("FUZZ_EXAMPLES", examples)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# the webhook's sessions (amounts in minor units, which are Stripe's units for USD and JPY):
# their invoices' clients also meet the checkout fuzzer, so a payment the webhook records
# must not break pricing them either
SESSIONS = {
    "cs_test_fuzzUSD": ("INV-2026-0129", "open-trails", 248000, "USD"),
    "cs_test_fuzzJPY": ("INV-2026-0119", "guanghua-tokyo", 945262, "JPY"),
}
BASE_ID = "evt_fuzzbase"  # replaced by a fresh id: every example is a new event
_fresh = itertools.count()

HOSTILE_TEXT = st.sampled_from(
    [
        "pi_x/../../../../tmp/x",
        "../../../../etc/passwd",
        "cs_test_fuzzUSD/..",
        "pi_1\n",
        "evt_1\x00",
        "pi_\u0661",  # an Arabic-Indic digit: a digit to Unicode, not to Stripe
        "cs_test_\u202efuzz",
        "\ud800",  # a lone surrogate, as JSON can spell it
        "",
        " ",
        "USD",
        "usd ",
        "xx",
        "paid",
        "pi_" + "a" * 300,
        "%2e%2e%2f",
        "C:\\Windows",
        *SESSIONS,
        *sorted(HANDLED),
        "payment_intent.succeeded",  # a type we do not handle: its object is not read
    ]
)
NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31, 2**53 + 1, 2**63, 2**64, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
)
SCALARS = st.one_of(st.none(), NUMBERS, HOSTILE_TEXT, st.text(max_size=40))
JUNK = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def base_event(kind: str, session_id: str) -> dict[str, Any]:
    """A valid event of ``kind`` about one of SESSIONS' invoices."""
    invoice, _, amount, currency = SESSIONS[session_id]
    intent = f"pi_{session_id[8:]}"  # one payment per session, however many events
    if kind.startswith("checkout.session."):
        obj: dict[str, Any] = {
            "id": session_id,
            "object": "checkout.session",
            "payment_intent": intent,
            "amount_total": amount,
            "currency": currency.lower(),
            "payment_status": "unpaid" if kind.endswith("failed") else "paid",
            "payment_method_types": ["card"],
            "metadata": {"invoice": invoice},
        }
    elif kind == "charge.refunded":
        obj = {
            "id": "ch_fuzz1",
            "object": "charge",
            "payment_intent": intent,
            "amount_refunded": 100,
            "currency": currency.lower(),
        }
    else:
        obj = {
            "id": "dp_fuzz1",
            "object": "dispute",
            "payment_intent": intent,
            "amount": amount,
            "currency": currency.lower(),
        }
    return {
        "id": BASE_ID,
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": obj},
    }


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    return found


@st.composite
def hostile_events(draw: st.DrawFn) -> Any:
    """A valid event, then a few fields dropped, replaced or added."""
    event = base_event(
        draw(st.sampled_from(sorted(HANDLED))), draw(st.sampled_from(sorted(SESSIONS)))
    )
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        path = draw(st.sampled_from(_paths(event)))
        action = draw(st.sampled_from(["drop", "replace", "add"]))
        if not path:  # the whole body
            if action == "replace":
                event = draw(JUNK)
            continue
        parent = event
        for key in path[:-1]:
            parent = parent[key]
        if action == "drop":
            del parent[path[-1]]
        elif action == "replace":
            parent[path[-1]] = draw(JUNK)
        elif isinstance(parent[path[-1]], dict):
            parent[path[-1]][draw(st.text(max_size=10))] = draw(JUNK)
    return event


def books(store: Any) -> tuple[Any, ...]:
    """What an event may change: payments, the outbox (nothing drains it here), sessions."""
    sessions = {s: store.session(s).status for s in SESSIONS}
    return (store.payments(), store.pending(), sessions)


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30, follow_redirects=False) as client:
        yield client


@pytest.fixture(scope="module")
def saved_sessions(system: dict[str, Any]) -> None:
    for session_id, (invoice, client, amount, currency) in SESSIONS.items():
        session = CheckoutSession(session_id, invoice, client, None, amount, currency, "u", 2**31)
        system["store"].save_session(session)


@fuzz(1500)  # ~4 ms each
@given(event=hostile_events())
def test_signed_hostile_events_never_fail_and_change_nothing_unless_understood(
    system: dict[str, Any], http: httpx.Client, saved_sessions: None, event: Any
) -> None:
    if isinstance(event, dict) and event.get("id") == BASE_ID:
        event["id"] = f"evt_fuzz{next(_fresh)}"
    body = json.dumps(event).encode()
    store = system["store"]
    before = books(store)
    signature = sign_payload(body, system["stripe"].webhook_secret)
    response = http.post(
        f"{system['url']}/webhooks/stripe", content=body, headers={"Stripe-Signature": signature}
    )
    assert response.status_code < 500, response.text
    if not isinstance(event, dict):
        assert response.status_code == 400
        assert books(store) == before
        return
    assert response.status_code == 200
    understood = response.json()["understood"]
    assert understood == isinstance(understand(event), Event)
    if not understood:
        assert books(store) == before
    for payment in store.payments():  # whatever was understood, only sound payments
        assert re.fullmatch(r"pi_[A-Za-z0-9]+", payment.id)
        session = SESSIONS[payment.session]  # type: ignore[index]
        assert (payment.invoice, payment.amount, payment.currency) == (
            session[0],
            session[2],
            session[3],
        )


@pytest.fixture(scope="module")
def clients(system: dict[str, Any]) -> dict[str, str]:
    """Every invoice of the built ledger, and its client."""
    ledger = json.loads((system["root"] / "build" / "ledger.json").read_text())["invoices"]
    return {number: entry["client"] for number, entry in ledger.items()}


ODD = st.one_of(
    HOSTILE_TEXT,
    st.text(max_size=60),
    st.sampled_from(["-1", "0", "1e9", "1.0", " 1", "01", "\u0661", "9" * 30, "x" * 70_000]),
    st.sampled_from(["\u00e9" * 32, "\u0442\u043e\u043a\u0435\u043d", "\x00" * 32]),
)


@st.composite
def forms(draw: st.DrawFn, clients: dict[str, str]) -> bytes:
    """A form body: an invoice and a token (right, another client's, or odd), maybe an
    instalment, maybe amounts and junk, sometimes a field twice; or bytes."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300))
    # mostly a real invoice, half the time with its own token: the paths past the token check
    real = draw(st.integers(min_value=0, max_value=3)) > 0
    invoice = draw(st.sampled_from(sorted(clients)) if real else ODD)
    client = clients.get(invoice, "harbor-light")
    fields: list[tuple[str, str]] = [("invoice", invoice)]
    choice = draw(st.sampled_from(["right", "right", "right", "other", "odd", "odd", "none"]))
    if choice == "right":
        fields.append(("token", token(client)))
    elif choice == "other":
        fields.append(("token", token("xinghe" if client != "xinghe" else "yantar")))
    elif choice == "odd":
        fields.append(("token", draw(ODD)))
    if draw(st.booleans()):
        numbers = st.sampled_from(["1", "2", "3"])
        fields.append(("instalment", draw(numbers if draw(st.booleans()) else ODD)))
    names = st.one_of(st.sampled_from(["amount", "currency", "unit_amount", "invoice"]), ODD)
    fields += draw(st.lists(st.tuples(names, st.one_of(ODD, NUMBERS.map(str))), max_size=4))
    # a lone surrogate goes as the bytes it would be: not UTF-8, which the server must survive
    return urlencode(draw(st.permutations(fields)), errors="surrogatepass").encode()


def figure(system: dict[str, Any], invoice: str, instalment: str) -> tuple[int, str]:
    """The server's own figure for the invoice (or instalment), in Stripe's units."""
    services = system["services"]
    entry = system["store"].invoice(invoice)
    bundle = services.snapshots.load(entry["client"])
    account = invoice_account(bundle, system["store"], invoice, SAMPLE_TODAY)
    st_ = account.statement  # type: ignore[union-attr]
    amount = st_.amount_due
    if instalment:
        amount = next(e.amount_due for e in st_.entries if str(e.n) == instalment)
    return to_stripe(amount, st_.currency), st_.currency.lower()


@fuzz(1500)  # ~4 ms each
@given(data=st.data())
def test_fuzzed_checkout_forms_never_fail_and_never_name_the_amount(
    system: dict[str, Any], http: httpx.Client, clients: dict[str, str], data: st.DataObject
) -> None:
    body = data.draw(forms(clients))
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    response = http.post(f"{system['url']}/checkout", content=body, headers=form)
    assert response.status_code < 500, response.text
    if len(body) > MAX_BODY:
        assert response.status_code == 413
        return
    seen = parse_qs(body.decode("utf-8", "replace"))
    invoice, given_token, instalment = (
        seen.get(name, [""])[0] for name in ("invoice", "token", "instalment")
    )
    if invoice not in clients or given_token != token(clients[invoice]):
        assert response.status_code == 404 and NOT_FOUND in response.text
        return
    assert response.status_code in (303, 404, 409), response.text
    if response.status_code == 303:
        session = session_of(system, response.headers["location"])
        assert (session["amount_total"], session["currency"]) == figure(system, invoice, instalment)
        assert session["metadata"]["invoice"] == invoice
