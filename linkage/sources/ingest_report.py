"""What an ingest did, per file and in total: for the CLI, the nightly's run report and the tests."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class FileReport:
    """What ingesting one file did. ``status``: ingested | already ingested | already rejected | rejected."""

    path: str
    status: str
    mapping: str | None = None
    encoding: str | None = None
    file_id: int | None = None
    read: int = 0
    stored: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    reason: str | None = None
    ignored_headers: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def adds_up(self) -> bool:
        return self.read == self.stored + self.updated + self.unchanged + self.quarantined


@dataclass
class IngestReport:
    """The outcome of one ingest call, per file and in total (for the CLI and the nightly job)."""

    files: list[FileReport] = field(default_factory=list)

    def _total(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files)

    @property
    def read(self) -> int:
        return self._total("read")

    @property
    def stored(self) -> int:
        return self._total("stored")

    @property
    def updated(self) -> int:
        return self._total("updated")

    @property
    def unchanged(self) -> int:
        return self._total("unchanged")

    @property
    def quarantined(self) -> int:
        return self._total("quarantined")

    @property
    def rejected(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "rejected"]

    def totals(self) -> dict[str, int]:
        return {k: self._total(k) for k in ("read", "stored", "updated", "unchanged", "quarantined")}

    def to_dict(self) -> dict[str, object]:
        return {"files": [asdict(f) for f in self.files], "totals": self.totals(),
                "rejected_files": len(self.rejected)}
