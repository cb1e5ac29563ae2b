"""Checkout Session create: Stripe's parameter checks, and the session it builds."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from site_builder.money import STRIPE_CURRENCIES, stripe_maximum
from site_builder.money import stripe_minimum as minimum_charge

from . import objects
from .currency import format_amount, step
from .errors import StripeError, invalid, missing, no_such
from .methods import bank_debit_type, offered_methods
from .params import as_dict, as_int, as_list, as_str, check_known, clean_metadata

MIN_EXPIRY = 30 * 60
MAX_EXPIRY = 24 * 3600
# Seconds of slack on the expires_at window, for callers computing "now + 30 min" themselves.
EXPIRY_SLACK = 5

SESSION_CREATE_PARAMS = frozenset({
    "adaptive_pricing", "after_expiration", "allow_promotion_codes",
    "allowed_payment_method_types", "automatic_tax", "billing_address_collection",
    "branding_settings", "cancel_url", "client_reference_id", "consent_collection", "currency",
    "custom_fields", "custom_text", "customer", "customer_account", "customer_creation",
    "customer_email", "customer_update", "discounts", "excluded_payment_method_types", "expand",
    "expires_at", "integration_identifier", "invoice_creation", "line_items", "locale",
    "managed_payments", "metadata", "mode", "name_collection", "optional_items", "origin_context",
    "payment_intent_data", "payment_method_collection", "payment_method_configuration",
    "payment_method_data", "payment_method_options", "permissions", "phone_number_collection",
    "redirect_on_completion", "return_url", "saved_payment_method_options", "setup_intent_data",
    "shipping_address_collection", "shipping_options", "submit_type", "subscription_data",
    "success_url", "tax_id_collection", "ui_mode", "wallet_options",
})  # fmt: skip
LINE_ITEM_PARAMS = frozenset({
    "adjustable_quantity", "dynamic_tax_rates", "metadata", "price", "price_data", "quantity",
    "tax_rates",
})  # fmt: skip
PRICE_DATA_PARAMS = frozenset({
    "currency", "product", "product_data", "recurring", "tax_behavior", "unit_amount",
    "unit_amount_decimal",
})  # fmt: skip
PRODUCT_DATA_PARAMS = frozenset({
    "description", "images", "metadata", "name", "tax_code", "tax_details", "unit_label",
})  # fmt: skip
SETUP_INTENT_DATA_PARAMS = frozenset({"description", "metadata", "on_behalf_of"})
PAYMENT_INTENT_DATA_PARAMS = frozenset({
    "application_fee_amount", "capture_method", "description", "metadata", "on_behalf_of",
    "receipt_email", "setup_future_usage", "shipping", "statement_descriptor",
    "statement_descriptor_suffix", "transfer_data", "transfer_group",
})  # fmt: skip

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CURRENCY = re.compile(r"^[a-z]{3}$")


__all__ = ["SessionRecord", "bank_debit_type", "build_session"]


@dataclass
class SessionRecord:
    obj: dict[str, Any]
    line_items: list[dict[str, Any]]
    payment_intent_data: dict[str, Any]
    setup_intent_data: dict[str, Any] | None = None


def build_session(
    p: dict[str, Any],
    now: int,
    base_url: str,
    customers: Mapping[str, dict[str, Any]] | None = None,
) -> SessionRecord:
    """Validate Checkout Session create parameters as Stripe does; build the session.

    ``customers``: the account's Customers, for ``customer=``.
    """
    if "payment_method_types" in p:
        raise StripeError(
            "Received unknown parameter: payment_method_types. From API version 2026-09-30 "
            "Checkout Sessions choose payment methods dynamically: leave them to the "
            "Dashboard, or use allowed_payment_method_types / excluded_payment_method_types.",
            code="parameter_unknown",
            param="payment_method_types",
        )
    check_known(p, SESSION_CREATE_PARAMS)
    mode = as_str(p.get("mode"), "mode") or "payment"
    if mode not in ("payment", "setup"):
        raise invalid(
            "mode", f"This local Stripe server supports mode=payment and mode=setup, not {mode}."
        )
    ui_mode = as_str(p.get("ui_mode"), "ui_mode")
    if ui_mode not in (None, "hosted_page", "hosted"):
        raise invalid(
            "ui_mode", f"This local Stripe server supports only the hosted page, not {ui_mode}."
        )
    customer = as_str(p.get("customer"), "customer") or None
    if customer is not None and customer not in (customers or {}):
        raise no_such("customer", customer, "customer")
    if customer is not None and p.get("customer_email"):
        raise StripeError(
            "You may only specify one of these parameters: customer, customer_email.",
            param="customer_email",
        )
    if mode == "setup":
        return _build_setup_session(p, now, base_url, customer)
    line_items, currency = _build_line_items(p, now)
    subtotal = sum(item["amount_subtotal"] for item in line_items)
    for index, item in enumerate(line_items):
        if item["amount_subtotal"] % step(currency):
            raise invalid(
                f"line_items[{index}][price_data][unit_amount]",
                f"Invalid amount for {currency}: Stripe's amounts in {currency} must be a "
                f"multiple of {step(currency)} (in the currency's smallest unit as Stripe "
                "counts it).",
            )
    if subtotal < minimum_charge(currency):
        raise StripeError(
            "The Checkout Session's total amount due must add up to at least "
            f"{format_amount(minimum_charge(currency), currency)}.",
            code="amount_too_small",
            param="line_items",
        )
    if subtotal > stripe_maximum(currency):
        raise StripeError(
            f"The Checkout Session's total amount due must be no more than "
            f"{format_amount(stripe_maximum(currency), currency)}.",
            code="amount_too_large",
            param="line_items",
        )
    expires_at = _expires_at(p, now)
    success_url = _url(p, "success_url")
    cancel_url = _url(p, "cancel_url")
    client_reference_id = as_str(p.get("client_reference_id"), "client_reference_id")
    if client_reference_id is not None and len(client_reference_id) > 200:
        raise invalid("client_reference_id", "client_reference_id can be at most 200 characters.")
    customer_email = as_str(p.get("customer_email"), "customer_email") or None
    if customer_email is not None and not _EMAIL.match(customer_email):
        raise invalid("customer_email", f"Invalid email address: {customer_email}", "email_invalid")
    payment_method_types = _payment_method_types(p, currency)
    pi_data = as_dict(p.get("payment_intent_data"), "payment_intent_data")
    check_known(pi_data, PAYMENT_INTENT_DATA_PARAMS, "payment_intent_data")
    pi_metadata = clean_metadata(pi_data.get("metadata"), "payment_intent_data[metadata]")
    future = as_str(pi_data.get("setup_future_usage"), "payment_intent_data[setup_future_usage]")
    if future not in (None, "", "on_session", "off_session"):
        raise invalid(
            "payment_intent_data[setup_future_usage]",
            f"Invalid payment_intent_data[setup_future_usage]: must be one of on_session or "
            f"off_session, not {future}.",
        )
    session_id = objects.new_id("cs_test", 58)
    session = objects.checkout_session(
        session_id=session_id,
        created=now,
        expires_at=expires_at,
        url=f"{base_url}/pay/{session_id}",
        currency=currency,
        amount_subtotal=subtotal,
        amount_total=subtotal,
        payment_method_types=payment_method_types,
        payment_method_configuration=as_str(
            p.get("payment_method_configuration"), "payment_method_configuration"
        ),
        metadata=clean_metadata(p.get("metadata")),
        client_reference_id=client_reference_id,
        customer_email=customer_email,
        locale=as_str(p.get("locale"), "locale"),
        success_url=success_url,
        cancel_url=cancel_url,
        submit_type=as_str(p.get("submit_type"), "submit_type"),
        integration_identifier=as_str(p.get("integration_identifier"), "integration_identifier"),
    )
    session["customer"] = customer
    return SessionRecord(
        obj=session,
        line_items=line_items,
        payment_intent_data={
            "setup_future_usage": future or None,
            "metadata": pi_metadata,
            "description": as_str(pi_data.get("description"), "payment_intent_data[description]"),
            "receipt_email": as_str(
                pi_data.get("receipt_email"), "payment_intent_data[receipt_email]"
            ),
        },
    )


def _build_line_items(p: dict[str, Any], now: int) -> tuple[list[dict[str, Any]], str]:
    raw_items = as_list(p.get("line_items"), "line_items")
    if not raw_items:
        raise missing("line_items")
    items: list[dict[str, Any]] = []
    currencies: set[str] = set()
    for index, raw in enumerate(raw_items):
        name = f"line_items[{index}]"
        item = as_dict(raw, name)
        check_known(item, LINE_ITEM_PARAMS, name)
        if item.get("price"):
            raise no_such("price", str(item["price"]), f"{name}[price]")
        price_data = as_dict(item.get("price_data"), f"{name}[price_data]")
        if not price_data:
            raise missing(f"{name}[price_data]")
        check_known(price_data, PRICE_DATA_PARAMS, f"{name}[price_data]")
        currency = as_str(price_data.get("currency"), f"{name}[price_data][currency]") or ""
        currency = currency.lower()
        if not currency:
            raise missing(f"{name}[price_data][currency]")
        if not _CURRENCY.match(currency) or currency.upper() not in STRIPE_CURRENCIES:
            raise invalid(f"{name}[price_data][currency]", f"Invalid currency: {currency}")
        if price_data.get("recurring"):
            raise invalid(
                f"{name}[price_data][recurring]",
                "You must be in `subscription` mode to use recurring prices.",
            )
        unit_amount = as_int(price_data.get("unit_amount"), f"{name}[price_data][unit_amount]")
        if unit_amount is None and price_data.get("unit_amount_decimal") not in (None, ""):
            decimal = str(price_data["unit_amount_decimal"])
            if not re.fullmatch(r"\d+(\.0+)?", decimal):
                raise invalid(
                    f"{name}[price_data][unit_amount_decimal]",
                    "This local server accepts only whole unit_amount_decimal values.",
                )
            unit_amount = int(decimal.split(".")[0])
        if unit_amount is None:
            raise missing(f"{name}[price_data][unit_amount]")
        if unit_amount < 0:
            raise invalid(
                f"{name}[price_data][unit_amount]",
                "This value must be greater than or equal to 0.",
            )
        if price_data.get("product"):
            raise no_such("product", str(price_data["product"]), f"{name}[price_data][product]")
        product = as_dict(price_data.get("product_data"), f"{name}[price_data][product_data]")
        check_known(product, PRODUCT_DATA_PARAMS, f"{name}[price_data][product_data]")
        product_name = as_str(product.get("name"), f"{name}[price_data][product_data][name]")
        if not product_name:
            raise missing(f"{name}[price_data][product_data][name]")
        quantity = as_int(item.get("quantity"), f"{name}[quantity]")
        if quantity is None:
            raise missing(f"{name}[quantity]")
        if quantity < 1:
            raise invalid(f"{name}[quantity]", "Quantity must be at least 1.")
        currencies.add(currency)
        items.append(
            objects.line_item(
                currency=currency,
                unit_amount=unit_amount,
                quantity=quantity,
                name=product_name,
                created=now,
                metadata=clean_metadata(item.get("metadata"), f"{name}[metadata]") or None,
            )
        )
    if len(currencies) > 1:
        raise invalid("line_items", "All line items must use the same currency.")
    currency = currencies.pop()
    session_currency = as_str(p.get("currency"), "currency")
    if session_currency and session_currency.lower() != currency:
        raise invalid(
            "currency",
            f"The session currency ({session_currency}) does not match the currency of the "
            f"line items ({currency}).",
        )
    return items, currency


def _url(params: Mapping[str, Any], name: str) -> str | None:
    value = as_str(params.get(name), name)
    if value is None or value == "":
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(value) > 5000:
        raise invalid(name, f"Not a valid URL: {value}", "url_invalid")
    return value


def _payment_method_types(
    params: Mapping[str, Any], currency: str, *, setup: bool = False
) -> list[str]:
    allowed = [
        str(t)
        for t in as_list(params.get("allowed_payment_method_types"), "allowed_payment_method_types")
    ]
    excluded = [
        str(t)
        for t in as_list(
            params.get("excluded_payment_method_types"), "excluded_payment_method_types"
        )
    ]
    locale = as_str(params.get("locale"), "locale")
    offered = offered_methods(currency, locale, allowed, excluded, setup=setup)
    if not offered:
        raise StripeError(
            "No valid payment method types for this Checkout Session: the local server offers "
            f"card and {bank_debit_type(currency)} for {currency}"
            + (" (setup mode saves cards and bank debits only)." if setup else "."),
            param="excluded_payment_method_types",
        )
    return offered


def _expires_at(p: Mapping[str, Any], now: int) -> int:
    expires_at = as_int(p.get("expires_at"), "expires_at")
    if expires_at is None:
        expires_at = now + MAX_EXPIRY
    if expires_at < now + MIN_EXPIRY - EXPIRY_SLACK:
        raise invalid(
            "expires_at",
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session "
            "creation.",
        )
    if expires_at > now + MAX_EXPIRY + EXPIRY_SLACK:
        raise invalid(
            "expires_at",
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
        )
    return expires_at


def _build_setup_session(
    p: dict[str, Any], now: int, base_url: str, customer: str | None
) -> SessionRecord:
    """A session that saves a payment method: no line items, no amount, a currency."""
    if p.get("line_items"):
        raise invalid("line_items", "You cannot pass `line_items` in `setup` mode.")
    if p.get("payment_intent_data"):
        raise invalid(
            "payment_intent_data", "You cannot pass `payment_intent_data` in `setup` mode."
        )
    currency = (as_str(p.get("currency"), "currency") or "").lower()
    if not currency:
        # dynamic payment methods choose by currency, so Stripe asks for one in setup mode
        raise missing("currency")
    if not _CURRENCY.match(currency) or currency.upper() not in STRIPE_CURRENCIES:
        raise invalid("currency", f"Invalid currency: {currency}")
    si_data = as_dict(p.get("setup_intent_data"), "setup_intent_data")
    check_known(si_data, SETUP_INTENT_DATA_PARAMS, "setup_intent_data")
    session_id = objects.new_id("cs_test", 58)
    session = objects.checkout_session(
        session_id=session_id,
        created=now,
        expires_at=_expires_at(p, now),
        url=f"{base_url}/pay/{session_id}",
        currency=currency,
        amount_subtotal=None,
        amount_total=None,
        payment_method_types=_payment_method_types(p, currency, setup=True),
        payment_method_configuration=as_str(
            p.get("payment_method_configuration"), "payment_method_configuration"
        ),
        metadata=clean_metadata(p.get("metadata")),
        client_reference_id=as_str(p.get("client_reference_id"), "client_reference_id"),
        customer_email=as_str(p.get("customer_email"), "customer_email") or None,
        locale=as_str(p.get("locale"), "locale"),
        success_url=_url(p, "success_url"),
        cancel_url=_url(p, "cancel_url"),
        submit_type=None,
        integration_identifier=as_str(p.get("integration_identifier"), "integration_identifier"),
    )
    session.update(
        mode="setup",
        customer=customer,
        payment_status="no_payment_required",
        total_details=None,
    )
    return SessionRecord(
        obj=session,
        line_items=[],
        payment_intent_data={"metadata": {}, "description": None, "receipt_email": None},
        setup_intent_data={
            "metadata": clean_metadata(si_data.get("metadata"), "setup_intent_data[metadata]"),
            "description": as_str(si_data.get("description"), "setup_intent_data[description]"),
        },
    )
