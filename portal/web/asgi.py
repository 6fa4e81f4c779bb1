"""Entry point for uvicorn: ``uvicorn portal.web.asgi:app``."""

from portal.config import get_settings
from portal.web.app import create_app
from portal.web.request_log import configure_logging

# Here, not in create_app: tests and embedding servers keep their own logging.
configure_logging(get_settings().log_format)
app = create_app()
