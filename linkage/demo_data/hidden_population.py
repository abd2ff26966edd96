"""A demo population that no list sees whole: who each source records, with source-dependent probabilities.

By default the demo generator gives every invented person at least one record, so nobody is unseen. With a
hidden population each source records each person independently, national offices with their own probability,
provincial offices only persons of their province; persons whom no source records are the dark figure that
multiple systems estimation (``laolink mse``) has to estimate. Captured persons get one record on a source,
sometimes more (``EXTRA_RECORDS`` is the mean number of further records).
"""

from __future__ import annotations

import numpy as np

from linkage.demo_data.sources import PROFILES

CAPTURE_PROBABILITY: dict[str, float] = {
    "MOPS-AHTD": 0.25,
    "MOLSW-DSW": 0.20,
    "TH-REPAT": 0.20,
    "BORDER-FRIENDSHIP-BRIDGE-1": 0.12,
    "MOLSW-LMI": 0.15,
    "PROV-SVK": 0.30,
    "PROV-CPS": 0.30,
}
EXTRA_RECORDS = 0.2
# The national lists, whose capture does not depend on where a person lives: the benchmark's MSE lists.
NATIONAL_SOURCES: tuple[str, ...] = tuple(p.source for p in PROFILES if p.home_province is None)


def capture_records(home_province: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(person index, profile index) of every record; ``home_province`` is each person's province code."""
    persons, sources = [], []
    for index, profile in enumerate(PROFILES):
        chance = np.full(len(home_province), CAPTURE_PROBABILITY[profile.source])
        if profile.home_province:
            chance[home_province != profile.home_province] = 0.0
        captured = np.flatnonzero(rng.random(len(home_province)) < chance)
        copies = 1 + rng.poisson(EXTRA_RECORDS, size=len(captured))
        persons.append(np.repeat(captured, copies))
        sources.append(np.full(int(copies.sum()), index))
    person, source = np.concatenate(persons), np.concatenate(sources)
    order = np.argsort(person, kind="stable")
    return person[order], source[order]
