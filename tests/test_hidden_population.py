"""The demo generator's hidden population: sources record persons independently, some persons never."""

import numpy as np
import pytest

from linkage.demo_data.generate import build_world
from linkage.demo_data.hidden_population import CAPTURE_PROBABILITY
from linkage.demo_data.places import PROVINCES
from linkage.demo_data.sources import PROFILES

PERSONS = 4000


@pytest.fixture(scope="module")
def world():
    return build_world(PERSONS, 21, 1, hidden=True)


def test_about_a_third_of_the_persons_is_recorded_by_no_source(world):
    recorded = len(np.unique(world.person))
    assert 0.25 * PERSONS < PERSONS - recorded < 0.45 * PERSONS


def test_each_national_source_records_its_share_of_everyone(world):
    for index, profile in enumerate(PROFILES):
        if profile.home_province is None:
            share = len(np.unique(world.person[world.source == index])) / PERSONS
            assert share == pytest.approx(CAPTURE_PROBABILITY[profile.source], abs=0.025), profile.source


def test_provincial_offices_record_only_persons_of_their_province(world):
    home = np.array([p.code for p in PROVINCES])[world.villages.province[world.persons.village]]
    for index, profile in enumerate(PROFILES):
        if profile.home_province:
            recorded = np.unique(world.person[world.source == index])
            assert len(recorded) > 0
            assert set(home[recorded]) == {profile.home_province}


def test_same_seed_same_world(world):
    again = build_world(PERSONS, 21, 1, hidden=True)
    assert np.array_equal(world.person, again.person) and np.array_equal(world.source, again.source)
