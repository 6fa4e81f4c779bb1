"""Mediation sessions: scheduling, notices, reminders, and the data the video room keeps.

A "meeting" in this package's code is a ``MediationSession`` row; ``session`` is always
the database session, as everywhere else in the portal.
"""
