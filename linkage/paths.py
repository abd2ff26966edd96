"""Where each part of a LaoLink deployment lives, derived from the one `--db` path.

- ``<db>``: the pipeline store (DuckDB), written only by pipeline steps (one writer).
- ``<db stem>.published/``: read-only DuckDB snapshots, one per published run, and a
  ``CURRENT`` file naming the one being served; the API only ever reads these, so a
  nightly run never blocks readers and readers never see a half-written result.
- ``<db stem>.service.sqlite``: what people and systems write while the service runs
  (decisions, users, API keys, sessions, audit log, records posted for the next run).
  SQLite in WAL mode lets the API write while the nightly job reads decisions.
- ``<db stem>.gazetteer_aliases.yaml``: place names as this deployment's records write them, with the
  gazetteer code each stands for; read by the standardizer beside the packaged aliases.
- ``<db stem>.vocabulary.yaml``: words for role, case type and exploitation as this deployment's records write
  them, with the code each stands for; read by the standardizer beside the built-in words.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StorePaths:
    db: Path

    @property
    def published_dir(self) -> Path:
        return self.db.with_name(self.db.stem + ".published")

    @property
    def current_pointer(self) -> Path:
        return self.published_dir / "CURRENT"

    @property
    def service_db(self) -> Path:
        return self.db.with_name(self.db.stem + ".service.sqlite")

    @property
    def work_dir(self) -> Path:
        """Scratch space for DuckDB spilling and Splink materialisation."""
        return self.db.with_name(self.db.stem + ".work")

    @property
    def models_dir(self) -> Path:
        """The model the nightly job learned from this store, with its model card."""
        return self.db.with_name(self.db.stem + ".models")

    @property
    def gazetteer_aliases(self) -> Path:
        """The deployment's own place aliases (``laolink gazetteer alias add``), beside the built-in ones."""
        return self.db.with_name(self.db.stem + ".gazetteer_aliases.yaml")

    @property
    def vocabulary(self) -> Path:
        """The deployment's own words for role, case type and exploitation (``laolink vocabulary add``)."""
        return self.db.with_name(self.db.stem + ".vocabulary.yaml")


def store_paths(db: str | os.PathLike[str]) -> StorePaths:
    return StorePaths(Path(db).resolve())
