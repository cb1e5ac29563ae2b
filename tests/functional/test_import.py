"""`portal import`: a billing export -> content files; round trip, bad rows, payments, reruns."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from functions.store import Change, Payment, SqliteStore
from portal.cli import app
from site_builder.build import build
from site_builder.importer import import_csv
from site_builder.readers import parse_yaml
from tests.conftest import SAMPLE, SAMPLE_TODAY, SECRET
from tests.functional.sample_csv import sample_csv


def digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def ledger(content: Path, out: Path) -> dict:
    build(content, out, SAMPLE_TODAY, secret=SECRET)
    return json.loads((out / "build" / "ledger.json").read_text())["invoices"]


def without_page_change(invoices: dict) -> dict:
    return {number: {**e, "pages_change": None} for number, e in invoices.items()}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def sample_ledger(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return ledger(SAMPLE, tmp_path_factory.mktemp("sample") / "out")


def test_the_sample_round_trips_and_a_rerun_changes_nothing(
    content: Path, tmp_path: Path, sample_ledger: dict
) -> None:
    export = write(tmp_path / "export.csv", sample_csv(SAMPLE, SAMPLE_TODAY))
    for path in (content / "invoices").glob("*.yaml"):
        path.unlink()  # the clients, payments and notes stay; the invoices come from the CSV

    report = import_csv(export, content)
    assert report.errors == [] and report.warnings == []
    # 38 numbered invoices (one a draft), and the retainer's six months as their own invoices
    assert len(report.created) == 44 and report.updated == report.unchanged == []
    # every figure the same; only the day yantar's pages next change differs, as the export
    # turns the retainer's months into invoices of their own, and no template makes December's
    assert without_page_change(ledger(content, tmp_path / "out")) == without_page_change(
        sample_ledger
    )

    before = digests(content)
    again = import_csv(export, content)
    assert (again.created, again.updated, again.written) == ([], [], [])
    assert len(again.unchanged) == 44
    assert digests(content) == before  # byte for byte


def test_imported_files_read_like_the_sample(content: Path, tmp_path: Path) -> None:
    export = write(tmp_path / "export.csv", sample_csv(SAMPLE, SAMPLE_TODAY))
    target = content / "invoices" / "INV-2026-0133.yaml"
    target.unlink()
    import_csv(export, content)
    assert target.read_text(encoding="utf-8") == (
        "client: harbor-light\n"
        "issued: 2026-11-09\n"
        "due: 2026-11-30\n"
        "title: Holiday gift-shop microsite\n"
        "items:\n"
        '  - {description: "Gift-shop microsite: design and build", quantity: 1, '
        'unit_price: "9800.00"}\n'
        '  - {description: Product photography, quantity: 1, unit_price: "2200.00"}\n'
        'deposit: {percent: "30", label: Deposit to reserve the production slot}\n'
        "memo: The 30% deposit books our team for the holiday launch; the balance is due "
        "on delivery.\n"
    )


HEADER = (
    "invoice,client,client_email,issued,due,currency,status,tax_percent,"
    "description,kind,quantity,unit_price,amount,taxable\n"
)
# One bad row per kind of mistake, each its own invoice, numbered as a spreadsheet shows
# them (the header is row 1). Rows 2 and 23 are good.
BAD_ROWS = [
    (2, None, "NEW-OK-1,harbor-light,,2026-11-20,,,,,Menu design,,1,300.00,,"),
    (3, "invoice", ",harbor-light,,2026-11-20,,,,,No number,,1,100.00,,"),
    (4, "invoice", "INV 2026/7,harbor-light,,2026-11-20,,,,,Bad number,,1,100.00,,"),
    (5, "client", "NEW-5,acme corp!,,2026-11-20,,,,,Bad client id,,1,100.00,,"),
    (6, "client", "NEW-6,,,2026-11-20,,,,,No client at all,,1,100.00,,"),
    (7, "issued", "NEW-7,harbor-light,,,,,,,No issue date,,1,100.00,,"),
    (8, "issued", "NEW-8,harbor-light,,2026-02-30,,,,,No such day,,1,100.00,,"),
    (9, "due", "NEW-9,harbor-light,,2026-11-20,next week,,,,Bad due date,,1,100.00,,"),
    (10, "due", "NEW-10,harbor-light,,2026-11-20,2026-11-01,,,,Due before issue,,1,100.00,,"),
    (11, "currency", "NEW-11,harbor-light,,2026-11-20,,XYZ,,,Unknown currency,,1,100.00,,"),
    (12, "unit_price", "NEW-12,harbor-light,,2026-11-20,,,,,Bad amount,,1,12.50 €,,"),
    (13, "unit_price", "NEW-13,harbor-light,,2026-11-20,,,,,No price at all,,1,,,"),
    (14, "quantity", "NEW-14,harbor-light,,2026-11-20,,,,,Bad quantity,,two,100.00,,"),
    (15, "quantity", "NEW-15,harbor-light,,2026-11-20,,,,,Negative quantity,,-1,100.00,,"),
    (16, "description", "NEW-16,harbor-light,,2026-11-20,,,,,,,1,100.00,,"),
    (17, "kind", "NEW-17,harbor-light,,2026-11-20,,,,,Unknown kind,bonus,1,100.00,,"),
    (18, "taxable", "NEW-18,harbor-light,,2026-11-20,,,,,Bad flag,,1,100.00,,maybe"),
    (19, "tax_percent", "NEW-19,harbor-light,,2026-11-20,,,,150,Tax over 100%,,1,100.00,,"),
    (20, "status", "NEW-20,harbor-light,,2026-11-20,,,cancelled,,Unknown status,,1,100.00,,"),
    (21, "amount", "NEW-21,harbor-light,,2026-11-20,,,,,Sum is off,,3,40.00,100.00,"),
    # INV-2026-0117 was paid on 09-25 (payments/pay-2026-09-25-harbor-light.yaml)
    (22, "invoice", "INV-2026-0117,harbor-light,,2026-09-08,,,,,Launch support,,13,140.00,,"),
    (23, None, "NEW-OK-2,yantar,,2026-11-21,,EUR,,,Шаблон,,2,320.00,640.00,"),
]


def test_twenty_kinds_of_bad_rows_are_refused_by_row(content: Path, tmp_path: Path) -> None:
    export = write(tmp_path / "bad.csv", HEADER + "\n".join(r for _, _, r in BAD_ROWS) + "\n")
    before = digests(content)
    report = import_csv(export, content)

    bad = [(row, name) for row, name, _ in BAD_ROWS if name is not None]
    assert len(bad) == 20
    assert [(e.row, e.field) for e in report.errors] == bad, "\n".join(map(str, report.errors))
    assert sorted(report.created) == ["NEW-OK-1", "NEW-OK-2"]
    after = digests(content)
    assert {p for p in after if after.get(p) != before.get(p)} == {
        "invoices/NEW-OK-1.yaml",
        "invoices/NEW-OK-2.yaml",
    }  # nothing of the bad rows: no invoice, no client (acme corp!), INV-2026-0117 untouched
    messages = {e.row: str(e) for e in report.errors}
    assert "row 3: invoice: missing" in messages[3]
    assert "not a real calendar date" in messages[8]
    assert "unknown currency 'XYZ'" in messages[11]
    assert "has payments (payments/pay-2026-09-25-harbor-light.yaml)" in messages[22]
    assert "--force" in messages[22]


def test_more_kinds_of_bad_rows(content: Path, tmp_path: Path) -> None:
    rows = [
        "NEW-A,harbor-light,,2026-11-20,,,,,First line,,1,100.00,,",
        "NEW-A,xinghe,,2026-11-20,,,,,Second line names another client,,1,100.00,,",
        "NEW-B,,not-an-email,2026-11-20,,,,,Bad email,,1,100.00,,",
        "NEW-C,guanghua-tokyo,,2026-11-20,,JPY,,,Half a yen,,1,100.5,100.5,",
        "inv-2026-0101,harbor-light,,2026-05-04,,,,,Same file as INV-2026-0101,,1,1.00,,",
        "RET-2026-YANTAR-2026-07,yantar,,2026-07-01,,,,,A retainer month,,1,1.00,,",
        "NEW-D,harbor-light,,2026-11-20,,,,,Too few cells",
        "NEW-E,harbor-light,,2026-11-20,,,,,Fine on its own,,1,1.00,,",
        "new-e,harbor-light,,2026-11-20,,,,,Same file as NEW-E,,1,1.00,,",
        "NEW-F,Harbor-Light,,2026-11-20,,,,,Same client file as harbor-light,,1,1.00,,",
    ]
    export = write(tmp_path / "more.csv", HEADER + "\n".join(rows) + "\n")
    report = import_csv(export, content)
    assert [(e.row, e.field) for e in report.errors] == [
        (3, "client"),  # a row of NEW-A disagrees with row 2: NEW-A is not written at all
        (4, "client_email"),
        (5, "amount"),  # ¥100.5: JPY has no minor unit
        (6, "invoice"),  # inv- vs INV-: the same file on many disks
        (7, "invoice"),  # made by invoices/RET-2026-YANTAR.yaml
        (8, ""),  # 9 cells, the header has 14
        (10, "invoice"),  # new-e vs NEW-E of row 9
        (11, "client"),  # Harbor-Light vs clients/harbor-light.yaml
    ], "\n".join(map(str, report.errors))
    assert report.created == ["NEW-E"] and report.written == ["invoices/NEW-E.yaml"]
    assert "row 2" in str(report.errors[0]) and "invoices/RET-2026-YANTAR.yaml" in str(
        report.errors[4]
    )


def test_a_changed_invoice_is_updated_and_keeps_what_the_csv_has_no_column_for(
    content: Path, tmp_path: Path
) -> None:
    path = content / "invoices" / "INV-2026-0130.yaml"  # open, no payments
    export = write(
        tmp_path / "short.csv",
        "invoice,client,issued,due,description,quantity,unit_price\n"
        "INV-2026-0130,harbor-light,2026-11-05,2026-11-26,Photography (half day),1,1200.00\n"
        "INV-2026-0130,harbor-light,2026-11-05,2026-11-26,Retouching (images),20,25.00\n",
    )
    report = import_csv(export, content)
    assert report.updated == ["INV-2026-0130"] and report.errors == []
    data = parse_yaml(path.read_text(encoding="utf-8")).data
    assert data["title"] == "Menu board photography"  # no title column: kept
    assert [i["quantity"] for i in data["items"]] == [1, 20]
    assert import_csv(export, content).unchanged == ["INV-2026-0130"]


def test_payments_the_store_recorded_protect_an_invoice_too(content: Path, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "store.sqlite3")
    card = Payment(
        "pi_1", "INV-2026-0130", "harbor-light", 165000, "USD", "2026-11-20", "card", "succeeded"
    )
    store.apply(Change("evt_1", payments=[card]))
    export = write(
        tmp_path / "one.csv",
        "invoice,client,issued,description,unit_price\n"
        "INV-2026-0130,harbor-light,2026-11-05,Photography,2000.00\n",
    )
    before = digests(content)
    refused = import_csv(export, content, store=store)
    assert [(e.row, e.field) for e in refused.errors] == [(2, "invoice")]
    assert "pi_1" in str(refused.errors[0]) and digests(content) == before
    forced = import_csv(export, content, store=store, force=True)
    assert forced.updated == ["INV-2026-0130"] and forced.errors == []


def test_a_missing_client_is_created_with_a_warning(content: Path, tmp_path: Path) -> None:
    export = write(
        tmp_path / "new.csv",
        "invoice,client_name,client_email,issued,currency,description,quantity,unit_price\n"
        "NEW-1,Fjord & Field AS,post@fjordfield.example,2026-11-20,NOK,Workshop,1,12000\n"
        "NEW-2,,,2026-11-20,,Follow-up,1,500\n"  # no client on the row: needs one
        "NEW-3,Fjord & Field AS,,2026-11-21,NOK,Photos,2,800\n",
    )
    report = import_csv(export, content)
    assert [(e.row, e.field) for e in report.errors] == [(3, "client")]
    assert report.clients_created == ["fjord-field-as"]
    assert len(report.warnings) == 1 and "contacts" in report.warnings[0]
    client = (content / "clients" / "fjord-field-as.yaml").read_text(encoding="utf-8")
    assert client.startswith("# Created by portal import from new.csv, row 2.")
    assert "currency: NOK" in client and "post@fjordfield.example" in client
    invoice = parse_yaml((content / "invoices" / "NEW-3.yaml").read_text()).data
    assert invoice["client"] == "fjord-field-as" and "currency" not in invoice  # the client's
    build(content, tmp_path / "out", SAMPLE_TODAY, secret=SECRET)  # valid content


def test_a_stripe_export(content: Path, tmp_path: Path) -> None:
    export = write(
        tmp_path / "stripe.csv",
        "Number,Customer,Customer Name,Customer Email,Currency,Date (UTC),Due Date (UTC),"
        "Status,Tax Percent,Description,Quantity,Amount\n"
        # the email is Harbor Light's billing contact: that client, not a new one
        "NW-0001,cus_Q1,Harbor Light,accounts@harborlight.example,usd,2026-11-20 17:03:11,"
        "2026-12-11 17:03:11,open,,Espresso bar signage,2,900.00\n"
        "NW-0001,cus_Q1,Harbor Light,accounts@harborlight.example,usd,2026-11-20 17:03:11,"
        "2026-12-11 17:03:11,open,,Install,1,150.00\n"
        "NW-0002,cus_Z9,Fjord AS,post@fjord.example,nok,2026-11-21 09:00:00,,void,25,"
        "Workshop,1,12000.00\n",
    )
    report = import_csv(export, content, "stripe")
    assert report.errors == [] and report.clients_created == ["cus_Z9"]
    first = parse_yaml((content / "invoices" / "NW-0001.yaml").read_text()).data
    assert first["client"] == "harbor-light" and first["due"] == "2026-12-11"
    assert [(i["quantity"], i["unit_price"]) for i in first["items"]] == [
        (2, "450.00"),
        (1, "150.00"),
    ]
    second = parse_yaml((content / "invoices" / "NW-0002.yaml").read_text()).data
    assert second["status"] == "void" and second["tax"] == {"percent": "25"}


def test_the_command(content: Path, tmp_path: Path) -> None:
    export = write(tmp_path / "bad.csv", HEADER + "\n".join(r for _, _, r in BAD_ROWS) + "\n")
    runner = CliRunner()
    argv = ["import", str(export), "--content", str(content), "--store", str(tmp_path / "s.db")]
    dry = runner.invoke(app, [*argv, "--dry-run"])
    assert dry.exit_code == 2 and "Would import" in dry.output
    assert not (content / "invoices" / "NEW-OK-1.yaml").exists()
    result = runner.invoke(app, argv)
    assert result.exit_code == 2
    assert "row 11 (NEW-11): currency: unknown currency 'XYZ'" in result.output
    assert "2 invoices new" in result.output and "20 problems" in result.output
    bad_mapping = runner.invoke(app, [*argv, "--mapping", "nope"])
    assert bad_mapping.exit_code == 2 and "generic, stripe" in bad_mapping.output
    no_column = write(tmp_path / "odd.csv", "number,what\n1,2\n")
    refused = runner.invoke(app, ["import", str(no_column), "--content", str(content)])
    assert refused.exit_code == 2 and "'invoice'" in refused.output
