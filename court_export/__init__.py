"""Court case packages: build, verify, deliver, receive. Imports nothing from portal."""
