"""The stand-alone receiver for uvicorn and docker-compose, configured from COURT_* variables:

    uvicorn court_export.receiver.asgi:app
"""

from court_export.receiver.app import create_app
from court_export.receiver.config import ReceiverConfig

app = create_app(ReceiverConfig.from_env())
