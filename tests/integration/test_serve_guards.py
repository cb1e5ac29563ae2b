"""`portal serve` survives what one bad record holds, and answers only to its own names.

The store is poisoned before start-up, as a crash, an older version or a bad webhook may
leave it: a payment whose id no longer validates, one whose invoice the content no longer
issues, and outbox work that fails every time. The server starts all the same, serves
every client, and says what it left out: once in its output, and on the agency page.
"""

from __future__ import annotations

import html
import socket
import time
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from functions.mailer import Mail
from functions.store import Change, OutboxItem, Payment, SqliteStore
from local.serve.system import System
from tests.integration.test_serve import make_system, portal, wait_until

CARD = Payment(
    "pi_ok", "INV-2026-0130", "harbor-light", 1000, "USD", "2026-11-20", "card", "succeeded"
)
TRAVERSAL = replace(CARD, id="pi_x/../../x")  # not a plain name: the build's model refuses it
GONE = replace(CARD, id="pi_gone", invoice="INV-2099-0001")  # an invoice the content lacks
RECEIPT = "receipt:pi_x/../../x"  # its rendering counts the store's payments, and fails
GOOD = Mail(
    to=("anna@acme.example",),
    subject="Still delivered",
    text="Hello",
    html="<p>Hello</p>",
    sender="billing@northwind.example",
    message_id="letter:good",
)


def poison(store: SqliteStore) -> None:
    store.apply(Change("evt_pay", payments=[CARD, TRAVERSAL, GONE]))
    store.apply(
        Change(
            "evt_work",
            outbox=[
                OutboxItem(RECEIPT, "email", {"template": "receipt", "payment": TRAVERSAL.id}),
                OutboxItem("letter:good", "email", {"mail": GOOD.as_payload()}),
            ],
        )
    )


@pytest.fixture(scope="module")
def poisoned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[System, list[str]]]:
    root = tmp_path_factory.mktemp("poisoned")
    poison(SqliteStore(root / ".portal" / "store.sqlite3"))
    system, lines = make_system(root)
    system.start()
    yield system, lines
    system.stop()


def said(lines: list[str], text: str) -> int:
    return sum(text in line for line in lines)


def test_start_up_goes_on_past_bad_payments_and_says_so_once(
    poisoned: tuple[System, list[str]],
) -> None:
    system, lines = poisoned
    assert any("Press Ctrl-C to stop" in line for line in lines)
    assert said(lines, "problem: payment 'pi_x/../../x' of client 'harbor-light' not counted") == 1
    assert said(lines, "problem: payment pi_gone of client harbor-light not counted") == 1
    assert len(system.portals) == 8  # every client is served, the bad payments' one too
    for client in ("harbor-light", "xinghe"):
        assert httpx.get(f"{portal(system, client)}index.html").status_code == 200
    # the good payment is counted on the pages
    page = httpx.get(f"{portal(system)}invoices/INV-2026-0130.html").text
    assert "$10.00" in page


def test_a_failing_outbox_item_is_retried_in_the_background_and_said_once(
    poisoned: tuple[System, list[str]],
) -> None:
    system, lines = poisoned
    wait_until(lambda: said(lines, "outbox: done letter:good"))
    wait_until(lambda: said(lines, f"outbox: {RECEIPT} failed, will retry"))

    def attempts() -> int:
        return next(i.attempts for i in system.store.unsent() if i.key == RECEIPT)

    for _ in range(2):  # due again at once (instead of in 30 s, 1 min, …): fails the same way
        tried = attempts()
        system.store.retry(RECEIPT, "waiting", 0.0)
        system.wake.set()
        wait_until(lambda tried=tried: attempts() >= tried + 2)
    assert said(lines, f"outbox: {RECEIPT} failed") == 1


def test_the_agency_page_lists_what_needs_attention(poisoned: tuple[System, list[str]]) -> None:
    system, _ = poisoned

    def shown() -> str | None:
        text = html.unescape(httpx.get(system.agency_url).text)
        return text if "Email not delivered: receipt (" in text else None  # once the drain tried it

    page = str(wait_until(shown))
    assert "Needs attention" in page
    assert "payment 'pi_x/../../x' of client 'harbor-light' not counted" in page
    assert "invoice INV-2099-0001 is not issued in the content" in page
    line = next(ln for ln in page.splitlines() if "Email not delivered: receipt (" in ln)
    assert "ValidationError" in line


def test_a_rebuild_does_not_say_it_again(poisoned: tuple[System, list[str]]) -> None:
    system, lines = poisoned
    marker = system.options.content / "clients" / "harbor-light.yaml"
    marker.write_text(marker.read_text() + "\n# touched\n")
    wait_until(lambda: said(lines, "Rebuilt after"))
    assert said(lines, "problem: payment pi_gone") == 1


def test_only_requests_naming_this_server_are_answered(
    poisoned: tuple[System, list[str]],
) -> None:
    system, _ = poisoned
    port = system.port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", f"LocalHost:{port}"):
        assert httpx.get(system.agency_url, headers={"Host": host}).status_code == 200, host
    for host in ("evil.example", f"evil.example:{port}", "127.0.0.1", "127.0.0.1:1", "localhost"):
        answer = httpx.get(system.agency_url, headers={"Host": host})
        assert answer.status_code == 421, host
        assert answer.headers["content-type"].startswith("text/plain")
        assert "agency page" not in answer.text and len(answer.text) < 200
        assert f"http://127.0.0.1:{port}/" in answer.text
    # the API and the site behind the same check: a rebound page can post nothing either
    forged = {"Host": f"rebind.example:{port}"}
    assert httpx.post(f"{system.api_url}/webhooks/stripe", headers=forged).status_code == 421
    assert httpx.get(f"{portal(system)}index.html", headers=forged).status_code == 421
    assert httpx.get(f"{system.api_url}/health").status_code == 200


def test_a_request_without_a_host_is_refused(poisoned: tuple[System, list[str]]) -> None:
    system, _ = poisoned
    with socket.create_connection(("127.0.0.1", system.port), timeout=5) as sock:
        sock.sendall(b"GET /api/health HTTP/1.0\r\n\r\n")
        answer = b""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (chunk := sock.recv(4096)):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:100]
