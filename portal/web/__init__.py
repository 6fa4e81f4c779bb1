

# Registered before any route module compiles its paths.
from portal.web import convertors as _convertors  # noqa: F401
