"""The serverless side: checkout, webhooks, reminders (see DESIGN.md, "The functions")."""
