"""Terms layering (agency -> client -> invoice) and the due date they give."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from site_builder.billing import ResolvedTerms, due_date, resolve_terms
from site_builder.model import Agency, Terms
from tests.unit.factories import invoice

LATE = {"steps": [{"days_overdue": 1, "percent": "3"}]}


def terms(data: dict) -> Terms:
    return Terms.model_validate(data)


def test_net_days_default_to_30_when_no_layer_sets_them() -> None:
    assert resolve_terms() == ResolvedTerms(net_days=30, late_fee=None, early_discount=None)
    assert resolve_terms(None, terms({}), None).net_days == 30


def test_the_agency_default_terms_give_net_30() -> None:
    agency = Agency.model_validate(
        {
            "name": "Northwind",
            "email": "billing@northwind.example",
            "address": ["1 Road"],
            "portal_url": "https://portal.example",
            "api_url": "https://api.example",
        }
    )
    assert resolve_terms(agency.terms).net_days == 30


def test_the_most_specific_layer_that_sets_a_field_wins() -> None:
    agency = terms({"net_days": 21, "late_fee": LATE})
    client = terms({"net_days": 14})
    inv = terms({"early_discount": {"percent": "2", "within_days": 10}})
    resolved = resolve_terms(agency, client, inv)
    assert resolved.net_days == 14
    assert resolved.late_fee is not None
    assert resolved.late_fee.steps[0].percent == Decimal(3)
    assert resolved.early_discount is not None
    assert resolved.early_discount.within_days == 10


def test_late_fee_none_switches_off_the_inherited_policy() -> None:
    agency = terms({"net_days": 21, "late_fee": LATE})
    assert resolve_terms(agency, terms({"late_fee": "none"})).late_fee is None
    # a client file that does not mention late fees keeps the agency's
    assert resolve_terms(agency, terms({"net_days": 10})).late_fee is not None


def test_an_explicit_null_early_discount_switches_it_off() -> None:
    agency = terms({"early_discount": {"percent": "2", "within_days": 10}})
    assert resolve_terms(agency, None, terms({"early_discount": None})).early_discount is None


def test_a_null_net_days_inherits_rather_than_erasing_the_due_date() -> None:
    assert resolve_terms(terms({"net_days": 21}), terms({"net_days": None})).net_days == 21


def test_due_date_comes_from_the_invoice_when_given() -> None:
    resolved = resolve_terms(terms({"net_days": 21}))
    assert due_date(invoice(due="2026-03-10"), resolved) == date(2026, 3, 10)


def test_due_date_is_issue_date_plus_net_days_otherwise() -> None:
    assert due_date(invoice(), resolve_terms(terms({"net_days": 21}))) == date(2026, 3, 22)
    assert due_date(invoice(), resolve_terms(terms({"net_days": 0}))) == date(2026, 3, 1)
    assert due_date(invoice(), resolve_terms()) == date(2026, 3, 31)
