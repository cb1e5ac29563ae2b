"""`portal status` on the sample: every figure of --format json against a hand computation.

The sample is built for 2026-11-23 and status asked for the same day. Amounts
are minor units. "Open" is each unpaid invoice's amount due (late fees in, a
discount still on offer out); aging and "overdue" go by each part's due date
(a deposit, an instalment, the balance); void invoices count nowhere.

Days are counted from the due date to 2026-11-23, e.g. 2026-10-07 -> 24 days
left in October + 23 in November = 47.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from functions.store import Change, OutboxItem, Payment, SqliteStore
from portal.cli import app
from site_builder.build import build
from tests.conftest import SAMPLE_TODAY, SECRET

ZERO_MONTHS = ["2025-12", "2026-01", "2026-02", "2026-03", "2026-04"]


def months(**figures: tuple[int, int]) -> list[dict]:
    """The 12 months Dec 2025 .. Nov 2026; ``may=(invoiced, collected)`` for the others."""
    names = ["may", "jun", "jul", "aug", "sep", "oct", "nov"]
    result = [{"month": m, "invoiced": 0, "collected": 0} for m in ZERO_MONTHS]
    for i, name in enumerate(names, start=5):
        invoiced, collected = figures.get(name, (0, 0))
        result.append({"month": f"2026-{i:02d}", "invoiced": invoiced, "collected": collected})
    return result


def aging(current: int = 0, d30: int = 0, d60: int = 0, d90: int = 0, over: int = 0) -> dict:
    return {
        "current": current,
        "days_1_30": d30,
        "days_31_60": d60,
        "days_61_90": d90,
        "over_90": over,
    }


# The 90-day window is 2026-08-26 .. 2026-11-23 (issued after 2026-08-25).
CURRENCIES = {
    # yantar: 0106 paid; RET-06..RET-10 paid; open: 0123 (due 10-29, 25 days, 7,839.00 + fees
    # 477.40 = 8,316.40), RET-11 (due 11-15, 8 days, 1,800 + 54 = 1,854.00), 0134 (due 12-01)
    "EUR": {
        "open": 831640 + 185400 + 250000,  # 12,670.40
        "open_invoices": 3,
        "overdue": 831640 + 185400,
        "overdue_invoices": 2,
        "paid_this_month": 0,
        "aging": aging(current=250000, d30=831640 + 185400),
        # RET-09 (09-01), RET-10 (10-01), 0123 (10-08), RET-11 (11-01), 0134 (11-10)
        "invoiced_90_days": 180000 * 3 + 783900 + 250000,  # 15,739.00
        "dso_90_days": "72.5",  # 1,267,040 x 90 / 1,573,900 = 72.45
        "months": months(
            jun=(180000 + 860000, 180000),  # RET-06 and 0106 issued; RET-06 paid 06-12
            jul=(180000, 860000 + 180000),  # RET-07; 0106 paid 07-02, RET-07 07-14
            aug=(180000, 180000),
            sep=(180000, 180000),
            oct=(180000 + 783900, 180000),  # RET-10 and 0123; RET-10 paid 10-13
            nov=(180000 + 250000, 0),  # RET-11 and 0134
        ),
    },
    # thames-rowe: 0116 (due 10-07, 47 days, 11,160 + 167.40 interest), 0126 (due 11-18,
    # 5 days, 9,600 less 4,000 paid 11-13), 0132 (due 12-08)
    "GBP": {
        "open": 1132740 + 560000 + 1052000,  # 27,447.40
        "open_invoices": 3,
        "overdue": 1132740 + 560000,
        "overdue_invoices": 2,
        "paid_this_month": 400000,
        "aging": aging(current=1052000, d30=560000, d60=1132740),
        "invoiced_90_days": 1116000 + 960000 + 1052000,  # 0116 09-07, 0126 10-19, 0132 11-08
        "dso_90_days": "79.0",  # 2,744,740 x 90 / 3,128,000 = 78.97
        "months": months(
            may=(684000, 0),  # 0103
            jun=(648000, 684000),  # 0108 issued 06-29; 0103 paid 06-12
            aug=(0, 648000),  # 0108 paid 08-01 (3 days late, inside the 5 grace days)
            sep=(1116000, 0),
            oct=(960000, 0),
            nov=(1052000, 400000),
        ),
    },
    # guanghua-tokyo: 0119 (due 10-09, 45 days, ¥891,000 + ¥54,262), 0128 (due today:
    # current, ¥1,100,000 less ¥500,000 paid 11-16)
    "JPY": {
        "open": 945262 + 600000,
        "open_invoices": 2,
        "overdue": 945262,
        "overdue_invoices": 1,
        "paid_this_month": 500000,
        "aging": aging(current=600000, d60=945262),
        "invoiced_90_days": 891000 + 1100000,  # 0119 09-18, 0128 11-02
        "dso_90_days": "69.9",  # 1,545,262 x 90 / 1,991,000 = 69.85
        "months": months(
            may=(1320000, 0),
            jun=(0, 1320000),
            aug=(630000, 630000),
            sep=(891000, 0),
            nov=(1100000, 500000),
        ),
    },
    # batik-warisan: 0125 (due 11-05, 18 days, 7,560 + 226.80 - 3,000 paid 11-04), 0135 (12-02)
    "MYR": {
        "open": 478680 + 628560,
        "open_invoices": 2,
        "overdue": 478680,
        "overdue_invoices": 1,
        "paid_this_month": 300000,
        "aging": aging(current=628560, d30=478680),
        "invoiced_90_days": 810000 + 756000 + 628560,  # 0118 09-14, 0125 10-15, 0135 11-11
        "dso_90_days": "45.4",  # 1,107,240 x 90 / 2,194,560 = 45.41
        "months": months(
            jul=(1533600, 1533600),  # 0110 issued 07-13, paid 07-30
            sep=(810000, 0),
            oct=(756000, 810000),  # 0118 paid 10-01
            nov=(628560, 300000),
        ),
    },
    # wislane-smaki: 0121 (due 10-19, 35 days, 13,284 + 659 fees - 5,000 paid), 0136 (12-03)
    "PLN": {
        "open": 894300 + 762950,
        "open_invoices": 2,
        "overdue": 894300,
        "overdue_invoices": 1,
        "paid_this_month": 0,
        "aging": aging(current=762950, d60=894300),
        "invoiced_90_days": 1328400 + 774900 + 762950,  # 0121 09-28, 0124 10-12, 0136 11-12
        "dso_90_days": "52.0",  # 1,657,250 x 90 / 2,866,250 = 52.04
        "months": months(
            jun=(1832700, 0),
            jul=(0, 1832700),
            aug=(2398500, 2398500),
            sep=(1328400, 0),
            oct=(774900, 500000 + 774900),  # 0121 part-paid 10-15, 0124 paid 10-30
            nov=(762950, 0),
        ),
    },
    # harbor-light 0130 (11-26), 0133 balance (11-30), 0137 (12-09, 3,000 less the 2%
    # still on offer); xinghe 0122 instalments 2 and 3 (11-30, 12-28), 0127 (due 11-19,
    # 4 days, 4,079 + 122.37), 0131 (11-28); open-trails 0120 (due 10-12, 42 days, no
    # late fees for them), 0129 (12-02). 0111 is void.
    "USD": {
        "open": 165000 + 840000 + 294000 + 1440000 + 420137 + 572000 + 306996 + 248000,
        "open_invoices": 8,
        "overdue": 420137 + 306996,
        "overdue_invoices": 2,
        "paid_this_month": 360000,  # 0133's deposit, 11-09
        "aging": aging(
            current=165000 + 840000 + 294000 + 1440000 + 572000 + 248000,
            d30=420137,
            d60=306996,
        ),
        # 0117 09-08, 0120 09-21, 0122 10-05, 0127 10-29, 0129 11-02, 0130 11-05,
        # 0131 11-07, 0133 11-09, 0137 11-18
        "invoiced_90_days": (
            233000 + 306996 + 2400000 + 407900 + 248000 + 165000 + 572000 + 1200000 + 300000
        ),
        "dso_90_days": "66.1",  # 4,286,133 x 90 / 5,832,896 = 66.13
        "months": months(
            may=(638640 + 1340000, 638640 + 1340000),  # 0101, 0102 issued and paid in May
            jun=(325000, 0),  # 0105
            # 0109, 0112 issued; 0109 paid 07-23, 0105 paid late 07-15
            jul=(1003800 + 206250, 1003800 + 325000),
            aug=(915000, 500000 + 206250),  # 0115; its first half 08-31, 0112 paid late 08-26
            sep=(233000 + 306996, 415000 + 233000),  # 0117, 0120; 0115's rest 09-04, 0117 09-25
            oct=(2400000 + 407900, 960000),  # 0122, 0127; 0122's first instalment 10-22
            nov=(248000 + 165000 + 572000 + 1200000 + 300000, 360000),
        ),
    },
}


def client(
    cid: str,
    balance: dict,
    overdue: dict,
    oldest: dict | None,
    paid: int,
    late: int = 0,
    share: str = "0.00",
    average: str = "0.0",
    flagged: bool = False,
) -> dict:
    return {
        "client": cid,
        "balance": balance,
        "overdue": overdue,
        "oldest_overdue": oldest,
        "paid_invoices": paid,
        "paid_late": late,
        "share_paid_late": share,
        "average_days_late": average,
        "habitual_late_payer": flagged,
    }


def oldest(invoice: str, currency: str, due: str, days: int, amount_due: int) -> dict:
    return {
        "invoice": invoice,
        "currency": currency,
        "due": due,
        "days_overdue": days,
        "amount_due": amount_due,
    }


# Late payers (sample agency.yaml): at least 2 paid invoices, at least half of them late,
# at least 7 days late on average. An invoice is late when the payment that settled it came
# after its (last) due date.
CLIENTS = [
    # 0110 paid 07-30 (due 08-03), 0118 10-01 (due 10-05): on time
    client(
        "batik-warisan",
        {"MYR": 478680 + 628560},
        {"MYR": 478680},
        oldest("INV-2026-0125", "MYR", "2026-11-05", 18, 478680),
        paid=2,
    ),
    # 0104 06-10 (06-15), 0113 08-21 (08-24): on time
    client(
        "guanghua-tokyo",
        {"JPY": 945262 + 600000},
        {"JPY": 945262},
        oldest("INV-2026-0119", "JPY", "2026-10-09", 45, 945262),
        paid=2,
    ),
    # NOT a late payer: 3 paid, all on time (0101 05-21/05-25, 0109 07-23/07-27, 0117
    # 09-25/09-29); nothing overdue yet
    client(
        "harbor-light",
        {"USD": 165000 + 840000 + 294000},
        {"USD": 0},
        None,
        paid=3,
    ),
    # THE habitual late payer: 0105 due 06-29 paid 07-15 (16 days late), 0112 due 08-12
    # paid 08-26 (14 days): 2 of 2 late, (16 + 14) / 2 = 15.0 days on average
    client(
        "open-trails",
        {"USD": 306996 + 248000},
        {"USD": 306996},
        oldest("INV-2026-0120", "USD", "2026-10-12", 42, 306996),
        paid=2,
        late=2,
        share="1.00",
        average="15.0",
        flagged=True,
    ),
    # NOT a late payer although half its invoices were late: 0103 paid 5 days early,
    # 0108 due 07-29 paid 08-01 (3 days): (0 + 3) / 2 = 1.5 days on average, under 7
    client(
        "thames-rowe",
        {"GBP": 1132740 + 560000 + 1052000},
        {"GBP": 1132740 + 560000},
        oldest("INV-2026-0116", "GBP", "2026-10-07", 47, 1132740),
        paid=2,
        late=1,
        share="0.50",
        average="1.5",
    ),
    # 0107 07-10 (07-13), 0114 08-28 (08-31), 0124 10-30 (11-02): on time
    client(
        "wislane-smaki",
        {"PLN": 894300 + 762950},
        {"PLN": 894300},
        oldest("INV-2026-0121", "PLN", "2026-10-19", 35, 894300),
        paid=3,
    ),
    # 0102 05-29 (06-01), 0115 settled by its second payment 09-04 (09-07): on time
    client(
        "xinghe",
        {"USD": 1440000 + 420137 + 572000},
        {"USD": 420137},
        oldest("INV-2026-0127", "USD", "2026-11-19", 4, 420137),
        paid=2,
    ),
    # 0106 and RET-06..RET-10, each paid a day or more before due; 0123 (25 days) is older
    # than RET-11 (8 days)
    client(
        "yantar",
        {"EUR": 831640 + 185400 + 250000},
        {"EUR": 831640 + 185400},
        oldest("INV-2026-0123", "EUR", "2026-10-29", 25, 831640),
        paid=6,
    ),
]

NOTHING = {
    "failed_emails": [],
    "reviews": [],
    "disputes": [],
    "pending_publish": [],
    "undelivered_invoices": [],
    "unbuilt_payments": [],
    "credits": [],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("status") / "out"
    build(Path(__file__).resolve().parents[2] / "content", out, SAMPLE_TODAY, secret=SECRET)
    return out


def status(out: Path, *args: str, store: Path | None = None) -> tuple[int, str]:
    content = Path(__file__).resolve().parents[2] / "content"
    argv = ["status", "--out", str(out), "--content", str(content), *args]
    argv += ["--store", str(store or out / "no-store.sqlite3")]
    result = CliRunner().invoke(app, argv)
    return result.exit_code, result.output


def document(out: Path, *args: str, store: Path | None = None) -> dict:
    code, output = status(out, "--format", "json", *args, store=store)
    assert code == 0, output
    return json.loads(output)


def test_every_figure_matches_the_hand_computation(built: Path) -> None:
    doc = document(built, "--today", SAMPLE_TODAY.isoformat())
    assert doc.pop("built_at").startswith("2026-")
    assert doc == {
        "schema": 1,
        "today": "2026-11-23",
        "build_day": "2026-11-23",
        "client": None,
        "thresholds": {"min_paid_invoices": 2, "share_late": "0.5", "average_days_late": "7"},
        "currencies": CURRENCIES,
        "clients": CLIENTS,
        "attention": NOTHING,
    }


def test_json_is_stable_and_today_defaults_to_the_build_day(built: Path) -> None:
    code, first = status(built, "--format", "json")
    assert code == 0
    assert status(built, "--format", "json")[1] == first
    assert json.loads(first)["today"] == "2026-11-23"
    keys = list(json.loads(first))
    assert keys == sorted(keys)


def test_another_day_moves_the_aging_not_the_amounts(built: Path) -> None:
    doc = document(built, "--today", "2026-12-10")
    usd = doc["currencies"]["USD"]
    assert usd["open"] == CURRENCIES["USD"]["open"]  # as of the build day
    # on 12-10: 0137 (12-09) is 1 day late, 0129 (12-02) 8, 0133's balance and 0122's
    # second instalment (11-30) 10, 0131 (11-28) 12, 0130 (11-26) 14, 0127 (11-19) 21;
    # 0120 (10-12) 59; only 0122's last instalment (12-28) is current
    assert usd["aging"] == aging(
        current=720000,
        d30=294000 + 248000 + 840000 + 720000 + 572000 + 165000 + 420137,
        d60=306996,
    )
    assert doc["build_day"] == "2026-11-23" and doc["today"] == "2026-12-10"
    assert [m["month"] for m in usd["months"]][-1] == "2026-12"


def test_one_client(built: Path) -> None:
    doc = document(built, "--client", "open-trails")
    assert doc["client"] == "open-trails"
    assert doc["clients"] == [c for c in CLIENTS if c["client"] == "open-trails"]
    assert list(doc["currencies"]) == ["USD"]
    assert doc["currencies"]["USD"]["open"] == 306996 + 248000
    code, output = status(built, "--client", "nobody")
    assert code == 2 and "nobody" in output


def test_csv_has_one_row_per_client_and_currency(built: Path) -> None:
    code, output = status(built, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(output)))
    assert [r["client"] for r in rows] == [c["client"] for c in CLIENTS]
    trails = next(r for r in rows if r["client"] == "open-trails")
    assert trails == {
        "client": "open-trails",
        "currency": "USD",
        "balance": "554996",
        "overdue": "306996",
        "oldest_overdue_invoice": "INV-2026-0120",
        "oldest_overdue_due": "2026-10-12",
        "oldest_overdue_days": "42",
        "paid_invoices": "2",
        "paid_late": "2",
        "share_paid_late": "1.00",
        "average_days_late": "15.0",
        "habitual_late_payer": "yes",
    }


def test_the_table_names_the_late_payer(built: Path) -> None:
    code, output = status(built, "--today", SAMPLE_TODAY.isoformat())
    assert code == 0, output
    rows = {line.split()[1]: line for line in output.splitlines() if line.startswith("│ ")}
    assert "yes" in rows["open-trails"] and "yes" not in rows["thames-rowe"]
    assert "Nothing needs attention" in output


def test_without_a_build_it_says_so(tmp_path: Path) -> None:
    code, output = status(tmp_path)
    assert code == 2 and "portal build" in output


CARD = Payment(
    "pi_after_build",
    "INV-2026-0130",
    "harbor-light",
    165000,
    "USD",
    "2026-11-24",
    "card",
    "succeeded",
)


def test_what_the_store_needs_a_person_for(built: Path, tmp_path: Path) -> None:
    store_path = tmp_path / "store.sqlite3"
    store = SqliteStore(store_path)
    mail = OutboxItem("receipt:pi_after_build", "email", {"invoice": "INV-2026-0130"})
    publish = OutboxItem("publish:xinghe:evt_3", "publish", {"client": "xinghe"})
    store.apply(Change("evt_1", payments=[CARD], outbox=[mail]))
    store.retry(mail.key, "SMTPRecipientsRefused: accounts@harborlight.example", 0)
    mismatch = {
        "problem": "amount or currency differs from the checkout session",
        "session": "cs_1",
        "invoice": "INV-2026-0131",
        "expected": [572000, "USD"],
        "received": [5720, "USD"],
    }
    store.apply(Change("evt_2", reviews=[mismatch]))
    disputed = replace(CARD, id="pi_disputed", invoice="INV-2026-0127", client="xinghe")
    store.apply(Change("evt_3", payments=[replace(disputed, disputed=True)], outbox=[publish]))
    dispute = {"problem": "dispute opened", "payment": "pi_disputed", "amount": 165000}
    store.apply(Change("evt_4", reviews=[{**dispute, "invoice": "INV-2026-0127"}]))

    attention = document(built, store=store_path)["attention"]
    assert attention == {
        "failed_emails": [
            {
                "key": "receipt:pi_after_build",
                "attempts": 1,
                "last_error": "SMTPRecipientsRefused: accounts@harborlight.example",
                "invoice": "INV-2026-0130",
                "subject": None,
            }
        ],
        "reviews": [{"event": "evt_2", **mismatch}],
        "disputes": [
            {
                "payment": "pi_disputed",
                "invoice": "INV-2026-0127",
                "amount": 165000,
                "event": "evt_4",
            }
        ],
        "pending_publish": [
            {"key": "publish:xinghe:evt_3", "client": "xinghe", "attempts": 0, "last_error": ""}
        ],
        "undelivered_invoices": [],
        "unbuilt_payments": [
            {
                "payment": "pi_after_build",
                "invoice": "INV-2026-0130",
                "client": "harbor-light",
                "received": "2026-11-24",
                "why": "recorded since the build",
            },
            {
                "payment": "pi_disputed",
                "invoice": "INV-2026-0127",
                "client": "xinghe",
                "received": "2026-11-24",
                "why": "recorded since the build",
            },
        ],
        "credits": [],  # no client of the sample paid more than it owed
    }
    # the figures stay the build's until portal build counts the new payments
    assert document(built, store=store_path)["currencies"] == CURRENCIES
    only = document(built, "--client", "xinghe", store=store_path)["attention"]
    assert only["failed_emails"] == [] and len(only["disputes"]) == 1
    code, table = status(built, store=store_path)
    assert code == 0 and "Run portal build" in table and "Dispute" in table


def test_thresholds_are_checked_like_the_rest_of_agency_yaml(built: Path, content: Path) -> None:
    agency = content / "agency.yaml"
    text = agency.read_text(encoding="utf-8")
    agency.write_text(text.replace('share_late: "0.5"', 'share_late: "1.5"'), encoding="utf-8")
    line = next(
        n
        for n, t in enumerate(agency.read_text().splitlines(), start=1)
        if t.strip().startswith("share_late:")
    )
    argv = ["status", "--out", str(built), "--content", str(content)]
    result = CliRunner().invoke(app, [*argv, "--store", str(built / "none.sqlite3")])
    assert result.exit_code == 2
    assert f"agency.yaml:{line}: late_payers.share_late: must be a share between 0 and 1" in (
        result.output
    )
    check = CliRunner().invoke(app, ["check", "--content", str(content)])
    assert check.exit_code == 2 and "late_payers.share_late" in check.output
