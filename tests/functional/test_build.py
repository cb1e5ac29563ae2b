"""Real builds of the sample on disk: output layout, locales, incremental and atomic builds."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from datetime import date
from pathlib import Path

import pytest
import yaml

from site_builder.build import build
from site_builder.errors import ContentInvalid
from site_builder.formatting import format_day, format_money
from site_builder.render import DEFAULT_THEME, Theme
from site_builder.tokens import client_token
from tests.conftest import SAMPLE_TODAY, SECRET


def digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def clients_of(content: Path) -> dict[str, dict]:
    return {
        p.stem: yaml.safe_load(p.read_text(encoding="utf-8"))
        for p in (content / "clients").glob("*.yaml")
    }


@pytest.fixture
def out(tmp_path: Path, content: Path) -> Path:
    target = tmp_path / "out"
    build(content, target, SAMPLE_TODAY, secret=SECRET)
    return target


def test_layout_of_the_output(out: Path, content: Path) -> None:
    public = out / "public"
    assert (public / "robots.txt").read_text() == "User-agent: *\nDisallow: /\n"
    assert [p.name for p in public.iterdir()] and not (public / "index.html").exists()
    assert not (public / "c" / "index.html").exists()  # no page lists clients
    css = list((public / "assets").glob("*.css"))
    assert len(css) == 1 and re.fullmatch(r"[0-9a-f]{16}\.css", css[0].name)
    for client_id, data in clients_of(content).items():
        token = client_token(SECRET, client_id, data.get("token_version", 1))
        portal = public / "c" / token / "index.html"
        assert portal.exists(), client_id
    assert not list(public.rglob("*.json")), "private data leaked into public/"


def test_ledger_matches_the_contract(out: Path, content: Path) -> None:
    ledger = json.loads((out / "build" / "ledger.json").read_text())
    assert ledger["today"] == SAMPLE_TODAY.isoformat()
    invoices = ledger["invoices"]
    assert len(invoices) >= 40
    statuses = {e["status"] for e in invoices.values()}
    assert {"open", "paid", "partially_paid", "overdue", "void"} <= statuses
    for number, entry in invoices.items():
        for key in ("total", "paid", "late_fees", "discount", "amount_due"):
            assert isinstance(entry[key], int) and entry[key] >= 0, (number, key)
        assert sum(i["amount"] for i in entry["instalments"]) == entry["total"]
        if entry["status"] == "paid":
            assert entry["amount_due"] == 0
    jpy = [e for e in invoices.values() if e["currency"] == "JPY"]
    assert jpy and all(e["late_fees"] >= 0 for e in jpy)
    assert any(e["late_fees"] > 0 for e in invoices.values()), "the sample shows a late fee"
    snapshots = {p.stem for p in (out / "build" / "clients").glob("*.json")}
    assert snapshots == set(clients_of(content))


def test_each_locale_renders_its_own_money_dates_and_words(out: Path, content: Path) -> None:
    ledger = json.loads((out / "build" / "ledger.json").read_text())["invoices"]
    theme = Theme(DEFAULT_THEME)
    seen = set()
    for client_id, data in clients_of(content).items():
        locale = data.get("locale", "en")
        token = client_token(SECRET, client_id, data.get("token_version", 1))
        html = (out / "public" / "c" / token / "index.html").read_text(encoding="utf-8")
        assert f'<html lang="{locale.replace("_", "-")}">' in html
        heading = theme.translations(locale).gettext("Open invoices")
        if not locale.startswith("en"):
            assert heading != "Open invoices", f"{locale} has no translation"
        mine = {n: e for n, e in ledger.items() if e["client"] == client_id}
        open_ = [e for e in mine.values() if e["status"] in ("open", "overdue", "partially_paid")]
        if open_:
            assert heading in html
            entry = open_[0]
            assert format_money(entry["amount_due"], entry["currency"], locale).replace(
                "\xa0", "&nbsp;"
            ) in html.replace("\xa0", "&nbsp;")
        number, entry = next(iter(mine.items()))
        page = (out / "public" / "c" / token / "invoices" / f"{number}.html").read_text(
            encoding="utf-8"
        )
        assert format_day(date.fromisoformat(entry["issued"]), locale) in page
        seen.add(locale)
    assert {"en", "zh_Hans", "zh_Hant", "ru", "pl", "ms"} <= seen


def test_second_build_renders_nothing(out: Path, content: Path) -> None:
    before = digests(out / "public")
    report = build(content, out, SAMPLE_TODAY, secret=SECRET)
    assert (report.clients_rendered, report.pages_written) == (0, 0)
    assert report.clients_skipped == len(clients_of(content))
    assert digests(out / "public") == before


def test_a_full_rebuild_removes_the_old_site_without_waiting_for_it(
    out: Path, content: Path
) -> None:
    before = digests(out / "public")
    stopped = out / ".removing-1-0000"  # a removal stopped part-way: handed on
    (stopped / "public").mkdir(parents=True)
    report = build(content, out, SAMPLE_TODAY, secret=SECRET, force=True)
    assert report.full and digests(out / "public") == before
    assert not list(out.glob(".trash-*")) and not list(out.glob(".staging-*"))
    deadline = time.monotonic() + 60
    while list(out.glob(".removing-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not list(out.glob(".removing-*"))
    assert sorted(p.name for p in out.iterdir()) == ["build", "public"]


def test_editing_one_invoice_rerenders_only_that_client(out: Path, content: Path) -> None:
    before = digests(out / "public")
    path = next(
        p for p in sorted((content / "invoices").glob("*.yaml")) if "retainer" not in p.read_text()
    )
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["items"][0]["quantity"] = 7
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    client = data["client"]
    token = client_token(SECRET, client, clients_of(content)[client].get("token_version", 1))

    report = build(content, out, SAMPLE_TODAY, secret=SECRET)

    assert report.clients_rendered == 1 and not report.full
    after = digests(out / "public")
    changed = {p for p in set(before) | set(after) if before.get(p) != after.get(p)}
    assert changed and all(p.startswith(f"c/{token}/") for p in changed)
    assert f"c/{token}/invoices/{path.stem}.html" in changed
    ledger = json.loads((out / "build" / "ledger.json").read_text())["invoices"]
    assert len(ledger) >= 40  # the other clients' entries were kept


def test_bumping_token_version_moves_the_portal(out: Path, content: Path) -> None:
    client_id, data = next(iter(clients_of(content).items()))
    old = client_token(SECRET, client_id, data.get("token_version", 1))
    data["token_version"] = data.get("token_version", 1) + 1
    (content / "clients" / f"{client_id}.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True), encoding="utf-8"
    )
    build(content, out, SAMPLE_TODAY, secret=SECRET)
    assert not (out / "public" / "c" / old).exists()
    assert (
        out / "public" / "c" / client_token(SECRET, client_id, data["token_version"]) / "index.html"
    ).exists()


def test_a_failing_render_leaves_the_previous_site(
    out: Path, content: Path, tmp_path: Path
) -> None:
    before = digests(out / "public")
    theme = tmp_path / "theme"
    shutil.copytree(DEFAULT_THEME, theme)
    (theme / "templates" / "receipt.html").write_text(
        "{% extends 'base.html' %}{% block main %}{{ nope.nope }}{% endblock %}"
    )
    with pytest.raises(Exception, match="nope"):
        build(content, out, SAMPLE_TODAY, secret=SECRET, theme=Theme(theme))
    assert digests(out / "public") == before
    assert not list(out.glob(".staging-*"))


def test_bad_content_raises_with_every_problem(content: Path, tmp_path: Path) -> None:
    for path in sorted((content / "invoices").glob("*.yaml"))[:3]:
        path.write_text(
            path.read_text(encoding="utf-8").replace("client:", "clinet:", 1), encoding="utf-8"
        )
    with pytest.raises(ContentInvalid) as exc:
        build(content, tmp_path / "o", SAMPLE_TODAY, secret=SECRET)
    assert len({e.path for e in exc.value.errors}) >= 3
    assert not (tmp_path / "o" / "public").exists()


def test_the_secret_is_never_written(out: Path) -> None:
    for path in out.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_pages_load_nothing_from_another_origin(out: Path) -> None:
    for page in (out / "public").rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        for attr in re.findall(r'(?:src|href)="([^"]*)"', html):
            assert not re.match(r"(https?:)?//", attr) or attr.startswith(
                "https://northwind.example"
            ), (page, attr)
        assert "<script" not in html
        assert 'name="referrer" content="no-referrer"' in html
        assert 'name="robots" content="noindex' in html


# Hand-computed figures for sample invoices on 2026-11-23 (minor units).
HAND_COMPUTED = {
    # ¥891,000, Net 21 due 10-09: +3% of the total on 10-10 = 26,730; +3% of the
    # balance 917,730 on 10-30 = 27,531.9 -> 27,532; fees 54,262
    "INV-2026-0119": {"total": 891000, "late_fees": 54262, "paid": 0, "amount_due": 945262},
    # 7,200 + 24 x 150 = 10,800 + 23% VAT 2,484 = 13,284.00 PLN; 5,000 paid 10-15;
    # 10-20: 3% of 13,284 = 398.52; 11-09: 3% of (13,284 + 398.52 - 5,000) = 260.48
    "INV-2026-0121": {"total": 1328400, "late_fees": 65900, "paid": 500000, "amount_due": 894300},
    # GBP 11,160.00 due 10-07, 1.5%/month after 5 grace days: 11-12 adds 167.40
    "INV-2026-0116": {"total": 1116000, "late_fees": 16740, "paid": 0, "amount_due": 1132740},
    # $3,000 issued 11-18: 2% off until 11-28 -> $2,940 due today
    "INV-2026-0137": {"total": 300000, "discount": 6000, "amount_due": 294000},
    # the non-profit has late_fee: null, 42 days overdue and no fee
    "INV-2026-0120": {"total": 306996, "late_fees": 0, "amount_due": 306996},
}


@pytest.mark.parametrize("number", sorted(HAND_COMPUTED))
def test_sample_figures_match_hand_computation(out: Path, number: str) -> None:
    entry = json.loads((out / "build" / "ledger.json").read_text())["invoices"][number]
    assert {k: entry[k] for k in HAND_COMPUTED[number]} == HAND_COMPUTED[number]


def test_instalment_plan_in_the_ledger(out: Path) -> None:
    entry = json.loads((out / "build" / "ledger.json").read_text())["invoices"]["INV-2026-0122"]
    plan = [(i["n"], i["amount"], i["paid"], i["amount_due"]) for i in entry["instalments"]]
    # $24,000 in 40/30/30, the first paid on 10-22
    assert plan == [(1, 960000, 960000, 0), (2, 720000, 0, 720000), (3, 720000, 0, 720000)]
    assert entry["status"] == "partially_paid"


def test_every_relative_link_resolves(out: Path) -> None:
    public = out / "public"
    for page in public.rglob("*.html"):
        for target in re.findall(r'(?:href|src)="([^"]+)"', page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            resolved = (page.parent / target).resolve()
            assert resolved.is_file(), f"{page.relative_to(public)} links to missing {target}"
            assert public.resolve() in resolved.parents, f"{target} leaves the site"


def test_local_addresses_replace_the_agency_s_for_one_output(content: Path, tmp_path: Path) -> None:
    local = {
        "portal_url": "http://127.0.0.1:8000",
        "api_url": "http://127.0.0.1:8000/api",
        "checkout_url": "http://127.0.0.1:8001",
    }
    out = tmp_path / "serve"
    build(content, out, SAMPLE_TODAY, secret=SECRET, urls=local)
    page = next((out / "public" / "c").rglob("index.html")).read_text()
    assert 'action="http://127.0.0.1:8000/api/checkout"' in page
    assert "form-action http://127.0.0.1:8000 http://127.0.0.1:8001;" in page
    snapshot = json.loads(next((out / "build" / "clients").glob("*.json")).read_text())
    assert snapshot["agency"]["portal_url"] == "http://127.0.0.1:8000"  # re-publish keeps them
    # the same addresses again: nothing to do; others (or none): every client again
    assert build(content, out, SAMPLE_TODAY, secret=SECRET, urls=local).clients_rendered == 0
    again = build(content, out, SAMPLE_TODAY, secret=SECRET)
    assert again.full and again.clients_skipped == 0
    page = next((out / "public" / "c").rglob("index.html")).read_text()
    assert "form-action https://api.northwind.example https://checkout.stripe.com;" in page
    with pytest.raises(ValueError, match="unknown setting"):
        build(content, out, SAMPLE_TODAY, secret=SECRET, urls={"name": "x"})


def test_tax_rates_print_as_written(out: Path, content: Path) -> None:
    pages = "".join(p.read_text(encoding="utf-8") for p in (out / "public").rglob("*.html"))
    assert "E+" not in pages  # Decimal("20").normalize() once printed "2E+1"
    for rate in ("VAT (20%)", "VAT (23%)", "SST (8%)", "Sales tax (exempt) (0%)"):
        assert rate in pages, rate
