"""Autopay enrolment end to end over sockets: the app under uvicorn, the local Stripe's hosted
setup page submitted over HTTP, its signed webhooks (each delivered twice), the store, and
the client's pages made again by the outbox."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from functions.app import Services
from functions.autopay import saved
from functions.config import StripeSessions
from functions.site import FolderSite
from functions.snapshots import FolderSnapshots
from functions.store import SqliteStore
from functions.work import drain_outbox
from local.stripe_server.server import DEFAULT_API_KEY, LocalStripe
from site_builder.build import build
from site_builder.render import Theme
from tests.conftest import SAMPLE, SAMPLE_TODAY, SECRET
from tests.integration.conftest import SmtpServer, app_server, token, wait_until

VISA = "4242 4242 4242 4242"
SAVED_BUT_DECLINES = "4000 0000 0000 0341"  # a Visa too: told apart by its last four


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The sample (autopay allowed by the agency) with one client that has it off and a
    per-currency method list for PLN, built; the app; a local Stripe delivering twice."""
    out = tmp_path_factory.mktemp("autopay")
    content = out / "content"
    shutil.copytree(SAMPLE, content)
    with (content / "clients" / "guanghua-tokyo.yaml").open("a", encoding="utf-8") as f:
        f.write("\nautopay: {mode: 'off'}\n")
    with (content / "agency.yaml").open("a", encoding="utf-8") as f:
        f.write("\npayment_methods: {PLN: [card, blik, p24]}\n")
    build(content, out, SAMPLE_TODAY, secret=SECRET, pdfs=False)
    store = SqliteStore(out / "store.sqlite3")
    store.put_invoices(json.loads((out / "build" / "ledger.json").read_text())["invoices"])
    smtp = SmtpServer()
    with LocalStripe(duplicate_deliveries=2) as stripe_server:
        services = Services(
            store=store,
            snapshots=FolderSnapshots(out / "build" / "clients"),
            sessions=StripeSessions(DEFAULT_API_KEY, stripe_server.url),
            portal_secret=SECRET,
            webhook_secret=stripe_server.webhook_secret,
            timezone="America/Los_Angeles",
            today=lambda: SAMPLE_TODAY,
            mailer=smtp.mailer(),
            site=FolderSite(out / "public"),
        )
        with app_server(services) as url:
            stripe_server.webhook_url = f"{url}/webhooks/stripe"
            yield {
                "url": url,
                "store": store,
                "stripe": stripe_server,
                "services": services,
                "public": out / "public",
            }
    smtp.stop()


def autopay(system: dict[str, Any], client: str, action: str, **form: str) -> httpx.Response:
    fields = {"client": client, "token": token(client), "action": action, **form}
    return httpx.post(f"{system['url']}/autopay", data=fields, follow_redirects=False)


def submit_card(system: dict[str, Any], location: str, card: str) -> httpx.Response:
    """Fill in the local hosted setup page's card form, as a browser would."""
    page = httpx.get(location)
    assert page.status_code == 200 and "Save card" in page.text
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action is not None
    target = httpx.URL(location).join(action.group(1))
    return httpx.post(target, data={"method": "card", "card_number": card})


def session(system: dict[str, Any], location: str) -> dict[str, Any]:
    client = system["stripe"].client()
    return client.v1.checkout.sessions.retrieve(location.rsplit("/", 1)[1]).to_dict()


def portal_page(system: dict[str, Any], client: str) -> str:
    drain_outbox(system["services"], limit=200)
    return (system["public"] / "c" / token(client) / "index.html").read_text("utf-8")


def enrol(system: dict[str, Any], client: str, card: str, action: str = "on") -> dict[str, Any]:
    started = autopay(system, client, action)
    assert started.status_code == 303, started.text
    location = started.headers["location"]
    assert location.startswith(system["stripe"].url)
    submitted = submit_card(system, location, card)
    assert submitted.status_code in (200, 303), submitted.text
    return session(system, location)


