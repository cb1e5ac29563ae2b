"""Effective payment terms: agency, then client, then invoice, most specific wins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from site_builder.model import EarlyDiscount, Invoice, LateFeePolicy, Terms

DEFAULT_NET_DAYS = 30


@dataclass(frozen=True)
class ResolvedTerms:
    net_days: int
    late_fee: LateFeePolicy | None
    early_discount: EarlyDiscount | None
    deposit_days: int | None = None  # None: the net days

    @property
    def deposit_grace(self) -> int:
        """Days from the issue date to a deposit's due date, where the deposit names none."""
        return self.net_days if self.deposit_days is None else self.deposit_days


def _merge_late_fee(
    below: LateFeePolicy | None, layer: LateFeePolicy | None
) -> LateFeePolicy | None:
    """A layer's late fee over the one from above, field by field, as ``reminders`` merge.

    ``late_fee: none`` (None here) switches fees off at that level; a policy written over
    none starts from no fees at all and takes only the fields it writes.
    """
    if layer is None:
        return None
    base = below if below is not None else LateFeePolicy()
    written = {name: getattr(layer, name) for name in layer.model_fields_set}
    # model_copy keeps the fields written above in model_fields_set, so a later layer
    # (the invoice's) sees the client's and the agency's choices alike
    return base.model_copy(update=written)


def resolve_terms(*layers: Terms | None) -> ResolvedTerms:
    """Merge term layers given from general to specific.

    A field overrides only where the layer's file actually wrote it
    (``model_fields_set``), and ``late_fee`` does so field by field: a client that writes
    ``late_fee: {grace_days: 5}`` keeps the agency's steps, ``steps: []`` drops them, and
    ``late_fee: none`` switches fees off. A client file that says nothing inherits all.
    """
    net_days: int | None = None
    deposit_days: int | None = None
    late_fee: LateFeePolicy | None = None
    early_discount: EarlyDiscount | None = None
    for layer in layers:
        if layer is None:
            continue
        given = layer.model_fields_set
        # There is no "no due date", so an explicit null net_days just inherits.
        if "net_days" in given and layer.net_days is not None:
            net_days = layer.net_days
        if "deposit_days" in given and layer.deposit_days is not None:
            deposit_days = layer.deposit_days
        if "late_fee" in given:
            late_fee = _merge_late_fee(late_fee, layer.late_fee)
        if "early_discount" in given:
            early_discount = layer.early_discount
    return ResolvedTerms(
        net_days=DEFAULT_NET_DAYS if net_days is None else net_days,
        late_fee=late_fee,
        early_discount=early_discount,
        deposit_days=deposit_days,
    )


def due_date(invoice: Invoice, terms: ResolvedTerms) -> date:
    """The invoice's own due date if it has one; a plan's is its last instalment's; else
    the terms decide."""
    if invoice.due is not None:
        return invoice.due
    if invoice.instalments:
        # the invoice is paid in full when its last instalment is: it is not "overdue" on
        # a date the plan never asked anything for
        return max(i.due for i in invoice.instalments)
    return invoice.issued + timedelta(days=terms.net_days)


def deposit_due_date(invoice: Invoice, terms: ResolvedTerms) -> date:
    """When the deposit is due: its own date, else the issue date plus the deposit grace,
    but never after the invoice itself is due."""
    assert invoice.deposit is not None
    if invoice.deposit.due is not None:
        return invoice.deposit.due
    return min(invoice.issued + timedelta(days=terms.deposit_grace), due_date(invoice, terms))
