"""The in-memory Stripe account: objects, business rules, events. One lock guards it all."""

from __future__ import annotations

import copy
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any

from . import objects
from .cards import ACH_ROUTING, TEST_ACH_ACCOUNTS, TEST_IBANS, card_problem
from .currency import format_amount
from .errors import StripeError, invalid, no_such
from .methods import BANKS, BLIK_FAILURES, BLIK_INVALID, REDIRECT_METHODS, bank_debit_type
from .params import as_int, as_list, as_str, check_known, clean_metadata
from .records import AUTOMATIC, IdempotentResponse, PayResult, RequestInfo, _Collections
from .sessions import SessionRecord, build_session
from .wallet import WalletMixin

REFUND_PARAMS = frozenset({
    "amount", "charge", "currency", "customer", "expand", "instructions_email", "metadata",
    "origin", "payment_intent", "reason", "refund_application_fee", "reverse_transfer",
})  # fmt: skip
REFUND_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer"})


class Store(WalletMixin):
    """All objects of one local Stripe account.

    ``on_event`` receives each new event (under the lock, in creation order);
    ``pending_webhooks`` says how many endpoints will be sent it.
    """

    def __init__(
        self,
        *,
        base_url: str = "",
        async_payment_delay: float = 2.0,
        on_event: Callable[[dict[str, Any]], None] | None = None,
        pending_webhooks: Callable[[], int] | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.base_url = base_url
        self.async_payment_delay = async_payment_delay
        self._on_event = on_event
        self._pending_webhooks = pending_webhooks or (lambda: 0)
        self._offset = 0.0
        self._data = _Collections()
        self._timers: list[threading.Timer] = []
        self._closed = False

    # -- clock and lifecycle ------------------------------------------------------------------

    def now(self) -> int:
        return int(time.time() + self._offset)

    def advance_time(self, seconds: float) -> None:
        """Move this account's clock forward (expires sessions whose time has come)."""
        with self.lock:
            self._offset += seconds
            self._expire_due()

    def close(self) -> None:
        with self.lock:
            self._closed = True
            for timer in self._timers:
                timer.cancel()
            self._timers.clear()

    def reset(self) -> None:
        """Forget every object, event and idempotency key (pending settlements are dropped)."""
        with self.lock:
            for timer in self._timers:
                timer.cancel()
            self._timers.clear()
            self._data = _Collections()
            self._offset = 0.0

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self._data.events)

    def mark_delivered(self, event_id: str) -> None:
        with self.lock:
            event = self._data.events_by_id.get(event_id)
            if event is not None:
                event["pending_webhooks"] = 0

    # -- persistence (``LocalStripe(state_file=...)``) ----------------------------------------

    def dump(self) -> dict[str, Any]:
        """Everything this account holds, as JSON-able data that ``load`` takes back."""
        with self.lock:
            data = self._data
            return {
                "version": 1,
                "offset": self._offset,
                "sessions": [asdict(record) for record in data.sessions.values()],
                "payment_intents": data.payment_intents,
                "charges": data.charges,
                "refunds": data.refunds,
                "disputes": data.disputes,
                "events": data.events,
                "idempotency": {
                    key: {**asdict(saved), "body": saved.body.decode()}
                    for key, saved in data.idempotency.items()
                },
                "settlements": data.settlements,
                "customers": data.customers,
                "payment_methods": data.payment_methods,
                "setup_intents": data.setup_intents,
                "method_sources": data.method_sources,
                "bank_failures": data.bank_failures,
            }

    def load(self, state: Mapping[str, Any]) -> None:
        """Take back what ``dump`` gave, and resume the bank debits that were settling.

        Events still owed to the webhook endpoint (``pending_webhooks``) are handed to
        ``on_event`` again, oldest first, as Stripe goes on retrying while a server is down.
        """
        if state.get("version") != 1:
            raise ValueError(f"unknown local Stripe state version {state.get('version')!r}")
        with self.lock:
            self.reset()
            data = self._data
            self._offset = float(state["offset"])
            for record in state["sessions"]:
                data.sessions[record["obj"]["id"]] = SessionRecord(**record)
            data.payment_intents = dict(state["payment_intents"])
            data.charges = dict(state["charges"])
            data.refunds = dict(state["refunds"])
            data.disputes = dict(state["disputes"])
            data.events = list(state["events"])
            data.events_by_id = {event["id"]: event for event in data.events}
            data.idempotency = {
                key: IdempotentResponse(**{**saved, "body": saved["body"].encode()})
                for key, saved in state["idempotency"].items()
            }
            # absent from files written before Customers existed
            data.customers = dict(state.get("customers", {}))
            data.payment_methods = dict(state.get("payment_methods", {}))
            data.setup_intents = dict(state.get("setup_intents", {}))
            data.method_sources = dict(state.get("method_sources", {}))
            data.bank_failures = dict(state.get("bank_failures", {}))
            for intent_id, succeed in state["settlements"].items():
                self._schedule_settlement(intent_id, bool(succeed))
            if self._on_event is not None:
                for event in data.events:
                    if event["pending_webhooks"] > 0:
                        self._on_event(copy.deepcopy(event))

    def expire_elsewhere(self) -> list[str]:
        """Expire the open sessions whose page is not at ``base_url`` (the server moved).

        Their links lead nowhere now; the ``checkout.session.expired`` events tell the
        merchant's server to open new ones.
        """
        with self.lock:
            moved = [
                record
                for record in self._data.sessions.values()
                if record.obj["status"] == "open"
                and not str(record.obj.get("url") or "").startswith(f"{self.base_url}/")
            ]
            for record in moved:
                self._expire(record, AUTOMATIC)
            return [record.obj["id"] for record in moved]

    # -- idempotency --------------------------------------------------------------------------

    def idempotent_lookup(
        self, key: str, method: str, path: str, params: dict[str, Any]
    ) -> IdempotentResponse | None:
        if len(key) > 255:
            raise invalid("Idempotency-Key", "Idempotency keys can be up to 255 characters long.")
        saved = self._data.idempotency.get(key)
        if saved is None:
            return None
        if (saved.method, saved.path, saved.params) != (method, path, params):
            raise StripeError(
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.",
                type="idempotency_error",
            )
        return saved

    def idempotent_save(
        self, key: str, method: str, path: str, params: dict[str, Any], status: int, body: bytes
    ) -> None:
        self._data.idempotency[key] = IdempotentResponse(
            method, path, copy.deepcopy(params), status, body
        )

    # -- events -------------------------------------------------------------------------------

    def _emit(self, event_type: str, obj: dict[str, Any], req: RequestInfo) -> dict[str, Any]:
        event = objects.event(
            created=self.now(),
            event_type=event_type,
            data_object=copy.deepcopy(obj),
            pending_webhooks=self._pending_webhooks(),
            request_id=req.request_id,
            idempotency_key=req.idempotency_key,
        )
        self._data.events.append(event)
        self._data.events_by_id[event["id"]] = event
        if self._on_event is not None:
            self._on_event(copy.deepcopy(event))
        return event

    def retrieve_event(self, event_id: str) -> dict[str, Any]:
        with self.lock:
            event = self._data.events_by_id.get(event_id)
            if event is None:
                raise no_such("event", event_id)
            return copy.deepcopy(event)

    def list_events(self, params: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            items = list(reversed(self._data.events))
            wanted = set(as_list(params.get("types"), "types"))
            if params.get("type"):
                wanted.add(str(params["type"]))
            if wanted:
                items = [e for e in items if _type_matches(e["type"], wanted)]
            return self._paginate(items, params, "/v1/events")

    # -- lookups and expansion ----------------------------------------------------------------

    def _lookup(self, object_id: str) -> dict[str, Any] | None:
        data = self._data
        if object_id.startswith("cs_"):
            record = data.sessions.get(object_id)
            return record.obj if record else None
        table: dict[str, dict[str, dict[str, Any]]] = {
            "pi_": data.payment_intents,
            "ch_": data.charges,
            "re_": data.refunds,
            "dp_": data.disputes,
            "cus_": data.customers,
            "pm_": data.payment_methods,
            "seti_": data.setup_intents,
        }
        for prefix, objs in table.items():
            if object_id.startswith(prefix):
                return objs.get(object_id)
        return None

    def _render(self, obj: dict[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
        result = copy.deepcopy(obj)
        for path in as_list(params.get("expand"), "expand"):
            self._expand(result, str(path).split("."), str(path))
        return result

    def _expand(self, obj: dict[str, Any], parts: list[str], full: str) -> None:
        head, rest = parts[0], parts[1:]
        if obj.get("object") == "list" and head == "data" and rest:
            for item in obj["data"]:
                self._expand(item, rest, full)
            return
        if obj.get("object") == "checkout.session" and head == "line_items":
            obj["line_items"] = self._line_items_list(obj["id"], {})
            return
        value = obj.get(head)
        if head in obj and value is None:
            return
        if head not in obj or not isinstance(value, str | dict):
            raise StripeError(f"This property cannot be expanded ({full}).", param="expand")
        if isinstance(value, str):
            target = self._lookup(value)
            if target is None:
                raise StripeError(f"This property cannot be expanded ({full}).", param="expand")
            value = copy.deepcopy(target)
            obj[head] = value
        if rest:
            self._expand(value, rest, full)

    def _paginate(
        self, items: list[dict[str, Any]], params: Mapping[str, Any], url: str
    ) -> dict[str, Any]:
        limit = as_int(params.get("limit"), "limit")
        limit = 10 if limit is None else limit
        if not 1 <= limit <= 100:
            raise invalid("limit", "This value must be between 1 and 100 (inclusive).")
        ids = [item["id"] for item in items]
        starting_after = as_str(params.get("starting_after"), "starting_after")
        ending_before = as_str(params.get("ending_before"), "ending_before")
        if starting_after:
            if starting_after not in ids:
                raise no_such("object", starting_after, "starting_after")
            items = items[ids.index(starting_after) + 1 :]
            page = items[:limit]
        elif ending_before:
            if ending_before not in ids:
                raise no_such("object", ending_before, "ending_before")
            items = items[: ids.index(ending_before)]
            page = items[-limit:]
        else:
            page = items[:limit]
        data = self._render(objects.list_object(page, url, len(items) > limit), params)
        return data

    # -- checkout sessions --------------------------------------------------------------------

    def _expire_due(self) -> None:
        now = self.now()
        for record in self._data.sessions.values():
            session = record.obj
            if session["status"] == "open" and session["expires_at"] <= now:
                self._expire(record, AUTOMATIC)

    def _expire(self, record: SessionRecord, req: RequestInfo) -> None:
        record.obj.update(status="expired", url=None)
        self._emit("checkout.session.expired", record.obj, req)

    def _session(self, session_id: str) -> SessionRecord:
        self._expire_due()
        record = self._data.sessions.get(session_id)
        if record is None:
            raise no_such("checkout.session", session_id, "session")
        return record

    def create_checkout_session(self, params: dict[str, Any], req: RequestInfo) -> dict[str, Any]:
        with self.lock:
            self._expire_due()
            record = build_session(params, self.now(), self.base_url, self._data.customers)
            self._data.sessions[record.obj["id"]] = record
            return self._render(record.obj, params)

    def retrieve_checkout_session(
        self, session_id: str, params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        with self.lock:
            return self._render(self._session(session_id).obj, params or {})

    def list_checkout_sessions(self, params: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            self._expire_due()
            items = [record.obj for record in reversed(self._data.sessions.values())]
            for key in ("payment_intent", "status", "client_reference_id"):
                wanted = params.get(key)
                if wanted:
                    items = [s for s in items if s[key] == wanted]
            return self._paginate(items, params, "/v1/checkout/sessions")

    def _line_items_list(self, session_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        record = self._session(session_id)
        return self._paginate(
            copy.deepcopy(record.line_items),
            params,
            f"/v1/checkout/sessions/{session_id}/line_items",
        )

    def list_line_items(self, session_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            return self._line_items_list(session_id, params)

    def expire_checkout_session(
        self, session_id: str, params: Mapping[str, Any], req: RequestInfo
    ) -> dict[str, Any]:
        with self.lock:
            record = self._session(session_id)
            if record.obj["status"] != "open":
                raise StripeError(
                    'Only Checkout Sessions with a status in ["open"] can be expired. This '
                    f"Checkout Session has a status of {record.obj['status']}.",
                    param="session",
                )
            self._expire(record, req)
            return self._render(record.obj, params)

    def session_view(self, session_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """A session and its line items, for the hosted page (None if unknown)."""
        with self.lock:
            self._expire_due()
            record = self._data.sessions.get(session_id)
            if record is None:
                return None
            return copy.deepcopy(record.obj), copy.deepcopy(record.line_items)

    # -- paying on the hosted page ------------------------------------------------------------

    def pay(
        self,
        session_id: str,
        method: str,
        card_number: str = "",
        fields: Mapping[str, str] | None = None,
    ) -> PayResult:
        """Pay (or, in setup mode, save a method for) a session as the hosted page would.

        ``method``: card, bank_ok or bank_fail (a payment's bank debit), sepa_debit or
        us_bank_account (a saved bank account, details in ``fields``), blik (``blik_code``),
        or p24 / fpx (``bank``) / alipay / wechat_pay, which go on to their test page.
        """
        form = fields or {}
        with self.lock:
            self._expire_due()
            record = self._data.sessions.get(session_id)
            if record is None:
                return PayResult("missing", status=404, message="No such checkout session.")
            session = record.obj
            if session["status"] != "open":
                return PayResult("closed", status=409)
            offered = session["payment_method_types"]
            if session["mode"] == "setup":
                return self._save_on_page(record, method, card_number, form)
            if method == "card":
                if "card" not in offered:
                    return PayResult("declined", 400, message="Cards are not accepted here.")
                number = re.sub(r"[\s-]", "", card_number)
                problem = card_problem(number)
                if problem is not None:
                    return PayResult("declined", 402, message=problem)
                email = session["customer_email"]
                self._start_payment(record, self.new_card_method(number, email), "succeeded")
                session.update(payment_status="paid")
            elif method in ("bank_ok", "bank_fail"):
                bank_type = bank_debit_type(session["currency"])
                if bank_type not in offered:
                    return PayResult("declined", 400, message="Bank debits are not accepted here.")
                account = None
                if method == "bank_fail" and bank_type == "sepa_debit":
                    account = TEST_IBANS["DE62370400440532013001"]
                bank_method = self.new_bank_method(bank_type, account, session["customer_email"])
                intent = self._start_payment(record, bank_method, "processing")
                self._schedule_settlement(intent["id"], method == "bank_ok")
            elif method == "blik":
                if "blik" not in offered:
                    return PayResult("declined", 400, message="BLIK is not accepted here.")
                code = re.sub(r"\s", "", form.get("blik_code", ""))
                if not re.fullmatch(r"\d{6}", code):
                    return PayResult("declined", 400, message=BLIK_INVALID[1])
                if code in BLIK_FAILURES:
                    return PayResult("declined", 402, message=BLIK_FAILURES[code][1])
                self._pay_by_redirect(record, "blik", None)
            elif method in REDIRECT_METHODS:
                if method not in offered:
                    return PayResult("declined", 400, message="This way to pay is not offered.")
                bank = form.get("bank") or None
                if method in BANKS and bank not in BANKS[method]:
                    return PayResult("declined", 400, message="Choose your bank.")
                query = f"?bank={bank}" if bank else ""
                return PayResult(
                    "redirect",
                    status=303,
                    redirect_url=f"{self.base_url}/pay/{session_id}/authorize/{method}{query}",
                )
            else:
                return PayResult("declined", 400, message="Choose a way to pay.")
            return self._complete(record)

    def authorize(self, session_id: str, method: str, bank: str | None, outcome: str) -> PayResult:
        """The answer given on a redirect method's test page: ``authorize`` or ``fail``.

        A failure leaves the session open (the client is back on Checkout, told why);
        leaving the test page without answering changes nothing.
        """
        with self.lock:
            self._expire_due()
            record = self._data.sessions.get(session_id)
            if record is None:
                return PayResult("missing", status=404, message="No such checkout session.")
            if record.obj["status"] != "open":
                return PayResult("closed", status=409)
            if method not in REDIRECT_METHODS or method not in record.obj["payment_method_types"]:
                return PayResult("declined", 400, message="This way to pay is not offered.")
            if method in BANKS and bank not in BANKS[method]:
                return PayResult("declined", 400, message="Choose your bank.")
            if outcome == "fail":
                return PayResult(
                    "declined",
                    402,
                    message="The payment was not authorised. Nothing was charged: "
                    "try again or choose another way to pay.",
                )
            if outcome != "authorize":
                return PayResult("declined", 400, message="Choose a way to pay.")
            self._pay_by_redirect(record, method, bank)
            return self._complete(record)

    def _pay_by_redirect(self, record: SessionRecord, method: str, bank: str | None) -> None:
        details = objects.redirect_details(method, bank)
        paid_with = self.new_method_from(details, record.obj["customer_email"])
        self._start_payment(record, paid_with, "succeeded", details)
        record.obj.update(payment_status="paid")

    def _complete(self, record: SessionRecord) -> PayResult:
        session = record.obj
        self._emit("checkout.session.completed", session, AUTOMATIC)
        success_url = session["success_url"]
        if not success_url:
            return PayResult("complete")
        return PayResult(
            "redirect",
            status=303,
            redirect_url=success_url.replace("{CHECKOUT_SESSION_ID}", session["id"]),
        )

    def _save_on_page(
        self, record: SessionRecord, method: str, card_number: str, form: Mapping[str, str]
    ) -> PayResult:
        """Setup mode: save the card or bank account (a succeeded SetupIntent)."""
        session = record.obj
        if method not in session["payment_method_types"]:
            return PayResult("declined", 400, message="This way to pay is not offered.")
        email = session["customer_email"]
        if method == "card":
            number = re.sub(r"[\s-]", "", card_number)
            problem = card_problem(number, saving=True)
            if problem is not None:
                return PayResult("declined", 402, message=problem)
            saved = self.new_card_method(number, email)
        elif method == "sepa_debit":
            iban = re.sub(r"\s", "", form.get("iban", "")).upper()
            if iban not in TEST_IBANS:
                return PayResult(
                    "declined",
                    400,
                    message="Your IBAN is incorrect. In test mode use a test IBAN such as "
                    "DE89 3704 0044 0532 0130 00.",
                )
            saved = self.new_bank_method(method, TEST_IBANS[iban], email)
        elif method == "us_bank_account":
            routing = form.get("routing_number", "").strip()
            account = form.get("account_number", "").strip()
            if routing != ACH_ROUTING or account not in TEST_ACH_ACCOUNTS:
                return PayResult(
                    "declined",
                    400,
                    message="Your bank account details are incorrect. In test mode use routing "
                    f"number {ACH_ROUTING} and account number 000123456789.",
                )
            saved = self.new_bank_method(method, TEST_ACH_ACCOUNTS[account], email)
        else:
            saved = self.new_bank_method(method, None, email)
        data = record.setup_intent_data or {"metadata": {}, "description": None}
        intent = self.new_setup_intent(
            customer=session["customer"],
            types=list(session["payment_method_types"]),
            automatic=True,
            metadata=dict(data["metadata"]),
            description=data["description"],
            req=AUTOMATIC,
        )
        self.finish_setup(intent, saved, AUTOMATIC)
        session.update(
            status="complete",
            url=None,
            setup_intent=intent["id"],
            customer_details=objects.customer_details(email),
        )
        return self._complete(record)

    def _start_payment(
        self,
        record: SessionRecord,
        paid_with: dict[str, Any],
        status: str,
        details: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The session's PaymentIntent and charge, paid with ``paid_with`` (a PaymentMethod);
        ``details``: the charge's method details where the PaymentMethod has fewer."""
        session = record.obj
        now = self.now()
        pi_data = record.payment_intent_data
        receipt_email = pi_data["receipt_email"]
        future = pi_data.get("setup_future_usage")
        customer = session["customer"]
        if future and customer is None:
            # Checkout makes a Customer to keep a method saved for later use
            made = objects.customer(
                created=now, email=session["customer_email"], name=None, metadata={}
            )
            self._data.customers[made["id"]] = made
            self._emit("customer.created", made, AUTOMATIC)
            customer = session["customer"] = made["id"]
        intent = objects.payment_intent(
            created=now,
            amount=session["amount_total"],
            currency=session["currency"],
            status=status,
            payment_method=paid_with["id"],
            payment_method_type=paid_with["type"],
            metadata=dict(pi_data["metadata"]),
            description=pi_data["description"],
            receipt_email=receipt_email,
            payment_method_configuration=session["payment_method_configuration_details"]["id"],
            customer=customer,
            setup_future_usage=future,
        )
        if details is None:
            details = self._charge_details(paid_with)
        the_charge = objects.charge(
            created=now,
            amount=session["amount_total"],
            currency=session["currency"],
            status="succeeded" if status == "succeeded" else "pending",
            payment_intent_id=intent["id"],
            payment_method=paid_with["id"],
            payment_method_details=details,
            metadata=dict(pi_data["metadata"]),
            description=pi_data["description"],
            email=session["customer_email"],
            receipt_email=receipt_email,
        )
        the_charge["customer"] = customer
        intent["latest_charge"] = the_charge["id"]
        self._data.payment_intents[intent["id"]] = intent
        self._data.charges[the_charge["id"]] = the_charge
        if future and customer is not None and paid_with["type"] not in REDIRECT_METHODS:
            self._attach(paid_with, customer, AUTOMATIC)
        session.update(
            status="complete",
            url=None,
            payment_intent=intent["id"],
            customer_details=objects.customer_details(session["customer_email"]),
            collected_information={
                "business_name": None,
                "individual_name": None,
                "shipping_details": None,
            },
        )
        return intent

    def _schedule_settlement(self, intent_id: str, succeed: bool) -> None:
        self._data.settlements[intent_id] = succeed
        self._timers = [t for t in self._timers if t.is_alive()]
        timer = threading.Timer(self.async_payment_delay, self._settle, (intent_id, succeed))
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def _settle(self, intent_id: str, succeed: bool) -> None:
        with self.lock:
            if self._closed:
                return
            self._data.settlements.pop(intent_id, None)
            intent = self._data.payment_intents.get(intent_id)
            if self._closed or intent is None or intent["status"] != "processing":
                return
            the_charge = self._data.charges[intent["latest_charge"]]
            record = next(
                (r for r in self._data.sessions.values() if r.obj["payment_intent"] == intent_id),
                None,
            )
            if succeed:
                intent.update(status="succeeded", amount_received=intent["amount"])
                the_charge.update(
                    status="succeeded", paid=True, balance_transaction=objects.new_id("txn")
                )
                event_type = "checkout.session.async_payment_succeeded"
                if record is not None:
                    record.obj["payment_status"] = "paid"
            else:
                message = "The customer's account has insufficient funds to cover this payment."
                intent.update(
                    status="requires_payment_method",
                    last_payment_error={
                        "type": "invalid_request_error",
                        "code": "insufficient_funds",
                        "decline_code": None,
                        "message": message,
                        "payment_method": {
                            "id": intent["payment_method"],
                            "object": "payment_method",
                        },
                    },
                )
                the_charge.update(
                    status="failed",
                    paid=False,
                    failure_code="insufficient_funds",
                    failure_message=message,
                    outcome={
                        **the_charge["outcome"],
                        "network_status": "declined_by_network",
                        "reason": "insufficient_funds",
                        "seller_message": "The bank returned the payment.",
                        "type": "issuer_declined",
                    },
                )
                event_type = "checkout.session.async_payment_failed"
            if record is not None:
                self._emit(event_type, record.obj, AUTOMATIC)
            else:
                self.settle_api_intent(intent, succeed, AUTOMATIC)

    # -- payment intents, charges, refunds, disputes ------------------------------------------

    def _get(self, kind: str, table: dict[str, dict[str, Any]], object_id: str) -> dict[str, Any]:
        obj = table.get(object_id)
        if obj is None:
            raise no_such(kind, object_id)
        return obj

    def retrieve_payment_intent(self, intent_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            return self._render(
                self._get("payment_intent", self._data.payment_intents, intent_id), params
            )

    def retrieve_charge(self, charge_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            return self._render(self._get("charge", self._data.charges, charge_id), params)

    def retrieve_refund(self, refund_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            return self._render(self._get("refund", self._data.refunds, refund_id), params)

    def retrieve_dispute(self, dispute_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            return self._render(self._get("dispute", self._data.disputes, dispute_id), params)

    def _charge_for(self, params: Mapping[str, Any]) -> dict[str, Any]:
        charge_id = as_str(params.get("charge"), "charge")
        intent_id = as_str(params.get("payment_intent"), "payment_intent")
        if charge_id:
            return self._get("charge", self._data.charges, charge_id)
        if not intent_id:
            raise StripeError(
                "One of the following params should be provided for this request: "
                "payment_intent or charge.",
                code="parameter_missing",
            )
        intent = self._data.payment_intents.get(intent_id)
        if intent is None:
            raise no_such("payment_intent", intent_id, "payment_intent")
        if intent["latest_charge"] is None:
            raise StripeError(
                f"PaymentIntent {intent_id} does not have a charge.",
                code="payment_intent_unexpected_state",
                param="payment_intent",
            )
        return self._data.charges[intent["latest_charge"]]

    def create_refund(self, params: dict[str, Any], req: RequestInfo) -> dict[str, Any]:
        with self.lock:
            check_known(params, REFUND_PARAMS)
            the_charge = self._charge_for(params)
            if the_charge["status"] != "succeeded":
                raise StripeError(
                    f"Charge {the_charge['id']} is {the_charge['status']} and cannot be refunded.",
                    code="charge_not_refundable",
                )
            if the_charge["disputed"]:
                raise StripeError(
                    f"Charge {the_charge['id']} has been charged back; cannot issue a refund.",
                    code="charge_disputed",
                )
            remaining = the_charge["amount"] - the_charge["amount_refunded"]
            if remaining <= 0:
                raise StripeError(
                    f"Charge {the_charge['id']} has already been refunded.",
                    code="charge_already_refunded",
                )
            amount = as_int(params.get("amount"), "amount")
            amount = remaining if amount is None else amount
            if amount <= 0:
                raise invalid("amount", "Invalid positive integer", "parameter_invalid_integer")
            currency = the_charge["currency"]
            if amount > remaining:
                raise StripeError(
                    f"Refund amount ({format_amount(amount, currency)}) is greater than "
                    f"unrefunded amount on charge ({format_amount(remaining, currency)})",
                    code="amount_too_large",
                    param="amount",
                )
            reason = as_str(params.get("reason"), "reason") or None
            if reason is not None and reason not in REFUND_REASONS:
                raise invalid("reason", f"Invalid reason: {reason}")
            the_refund = objects.refund(
                created=self.now(),
                amount=amount,
                charge=the_charge,
                reason=reason,
                metadata=clean_metadata(params.get("metadata")),
            )
            self._data.refunds[the_refund["id"]] = the_refund
            the_charge["amount_refunded"] += amount
            the_charge["refunded"] = the_charge["amount_refunded"] >= the_charge["amount"]
            the_charge["refunds"]["data"].insert(0, copy.deepcopy(the_refund))
            self._emit("charge.refunded", the_charge, req)
            return self._render(the_refund, params)

    def create_test_dispute(self, params: dict[str, Any], req: RequestInfo) -> dict[str, Any]:
        """Test helper: the customer's bank disputes a payment (``charge.dispute.created``)."""
        with self.lock:
            check_known(params, {"payment_intent", "charge", "amount", "reason", "expand"})
            the_charge = self._charge_for(params)
            if the_charge["status"] != "succeeded":
                raise StripeError(
                    f"Charge {the_charge['id']} is {the_charge['status']}; only succeeded "
                    "charges can be disputed.",
                    code="charge_not_disputable",
                )
            if the_charge["disputed"]:
                raise StripeError(
                    f"Charge {the_charge['id']} is already disputed.", code="charge_disputed"
                )
            amount = as_int(params.get("amount"), "amount")
            amount = the_charge["amount"] if amount is None else amount
            if not 0 < amount <= the_charge["amount"]:
                raise invalid(
                    "amount", "The disputed amount must be between 1 and the charge amount."
                )
            the_dispute = objects.dispute(
                created=self.now(),
                amount=amount,
                charge=the_charge,
                reason=as_str(params.get("reason"), "reason") or "fraudulent",
            )
            self._data.disputes[the_dispute["id"]] = the_dispute
            the_charge["disputed"] = True
            self._emit("charge.dispute.created", the_dispute, req)
            return self._render(the_dispute, params)


def _type_matches(event_type: str, wanted: set[str]) -> bool:
    for pattern in wanted:
        if pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False
