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


def resolve_terms(*layers: Terms | None) -> ResolvedTerms:
    """Merge term layers given from general to specific.

    A field overrides only where the layer's file actually wrote it
    (``model_fields_set``): a client's explicit ``late_fee: null`` switches off
    the agency's late fees, while a client file that says nothing inherits them.
    """
    net_days: int | None = None
    late_fee: LateFeePolicy | None = None
    early_discount: EarlyDiscount | None = None
    for layer in layers:
        if layer is None:
            continue
        given = layer.model_fields_set
        # There is no "no due date", so an explicit null net_days just inherits.
        if "net_days" in given and layer.net_days is not None:
            net_days = layer.net_days
        if "late_fee" in given:
            late_fee = layer.late_fee
        if "early_discount" in given:
            early_discount = layer.early_discount
    return ResolvedTerms(
        net_days=DEFAULT_NET_DAYS if net_days is None else net_days,
        late_fee=late_fee,
        early_discount=early_discount,
    )


def due_date(invoice: Invoice, terms: ResolvedTerms) -> date:
    """The invoice's own due date if it has one, else the terms decide."""
    if invoice.due is not None:
        return invoice.due
    return invoice.issued + timedelta(days=terms.net_days)
