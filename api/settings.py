"""Service settings: one object read from ``LAOLINK_*`` environment variables (or passed in by tests)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from linkage.paths import StorePaths, store_paths
from linkage.service.auth import LoginPolicy


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LAOLINK_", extra="ignore")

    db: Path = Field(Path("var/laolink.duckdb"), description="the pipeline store; every other path derives from it")
    inbox: Path | None = Field(None, description="the folder of ministry files that POST /runs ingests")
    secure_cookies: bool = Field(False, description="always mark cookies Secure (https requests get it anyway)")
    session_hours: float = Field(12.0, gt=0)
    max_body_bytes: int = Field(1_000_000, gt=0, description="larger request bodies get 413")
    default_page_size: int = Field(50, gt=0)
    seconds_per_review_item: float = Field(10.0, gt=0, description="steward time an item of the review queue takes")
    max_page_size: int = Field(500, gt=0)
    login_max_failures: int = Field(5, gt=0, description="failed log-ins of one user within the window before lock-out")
    login_window_minutes: float = Field(15.0, gt=0)
    login_lockout_minutes: float = Field(15.0, gt=0)
    login_max_address_failures: int = Field(50, gt=0, description="failed log-ins from one address within the window")
    # NORMAL (WAL): a committed audit row survives a crash or kill of the server; only a power loss or kernel
    # crash may lose the last moments. FULL also waits for the disk (about +5-15 ms per answer at 16 clients).
    audit_synchronous: Literal["FULL", "NORMAL"] = Field("NORMAL", description="SQLite synchronous for audit rows")
    # The reconciliation service's links (identifier space, view, preview, suggest) are built from this address,
    # never from the request's Host header, so they stay the same however the server is reached.
    public_url: str | None = Field(None, description="the address clients use, e.g. https://laolink.example.org")
    cors_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        (), description="comma-separated web origins allowed to call the reconciliation service from a browser")

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ValueError(f"LAOLINK_PUBLIC_URL must be http(s)://host[:port][/path], not {value!r}")
        return value.strip().rstrip("/")

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _cors_origins(cls, value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
        items = value.split(",") if isinstance(value, str) else value
        origins = []
        for item in (i.strip() for i in items):
            if not item:
                continue
            parts = urlsplit(item)
            if parts.scheme not in ("http", "https") or not parts.netloc or item != f"{parts.scheme}://{parts.netloc}":
                raise ValueError(f"LAOLINK_CORS_ORIGINS: {item!r} is not an origin like https://host[:port] "
                                 "(no path, no wildcard)")
            origins.append(item)
        return tuple(origins)

    @property
    def paths(self) -> StorePaths:
        return store_paths(self.db)

    @property
    def login_policy(self) -> LoginPolicy:
        return LoginPolicy(
            max_failures=self.login_max_failures,
            window=timedelta(minutes=self.login_window_minutes),
            lockout=timedelta(minutes=self.login_lockout_minutes),
            max_address_failures=self.login_max_address_failures,
        )
