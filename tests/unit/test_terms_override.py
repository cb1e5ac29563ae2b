"""A client's or invoice's late_fee overrides the agency's field by field; `none` switches off."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from site_builder.billing import resolve_terms
from site_builder.model import Agency, Client, Terms
from site_builder.readers import parse_yaml, read_text
from tests.conftest import SAMPLE

STUDIO = {
    "net_days": 21,
    "late_fee": {
        "steps": [
            {"days_overdue": 1, "percent": "3", "of": "total"},
            {"days_overdue": 21, "percent": "3", "of": "balance"},
        ],
        "cap": {"percent": "10"},
    },
}


def terms(data: dict) -> Terms:
    return Terms.model_validate(data)


def test_a_client_that_writes_one_field_keeps_the_rest_of_the_agencys_policy() -> None:
    policy = resolve_terms(terms(STUDIO), terms({"late_fee": {"grace_days": 5}})).late_fee
    assert policy is not None
    assert policy.grace_days == 5
    assert [s.days_overdue for s in policy.steps] == [1, 21]  # inherited
    assert policy.cap is not None and policy.cap.percent == Decimal(10)  # inherited


def test_three_layers_merge_field_by_field_most_specific_last() -> None:
    client = terms({"late_fee": {"monthly_interest": "1.5", "cap": {"amount": "500"}}})
    invoice = terms({"late_fee": {"cap": {"percent": "5"}}})
    policy = resolve_terms(terms(STUDIO), client, invoice).late_fee
    assert policy is not None
    assert policy.monthly_interest == Decimal("1.5")  # the client's
    assert policy.cap is not None and policy.cap.percent == Decimal(5)  # the invoice's
    assert len(policy.steps) == 2  # the agency's


def test_steps_empty_and_cap_none_drop_what_the_agency_set() -> None:
    client = terms({"late_fee": {"steps": [], "cap": "none", "monthly_interest": "1.5"}})
    policy = resolve_terms(terms(STUDIO), client).late_fee
    assert policy is not None
    assert policy.steps == [] and policy.cap is None
    assert policy.monthly_interest == Decimal("1.5")


def test_the_word_none_switches_fees_off_and_a_later_layer_starts_from_nothing() -> None:
    off = terms({"late_fee": "none"})
    assert resolve_terms(terms(STUDIO), off).late_fee is None
    assert resolve_terms(terms(STUDIO), terms({"late_fee": "None"})).late_fee is None
    # an invoice under a client without fees that writes a policy gets only what it writes
    policy = resolve_terms(terms(STUDIO), off, terms({"late_fee": {"flat": "25"}})).late_fee
    assert policy is not None
    assert policy.flat == Decimal(25) and policy.steps == [] and policy.cap is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"late_fee": None}, "late_fee"),
        ({"late_fee": {"cap": None}}, "cap"),
        ({"late_fee": {"flat": None}}, "flat"),
        ({"late_fee": {"monthly_interest": None}}, "monthly_interest"),
    ],
)
def test_an_empty_value_is_an_error_that_says_to_write_none(data: dict, field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        terms(data)
    (error,) = raised.value.errors()
    assert error["loc"][-1] == field
    assert "write `none`" in error["msg"]


def test_a_switched_off_rule_survives_the_snapshot_round_trip() -> None:
    # build/clients/<id>.json keeps only the fields written, and must read back the same
    client = terms({"late_fee": {"steps": [], "cap": "none", "grace_days": 5}})
    off = terms({"late_fee": "none"})
    for layer in (client, off):
        text = layer.model_dump_json(exclude_unset=True)
        again = Terms.model_validate_json(text)
        assert again.model_fields_set == layer.model_fields_set
        assert resolve_terms(terms(STUDIO), again) == resolve_terms(terms(STUDIO), layer)
    assert '"cap":"none"' in client.model_dump_json(exclude_unset=True)


def sample_terms(client_id: str) -> tuple[Terms, Terms | None]:
    agency = Agency.model_validate(parse_yaml(read_text(SAMPLE / "agency.yaml")).data)
    data = parse_yaml(read_text(SAMPLE / "clients" / f"{client_id}.yaml")).data
    client = Client.model_validate({**data, "id": client_id})
    return agency.terms, client.terms


def test_the_sample_thames_rowe_pays_interest_instead_of_the_studios_steps() -> None:
    # "1.5% a month after 5 days grace instead of the studio's stepped fees", no cap
    policy = resolve_terms(*sample_terms("thames-rowe")).late_fee
    assert policy is not None
    assert policy.monthly_interest == Decimal("1.5") and policy.grace_days == 5
    assert policy.steps == [] and policy.flat is None and policy.cap is None
    studio = resolve_terms(sample_terms("thames-rowe")[0]).late_fee
    assert studio is not None and studio.steps and studio.cap is not None  # what it drops


def test_the_sample_non_profit_has_no_late_fees() -> None:
    assert resolve_terms(*sample_terms("open-trails")).late_fee is None


def test_deposit_days_inherit_like_the_other_terms_and_default_to_the_net_days() -> None:
    assert resolve_terms(terms({"net_days": 21})).deposit_grace == 21
    # the client's net days move a deposit that no level times on its own
    assert resolve_terms(terms({"net_days": 21}), terms({"net_days": 30})).deposit_grace == 30
    agency = terms({"net_days": 21, "deposit_days": 7})
    assert resolve_terms(agency, terms({"net_days": 30})).deposit_grace == 7
    assert resolve_terms(agency, terms({"deposit_days": 0})).deposit_grace == 0
    assert resolve_terms(agency, terms({"deposit_days": None})).deposit_grace == 7
