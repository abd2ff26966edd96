"""Read the published snapshot (and the service DB where decisions are involved) for the API.

Pure functions of a DuckDB connection: no FastAPI here, so the review page, the CLI and
tests can call them directly. Records are returned in full; routes mask them per principal.
"""
