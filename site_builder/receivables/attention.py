"""What the payment side needs a person for, from the store: the other half of ``portal status``.

- failed emails: outbox mail tried at least once and not sent (with the last error),
  a mail that cannot be rendered or sent as much as one the server refused;
- reviews: payments the webhook refused to count (an amount or currency that
  differs from the checkout session, an unknown session, a refund of an
  unknown payment), money it counted beyond what an invoice owed ("paid twice",
  with the refund to make), and clients whose reminders the job could not prepare
  (``client`` names them; the job tries them again on its next run);
- disputes: "dispute opened" reviews and payments marked disputed;
- invoices published but not delivered yet: a new, updated or cancelled invoice whose email
  is still queued (one that failed or bounced is a failed email, with its error);
- pending re-publishes: a client's pages still to be refreshed;
- payments since the build: recorded payments the last build has not counted
  (``portal build`` folds them in; status does not, so its figures stay the
  build's);
- credit: a client that paid more than its invoices owed, per currency, from the
  ledger's ``credit`` (the one item that needs no store): a person refunds it or
  applies it to another invoice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from site_builder.formatting import format_money
from site_builder.records import PaymentRecords, RecordedPayment

DISPUTE = "dispute opened"


@dataclass
class Attention:
    failed_emails: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    disputes: list[dict[str, Any]] = field(default_factory=list)
    pending_publish: list[dict[str, Any]] = field(default_factory=list)
    undelivered_invoices: list[dict[str, Any]] = field(default_factory=list)
    unbuilt_payments: list[dict[str, Any]] = field(default_factory=list)
    credits: list[dict[str, Any]] = field(default_factory=list)

    def count(self) -> int:
        return sum(len(items) for items in self.as_dict().values())

    def as_dict(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "failed_emails": self.failed_emails,
            "reviews": self.reviews,
            "disputes": self.disputes,
            "pending_publish": self.pending_publish,
            "undelivered_invoices": self.undelivered_invoices,
            "unbuilt_payments": self.unbuilt_payments,
            "credits": self.credits,
        }


def credits(
    invoices: Mapping[str, Mapping[str, Any]], client: str | None = None
) -> list[dict[str, Any]]:
    """Each client's credit per currency (``client``: only theirs), by client and currency:
    ``{"client", "currency", "amount" (minor units), "invoices" (the overpaid ones)}``.

    A void invoice's credit counts too: money paid on an invoice since voided is still the
    client's. A ledger from before credit was kept has no ``credit``, and so none.
    """
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for number, entry in invoices.items():
        amount = entry.get("credit") or 0
        if amount <= 0 or (client is not None and entry.get("client") != client):
            continue
        key = (str(entry.get("client")), str(entry.get("currency")))
        item = found.setdefault(
            key, {"client": key[0], "currency": key[1], "amount": 0, "invoices": []}
        )
        item["amount"] += amount
        item["invoices"].append(number)
    for item in found.values():
        item["invoices"].sort()
    return [found[key] for key in sorted(found)]


def attention(
    store: PaymentRecords, invoices: Mapping[str, Mapping[str, Any]], client: str | None = None
) -> Attention:
    """Everything the store holds that a person should look at (``client``: only theirs)."""
    result = Attention()
    owner = {number: entry.get("client") for number, entry in invoices.items()}

    def mine(client_id: Any = None, invoice: Any = None) -> bool:
        return client is None or client_id == client or owner.get(invoice) == client

    for item in store.unsent():
        # a payload that is not an object (written by hand, or by an older version) is still
        # listed: it is exactly what a person must look at
        payload = item.payload if isinstance(item.payload, Mapping) else {}
        if item.kind == "email" and item.attempts > 0:
            invoice = payload.get("invoice")
            if mine(invoice=invoice):
                result.failed_emails.append(
                    {
                        "key": item.key,
                        "attempts": item.attempts,
                        "last_error": item.last_error,
                        "invoice": invoice,
                        "subject": payload.get("subject") or _email_name(payload),
                    }
                )
        elif item.kind == "email" and payload.get("template") == "invoice":
            if mine(client_id=payload.get("client"), invoice=payload.get("invoice")):
                invoice, kind = payload.get("invoice"), payload.get("kind")
                result.undelivered_invoices.append(
                    {"key": item.key, "invoice": invoice, "kind": kind}
                )
        elif item.kind == "publish" and mine(client_id=payload.get("client")):
            result.pending_publish.append(
                {
                    "key": item.key,
                    "client": payload.get("client"),
                    "attempts": item.attempts,
                    "last_error": item.last_error,
                }
            )

    payments = store.payments()
    disputed_seen: set[str] = set()
    for review in store.reviews():
        if not mine(review.get("client"), review.get("invoice")):
            continue
        if review.get("problem") == DISPUTE:
            disputed_seen.add(str(review.get("payment")))
            result.disputes.append(
                {
                    "payment": review.get("payment"),
                    "invoice": review.get("invoice"),
                    "amount": review.get("amount"),
                    "event": review.get("event"),
                }
            )
        else:
            result.reviews.append(dict(review))
    for payment in payments:
        if payment.disputed and payment.id not in disputed_seen and mine(payment.client):
            result.disputes.append(
                {
                    "payment": payment.id,
                    "invoice": payment.invoice,
                    "amount": payment.amount,
                    "event": None,
                }
            )
        why = _not_built(payment, invoices.get(payment.invoice))
        if why and mine(payment.client):
            result.unbuilt_payments.append(
                {
                    "payment": payment.id,
                    "invoice": payment.invoice,
                    "client": payment.client,
                    "received": payment.received,
                    "why": why,
                }
            )
    result.credits = credits(invoices, client)
    return result


def _email_name(payload: Mapping[str, Any]) -> Any:
    """What a queued email is, where it carries no subject: "new invoice", "receipt"."""
    if payload.get("template") == "invoice":
        return f"{payload.get('kind')} invoice"
    return payload.get("template")


def _not_built(payment: RecordedPayment, entry: Mapping[str, Any] | None) -> str:
    """Why the build's ledger does not show this payment as it is now ('' if it does)."""
    counted = {p["id"]: p["amount"] for p in (entry or {}).get("payments") or ()}
    if payment.status == "failed":
        return "failed after the build counted it" if payment.id in counted else ""
    if entry is None:
        return "its invoice is not in the build"
    if payment.id not in counted:
        return "recorded since the build"
    if counted[payment.id] != max(0, payment.amount - payment.refunded):
        return "refunded since the build"
    if payment.disputed and entry.get("status") not in ("disputed", "void"):
        return "disputed since the build"
    return ""


