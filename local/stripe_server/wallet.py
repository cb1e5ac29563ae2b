"""Customers, saved PaymentMethods, SetupIntents and API-created (off-session) PaymentIntents.

A mixin of :class:`state.Store`: every public method takes the account's lock, as the
Store's own do. How a saved method behaves when used later is kept beside it (which test
card or test bank account it came from), so a card that "attaches fine but declines when
charged" does exactly that.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from site_builder.money import STRIPE_CURRENCIES, stripe_maximum
from site_builder.money import stripe_minimum as minimum_charge

from . import objects
from .cards import (
    BANK_FAILURES,
    DECLINE_CODES,
    DECLINE_MESSAGES,
    TEST_CARDS,
    TEST_PAYMENT_METHODS,
    BankBehaviour,
)
from .currency import format_amount, step
from .errors import StripeError, invalid, missing, no_such
from .methods import BANK_DEBITS, REDIRECT_METHODS
from .params import as_bool, as_dict, as_int, as_list, as_str, check_known, clean_metadata
from .records import RequestInfo, _Collections

CUSTOMER_PARAMS = frozenset({
    "address", "balance", "cash_balance", "description", "email", "expand", "invoice_prefix",
    "invoice_settings", "metadata", "name", "next_invoice_sequence", "payment_method", "phone",
    "preferred_locales", "shipping", "source", "tax", "tax_exempt", "tax_id_data", "test_clock",
})  # fmt: skip
INVOICE_SETTINGS_PARAMS = frozenset({
    "custom_fields", "default_payment_method", "footer", "rendering_options",
})  # fmt: skip
SETUP_INTENT_PARAMS = frozenset({
    "attach_to_self", "automatic_payment_methods", "confirm", "confirmation_token", "customer",
    "description", "excluded_payment_method_types", "expand", "flow_directions", "mandate_data",
    "metadata", "on_behalf_of", "payment_method", "payment_method_configuration",
    "payment_method_data", "payment_method_options", "payment_method_types", "return_url",
    "single_use", "usage", "use_stripe_sdk",
})  # fmt: skip
PAYMENT_INTENT_PARAMS = frozenset({
    "amount", "application_fee_amount", "automatic_payment_methods", "capture_method",
    "confirm", "confirmation_method", "confirmation_token", "currency", "customer",
    "description", "error_on_requires_action", "excluded_payment_method_types", "expand",
    "mandate", "mandate_data", "metadata", "off_session", "on_behalf_of", "payment_method",
    "payment_method_configuration", "payment_method_data", "payment_method_options",
    "payment_method_types", "radar_options", "receipt_email", "return_url",
    "setup_future_usage", "shipping", "statement_descriptor", "statement_descriptor_suffix",
    "transfer_data", "transfer_group", "use_stripe_sdk",
})  # fmt: skip
SETUP_CONFIRM_PARAMS = frozenset({
    "expand", "mandate_data", "payment_method", "payment_method_data", "payment_method_options",
    "return_url", "use_stripe_sdk",
})  # fmt: skip
_REUSABLE = frozenset({"card", *BANK_DEBITS.values()})
_DOC = "https://docs.stripe.com/error-codes/"


class WalletMixin:
    """Customers, PaymentMethods, SetupIntents and PaymentIntents created through the API."""

    if TYPE_CHECKING:
        lock: threading.RLock
        _data: _Collections
        async_payment_delay: float
        _emit: Callable[[str, dict[str, Any], RequestInfo], dict[str, Any]]
        _render: Callable[[dict[str, Any], Mapping[str, Any]], dict[str, Any]]
        _paginate: Callable[[list[dict[str, Any]], Mapping[str, Any], str], dict[str, Any]]
        _schedule_settlement: Callable[[str, bool], None]

        def now(self) -> int: ...

    # -- customers ----------------------------------------------------------------------------

    def _customer(self, customer_id: str, param: str = "id") -> dict[str, Any]:
        found = self._data.customers.get(customer_id)
        if found is None:
            raise no_such("customer", customer_id, param)
        return found

    def create_customer(self, params: dict[str, Any], req: RequestInfo) -> dict[str, Any]:
        with self.lock:
            check_known(params, CUSTOMER_PARAMS)
            customer = objects.customer(
                created=self.now(),
                email=as_str(params.get("email"), "email") or None,
                name=as_str(params.get("name"), "name") or None,
                metadata=clean_metadata(params.get("metadata")),
            )
            customer["description"] = as_str(params.get("description"), "description") or None
            self._data.customers[customer["id"]] = customer
            self._emit("customer.created", customer, req)
            return self._render(customer, params)

    def retrieve_customer(self, customer_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            return self._render(self._customer(customer_id), params)

    def update_customer(
        self, customer_id: str, params: dict[str, Any], req: RequestInfo
    ) -> dict[str, Any]:
        with self.lock:
            customer = self._customer(customer_id)
            check_known(params, CUSTOMER_PARAMS)
            before = copy.deepcopy(customer)
            for key in ("email", "name", "description", "phone"):
                if key in params:
                    customer[key] = as_str(params[key], key) or None
            if "metadata" in params:
                # Stripe merges metadata; an empty value removes a key
                raw = as_dict(params["metadata"], "metadata")
                merged = {**customer["metadata"], **{k: v for k, v in raw.items() if v != ""}}
                for key, value in raw.items():
                    if value == "":
                        merged.pop(key, None)
                customer["metadata"] = clean_metadata(merged)
            settings = as_dict(params.get("invoice_settings"), "invoice_settings")
            check_known(settings, INVOICE_SETTINGS_PARAMS, "invoice_settings")
            if "default_payment_method" in settings:
                pm_id = as_str(
                    settings["default_payment_method"], "invoice_settings[default_payment_method]"
                )
                if pm_id:
                    method = self._data.payment_methods.get(pm_id)
                    if method is None or method["customer"] != customer_id:
                        raise invalid(
                            "invoice_settings[default_payment_method]",
                            f"No such PaymentMethod: '{pm_id}'; It's possible this "
                            "PaymentMethod exists on one of your connected accounts, or it is "
                            "not attached to this customer.",
                            "resource_missing",
                        )
                customer["invoice_settings"]["default_payment_method"] = pm_id or None
            if customer != before:
                self._emit_updated("customer.updated", customer, before, req)
            return self._render(customer, params)

    def _emit_updated(
        self, event_type: str, obj: dict[str, Any], before: dict[str, Any], req: RequestInfo
    ) -> None:
        event = self._emit(event_type, obj, req)
        changed = {k: v for k, v in before.items() if obj.get(k) != v}
        event["data"]["previous_attributes"] = changed

    def list_customer_payment_methods(
        self, customer_id: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        with self.lock:
            self._customer(customer_id)
            return self._list_methods(
                customer_id, params, f"/v1/customers/{customer_id}/payment_methods"
            )

    # -- payment methods ----------------------------------------------------------------------

    def _list_methods(
        self, customer_id: str | None, params: Mapping[str, Any], url: str
    ) -> dict[str, Any]:
        wanted = as_str(params.get("type"), "type")
        items = [
            m
            for m in reversed(self._data.payment_methods.values())
            if (customer_id is None or m["customer"] == customer_id)
            and (not wanted or m["type"] == wanted)
        ]
        return self._paginate(items, params, url)

    def list_payment_methods(self, params: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            customer_id = as_str(params.get("customer"), "customer") or None
            if customer_id is not None:
                self._customer(customer_id, "customer")
            return self._list_methods(customer_id, params, "/v1/payment_methods")

    def new_card_method(self, number: str, email: str | None = None) -> dict[str, Any]:
        """A card PaymentMethod for a test card number (known to ``TEST_CARDS``)."""
        card = TEST_CARDS[number]
        details = objects.card_details(
            card.brand, number[-4:], time.gmtime().tm_year + 3, card.country, card.funding
        )
        method = objects.payment_method(created=self.now(), details=details, email=email)
        self._data.payment_methods[method["id"]] = method
        self._data.method_sources[method["id"]] = {"card": number}
        return method

    def new_bank_method(
        self, method_type: str, account: BankBehaviour | None, email: str | None = None
    ) -> dict[str, Any]:
        """A bank debit PaymentMethod (a test account's details, or the default test one)."""
        details = objects.bank_details(method_type)
        if account is not None:
            inner = details[method_type]
            inner["last4"] = account.last4
            if method_type == "sepa_debit":
                inner.update(bank_code=account.bank_code, country=account.country)
            elif method_type == "us_bank_account":
                inner["routing_number"] = account.bank_code
        method = objects.payment_method(created=self.now(), details=details, email=email)
        self._data.payment_methods[method["id"]] = method
        failure = account.failure if account is not None else None
        self._data.method_sources[method["id"]] = {"bank_failure": failure}
        return method

    def new_method_from(self, details: dict[str, Any], email: str | None) -> dict[str, Any]:
        """The PaymentMethod behind a payment made on the hosted page (its charge details)."""
        method = objects.payment_method(created=self.now(), details=details, email=email)
        self._data.payment_methods[method["id"]] = method
        self._data.method_sources[method["id"]] = {"type": details["type"]}
        return method

    def _method(self, pm_id: str, param: str = "payment_method") -> dict[str, Any]:
        """A stored PaymentMethod, or a new one for a test id such as ``pm_card_visa``
        (Stripe answers each use of a test id with a PaymentMethod of its own)."""
        if pm_id in TEST_PAYMENT_METHODS:
            return self.new_card_method(TEST_PAYMENT_METHODS[pm_id])
        found = self._data.payment_methods.get(pm_id)
        if found is None:
            raise no_such("PaymentMethod", pm_id, param)
        return found

    def retrieve_payment_method(self, pm_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            return self._render(self._method(pm_id, "payment_method"), params)

    def _card_of(self, method: dict[str, Any]) -> str | None:
        return self._data.method_sources.get(method["id"], {}).get("card")

    def _attach(self, method: dict[str, Any], customer_id: str, req: RequestInfo) -> None:
        if method["customer"] == customer_id:
            return
        method["customer"] = customer_id
        self._emit("payment_method.attached", method, req)

    def attach_payment_method(
        self, pm_id: str, params: dict[str, Any], req: RequestInfo
    ) -> dict[str, Any]:
        with self.lock:
            check_known(params, {"customer", "customer_account", "expand"})
            customer_id = as_str(params.get("customer"), "customer")
            if not customer_id:
                raise missing("customer")
            self._customer(customer_id, "customer")
            method = self._method(pm_id, "payment_method")
            if method["type"] not in _REUSABLE:
                raise StripeError(
                    f"PaymentMethods of type {method['type']} cannot be attached to a "
                    "customer: they can be used once only.",
                    code="payment_method_not_available",
                    param="payment_method",
                )
            if method["customer"] not in (None, customer_id):
                raise StripeError(
                    "The payment method you provided has already been attached to a customer.",
                    code="payment_method_unexpected_state",
                    param="payment_method",
                )
            number = self._card_of(method)
            decline = TEST_CARDS[number].setup if number else None
            if decline is not None:
                # attaching a card checks it with the bank, which may refuse it
                raise _card_error(decline, {"payment_method": copy.deepcopy(method)})
            self._attach(method, customer_id, req)
            return self._render(method, params)

    def detach_payment_method(
        self, pm_id: str, params: dict[str, Any], req: RequestInfo
    ) -> dict[str, Any]:
        with self.lock:
            check_known(params, {"expand"})
            method = self._method(pm_id, "payment_method")
            customer_id = method["customer"]
            if customer_id is None:
                raise StripeError(
                    "The payment method you provided is not attached to a customer so "
                    "detachment is impossible.",
                    code="payment_method_unexpected_state",
                    param="payment_method",
                )
            method["customer"] = None
            customer = self._data.customers.get(customer_id)
            if customer and customer["invoice_settings"]["default_payment_method"] == pm_id:
                customer["invoice_settings"]["default_payment_method"] = None
            event = self._emit("payment_method.detached", method, req)
            event["data"]["previous_attributes"] = {"customer": customer_id}
            return self._render(method, params)

    # -- setup intents ------------------------------------------------------------------------

    def _setup_intent(self, seti_id: str) -> dict[str, Any]:
        found = self._data.setup_intents.get(seti_id)
        if found is None:
            raise no_such("setup_intent", seti_id, "intent")
        return found

    def new_setup_intent(
        self,
        *,
        customer: str | None,
        types: list[str],
        automatic: bool,
        metadata: dict[str, str],
        description: str | None,
        req: RequestInfo,
    ) -> dict[str, Any]:
        intent = objects.setup_intent(
            created=self.now(),
            customer=customer,
            payment_method_types=types,
            automatic=automatic,
            usage="off_session",
            metadata=metadata,
            description=description,
        )
        self._data.setup_intents[intent["id"]] = intent
        self._emit("setup_intent.created", intent, req)
        return intent

    def create_setup_intent(self, params: dict[str, Any], req: RequestInfo) -> dict[str, Any]:
        with self.lock:
            check_known(params, SETUP_INTENT_PARAMS)
            customer_id = as_str(params.get("customer"), "customer") or None
            if customer_id is not None:
                self._customer(customer_id, "customer")
            usage = as_str(params.get("usage"), "usage") or "off_session"
            if usage not in ("on_session", "off_session"):
                raise invalid("usage", "Invalid usage: must be on_session or off_session.")
            types = _types(params)
            unknown = [t for t in types if t not in _REUSABLE]
            if unknown:
                raise invalid(
                    "payment_method_types",
                    f"The payment method type {unknown[0]!r} cannot be set up for later use.",
                    "payment_method_type_invalid",
                )
            automatic = not types
            intent = self.new_setup_intent(
                customer=customer_id,
                types=types or ["card"],
                automatic=automatic,
                metadata=clean_metadata(params.get("metadata")),
                description=as_str(params.get("description"), "description") or None,
                req=req,
            )
            intent["usage"] = usage
            pm_id = as_str(params.get("payment_method"), "payment_method") or None
            if pm_id is not None:
                intent["payment_method"] = self._method(pm_id)["id"]
                intent["status"] = "requires_confirmation"
            if as_bool(params.get("confirm"), "confirm"):
                self._confirm_setup(intent, req)
            return self._render(intent, params)

    def confirm_setup_intent(
        self, seti_id: str, params: dict[str, Any], req: RequestInfo
    ) -> dict[str, Any]:
        with self.lock:
            check_known(params, SETUP_CONFIRM_PARAMS)
            intent = self._setup_intent(seti_id)
            if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
                raise StripeError(
                    f"You cannot confirm this SetupIntent because it has a status of "
                    f"{intent['status']}.",
                    code="setup_intent_unexpected_state",
                )
            pm_id = as_str(params.get("payment_method"), "payment_method") or None
            if pm_id is not None:
                intent["payment_method"] = self._method(pm_id)["id"]
            self._confirm_setup(intent, req)
            return self._render(intent, params)

    def _confirm_setup(self, intent: dict[str, Any], req: RequestInfo) -> None:
        pm_id = intent["payment_method"]
        if pm_id is None:
            raise StripeError(
                "You cannot confirm this SetupIntent because it's missing a payment method.",
                code="setup_intent_unexpected_state",
            )
        method = self._data.payment_methods[pm_id]
        number = self._card_of(method)
        decline = TEST_CARDS[number].setup if number else None
        if decline is not None:
            error = _last_error(decline, method)
            intent.update(
                status="requires_payment_method", last_setup_error=error, payment_method=None
            )
            self._emit("setup_intent.setup_failed", intent, req)
            raise _card_error(decline, {"setup_intent": copy.deepcopy(intent)})
        self.finish_setup(intent, method, req)

    def finish_setup(
        self, intent: dict[str, Any], method: dict[str, Any], req: RequestInfo
    ) -> None:
        """The SetupIntent succeeded: its method is attached to its customer."""
        intent.update(
            status="succeeded",
            payment_method=method["id"],
            last_setup_error=None,
            latest_attempt=objects.new_id("setatt"),
            mandate=objects.new_id("mandate") if method["type"] in BANK_DEBITS.values() else None,
        )
        if method["type"] not in intent["payment_method_types"]:
            intent["payment_method_types"] = [*intent["payment_method_types"], method["type"]]
        if intent["customer"] is not None:
            self._attach(method, intent["customer"], req)
        self._emit("setup_intent.succeeded", intent, req)

    def retrieve_setup_intent(self, seti_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            return self._render(self._setup_intent(seti_id), params)

    def list_setup_intents(self, params: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            customer_id = as_str(params.get("customer"), "customer")
            items = [
                i
                for i in reversed(self._data.setup_intents.values())
                if not customer_id or i["customer"] == customer_id
            ]
            return self._paginate(items, params, "/v1/setup_intents")

    # -- payment intents created through the API ----------------------------------------------

    def list_payment_intents(self, params: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            customer_id = as_str(params.get("customer"), "customer")
            items = [
                i
                for i in reversed(self._data.payment_intents.values())
                if not customer_id or i["customer"] == customer_id
            ]
            return self._paginate(items, params, "/v1/payment_intents")

    def create_payment_intent(self, params: dict[str, Any], req: RequestInfo) -> dict[str, Any]:
        with self.lock:
            check_known(params, PAYMENT_INTENT_PARAMS)
            amount, currency = _amount(params)
            customer_id = as_str(params.get("customer"), "customer") or None
            if customer_id is not None:
                self._customer(customer_id, "customer")
            off_session = as_bool(params.get("off_session"), "off_session") or False
            confirm = as_bool(params.get("confirm"), "confirm") or False
            if off_session and not confirm:
                raise invalid("off_session", "You can only pass off_session when confirm is true.")
            future = as_str(params.get("setup_future_usage"), "setup_future_usage") or None
            if future not in (None, "on_session", "off_session"):
                raise invalid("setup_future_usage", f"Invalid setup_future_usage: {future}")
            pm_id = as_str(params.get("payment_method"), "payment_method") or None
            method = self._method(pm_id) if pm_id is not None else None
            if method is not None and method["customer"] not in (None, customer_id):
                raise invalid(
                    "payment_method",
                    f"The provided PaymentMethod {method['id']} is attached to another "
                    "customer than the one on this PaymentIntent.",
                    "payment_method_unexpected_state",
                )
            if method is not None and off_session and method["customer"] is None:
                raise invalid(
                    "payment_method",
                    "The provided PaymentMethod was not attached to a Customer: attach it "
                    "(a SetupIntent, or setup_future_usage) before charging it off-session.",
                    "payment_method_unexpected_state",
                )
            types = _types(params)
            intent = objects.payment_intent(
                created=self.now(),
                amount=amount,
                currency=currency,
                status="requires_payment_method",
                payment_method=method["id"] if method else None,  # type: ignore[arg-type]
                payment_method_type=method["type"] if method else (types or ["card"])[0],
                metadata=clean_metadata(params.get("metadata")),
                description=as_str(params.get("description"), "description") or None,
                receipt_email=as_str(params.get("receipt_email"), "receipt_email") or None,
                payment_method_configuration=None,
                customer=customer_id,
                setup_future_usage=future,
            )
            intent["payment_method_configuration_details"] = None
            if types:
                intent["payment_method_types"] = types
            if method is not None:
                intent["status"] = "requires_confirmation"
            self._data.payment_intents[intent["id"]] = intent
            self._emit("payment_intent.created", intent, req)
            if confirm:
                if method is None:
                    raise StripeError(
                        "You cannot confirm this PaymentIntent because it's missing a payment "
                        "method.",
                        code="payment_intent_unexpected_state",
                        executed=True,
                    )
                self._confirm_payment(intent, method, off_session, req)
            return self._render(intent, params)

    def _confirm_payment(
        self, intent: dict[str, Any], method: dict[str, Any], off_session: bool, req: RequestInfo
    ) -> None:
        source = self._data.method_sources.get(method["id"], {})
        method_type = method["type"]
        if method_type in REDIRECT_METHODS:
            raise StripeError(
                f"A {method_type} PaymentMethod can be used once only, by the customer on "
                "Stripe's page: it cannot be charged again.",
                code="payment_method_not_available",
                param="payment_method",
                executed=True,
            )
        if method_type != "card":
            self._start_bank_debit(intent, method, source.get("bank_failure"), req)
            return
        card = TEST_CARDS[source["card"]]
        decline = card.off_session if off_session else card.pay
        the_charge = self._new_charge(intent, method, "succeeded" if decline is None else "failed")
        intent["latest_charge"] = the_charge["id"]
        if decline is None:
            intent.update(status="succeeded", amount_received=intent["amount"])
            if intent["setup_future_usage"] and intent["customer"]:
                self._attach(method, intent["customer"], req)
            self._emit("charge.succeeded", the_charge, req)
            self._emit("payment_intent.succeeded", intent, req)
            return
        error = _last_error(decline, method)
        error["charge"] = the_charge["id"]
        the_charge.update(
            failure_code=DECLINE_CODES[decline],
            failure_message=DECLINE_MESSAGES[decline],
            outcome={
                **the_charge["outcome"],
                "network_status": "declined_by_network",
                "reason": decline,
                "seller_message": "The bank did not return any further details with this decline."
                if decline == "generic_decline"
                else "The bank returned the decline code `" + decline + "`.",
                "type": "issuer_declined",
            },
        )
        intent.update(status="requires_payment_method", last_payment_error=error)
        self._emit("charge.failed", the_charge, req)
        self._emit("payment_intent.payment_failed", intent, req)
        raise _card_error(
            decline,
            {
                "charge": the_charge["id"],
                "payment_intent": copy.deepcopy(intent),
                "payment_method": copy.deepcopy(method),
            },
        )

    def _charge_details(self, method: dict[str, Any]) -> dict[str, Any]:
        """A charge's ``payment_method_details`` for a card or bank PaymentMethod."""
        method_type = method["type"]
        if method_type == "card":
            card = method["card"]
            return objects.card_details(
                card["brand"], card["last4"], card["exp_year"], card["country"], card["funding"]
            )
        details = objects.bank_details(method_type)
        details[method_type].update(
            {k: v for k, v in method[method_type].items() if k in details[method_type]}
        )
        return details

    def _new_charge(
        self, intent: dict[str, Any], method: dict[str, Any], status: str
    ) -> dict[str, Any]:
        details = self._charge_details(method)
        the_charge = objects.charge(
            created=self.now(),
            amount=intent["amount"],
            currency=intent["currency"],
            status=status,
            payment_intent_id=intent["id"],
            payment_method=method["id"],
            payment_method_details=details,
            metadata=dict(intent["metadata"]),
            description=intent["description"],
            email=method["billing_details"]["email"],
            receipt_email=intent["receipt_email"],
        )
        the_charge["customer"] = intent["customer"]
        if status == "failed":
            the_charge["captured"] = False
            the_charge["amount_captured"] = 0
        self._data.charges[the_charge["id"]] = the_charge
        return the_charge

    def _start_bank_debit(
        self,
        intent: dict[str, Any],
        method: dict[str, Any],
        failure: str | None,
        req: RequestInfo,
    ) -> None:
        """A bank debit is accepted at once and settles (or is returned) later."""
        the_charge = self._new_charge(intent, method, "pending")
        intent.update(status="processing", latest_charge=the_charge["id"])
        if failure is not None:
            self._data.bank_failures[intent["id"]] = failure
        self._emit("charge.pending", the_charge, req)
        self._emit("payment_intent.processing", intent, req)
        self._schedule_settlement(intent["id"], failure is None)

    def settle_api_intent(self, intent: dict[str, Any], succeed: bool, req: RequestInfo) -> None:
        """The end of a bank debit started through the API: its own events, no session's."""
        the_charge = self._data.charges[intent["latest_charge"]]
        if succeed:
            if intent["setup_future_usage"] and intent["customer"]:
                method = self._data.payment_methods[intent["payment_method"]]
                self._attach(method, intent["customer"], req)
            self._emit("charge.succeeded", the_charge, req)
            self._emit("payment_intent.succeeded", intent, req)
            return
        failure = self._data.bank_failures.pop(intent["id"], "insufficient_funds")
        message = BANK_FAILURES.get(failure, BANK_FAILURES["insufficient_funds"])
        the_charge.update(failure_code=failure, failure_message=message)
        intent["last_payment_error"] = {
            "charge": the_charge["id"],
            "code": failure,
            "decline_code": None,
            "doc_url": _DOC + failure,
            "message": message,
            "payment_method": copy.deepcopy(self._data.payment_methods[intent["payment_method"]]),
            "type": "invalid_request_error",
        }
        self._emit("charge.failed", the_charge, req)
        self._emit("payment_intent.payment_failed", intent, req)


def _types(params: Mapping[str, Any]) -> list[str]:
    return [str(t) for t in as_list(params.get("payment_method_types"), "payment_method_types")]


def _amount(params: Mapping[str, Any]) -> tuple[int, str]:
    amount = as_int(params.get("amount"), "amount")
    if amount is None:
        raise missing("amount")
    currency = (as_str(params.get("currency"), "currency") or "").lower()
    if not currency:
        raise missing("currency")
    if currency.upper() not in STRIPE_CURRENCIES:
        raise invalid("currency", f"Invalid currency: {currency}")
    if amount < minimum_charge(currency):
        raise StripeError(
            f"Amount must be at least {format_amount(minimum_charge(currency), currency)}",
            code="amount_too_small",
            param="amount",
        )
    if amount > stripe_maximum(currency):
        raise StripeError(
            f"Amount must be no more than {format_amount(stripe_maximum(currency), currency)}",
            code="amount_too_large",
            param="amount",
        )
    if amount % step(currency):
        raise invalid(
            "amount",
            f"Invalid amount for {currency}: it must be a multiple of {step(currency)}.",
        )
    return amount, currency


def _last_error(decline: str, method: dict[str, Any]) -> dict[str, Any]:
    """The error a failed intent keeps (``last_payment_error`` / ``last_setup_error``)."""
    code = DECLINE_CODES[decline]
    return {
        "code": code,
        "decline_code": decline,
        "doc_url": _DOC + code,
        "message": DECLINE_MESSAGES[decline],
        "payment_method": copy.deepcopy(method),
        "type": "card_error",
    }


def _card_error(decline: str, extra: dict[str, Any]) -> StripeError:
    """The 402 answer to a declined card, as the SDK raises it (``stripe.CardError``)."""
    code = DECLINE_CODES[decline]
    return StripeError(
        DECLINE_MESSAGES[decline],
        status=402,
        type="card_error",
        code=code,
        extra={"decline_code": decline, "doc_url": _DOC + code, **extra},
        executed=True,
    )
