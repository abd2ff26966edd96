"""LaoLink HTTP API and review page."""
