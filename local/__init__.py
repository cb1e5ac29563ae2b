"""The local system: the whole product on one machine, for agencies trying it and for tests.

``serve`` (``portal serve``: site, API, agency page, outbox drain, watcher), ``stripe_server``
(a Stripe-compatible server with a hosted checkout page) and ``emulated`` (what moto's
CloudFormation lacks, made through each service's API when a deploy targets it). It sits above
``functions/`` and beside ``infra/``, and nothing below imports it: it never ships to Lambda.
"""
