"""`portal serve`'s guards as plain rules: the Host check, the problem lines, the middleware.

The middleware is driven as an ASGI app through httpx's ASGI transport, with a forged Host
header; tests/integration/test_serve_guards.py does the same over a real socket.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from local.serve.system import LoopbackHost, host_refusal, loopback_hosts, one_line
from site_builder.receivables.attention import Attention, attention_lines


def test_the_names_of_a_loopback_server_carry_its_port() -> None:
    assert loopback_hosts(8000) == {"127.0.0.1:8000", "localhost:8000", "[::1]:8000"}
    assert "localhost" in loopback_hosts(80)  # a browser leaves port 80 out


@pytest.mark.parametrize(
    ("values", "status"),
    [
        ([b"127.0.0.1:8000"], None),
        ([b"LOCALHOST:8000"], None),
        ([b"[::1]:8000"], None),
        ([b"127.0.0.1:8001"], 421),  # the local Stripe's port, or anyone else's
        ([b"127.0.0.1"], 421),
        ([b"attacker.example:8000"], 421),  # DNS rebinding: the name is the page's own
        ([b"localhost.:8000"], 421),
        ([b"127.0.0.1:8000@evil"], 421),
        ([], 400),
        ([b"127.0.0.1:8000", b"evil.example"], 400),
    ],
)
def test_host_refusal(values: list[bytes], status: int | None) -> None:
    refused = host_refusal(values, loopback_hosts(8000))
    assert (refused and refused[0]) == status
    if refused:
        assert refused[1].endswith("\n") and len(refused[1]) < 120


def _app(port: int) -> LoopbackHost:
    async def hello(request: object) -> PlainTextResponse:
        return PlainTextResponse("private")

    return LoopbackHost(Starlette(routes=[Route("/", hello)]), port)


def test_the_middleware_answers_only_its_own_names() -> None:
    async def request(host: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=_app(8000))
        async with httpx.AsyncClient(transport=transport) as client:
            return await client.get("http://127.0.0.1:8000/", headers={"Host": host})

    def ask(host: str) -> httpx.Response:
        # on a thread of its own: asyncio.run fails where a library (Playwright's sync API,
        # in the browser tests) left an event loop running on this one
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, request(host)).result()

    assert ask("127.0.0.1:8000").text == "private"
    forged = ask("rebound.example:8000")
    assert forged.status_code == 421 and "private" not in forged.text
    assert forged.headers["content-type"].startswith("text/plain")


def test_one_line_keeps_a_long_multi_line_error_short() -> None:
    text = one_line(ValueError("first\nsecond   third" + "x" * 500))
    assert text.startswith("ValueError: first second third") and len(text) == 300
    assert "\n" not in text and text.endswith("…")


def test_attention_lines_say_what_portal_status_says() -> None:
    found = Attention(
        failed_emails=[
            {
                "key": "receipt:pi_1",
                "attempts": 2,
                "last_error": "boom",
                "subject": None,
                "invoice": None,
            }
        ],
        reviews=[
            {"event": "reminders:acme:1", "problem": "reminders not prepared", "invoice": None}
        ],
        pending_publish=[
            {"key": "p1", "client": "acme", "attempts": 0, "last_error": ""},
            {"key": "p2", "client": "zeta", "attempts": 3, "last_error": "LookupError: x"},
        ],
    )
    assert attention_lines(found) == [
        "Email not delivered: receipt:pi_1 (invoice —, 2 attempts): boom",
        "Reminders not prepared",
        "Re-publish pending: client acme",
        "Re-publish of client zeta failing (3 attempts): LookupError: x",
    ]


def test_serve_wakes_just_after_midnight_in_the_agencys_zone() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from local.serve.system import until_midnight

    la = ZoneInfo("America/Los_Angeles")
    assert until_midnight(datetime(2026, 11, 23, 23, 59, 0, tzinfo=la)) == 61
    # the day the clocks go back is 25 hours long, the day they go forward 23
    assert until_midnight(datetime(2026, 11, 1, 0, 0, 0, tzinfo=la)) == 25 * 3600 + 1
    assert until_midnight(datetime(2026, 3, 8, 0, 0, 0, tzinfo=la)) == 23 * 3600 + 1
