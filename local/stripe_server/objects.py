"""Builders for Stripe-shaped objects (API version 2026-10 "endive", see fixtures3.json).

Each builder returns a plain dict with the same keys, types and nesting as Stripe's own
example of that object; values the local server has no use for are ``None`` or empty.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

API_VERSION = "2026-10-28.endive"

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    """``new_id("pi")`` → ``"pi_3Qx…"``: Stripe-like random identifiers."""
    return f"{prefix}_{''.join(secrets.choice(_ALPHABET) for _ in range(length))}"


def _address() -> dict[str, Any]:
    return {
        "city": None,
        "country": None,
        "line1": None,
        "line2": None,
        "postal_code": None,
        "state": None,
    }


def list_object(data: list[dict[str, Any]], url: str, has_more: bool = False) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def line_item(
    *,
    currency: str,
    unit_amount: int,
    quantity: int,
    name: str,
    created: int,
    metadata: dict[str, str] | None,
) -> dict[str, Any]:
    subtotal = unit_amount * quantity
    return {
        "amount_discount": 0,
        "amount_subtotal": subtotal,
        "amount_tax": 0,
        "amount_total": subtotal,
        "currency": currency,
        "description": name,
        "id": new_id("li"),
        "object": "item",
        "price": {
            "active": False,
            "billing_scheme": "per_unit",
            "created": created,
            "currency": currency,
            "custom_unit_amount": None,
            "id": new_id("price"),
            "livemode": False,
            "lookup_key": None,
            "metadata": {},
            "nickname": None,
            "object": "price",
            "product": new_id("prod", 14),
            "recurring": None,
            "tax_behavior": "unspecified",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "one_time",
            "unit_amount": unit_amount,
            "unit_amount_decimal": str(unit_amount),
        },
        "quantity": quantity,
        "metadata": metadata,
        "adjustable_quantity": None,
    }


def checkout_session(
    *,
    session_id: str,
    created: int,
    expires_at: int,
    url: str,
    currency: str,
    amount_subtotal: int | None,
    amount_total: int | None,
    payment_method_types: list[str],
    payment_method_configuration: str | None,
    metadata: dict[str, str],
    client_reference_id: str | None,
    customer_email: str | None,
    locale: str | None,
    success_url: str | None,
    cancel_url: str | None,
    submit_type: str | None,
    integration_identifier: str | None,
) -> dict[str, Any]:
    return {
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": amount_subtotal,
        "amount_total": amount_total,
        "automatic_tax": {"enabled": False, "liability": None, "status": None, "provider": None},
        "billing_address_collection": None,
        "cancel_url": cancel_url,
        "client_reference_id": client_reference_id,
        "client_secret": None,
        "consent": None,
        "consent_collection": None,
        "created": created,
        "currency": currency,
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": None,
        "customer_creation": "if_required",
        "customer_details": None,
        "customer_email": customer_email,
        "expires_at": expires_at,
        "id": session_id,
        "invoice": None,
        "invoice_creation": {
            "enabled": False,
            "invoice_data": {
                "account_tax_ids": None,
                "custom_fields": None,
                "description": None,
                "footer": None,
                "issuer": None,
                "metadata": {},
                "rendering_options": None,
            },
        },
        "livemode": False,
        "locale": locale,
        "metadata": metadata,
        "mode": "payment",
        "object": "checkout.session",
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_configuration_details": {
            "id": payment_method_configuration or "pmc_local_default",
            "parent": None,
        },
        "payment_method_options": {},
        "payment_method_types": payment_method_types,
        "payment_status": "unpaid",
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": submit_type,
        "subscription": None,
        "success_url": success_url,
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted_page",
        "url": url,
        "adaptive_pricing": {"enabled": False},
        "discounts": [],
        "collected_information": None,
        "permissions": None,
        "wallet_options": None,
        "origin_context": None,
        "currency_conversion": None,
        "customer_account": None,
        "integration_identifier": integration_identifier,
        "managed_payments": {"enabled": False},
    }


def customer_details(email: str | None) -> dict[str, Any]:
    return {
        "address": _address(),
        "email": email,
        "name": None,
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
        "business_name": None,
        "individual_name": None,
    }


def payment_intent(
    *,
    created: int,
    amount: int,
    currency: str,
    status: str,
    payment_method: str,
    payment_method_type: str,
    metadata: dict[str, str],
    description: str | None,
    receipt_email: str | None,
    payment_method_configuration: str | None,
    customer: str | None = None,
    setup_future_usage: str | None = None,
) -> dict[str, Any]:
    intent_id = new_id("pi")
    return {
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": amount if status == "succeeded" else 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic_async",
        "client_secret": f"{intent_id}_secret_{new_id('x', 25)[2:]}",
        "confirmation_method": "automatic",
        "created": created,
        "currency": currency,
        "customer": customer,
        "description": description,
        "id": intent_id,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": metadata,
        "next_action": None,
        "object": "payment_intent",
        "on_behalf_of": None,
        "payment_method": payment_method,
        "payment_method_configuration_details": {
            "id": payment_method_configuration or "pmc_local_default",
            "parent": None,
        },
        "payment_method_options": {},
        "payment_method_types": [payment_method_type],
        "processing": None,
        "receipt_email": receipt_email,
        "review": None,
        "setup_future_usage": setup_future_usage,
        "shipping": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": status,
        "transfer_data": None,
        "transfer_group": None,
        "source": None,
        "excluded_payment_method_types": None,
        "customer_account": None,
        "managed_payments": {"enabled": False},
    }


def card_details(
    brand: str, last4: str, exp_year: int, country: str = "US", funding: str = "credit"
) -> dict[str, Any]:
    return {
        "card": {
            "amount_authorized": None,
            "brand": brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "pass",
            },
            "country": country,
            "exp_month": 12,
            "exp_year": exp_year,
            "extended_authorization": {"status": "disabled"},
            "fingerprint": new_id("fp", 16)[3:],
            "funding": funding,
            "incremental_authorization": {"status": "unavailable"},
            "installments": None,
            "last4": last4,
            "mandate": None,
            "multicapture": {"status": "unavailable"},
            "network": brand,
            "network_token": {"used": False},
            "overcapture": {"maximum_amount_capturable": 0, "status": "unavailable"},
            "three_d_secure": None,
            "wallet": None,
            "authorization_code": None,
            "regulated_status": "unregulated",
            "network_transaction_id": None,
            "transaction_link_id": None,
        },
        "type": "card",
    }


def bank_details(method_type: str) -> dict[str, Any]:
    if method_type == "us_bank_account":
        detail: dict[str, Any] = {
            "account_holder_type": "individual",
            "account_type": "checking",
            "bank_name": "STRIPE TEST BANK",
            "fingerprint": new_id("fp", 16)[3:],
            "last4": "6789",
            "mandate": new_id("mandate"),
            "payment_reference": None,
            "routing_number": "110000000",
        }
    elif method_type == "sepa_debit":
        detail = {
            "bank_code": "37040044",
            "branch_code": None,
            "country": "DE",
            "fingerprint": new_id("fp", 16)[3:],
            "last4": "3000",
            "mandate": new_id("mandate"),
        }
    elif method_type == "bacs_debit":
        detail = {
            "fingerprint": new_id("fp", 16)[3:],
            "last4": "2345",
            "mandate": new_id("mandate"),
            "sort_code": "108800",
        }
    elif method_type == "au_becs_debit":
        detail = {
            "bsb_number": "000000",
            "fingerprint": new_id("fp", 16)[3:],
            "last4": "3456",
            "mandate": new_id("mandate"),
        }
    elif method_type == "acss_debit":
        detail = {
            "bank_name": "STRIPE TEST BANK",
            "fingerprint": new_id("fp", 16)[3:],
            "institution_number": "000",
            "last4": "6789",
            "mandate": new_id("mandate"),
            "transit_number": "11000",
        }
    else:  # customer_balance: a bank transfer names no account of the payer's
        detail = {}
    return {method_type: detail, "type": method_type}


def charge(
    *,
    created: int,
    amount: int,
    currency: str,
    status: str,
    payment_intent_id: str,
    payment_method: str,
    payment_method_details: dict[str, Any],
    metadata: dict[str, str],
    description: str | None,
    email: str | None,
    receipt_email: str | None,
) -> dict[str, Any]:
    charge_id = new_id("ch")
    return {
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": new_id("txn") if status == "succeeded" else None,
        "billing_details": {
            "address": _address(),
            "email": email,
            "name": None,
            "phone": None,
            "tax_id": None,
        },
        "calculated_statement_descriptor": "CLIENTPORTAL LOCAL",
        "captured": True,
        "created": created,
        "currency": currency,
        "customer": None,
        "description": description,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "id": charge_id,
        "livemode": False,
        "metadata": metadata,
        "object": "charge",
        "on_behalf_of": None,
        "outcome": {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "risk_score": 12,
            "seller_message": "Payment complete.",
            "type": "authorized",
        },
        "paid": status == "succeeded",
        "payment_intent": payment_intent_id,
        "payment_method": payment_method,
        "payment_method_details": payment_method_details,
        "receipt_email": receipt_email,
        "receipt_number": None,
        "receipt_url": None,
        "refunded": False,
        "refunds": list_object([], f"/v1/charges/{charge_id}/refunds"),
        "review": None,
        "shipping": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": status,
        "transfer_data": None,
        "transfer_group": None,
        "source": None,
    }


def refund(
    *,
    created: int,
    amount: int,
    charge: dict[str, Any],
    reason: str | None,
    metadata: dict[str, str],
) -> dict[str, Any]:
    method_type = charge["payment_method_details"]["type"]
    if method_type == "card":
        destination: dict[str, Any] = {
            "card": {
                "reference": None,
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        }
    else:
        destination = {method_type: {}, "type": method_type}
    return {
        "amount": amount,
        "balance_transaction": new_id("txn"),
        "charge": charge["id"],
        "created": created,
        "currency": charge["currency"],
        "destination_details": destination,
        "id": new_id("re"),
        "metadata": metadata,
        "object": "refund",
        "payment_intent": charge["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
        "customer": None,
        "customer_account": None,
        "payment_method": charge["payment_method"],
    }


def dispute(*, created: int, amount: int, charge: dict[str, Any], reason: str) -> dict[str, Any]:
    method_type = charge["payment_method_details"]["type"]
    if method_type == "card":
        card = charge["payment_method_details"]["card"]
        details: dict[str, Any] = {
            "card": {
                "brand": card["brand"],
                "case_type": "chargeback",
                "network_reason_code": "10.4",
                "network": card["network"],
            },
            "type": "card",
        }
    else:
        details = {"type": method_type}
    evidence_keys = [
        "access_activity_log",
        "billing_address",
        "cancellation_policy",
        "cancellation_policy_disclosure",
        "cancellation_rebuttal",
        "customer_communication",
        "customer_email_address",
        "customer_name",
        "customer_purchase_ip",
        "customer_signature",
        "duplicate_charge_documentation",
        "duplicate_charge_explanation",
        "duplicate_charge_id",
        "product_description",
        "receipt",
        "refund_policy",
        "refund_policy_disclosure",
        "refund_refusal_explanation",
        "service_date",
        "service_documentation",
        "shipping_address",
        "shipping_carrier",
        "shipping_date",
        "shipping_documentation",
        "shipping_tracking_number",
        "uncategorized_file",
        "uncategorized_text",
    ]
    evidence: dict[str, Any] = dict.fromkeys(evidence_keys)
    evidence["enhanced_evidence"] = {}
    return {
        "amount": amount,
        "balance_transactions": [],
        "charge": charge["id"],
        "created": created,
        "currency": charge["currency"],
        "evidence": evidence,
        "evidence_details": {
            "due_by": created + 7 * 24 * 3600,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
            "enhanced_eligibility": {},
        },
        "id": new_id("dp"),
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "object": "dispute",
        "payment_intent": charge["payment_intent"],
        "payment_method_details": details,
        "reason": reason,
        "status": "needs_response",
        "enhanced_eligibility_types": [],
    }


def customer(
    *, created: int, email: str | None, name: str | None, metadata: dict[str, str]
) -> dict[str, Any]:
    return {
        "address": None,
        "balance": 0,
        "created": created,
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": email,
        "id": new_id("cus", 14),
        "invoice_prefix": new_id("x", 7)[2:].upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": metadata,
        "name": name,
        "next_invoice_sequence": 1,
        "object": "customer",
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
        "customer_account": None,
    }


def payment_method(
    *, created: int, details: dict[str, Any], email: str | None = None
) -> dict[str, Any]:
    """A PaymentMethod from a charge's ``payment_method_details`` (``{type, <type>: …}``).

    A card's details on a PaymentMethod are fewer than on a charge (no authorisation
    fields); a bank debit's carry no mandate (the mandate is its own object at Stripe).
    """
    method_type = details["type"]
    inner = dict(details.get(method_type) or {})
    if method_type == "card":
        inner = {
            "brand": inner["brand"],
            "checks": inner["checks"],
            "country": inner["country"],
            "display_brand": inner["brand"],
            "exp_month": inner["exp_month"],
            "exp_year": inner["exp_year"],
            "fingerprint": inner["fingerprint"],
            "funding": inner["funding"],
            "generated_from": None,
            "last4": inner["last4"],
            "networks": {"available": [inner["brand"]], "preferred": None},
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
            "regulated_status": "unregulated",
        }
    else:
        inner.pop("mandate", None)
    return {
        "allow_redisplay": "unspecified",
        "billing_details": {
            "address": _address(),
            "email": email,
            "name": None,
            "phone": None,
            "tax_id": None,
        },
        method_type: inner,
        "created": created,
        "customer": None,
        "id": new_id("pm"),
        "livemode": False,
        "metadata": {},
        "object": "payment_method",
        "type": method_type,
        "customer_account": None,
    }


def setup_intent(
    *,
    created: int,
    customer: str | None,
    payment_method_types: list[str],
    automatic: bool,
    usage: str,
    metadata: dict[str, str],
    description: str | None,
) -> dict[str, Any]:
    intent_id = new_id("seti")
    return {
        "application": None,
        "automatic_payment_methods": {"allow_redirects": "always", "enabled": True}
        if automatic
        else None,
        "cancellation_reason": None,
        "client_secret": f"{intent_id}_secret_{new_id('x', 25)[2:]}",
        "created": created,
        "customer": customer,
        "description": description,
        "flow_directions": None,
        "id": intent_id,
        "last_setup_error": None,
        "latest_attempt": None,
        "livemode": False,
        "mandate": None,
        "metadata": metadata,
        "next_action": None,
        "object": "setup_intent",
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": {"id": "pmc_local_default", "parent": None}
        if automatic
        else None,
        "payment_method_options": {},
        "payment_method_types": payment_method_types,
        "single_use_mandate": None,
        "status": "requires_payment_method",
        "usage": usage,
        "excluded_payment_method_types": None,
        "customer_account": None,
    }


def redirect_details(method_type: str, bank: str | None) -> dict[str, Any]:
    """A charge's ``payment_method_details`` for a redirect method."""
    if method_type == "blik":
        detail: dict[str, Any] = {"buyer_id": None}
    elif method_type == "p24":
        detail = {"bank": bank, "reference": new_id("P24", 8), "verified_name": None}
    elif method_type == "fpx":
        detail = {
            "account_holder_type": "individual",
            "bank": bank,
            "transaction_id": new_id("fpx", 10),
        }
    elif method_type == "alipay":
        detail = {
            "buyer_id": new_id("2088", 12),
            "fingerprint": new_id("fp", 16)[3:],
            "transaction_id": new_id("alipay", 16),
        }
    elif method_type == "wechat_pay":
        detail = {
            "fingerprint": new_id("fp", 16)[3:],
            "location": None,
            "reader": None,
            "transaction_id": new_id("wx", 16),
        }
    else:
        detail = {}
    return {method_type: detail, "type": method_type}


def event(
    *,
    created: int,
    event_type: str,
    data_object: dict[str, Any],
    pending_webhooks: int,
    request_id: str | None,
    idempotency_key: str | None,
) -> dict[str, Any]:
    return {
        "api_version": API_VERSION,
        "created": created,
        "data": {"object": data_object},
        "id": new_id("evt"),
        "livemode": False,
        "object": "event",
        "pending_webhooks": pending_webhooks,
        "request": {"id": request_id, "idempotency_key": idempotency_key},
        "type": event_type,
    }
