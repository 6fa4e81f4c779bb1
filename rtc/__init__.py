"""Video mediation media server (aiortc). Imports nothing from portal."""
