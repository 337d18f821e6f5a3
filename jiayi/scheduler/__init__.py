"""APScheduler wiring and jobs: plan pushes, plan reminders, run the outbox dispatcher.

Like bot/, an entry point: it calls services and never touches SQL.
"""