def test_turning_autopay_on_saves_the_method_and_the_pages_say_so(system: dict[str, Any]) -> None:
    store = system["store"]
    opened = enrol(system, "harbor-light", VISA)
    assert opened["mode"] == "setup" and opened["currency"] == "usd"
    assert opened["metadata"] == {"client": "harbor-light", "purpose": "autopay"}
    assert opened["customer"] == store.customer("harbor-light")
    assert opened["success_url"].endswith("/autopay/done?session={CHECKOUT_SESSION_ID}")
    assert opened["cancel_url"].endswith(f"/c/{token('harbor-light')}/index.html")
    assert wait_until(lambda: store.method("harbor-light") is not None, 10)
    method = store.method("harbor-light")
    assert (method["type"], method["brand"], method["last4"]) == ("card", "visa", "4242")
    assert method["customer"] == opened["customer"]
    done = httpx.get(f"{system['url']}/autopay/done", params={"session": opened["id"]})
    assert done.status_code == 200 and "Automatic payments are on" in done.text
    assert "Visa •••• 4242" in done.text
    assert f"/c/{token('harbor-light')}/index.html" in done.text  # the way back
    assert "Visa •••• 4242" in portal_page(system, "harbor-light")
    # every event was delivered twice: saved once, nothing for a person to look at
    assert [m["client"] for m in store.methods()].count("harbor-light") == 1
    assert store.reviews() == []


def test_a_redelivered_save_changes_nothing(system: dict[str, Any]) -> None:
    store, services = system["store"], system["services"]
    if store.method("harbor-light") is None:
        enrol(system, "harbor-light", VISA)
        assert wait_until(lambda: store.method("harbor-light") is not None, 10)
    method = store.method("harbor-light")
    stripe_method = system["stripe"].client().v1.payment_methods.retrieve(method["payment_method"])
    again = saved.save(
        store,
        services.stripe,
        "harbor-light",
        stripe_method.to_dict(),
        method["customer"],
        "evt_redelivered",
        SAMPLE_TODAY,
    )
    assert again is True  # its own key: the re-publish is queued once
    assert (
        saved.save(
            store,
            services.stripe,
            "harbor-light",
            stripe_method.to_dict(),
            method["customer"],
            "evt_redelivered",
            SAMPLE_TODAY,
        )
        is False
    )
    assert store.method("harbor-light") == method  # same method, same day it was saved
    # still attached: saving the saved method never detaches it
    attached = system["stripe"].client().v1.payment_methods.retrieve(method["payment_method"])
    assert attached["customer"] == method["customer"]


def test_changing_the_method_detaches_the_old_one(system: dict[str, Any]) -> None:
    store = system["store"]
    if store.method("yantar") is None:
        enrol(system, "yantar", VISA)
        assert wait_until(lambda: store.method("yantar") is not None, 10)
    old = store.method("yantar")
    customer = store.customer("yantar")
    changed = enrol(system, "yantar", SAVED_BUT_DECLINES, action="change")
    assert changed["customer"] == customer  # one Customer per client
    assert wait_until(lambda: (store.method("yantar") or {}).get("last4") == "0341", 10)
    stripe = system["stripe"].client()
    assert stripe.v1.payment_methods.retrieve(old["payment_method"])["customer"] is None
    new = store.method("yantar")
    assert stripe.v1.payment_methods.retrieve(new["payment_method"])["customer"] == customer
    assert "Visa •••• 0341" in portal_page(system, "yantar")


def test_turning_autopay_off_detaches_drops_and_says_so(system: dict[str, Any]) -> None:
    store = system["store"]
    if store.method("xinghe") is None:
        enrol(system, "xinghe", VISA)
        assert wait_until(lambda: store.method("xinghe") is not None, 10)
    method = store.method("xinghe")
    assert "•••• 4242" in portal_page(system, "xinghe")
    answer = autopay(system, "xinghe", "off")
    assert answer.status_code == 200
    assert '<html lang="zh-Hans">' in answer.text  # the client's language
    assert f"/c/{token('xinghe')}/index.html" in answer.text
    assert store.method("xinghe") is None
    assert store.customer("xinghe") == method["customer"]  # kept for next time
    stripe = system["stripe"].client()
    assert stripe.v1.payment_methods.retrieve(method["payment_method"])["customer"] is None
    assert "•••• 4242" not in portal_page(system, "xinghe")
    assert autopay(system, "xinghe", "off").status_code == 200  # twice: still off, no error


