"""Legal documents: PDF rendering, signing, dossier. Imports nothing from portal."""
