"""The models LaoLink ships, as package data: installed as ``linkage.model.shipped_models`` (pyproject.toml)."""
