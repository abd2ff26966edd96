"""Write one night's synthetic source files, the truth and the expected quarantine.

Night 1 (the default) is the base: about 2.5 records per person spread over seven sources. Night K
(K >= 2) of the same seed and size writes only the files arriving that night: about 10% new records
(most for known persons, some for new ones) and about 2% changed re-sends of earlier records (same
source and record_id, one or two fields edited). Files are named ``night<K>_<source>.<ext>``:

- ``night<K>_mops_ahtd.csv``, ``night<K>_molsw_lmi.csv``, ``night<K>_prov_svk.csv``, ``night<K>_prov_cps.csv``:
  exchange format, UTF-8;
- ``night<K>_molsw_dsw.xlsx``: own headers (mapping ``molsw_dsw``); above 100,000 rows it is written
  as ``night<K>_molsw_dsw.csv`` instead, UTF-8 with BOM, same headers;
- ``night<K>_th_repat.csv``: own Thai/English headers, Windows-874 (cp874), Buddhist-Era dates;
- ``night<K>_border_fb1.csv``: own headers, UTF-16 with BOM.

``truth.csv`` (``source,record_id,person_id``) covers every good record of nights 1..K.
``expected_quarantine.csv`` (``file,line,record_id,field,reason``) lists the deliberately bad rows of
nights 1..K (a few per 10,000: no record_id, a record_id repeated later in the same file, an unreadable
date in a column the mapping marks mandatory); ``line`` is the physical line (CSV) or sheet row (XLSX),
the header being line 1. The same arguments always give the same bytes.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from linkage.demo_data.files import write_csv, write_xlsx
from linkage.demo_data.hidden_population import capture_records
from linkage.demo_data.places import PROVINCES, Villages, make_villages
from linkage.demo_data.population import Persons, concat_persons, make_persons
from linkage.demo_data.shift import Shift
from linkage.demo_data.sources import PROFILES, XLSX_MAX_ROWS, Profile, RecordBatch, render_rows
from linkage.sources.exchange_format import EXCHANGE_COLUMNS

RECORDS_PER_PERSON = np.array([1, 2, 3, 4, 5, 6])
RECORDS_PER_PERSON_P = np.array([0.25, 0.30, 0.22, 0.13, 0.07, 0.03])  # mean about 2.56
NEW_SHARE, NEW_PERSON_SHARE, RESEND_SHARE = 0.10, 0.30, 0.02
BAD_PER_10K = 1.3  # per kind and file
EDIT_GROUPS = (("full_name", "given_name", "family_name"), ("date_of_birth", "age"), ("sex",), ("nationality",),
               ("province",), ("district",), ("village",), ("phone",), ("id_number",))
_COL = {c: i for i, c in enumerate(EXCHANGE_COLUMNS)}
_BASE_DAY = np.datetime64("2015-01-01")
_NIGHT1_DAY = np.datetime64("2026-10-01")
EPISODE_DAYS = 30  # a passage's records are made within this many days of its first (Shift.episodes)
_BAD_DATES = ("31/02/{y}", "99/99/{y}", "unknown", "??/??/{y}", "0000-00-00", "32/13/{y}")


@dataclass
class World:
    """Everything generated up to a night, as metadata (rows are rendered only for the night written)."""

    seed: int
    villages: Villages
    persons: Persons
    source: np.ndarray  # profile index per record
    person: np.ndarray
    night: np.ndarray
    event: np.ndarray  # datetime64[D]
    record_id: list[str]
    resends: dict[int, np.ndarray]  # night -> record indices re-sent that night
    first_record: np.ndarray  # the record is its person's first (by night, event date, index)


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng([seed, *key])


def _record_id(profile: Profile, seq: int, day: np.datetime64) -> str:
    year = int(str(day)[:4])
    return {
        "mops_ahtd": f"AHTD-{year % 100:02d}-{seq:06d}",
        "molsw_dsw": f"DSW-{year}-{seq:06d}",
        "th_repat": f"TH-{seq:07d}",
        "border_fb1": f"FB1-{year}{seq:07d}",
        "molsw_lmi": f"LMI{seq:08d}",
        "prov_svk": f"SVK/{year}/{seq:05d}",
        "prov_cps": f"CPS-{seq:06d}",
    }[profile.slug]


PROVINCIAL_SHARE = 0.3  # of the records of persons from a province with its own office in the demo


def _sources_for(persons: Persons, villages: Villages, person: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    national = np.array([p.weight for p in PROFILES])
    source = rng.choice(len(PROFILES), size=len(person), p=national / national.sum())
    home = np.array([p.code for p in PROVINCES])[villages.province[persons.village[person - persons.first]]]
    local = rng.random(len(person)) < PROVINCIAL_SHARE
    for i, profile in enumerate(PROFILES):
        if profile.home_province:
            source[local & (home == profile.home_province)] = i
    return source


def build_world(n_persons: int, seed: int, nights: int, hidden: bool = False, episodes: float = 0.0) -> World:
    """Persons, records and re-sends of nights 1..``nights``; deterministic for the arguments.

    ``hidden``: sources record persons independently (linkage.demo_data.hidden_population), some persons never.
    ``episodes``: the share of a person's later night-1 records made within a month of the first (``_in_episodes``).
    """
    villages = make_villages(max(20, n_persons // 30), _rng(seed, 0, 1))
    parts = [make_persons(n_persons, villages, _rng(seed, 1, 2))]
    persons = parts[0]
    rng = _rng(seed, 1, 3)
    if hidden:
        home = np.array([p.code for p in PROVINCES])[villages.province[persons.village]]
        person, captured_source = capture_records(home, _rng(seed, 1, 4))
    else:
        counts = rng.choice(RECORDS_PER_PERSON, size=n_persons, p=RECORDS_PER_PERSON_P)
        person = np.repeat(np.arange(n_persons), counts)
    span = int((_NIGHT1_DAY - _BASE_DAY).astype(int))
    event = _BASE_DAY + rng.integers(0, span, size=len(person)).astype("timedelta64[D]")
    if episodes:
        event = _in_episodes(person, event, episodes, span, _rng(seed, 1, 5))
    night = np.ones(len(person), dtype=np.int64)
    n_base = len(person)
    source = captured_source if hidden else _sources_for(persons, villages, person, rng)
    resends: dict[int, np.ndarray] = {}
    for k in range(2, nights + 1):
        rng = _rng(seed, k, 3)
        n_new = max(1, round(NEW_SHARE * n_base))
        n_for_new = round(NEW_PERSON_SHARE * n_new)
        n_new_persons = max(1, round(n_for_new / 1.5))
        new = make_persons(n_new_persons, villages, _rng(seed, k, 2), first=len(persons),
                           first_household=int(persons.household.max()) + 1)
        persons = concat_persons([persons, new])
        for_new = new.first + rng.integers(0, n_new_persons, size=max(n_for_new, n_new_persons))
        for_new[:n_new_persons] = new.first + np.arange(n_new_persons)  # every new person gets a record
        for_old = rng.integers(0, new.first, size=max(0, n_new - len(for_new)))
        k_person = np.concatenate([for_new, for_old])
        earlier = np.flatnonzero(night < k)
        taken = np.concatenate(list(resends.values())) if resends else np.array([], dtype=np.int64)
        pool = np.setdiff1d(earlier, taken)
        resends[k] = np.sort(rng.choice(pool, size=min(len(pool), max(1, round(RESEND_SHARE * n_base))),
                                        replace=False))
        day = _NIGHT1_DAY + np.timedelta64(k - 2, "D")
        k_event = day - rng.integers(1, 90, size=len(k_person)).astype("timedelta64[D]")
        person = np.concatenate([person, k_person])
        event = np.concatenate([event, k_event])
        night = np.concatenate([night, np.full(len(k_person), k)])
        source = np.concatenate([source, _sources_for(persons, villages, k_person, rng)])

    record_id = [""] * len(person)
    for s, profile in enumerate(PROFILES):
        idx = np.flatnonzero(source == s)
        idx = idx[np.lexsort((idx, event[idx], night[idx]))]
        for seq, i in enumerate(idx.tolist(), start=1):
            record_id[i] = _record_id(profile, seq, event[i])
    order = np.lexsort((np.arange(len(person)), event, night, person))
    first_record = np.zeros(len(person), dtype=bool)
    first_record[order[np.r_[True, person[order][1:] != person[order][:-1]]]] = True
    return World(seed, villages, persons, source, person, night, event, record_id, resends, first_record)


def _in_episodes(person: np.ndarray, event: np.ndarray, share: float, span: int,
                 rng: np.random.Generator) -> np.ndarray:
    """``event`` with a ``share`` of each person's later records moved to within EPISODE_DAYS after the person's
    first: one passage through the offices (a repatriation, the border crossing, a shelter's admission, a case)
    leaves records days apart. Without it a person's records are spread over the years at random."""
    days = (event - _BASE_DAY).astype(np.int64)
    first = np.full(int(person.max()) + 1, span, dtype=np.int64)
    np.minimum.at(first, person, days)
    u = rng.random((len(person), 2))
    moved = (u[:, 0] < share) & (days != first[person])
    days = np.where(moved, np.minimum(first[person] + (u[:, 1] * (EPISODE_DAYS + 1)).astype(np.int64), span - 1), days)
    return _BASE_DAY + days.astype("timedelta64[D]")


def _batch(world: World, s: int, k: int) -> tuple[RecordBatch, np.ndarray]:
    idx = np.flatnonzero((world.source == s) & (world.night == k))
    idx = idx[np.lexsort((idx, world.event[idx]))]
    ev = world.event[idx]
    years = ev.astype("datetime64[Y]").astype(int) + 1970
    months = ev.astype("datetime64[M]").astype(int) % 12 + 1
    days = (ev - ev.astype("datetime64[M]")).astype(int) + 1
    batch = RecordBatch(PROFILES[s].source, k, world.person[idx], [world.record_id[i] for i in idx.tolist()],
                        years, months, days, world.first_record[idx])
    return batch, idx


@dataclass
class FilePlan:
    """One night's file of one source: good records and deliberately bad rows, in line order."""

    name: str
    profile: Profile
    entries: list[tuple]  # ("new", record) | ("resend", record) | ("bad", kind, content_record, record_id)


def file_name(profile: Profile, night: int, n_rows: int) -> str:
    ext = "xlsx" if profile.file_format == "xlsx" and n_rows <= XLSX_MAX_ROWS else "csv"
    return f"night{night}_{profile.slug}.{ext}"


def plan_files(world: World, k: int) -> list[FilePlan]:
    """The files of night ``k`` with their rows in order, bad rows placed (metadata only)."""
    plans = []
    resent = world.resends.get(k, np.array([], dtype=np.int64))
    for s, profile in enumerate(PROFILES):
        _, new_idx = _batch(world, s, k)
        res_idx = resent[world.source[resent] == s]
        good = [("new", int(i)) for i in new_idx] + [("resend", int(i)) for i in res_idx]
        if not good:
            continue
        rng = _rng(world.seed, k, 100 + s)
        n_bad = max(1, round(len(good) * BAD_PER_10K / 10_000))
        keys = [float(i) for i in range(len(good))]
        entries = list(good)
        kinds = ["missing_record_id", "duplicate_record_id"] + (["unreadable_date"] if profile.mandatory_date else [])
        serial = 0
        for kind in kinds:
            for _ in range(n_bad):
                content = good[int(rng.integers(len(good)))][1]
                if kind == "duplicate_record_id":
                    orig = int(rng.integers(len(good)))
                    rid = world.record_id[good[orig][1]]
                    keys.append(orig + 0.5 + float(rng.random()) * (len(good) - orig))
                else:
                    serial += 1
                    rid = "" if kind == "missing_record_id" else f"{world.record_id[content]}-X{serial}"
                    keys.append(float(rng.random()) * len(good))
                entries.append(("bad", kind, content, rid))
        order = sorted(range(len(entries)), key=lambda i: keys[i])
        n_rows = len(entries)
        plans.append(FilePlan(file_name(profile, k, n_rows), profile, [entries[i] for i in order]))
    return plans


def expected_quarantine(world: World, nights: int) -> list[tuple[str, int, str, str, str]]:
    """(file, line, record_id, field, reason) of every deliberately bad row of nights 1..``nights``."""
    out = []
    for k in range(1, nights + 1):
        for plan in plan_files(world, k):
            for line, entry in enumerate(plan.entries, start=2):
                if entry[0] != "bad":
                    continue
                kind, rid = entry[1], entry[3]
                column = {"missing_record_id": "record_id", "duplicate_record_id": "record_id"}.get(
                    kind, plan.profile.mandatory_date or "")
                out.append((plan.name, line, rid, column, kind))
    return out


def _edit(row: tuple[str, ...], alt: tuple[str, ...], columns: set[str], u: np.ndarray) -> tuple[str, ...]:
    """``row`` with one or two field groups taken from ``alt`` (another rendering of the same record)."""
    groups = [g for g in EDIT_GROUPS if any(c in columns for c in g)]
    changed = [g for g in groups if any(row[_COL[c]] != alt[_COL[c]] for c in g)]
    if not changed:  # nothing differs: the office adds the phone or corrects the village by hand
        out = list(row)
        col = "village" if "village" in columns else "phone"
        out[_COL[col]] = (row[_COL[col]] + " (corrected)").strip()
        return tuple(out)
    order = [changed[int(x * len(changed))] for x in u]
    chosen = order[:1] if u[0] < 0.6 or len(changed) == 1 else list(dict.fromkeys(order[:2]))
    out = list(row)
    for g in chosen:
        for col in g:
            out[_COL[col]] = alt[_COL[col]]
    return tuple(out)


def render_file(world: World, plan: FilePlan, k: int) -> list[tuple[str, ...]]:
    """The rows of one planned file, in exchange-column order."""
    s = [p.source for p in PROFILES].index(plan.profile.source)
    rows: dict[int, tuple[str, ...]] = {}
    batch, idx = _batch(world, s, k)
    pos_of = {int(r): i for i, r in enumerate(idx.tolist())}
    new_recs = [e[1] for e in plan.entries if e[0] == "new"]
    for rec, row in zip(new_recs, render_rows(plan.profile, batch, world.persons, world.villages, world.seed,
                                              np.array([pos_of[r] for r in new_recs], dtype=np.int64)), strict=True):
        rows[rec] = row
    columns = set(plan.profile.headers or EXCHANGE_COLUMNS)
    res = [e[1] for e in plan.entries if e[0] == "resend"]
    u = _rng(world.seed, k, 200 + s).random((len(res), 2))
    u_of = {r: u[i] for i, r in enumerate(res)}
    for night in sorted({int(world.night[r]) for r in res}):
        recs = [r for r in res if world.night[r] == night]
        old_batch, old_idx = _batch(world, s, night)
        old_pos = {int(r): i for i, r in enumerate(old_idx.tolist())}
        sub = np.array([old_pos[r] for r in recs], dtype=np.int64)
        first = render_rows(plan.profile, old_batch, world.persons, world.villages, world.seed, sub)
        alt = render_rows(plan.profile, old_batch, world.persons, world.villages, world.seed, sub, purpose=k)
        for r, a, b in zip(recs, first, alt, strict=True):
            rows[r] = _edit(a, b, columns, u_of[r])
    out = []
    serial = 0
    for entry in plan.entries:
        if entry[0] != "bad":
            out.append(rows[entry[1]])
            continue
        serial += 1
        kind, content, rid = entry[1], entry[2], entry[3]
        row = list(rows[content])
        row[_COL["record_id"]] = rid
        if kind == "unreadable_date":
            col = _COL[plan.profile.mandatory_date or "event_date"]
            year = row[col][-4:] if row[col][-4:].isdigit() else "2020"
            row[col] = _BAD_DATES[serial % len(_BAD_DATES)].format(y=year)
        out.append(tuple(row))
    return out


def write_file(path: Path, profile: Profile, rows: list[tuple[str, ...]]) -> None:
    """Write rows in the profile's own shape: its headers, its format, its encoding."""
    if profile.headers:
        cols = [_COL[c] for c in profile.headers]
        header = list(profile.headers.values())
        table = [[r[i] for i in cols] for r in rows]
    else:
        header, table = list(EXCHANGE_COLUMNS), [list(r) for r in rows]
    if path.suffix == ".xlsx":
        write_xlsx(path, header, table)
    else:
        write_csv(path, header, table, profile.encoding)


def _male_of_rows(world: World, rows: list[tuple[str, ...]]) -> list[bool]:
    """The sex of each row's person (by record id; a deliberately bad row's unknown id counts as male)."""
    person_of = dict(zip(world.record_id, world.person.tolist(), strict=True))
    male = world.persons.male
    return [bool(male[person_of[r[0]]]) if r[0] in person_of else True for r in rows]


def generate(out: Path, n_persons: int, seed: int, night: int = 1,
             on_file: Callable[[Path, int], None] | None = None, shift: Shift | None = None,
             hidden: bool = False) -> dict[str, int]:
    """Write night ``night``'s files, truth.csv and expected_quarantine.csv into ``out``; rows per file.

    ``shift``: write the same world as offices that behave differently (``linkage.demo_data.shift``);
    ``hidden``: some persons are recorded by no source (``linkage.demo_data.hidden_population``).
    """
    if n_persons < 10:
        raise ValueError("--persons must be at least 10")
    if night < 1:
        raise ValueError("--night must be 1 or more")
    out.mkdir(parents=True, exist_ok=True)
    world = build_world(n_persons, seed, night, hidden, episodes=shift.episodes if shift is not None else 0.0)
    written = {}
    for number, plan in enumerate(plan_files(world, night)):
        if shift is not None:
            plan = replace(plan, profile=shift.profile(plan.profile))
        rows = render_file(world, plan, night)
        if shift is not None:
            rows = shift.rows(rows, plan.profile.source, _male_of_rows(world, rows), seed, 1000 * night + number)
        write_file(out / plan.name, plan.profile, rows)
        written[plan.name] = len(rows)
        if on_file:
            on_file(out / plan.name, len(rows))
    with (out / "truth.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["source", "record_id", "person_id"])
        names = [p.source for p in PROFILES]
        keep = np.flatnonzero(world.night <= night)
        writer.writerows([names[world.source[i]], world.record_id[i], f"DP-{world.person[i] + 1:07d}"]
                         for i in keep.tolist())
    with (out / "expected_quarantine.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["file", "line", "record_id", "field", "reason"])
        writer.writerows(expected_quarantine(world, night))
    return written
