"""Entry point for uvicorn: ``uvicorn portal.web.asgi:app``."""

import gc

from portal.config import get_settings
from portal.web.app import create_app
from portal.web.request_log import configure_logging

# Here, not in create_app: tests and embedding servers keep their own logging.
configure_logging(get_settings().log_format)
app = create_app()
# Everything made so far (modules, the app, its routes and templates) lives as long as the
# process: out of the collector's sight, its full collections stop walking it. Without this
# they paused the case pages for ~150 ms now and then (p99 on PostgreSQL at 50 clients:
# ~150 ms, with it ~30 ms; bench/web.py). Here rather than in create_app, which tests call
# many times and whose objects must stay collectable there.
gc.freeze()
