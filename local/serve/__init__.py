"""``portal serve``: the whole system on this machine, on loopback, for trying it out.

``system`` wires and runs it: the build (into ``.portal/serve/``, with local
addresses), one server for the static site, the API (the same FastAPI app as on
Lambda) and the agency page, the local Stripe-compatible server, the outbox
drain and a watcher that rebuilds on edits. ``static`` serves the site with the
headers the CDN adds, ``agency_page`` is the local page for the agency (the
receivables are ``portal status``'s; ``mailbox`` reads the mail), ``watcher``
notices edits.
"""
