"""Mediation agreements and minutes: drafting, versions, multi-party signing, verification.

The papers themselves (PDF, signatures, checks) come from ``documents``; this package keeps
who signs what, in which order, and moves the case on.
"""
