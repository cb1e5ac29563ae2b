"""`portal serve` in this process: one port for the site, the API and the agency page.

The browser's view of the same system is tests/browser/; here it is driven with
httpx and the local Stripe's own helpers, so each part can be looked at closely.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from functions.store import OutboxItem, SqliteStore
from functions.store.base import Change
from local.serve.system import ServeOptions, System, resume_outbox
from local.stripe_server import LocalStripe
from portal.cli import app
from site_builder.tokens import client_token
from tests.conftest import SAMPLE, SAMPLE_TODAY, SECRET

OPEN = "INV-2026-0130"  # harbor-light, $1,650.00


def wait_until(check: Callable[[], object], timeout: float = 10.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def make_system(root: Path, port: int = 0, **env: str) -> tuple[System, list[str]]:
    content = root / "content"
    if not content.exists():
        shutil.copytree(SAMPLE, content)
    lines: list[str] = []
    options = ServeOptions(
        content=content,
        port=port,
        today=SAMPLE_TODAY,
        store=root / ".portal" / "store.sqlite3",
        home=root / ".portal",
        env={"PORTAL_SECRET": SECRET, **env},
    )
    return System(options, lines.append), lines


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[System, list[str]]]:
    system, lines = make_system(tmp_path_factory.mktemp("serve"))
    system.start()
    yield system, lines
    system.stop()


def paid_this_month(page: str, currency: str) -> int:
    """The agency page's "paid this month" for a currency, in cents."""
    row = re.search(rf'<th scope="row">{currency}</th>(.*?)</tr>', page, re.S)
    assert row is not None
    cell = re.findall(r'<td class="num">(.*?)</td>', row[1], re.S)[-1]
    money = re.search(r"([\d,]+)\.(\d\d)", cell)
    assert money
    return int(money[1].replace(",", "")) * 100 + int(money[2])


def portal(system: System, client: str = "harbor-light") -> str:
    return f"{system.site_url}/c/{client_token(SECRET, client, 1)}/"


def test_it_says_where_everything_is(running: tuple[System, list[str]]) -> None:
    system, lines = running
    text = "\n".join(lines)
    assert f"  harbor-light    {portal(system)}index.html" in text
    assert system.agency_url in text and system.webhook_url in text
    assert f"checkout at {system.stripe.url if system.stripe else '?'}" in text
    assert system.port + 1 == (system.stripe.port if system.stripe else 0)


def test_the_site_carries_the_cdn_s_headers(running: tuple[System, list[str]]) -> None:
    system, _ = running
    page = httpx.get(f"{portal(system)}invoices/{OPEN}.html")
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    csp = page.headers["content-security-policy"]
    assert f"form-action {system.site_url} {system.stripe.url};" in csp  # type: ignore[union-attr]
    assert csp.endswith("frame-ancestors 'none'")
    assert page.headers["cache-control"] == "no-cache"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-robots-tag"] == "noindex, nofollow, noarchive"
    assert page.headers["x-frame-options"] == "DENY"
    assert f'action="{system.api_url}/checkout"' in page.text
    css = re.search(r'href="\.\./\.\./\.\./(assets/[^"]+\.css)"', page.text)
    assert css and httpx.get(f"{system.site_url}/{css[1]}").headers["content-type"].startswith(
        "text/css"
    )
    for missing in ("/", "/c/", "/build/ledger.json", "/../build/ledger.json", "/agency/x/"):
        answer = httpx.get(f"{system.site_url}{missing}")
        assert (
            answer.status_code == 404
            and "frame-ancestors" in answer.headers["content-security-policy"]
        )
    assert httpx.head(f"{portal(system)}index.html").status_code == 200


def test_serve_builds_apart_from_portal_build(running: tuple[System, list[str]]) -> None:
    system, _ = running
    home = system.options.home
    assert (home / "serve" / "public" / "robots.txt").exists()
    assert not (home.parent / "public").exists()  # `portal build`'s output is not touched


