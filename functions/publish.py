"""Re-publishing one client after a payment: the build's own rendering, from the snapshot.

The snapshot (``build/clients/<id>.json``) holds the client's content; the
store adds every payment recorded since. The pages are rendered by the same
code as the build (``site_builder.generators.render_portal``), compared with
what the site holds, and only the difference is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from functions.deliveries import republished
from functions.pdfs import pages_with_pdfs
from functions.recorded import with_store_payments
from functions.site import Site
from functions.snapshots import Snapshots
from functions.store.base import Store
from site_builder.billing.autopay import autopay_policy, promised_until
from site_builder.billing.reminders import resolve_reminders
from site_builder.bundle import accounts, issue_day
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
    pdfs: bool | None = None,
) -> Published:
    """Bring one client's pages up to date with the store; returns what changed.

    ``pdfs``: whether the documents' PDFs may be rendered here (None: where WeasyPrint runs;
    ``functions.pdfs`` says what happens to them where it does not).
    """
    bundle = snapshots.load(client_id)
    if bundle is None:
        raise UnknownClient(client_id)
    counted = with_store_payments(bundle, store)
    figures = accounts(counted, today)
    token = client_token(secret, client_id, bundle.client.token_version)
    prefix = f"c/{token}/"
    held = site.fingerprints(prefix)
    pages, kept = pages_with_pdfs(counted, figures, token, theme, site, held, render=pdfs)
    report = Published()
    for path, data in pages.items():
        if held.get(path) != site.fingerprint(data):
            site.put(path, data)
            report.written.append(path)
    report.deleted = sorted(set(held) - set(pages) - kept)
    site.delete(report.deleted)
    # the ledger follows, so the reminders job sees the invoice paid at once (with its
    # schedule: the store then takes a paid entry out of the reminder index, and puts
    # one that a refund reopened back in)
    cadence = resolve_reminders(bundle.agency.reminders, bundle.client.reminders)
    # the snapshot's retainers are expanded already: a new period waits for the next build;
    # a future-dated invoice is in it, and published on its day (``issue_day``)
    promised = None
    if counted.autopay is not None:  # a charge line is gone the day after its day
        promised = promised_until(figures, autopay_policy(bundle.agency, bundle.client))
    change = pages_change(figures, issue_day(counted, today), promised)
    # through the deliveries: an invoice published today is new to the store, and emailed
    republished(
        store,
        {a.invoice.number: ledger_entry(client_id, a, cadence, change) for a in figures},
        today,
    )
    return report
