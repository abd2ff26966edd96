"""The blocking rules LaoLink ships, as package data: installed as ``linkage.model.blocking_rules`` (pyproject.toml)."""
