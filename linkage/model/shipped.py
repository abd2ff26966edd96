"""What LaoLink ships beside its code, read as package data: the blocking rules and the demo model.

``blocking_rules/`` and ``models/`` stay at the repository top; pyproject.toml installs them as the packages
``linkage.model.blocking_rules`` and ``linkage.model.shipped_models``, so that an installed wheel has them too.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from linkage.errors import LaoLinkError


def _folder(package: str) -> Path:
    folder = files(package)
    if not isinstance(folder, Path):  # e.g. a zipped install: the YAML and JSON files are read by path
        raise LaoLinkError(f"{package} is not installed as a folder on disk ({folder}): install laolink unzipped")
    return folder


RULES_DIR = _folder("linkage.model.blocking_rules")
PREDICT_RULES = RULES_DIR / "predict.yaml"
TRAIN_RULES = RULES_DIR / "train.yaml"
DEFAULT_MODEL = _folder("linkage.model.shipped_models") / "demo.json"
