"""The case file: legal papers generated from a case's data, and the one-click dossier (卷宗).

``mapping`` turns portal rows into the plain dataclasses of ``documents``; ``papers`` renders
and caches single papers; ``dossier`` gathers everything a dossier holds; ``jobs`` runs its
build as a background job whose progress the case page polls.
"""
