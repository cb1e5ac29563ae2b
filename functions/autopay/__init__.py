"""Automatic payments: enrolment (``enrol``: /autopay and its return page), the saved method
from Stripe's events (``saved``), the Stripe objects it asks for (``stripe_api``), and the
daily charges."""
