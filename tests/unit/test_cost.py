"""The cost model's arithmetic (bench/cost.py): usage times list price, nothing measured."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bench.cost import (
    ASSUME,
    PAGES_QUERIES_PER_MONTH,
    PRICES,
    Measured,
    boundary_republish,
    monthly,
)


def test_the_model_prices_every_service_and_email_per_message() -> None:
    measured = Measured(warm_health_ms=1.0, warm_webhook_ms=5.0, cold_ms=400.0, page_kb=4.0)
    table = monthly(1000, 10, measured)
    assert {"S3", "CloudFront", "Lambda", "DynamoDB", "SES", "API Gateway"} <= set(table)
    assert all(
        isinstance(v, Decimal) and v >= 0 for lines in table.values() for v in lines.values()
    )
    # 10,000 invoices: a receipt each and 1.5 reminders on average
    assert table["SES"]["messages"] == Decimal(25_000) / 1000 * PRICES["ses_1k"]
    double = monthly(2000, 10, measured)
    assert double["SES"]["messages"] == 2 * table["SES"]["messages"]


def test_the_boundary_re_publish_scales_with_clients_and_queries_every_drain() -> None:
    none = boundary_republish(0)
    query = Decimal(PAGES_QUERIES_PER_MONTH) / 1_000_000 * PRICES["dynamodb_read_1m"]
    assert PAGES_QUERIES_PER_MONTH == 8_640  # every 5 minutes for 30 days
    assert none["DynamoDB"]["page-change Query, ledger writes (boundary)"] == query
    assert none["S3"]["PUT/LIST/GET (daily boundary re-publish)"] == 0
    one, two = boundary_republish(1000), boundary_republish(2000)
    line = "PUT/LIST/GET (daily boundary re-publish)"
    assert two["S3"][line] == 2 * one["S3"][line]
    requests = 1000 * (ASSUME["boundary_puts"] + ASSUME["boundary_republishes"])
    gets = 1000 * ASSUME["boundary_republishes"]
    expected = requests / 1000 * float(PRICES["s3_put_1k"]) + gets / 1000 * float(
        PRICES["s3_get_1k"]
    )
    assert float(one["S3"][line]) == pytest.approx(expected)
    # its lines are in the monthly table, beside the others
    measured = Measured(warm_health_ms=1.0, warm_webhook_ms=5.0, cold_ms=400.0, page_kb=4.0)
    table = monthly(1000, 10, measured)
    assert table["S3"][line] == one["S3"][line]
    assert "GB-s (daily boundary re-publish)" in table["Lambda"]
