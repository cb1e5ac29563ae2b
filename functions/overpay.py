"""How much of a new payment its invoice does not owe: the second money of an invoice paid twice.

Each Checkout Session is priced when it is opened, from the payments recorded by then. Two
sessions of one invoice can be open at once (the whole invoice in one tab, an instalment in
another; or two tabs either side of a price change), and if both are paid the later money
pays beyond the invoice. It was taken, so it is recorded all the same; this says how much of
it is beyond, so the webhook can ask a person to refund it.

The figure is the billing rules' own ``overpaid`` (one money rule): the invoice's statement
on the day the money arrived, with and without it. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from functions.recorded import as_content
from functions.store.base import CheckoutSession, Payment
from site_builder.bundle import ClientBundle, accounts, with_payments
from site_builder.model import Payment as ContentPayment
from site_builder.money import to_major


def beyond(
    bundle: ClientBundle,
    others: Sequence[Payment],
    session: CheckoutSession,
    payment_id: str,
    day: date,
) -> int:
    """What a payment of ``session``'s amount received on ``day`` pays beyond its invoice.

    ``others``: the invoice's other payments in the store (failed ones count nothing). 0 when
    the invoice owed at least that much, or is not in ``bundle``.
    """
    invoice = next((i for i in bundle.invoices if i.number == session.invoice), None)
    if invoice is None:
        return 0
    alone = bundle.model_copy(update={"invoices": [invoice]})
    before = with_payments(alone, as_content(p for p in others if p.id != payment_id))
    this = ContentPayment(
        id=payment_id,
        invoice=session.invoice,
        amount=to_major(session.amount, session.currency),
        currency=session.currency,
        date=day,
        method="other",  # the method changes no figure
        instalment=session.instalment,
    )
    after = with_payments(before, [this])
    (without,) = accounts(before, day)
    (with_it,) = accounts(after, day)
    return max(0, with_it.statement.overpaid - without.statement.overpaid)
