"""Reminders before and after due dates: the job (``job.run``) and its email (``mail``).

The schedule's rules are pure and live with the billing rules
(``site_builder.billing.reminders``); the store indexes each entry's next reminder day.
"""
