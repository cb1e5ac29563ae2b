"""Re-publishing one client after a payment: the build's own rendering, from the snapshot.

The snapshot (``build/clients/<id>.json``) holds the client's content; the
store adds every payment recorded since. The pages are rendered by the same
code as the build (``site_builder.generators.render_portal``), compared with
what the site holds, and only the difference is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from functions.recorded import with_store_payments
from functions.site import Site
from functions.snapshots import Snapshots
from functions.store.base import Store
from site_builder.billing.reminders import resolve_reminders
from site_builder.bundle import accounts
from site_builder.generators import render_portal
from site_builder.ledger import ledger_entry, pages_change
from site_builder.render import Theme
from site_builder.tokens import client_token


class UnknownClient(LookupError):
    """No snapshot for the client: nothing can be rendered until the next build."""


@dataclass
class Published:
    written: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


def republish(
    client_id: str,
    *,
    snapshots: Snapshots,
    store: Store,
    site: Site,
    theme: Theme,
    secret: str,
    today: date,
) -> Published:
    """Bring one client's pages up to date with the store; returns what changed."""
    bundle = snapshots.load(client_id)
    if bundle is None:
        raise UnknownClient(client_id)
    counted = with_store_payments(bundle, store)
    figures = accounts(counted, today)
    token = client_token(secret, client_id, bundle.client.token_version)
    pages = dict(render_portal(counted, figures, token, theme))

    prefix = f"c/{token}/"
    held = site.fingerprints(prefix)
    report = Published()
    for path, data in pages.items():
        if held.get(path) != site.fingerprint(data):
            site.put(path, data)
            report.written.append(path)
    report.deleted = sorted(set(held) - set(pages))
    site.delete(report.deleted)
    # the ledger follows, so the reminders job sees the invoice paid at once (with its
    # schedule: the store then takes a paid entry out of the reminder index, and puts
    # one that a refund reopened back in)
    cadence = resolve_reminders(bundle.agency.reminders, bundle.client.reminders)
    # the snapshot's retainers are expanded already: a new period waits for the next build
    change = pages_change(figures)
    store.put_invoices(
        {a.invoice.number: ledger_entry(client_id, a, cadence, change) for a in figures}
    )
    return report
