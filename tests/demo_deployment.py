"""Real demo deployments for the reliability and security tests: demo inbox, model, a nightly-built store.

``demo_inbox(out, night)`` writes one night of the demo generator's source files into ``out/inbox``;
``demo_model(base)`` is the shipped ``models/demo.json``, or (while none is committed) a model trained
on a demo store in ``base``; ``nightly_store(base)`` runs the real nightly job and returns its --db path.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from linkage.nightly import DEFAULT_MODEL, NightlyConfig, run_nightly

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


def demo_model(base: Path) -> Path:
    """The shipped demo model, or one trained on demo data into ``base`` when none is committed yet."""
    if DEFAULT_MODEL.is_file():
        return DEFAULT_MODEL
    out = base / "model" / "demo.json"
    if out.is_file():
        return out
    from linkage.ingest import ingest_files
    from linkage.standardize import standardize
    from linkage.store import connect
    from linkage.training import train

    inbox = demo_inbox(base / "train-data", persons=400, seed=5)
    con = connect(base / "train-data" / "train.duckdb")
    try:
        ingest_files(con, sorted(inbox.iterdir()))
        standardize(con)
        train(con, out, work_dir=base / "train-data" / "work")
    finally:
        con.close()
    return out


def nightly_store(base: Path, model: Path, night: int = 1) -> Path:
    """A deployment in ``base`` after a real nightly run of demo night ``night``; returns the --db path."""
    inbox = demo_inbox(base / "demo", night=night)
    db = base / "laolink.duckdb"
    run_nightly(NightlyConfig(inbox=inbox, db=db, model=model, threads=1))
    return db