def attention_lines(found: Attention, locale: str = "en") -> list[str]:
    """What needs a person, one plain sentence an item: ``portal status`` and the agency page
    say it in the same words (``locale``: how amounts are written)."""
    lines = []
    for item in found.failed_emails:
        lines.append(
            f"Email not delivered: {item['subject'] or item['key']} (invoice "
            f"{item['invoice'] or '—'}, {item['attempts']} attempts): {item['last_error']}"
        )
    for item in found.reviews:
        if str(item.get("event", "")).startswith("reminders:"):  # the reminder job's bulkhead
            problem = str(item.get("problem"))
            lines.append(problem[:1].upper() + problem[1:])
        else:
            # what to do about it, where the webhook could say (a refund of money paid twice)
            advice = f": {item['suggestion']}" if item.get("suggestion") else ""
            lines.append(
                f"Payment to review: {item.get('problem')}: invoice "
                f"{item.get('invoice') or '—'}, event {item.get('event')}{advice}"
            )
    for item in found.disputes:
        lines.append(f"Dispute: payment {item['payment']}, invoice {item['invoice'] or '—'}")
    for item in found.pending_publish:
        if item["attempts"]:
            lines.append(
                f"Re-publish of client {item['client']} failing ({item['attempts']} attempts): "
                f"{item['last_error']}"
            )
        else:  # waiting its turn: said, not a failure
            lines.append(f"Re-publish pending: client {item['client']}")
    for item in found.undelivered_invoices:
        what = {"updated": "update", "void": "cancellation"}.get(str(item["kind"]), "email")
        lines.append(
            f"Invoice {item['invoice']} published, not delivered yet: its {what} is queued"
        )
    for item in found.unbuilt_payments:
        lines.append(
            f"Run portal build: payment {item['payment']} on {item['invoice']}: {item['why']}"
        )
    for item in found.credits:
        amount = format_money(item["amount"], item["currency"], locale)
        lines.append(
            f"{item['client']} has {amount} in credit ({', '.join(item['invoices'])}): "
            "refund it or apply it"
        )
    return lines
