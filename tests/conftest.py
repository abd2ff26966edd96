"""Fixtures shared by the whole suite. The real-server API fixtures live in tests/api_server.py (read its docstring)."""

pytest_plugins = ["api_server"]