def test_checkout_goes_to_the_local_stripe_and_a_payment_comes_back(
    running: tuple[System, list[str]],
) -> None:
    system, _ = running
    assert system.stripe is not None
    agency = httpx.get(system.agency_url)
    assert agency.status_code == 200
    assert "default-src 'none'" in agency.headers["content-security-policy"]
    before = paid_this_month(agency.text, "USD")

    token = client_token(SECRET, "harbor-light", 1)
    answer = httpx.post(f"{system.api_url}/checkout", data={"invoice": OPEN, "token": token})
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith(f"{system.stripe.url}/pay/cs_")
    result = system.stripe.pay(location.rsplit("/", 1)[1])
    assert result.redirect_url and result.redirect_url.startswith(f"{system.api_url}/paid?")
    returned = httpx.get(result.redirect_url)  # Stripe's return: the truth at once, the way back
    assert "Thank you: payment received" in returned.text
    assert f'href="{portal(system)}invoices/{OPEN}.html"' in returned.text

    # the webhook wakes the drain: the receipt and the re-publish follow within moments
    wait_until(lambda: "Paid in full" in httpx.get(f"{portal(system)}invoices/{OPEN}.html").text)
    page = wait_until(
        lambda: (p := httpx.get(system.agency_url).text).count('class="letter"') and p
    )
    assert isinstance(page, str)
    assert f"for invoice {OPEN}" in page
    assert paid_this_month(page, "USD") == before + 1650_00
    frame = re.search(r'<iframe sandbox src="(mail/[^"]+)"', page)
    assert frame is not None
    letter = httpx.get(system.agency_url + frame[1])
    assert letter.status_code == 200 and "Thank you" in letter.text
    policy = letter.headers["content-security-policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy and "script" not in policy
    assert f"frame-ancestors {system.site_url};" in policy
    assert httpx.get(system.agency_url + "mail/..%2F..%2Fstore.sqlite3").status_code == 404


def test_an_edit_is_rebuilt_and_a_broken_one_keeps_the_site(
    running: tuple[System, list[str]],
) -> None:
    system, lines = running
    invoice = system.options.content / "invoices" / "INV-2026-0137.yaml"
    original = invoice.read_text()
    url = f"{portal(system)}invoices/INV-2026-0137.html"
    invoice.write_text(original.replace("title:", "title: Edited —", 1))
    wait_until(lambda: "Edited —" in httpx.get(url).text)
    # the pages are swapped in a moment before the line is printed
    wait_until(lambda: any(line.startswith("Rebuilt after") for line in lines))

    invoice.write_text(original.replace("client:", "client: nobody-at-all\nx:", 1))
    wait_until(lambda: any("still serving the last build" in line for line in lines))
    assert "Edited —" in httpx.get(url).text
    invoice.write_text(original)
    wait_until(lambda: "Edited —" not in httpx.get(url).text)


def test_a_new_day_republishes_the_clients_past_a_boundary(
    running: tuple[System, list[str]],
) -> None:
    system, lines = running
    manifest = json.loads((system.build_dir / "manifest.json").read_text())["clients"]
    tomorrow = SAMPLE_TODAY + timedelta(days=1)
    crossed = {c for c, r in manifest.items() if r["changes_on"] == tomorrow.isoformat()}
    assert crossed  # the sample has a fee or a discount ending that night
    try:
        report = system.new_day(tomorrow)
        assert report is not None and report.clients_rendered == len(crossed)
        assert f"New day {tomorrow}: clients re-published: {len(crossed)}." in lines
        assert system.new_day(tomorrow).clients_rendered == 0  # type: ignore[union-attr]
    finally:
        system.build(day=SAMPLE_TODAY)  # the other tests' day


def test_a_restart_keeps_the_local_stripe_s_account(tmp_path: Path) -> None:
    system, _ = make_system(tmp_path)
    system.start()
    try:
        token = client_token(SECRET, "xinghe", 1)
        answer = httpx.post(
            f"{system.api_url}/checkout", data={"invoice": "INV-2026-0131", "token": token}
        )
        session_url = answer.headers["location"]
        port = system.port
    finally:
        system.stop()
    again, lines = make_system(tmp_path, port=port)
    again.start()
    try:
        assert any("0 clients rendered" in line for line in lines)  # same addresses: no rebuild
        assert "Pay by card" in httpx.get(session_url).text  # the open session is still there
        repeat = httpx.post(
            f"{again.api_url}/checkout", data={"invoice": "INV-2026-0131", "token": token}
        )
        assert repeat.headers["location"] == session_url
    finally:
        again.stop()


def test_stripe_test_mode_sends_checkouts_to_the_named_server(tmp_path: Path) -> None:
    with LocalStripe(webhook_secret="whsec_elsewhere") as elsewhere:
        system, lines = make_system(
            tmp_path,
            STRIPE_SECRET_KEY="sk_test_elsewhere",
            STRIPE_WEBHOOK_SECRET=elsewhere.webhook_secret,
            STRIPE_API_BASE=elsewhere.url,
        )
        system.start()
        try:
            assert system.stripe is None
            assert any("stripe listen --forward-to 127.0.0.1:" in line for line in lines)
            page = httpx.get(f"{portal(system)}index.html")
            assert f"form-action {system.site_url} {elsewhere.url};" in page.text
            elsewhere.webhook_url = system.webhook_url  # what `stripe listen` does
            token = client_token(SECRET, "harbor-light", 1)
            answer = httpx.post(
                f"{system.api_url}/checkout", data={"invoice": OPEN, "token": token}
            )
            assert answer.headers["location"].startswith(f"{elsewhere.url}/pay/")
            elsewhere.pay(answer.headers["location"].rsplit("/", 1)[1])
            wait_until(lambda: [p.status for p in system.store.payments()] == ["succeeded"])
        finally:
            system.stop()


def test_a_restart_takes_up_the_outbox_work_a_stopped_drain_held(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "store.sqlite3")
    store.apply(
        Change(
            "evt_1",
            outbox=[
                OutboxItem("publish:a:evt_1", "publish", {"client": "a"}),
                OutboxItem("email:x", "email", {"mail": {}}),
            ],
        )
    )
    now = time.time()
    failed, held = sorted(store.due(now), key=lambda item: item.kind)
    assert store.claim(held, now + 300)  # a drain took it, then serve was killed
    store.retry(failed.key, "permanent: no such address", now + 7 * 86400)
    assert resume_outbox(store, now) == 1
    assert [item.key for item in store.due(now)] == ["publish:a:evt_1"]


def test_the_command_explains_why_it_cannot_start(tmp_path: Path, content: Path) -> None:
    def serve(*args: str, **env: str) -> Any:
        store = str(tmp_path / "store.sqlite3")
        return CliRunner().invoke(
            app,
            ["serve", "--content", str(content), "--store", store, *args],
            env={"PORTAL_SECRET": SECRET, **env},
        )

    live = serve("--port", "0", STRIPE_SECRET_KEY="sk_live_123")
    assert live.exit_code == 1 and "test-mode key only" in live.output
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = serve("--port", str(taken.getsockname()[1]))
    assert busy.exit_code == 1 and "cannot listen on 127.0.0.1:" in busy.output
    (content / "invoices" / "INV-2026-0130.yaml").write_text("client: [\n")
    broken = serve("--port", "0")
    assert broken.exit_code == 2 and "INV-2026-0130.yaml" in broken.output
