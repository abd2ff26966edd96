"""Real demo deployments for the reliability and security tests: demo inbox, model, a nightly-built store.

``demo_inbox(out, night)`` writes one night of the demo generator's source files into ``out/inbox``;
``demo_model()`` is the shipped ``models/demo.json``; ``nightly_store(base, model)`` runs the real nightly
job and returns its --db path; ``published(db, sql)`` reads the snapshot a deployment serves now.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from linkage.model.shipped import DEFAULT_MODEL
from linkage.nightly import NightlyConfig, run_nightly
from linkage.paths import store_paths
from linkage.publishing.publish import current_snapshot

PERSONS = 200
SEED = 3


def demo_inbox(out: Path, night: int = 1, persons: int = PERSONS, seed: int = SEED) -> Path:
    """``laolink demo-data --persons N --seed S`` for one night, its files moved into ``out/inbox``."""
    from linkage.demo_data.generate import generate

    generate(out, persons, seed=seed, night=night)
    inbox = out / "inbox"
    inbox.mkdir(exist_ok=True)
    for f in out.glob(f"night{night}_*"):
        shutil.move(f, inbox / f.name)
    return inbox


def demo_model() -> Path:
    """The shipped demo model (``models/demo.json``)."""
    assert DEFAULT_MODEL.is_file(), f"{DEFAULT_MODEL} is missing: train it with `laolink train`"
    return DEFAULT_MODEL


def nightly_store(base: Path, model: Path, night: int = 1) -> Path:
    """A deployment in ``base`` after a real nightly run of demo night ``night``; returns the --db path."""
    inbox = demo_inbox(base / "demo", night=night)
    db = base / "laolink.duckdb"
    run_nightly(NightlyConfig(inbox=inbox, db=db, model=model, threads=1))
    return db


def published(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    """The rows of ``sql`` on the snapshot that store ``db``'s readers are served now."""
    con = duckdb.connect(str(current_snapshot(store_paths(db))), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
