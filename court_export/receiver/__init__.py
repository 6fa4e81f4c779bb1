"""The reference court receiver: a separate Starlette application that accepts case
packages, lets clerks docket or reject them, and calls the platform back.

Imports nothing from portal. ``create_app(ReceiverConfig(...))`` in court_export.receiver.app.
"""