def test_a_wrong_token_or_unknown_client_is_the_same_404(system: dict[str, Any]) -> None:
    url = f"{system['url']}/autopay"
    answers = [
        httpx.post(url, data={"client": "harbor-light", "token": token("yantar"), "action": "on"}),
        httpx.post(url, data={"client": "nobody", "token": token("nobody"), "action": "on"}),
        httpx.post(url, data={"client": "../x", "token": token(), "action": "on"}),
        httpx.post(url, data={"client": "harbor-light", "token": token(), "action": "sideways"}),
    ]
    assert {a.status_code for a in answers} == {404}
    assert len({a.text for a in answers}) == 1 and "No such portal." in answers[0].text
    assert system["store"].customer("nobody") is None


def test_a_client_with_autopay_off_is_refused(system: dict[str, Any]) -> None:
    answer = autopay(system, "guanghua-tokyo", "on")
    said = Theme().translations("zh_Hant").gettext("Automatic payments are not offered")
    assert said != "Automatic payments are not offered"  # in the client's language
    assert answer.status_code == 409 and said in answer.text
    assert f"/c/{token('guanghua-tokyo')}/index.html" in answer.text
    assert system["store"].customer("guanghua-tokyo") is None  # nothing made at Stripe


def test_paying_with_autopay_on_saves_the_paying_method(system: dict[str, Any]) -> None:
    store = system["store"]
    plain = httpx.post(
        f"{system['url']}/checkout",
        data={"invoice": "INV-2026-0134", "token": token("yantar")},
        follow_redirects=False,
    )
    ticked = httpx.post(
        f"{system['url']}/checkout",
        data={"invoice": "INV-2026-0129", "token": token("open-trails"), "autopay": "on"},
        follow_redirects=False,
    )
    assert plain.status_code == ticked.status_code == 303
    opened = session(system, ticked.headers["location"])
    assert opened["customer"] == store.customer("open-trails") is not None
    assert not session(system, plain.headers["location"]).get("customer")
    stored = store.session(opened["id"])
    assert stored is not None and stored.autopay is True
    # the same invoice without the box: another session, not the one that saves the method
    again = httpx.post(
        f"{system['url']}/checkout",
        data={"invoice": "INV-2026-0129", "token": token("open-trails")},
        follow_redirects=False,
    )
    assert again.headers["location"] != ticked.headers["location"]
    system["stripe"].pay(opened["id"])
    assert wait_until(lambda: bool(store.payments("INV-2026-0129")), 10)
    assert wait_until(lambda: store.method("open-trails") is not None, 10)
    method = store.method("open-trails")
    assert (method["brand"], method["last4"]) == ("visa", "4242")
    paid = session(system, ticked.headers["location"])  # its payment intent, now it is paid
    intent = system["stripe"].client().v1.payment_intents.retrieve(paid["payment_intent"])
    assert intent["setup_future_usage"] == "off_session"
    assert intent["payment_method"] == method["payment_method"]


def test_a_currency_with_a_method_list_offers_only_those(system: dict[str, Any]) -> None:
    answer = httpx.post(
        f"{system['url']}/checkout",
        data={"invoice": "INV-2026-0136", "token": token("wislane-smaki")},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    opened = session(system, answer.headers["location"])
    assert set(opened["payment_method_types"]) <= {"card", "blik", "p24"}
    assert "card" in opened["payment_method_types"]
    setup = autopay(system, "wislane-smaki", "on")
    assert setup.status_code == 303
    assert set(session(system, setup.headers["location"])["payment_method_types"]) <= {
        "card",
        "blik",
        "p24",
    }


def test_the_return_before_saving_says_not_turned_on(system: dict[str, Any]) -> None:
    started = autopay(system, "batik-warisan", "on")
    opened = session(system, started.headers["location"])
    answer = httpx.get(f"{system['url']}/autopay/done", params={"session": opened["id"]})
    assert answer.status_code == 200 and "<h1>" in answer.text
    assert system["store"].method("batik-warisan") is None
    unknown = httpx.get(f"{system['url']}/autopay/done", params={"session": "cs_test_nope"})
    assert unknown.status_code == 404
