"""The demo data generator: determinism, encodings, truth, hard negatives, night 2, and the spelling rules."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from typer.testing import CliRunner

from linkage.cli import app
from linkage.demo_data.corruptions import latin_typo
from linkage.demo_data.generate import build_world, generate
from linkage.demo_data.names import FAMILY_NAMES, GIVEN_NAMES, PUBLIC_FIGURES
from linkage.demo_data.sources import PROFILES
from linkage.demo_data.spelling_variants import HANDS, lao_to_thai, spell_name
from linkage.sources.exchange_format import EXCHANGE_COLUMNS

N, SEED = 800, 11
LAO = re.compile("[\u0e80-\u0eff]")
THAI = re.compile("[\u0e00-\u0e7f]")


@pytest.fixture(scope="module")
def night1(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("night1")
    generate(out, N, SEED)
    return out


@pytest.fixture(scope="module")
def night2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("night2")
    generate(out, N, SEED, night=2)
    return out


def _profile_of(path: Path):
    return next(p for p in PROFILES if f"_{p.slug}." in path.name)


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a demo file, decoded strictly in the encoding its profile declares."""
    if path.suffix == ".xlsx":
        ws = load_workbook(path, read_only=True).worksheets[0]
        rows = [["" if v is None else str(v) for v in r] for r in ws.iter_rows(values_only=True)]
        return rows[0], rows[1:]
    text = path.read_bytes().decode(_profile_of(path).encoding, errors="strict")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:]


def exchange_rows(path: Path) -> list[dict[str, str]]:
    """Rows as exchange-column dicts (own headers mapped back through the profile)."""
    profile = _profile_of(path)
    header, rows = read_rows(path)
    names = list(profile.headers) if profile.headers else header
    out = []
    for r in rows:
        row = dict.fromkeys(EXCHANGE_COLUMNS, "") | dict(zip(names, r, strict=True))
        row["source"] = row["source"] or profile.source
        out.append(row)
    return out


def _csv_dicts(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _data_files(d: Path) -> list[Path]:
    return sorted(p for p in d.iterdir() if p.name.startswith("night"))


def test_same_arguments_give_the_same_bytes(night1: Path, tmp_path: Path) -> None:
    generate(tmp_path, N, SEED)
    digest = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(tmp_path.iterdir())}
    assert digest == {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(night1.iterdir())}
    other = tmp_path / "other"
    generate(other, N, SEED + 1)
    assert (other / "truth.csv").read_bytes() != (night1 / "truth.csv").read_bytes()


def test_same_bytes_across_processes_whatever_the_hash_seed(tmp_path: Path) -> None:
    digests = []
    for hash_seed in ("1", "2"):
        out = tmp_path / hash_seed
        subprocess.run([sys.executable, "-m", "linkage", "demo-data", "--out", str(out), "--persons", "120",
                        "--seed", "4", "--night", "2"], check=True, capture_output=True,
                       env={**os.environ, "PYTHONHASHSEED": hash_seed})
        digests.append({p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.iterdir())})
    assert digests[0] == digests[1] and len(digests[0]) >= 7


def test_files_have_their_declared_shape_and_encoding(night1: Path) -> None:
    files = {p.name: p for p in _data_files(night1)}
    assert len(files) >= 5
    assert set(files) == {f"night1_{p.slug}.{'xlsx' if p.file_format == 'xlsx' else 'csv'}" for p in PROFILES}
    for path in files.values():
        profile = _profile_of(path)
        header, rows = read_rows(path)
        assert header == (list(profile.headers.values()) if profile.headers else list(EXCHANGE_COLUMNS))
        assert rows and all(len(r) == len(header) for r in rows)
    raw = files["night1_border_fb1.csv"].read_bytes()
    assert raw[:2] in (b"\xff\xfe", b"\xfe\xff")
    with pytest.raises(UnicodeDecodeError):
        files["night1_th_repat.csv"].read_bytes().decode("utf-8")


def test_truth_covers_every_good_row_and_nothing_else(night1: Path) -> None:
    bad = {(q["file"], int(q["line"])) for q in _csv_dicts(night1 / "expected_quarantine.csv")}
    good = set()
    for path in _data_files(night1):
        for line, row in enumerate(exchange_rows(path), start=2):
            if (path.name, line) not in bad:
                good.add((row["source"], row["record_id"]))
    truth = _csv_dicts(night1 / "truth.csv")
    assert len(truth) == len({(t["source"], t["record_id"]) for t in truth})
    assert {(t["source"], t["record_id"]) for t in truth} == good


def test_expected_quarantine_lists_each_kind_and_is_what_ingest_quarantines(night1: Path, tmp_path: Path) -> None:
    expected = _csv_dicts(night1 / "expected_quarantine.csv")
    assert {q["reason"] for q in expected} == {"missing_record_id", "duplicate_record_id", "unreadable_date"}
    result = CliRunner().invoke(app, ["ingest", *map(str, _data_files(night1)), "--db", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 0, result.output
    import duckdb

    con = duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True)
    got = con.execute("select path, line_no, field from quarantine").fetchall()
    con.close()
    assert sorted((Path(p).name, n, f) for p, n, f in got) == sorted(
        (q["file"], int(q["line"]), q["field"]) for q in expected)


def test_about_two_and_a_half_records_per_person_in_one_to_six_sources(night1: Path) -> None:
    truth = _csv_dicts(night1 / "truth.csv")
    per_person = Counter(t["person_id"] for t in truth)
    assert 2.3 <= len(truth) / len(per_person) <= 2.8
    assert max(per_person.values()) <= 6
    sources = {}
    for t in truth:
        sources.setdefault(t["person_id"], set()).add(t["source"])
    assert Counter(len(s) for s in sources.values())[1] < len(sources) * 0.5
    assert any(n > len(sources[p]) for p, n in per_person.items())  # some appear twice in one source


def test_hard_negatives_exist() -> None:
    world = build_world(N, SEED, 1)
    p = world.persons
    family_village = Counter(zip(p.family.tolist(), p.village.tolist(), strict=True))
    assert sum(n * (n - 1) // 2 for n in family_village.values()) >= N // 10
    given_village = Counter(zip(p.given.tolist(), p.village.tolist(), strict=True))
    assert max(given_village.values()) >= 3  # e.g. three different Bounmy in one village
    assert sum(1 for n in given_village.values() if n >= 2) >= N // 50
    twins = (p.relation == 2) & (p.given != p.given[p.household.searchsorted(p.household)])
    assert twins.sum() >= 5
    fathers = p.relation == 3
    heads = p.household.searchsorted(p.household)  # households are consecutive: first index = head
    assert fathers.sum() >= 5 and (p.given[fathers] == p.given[heads[fathers]]).all()
    assert (p.birth_year[fathers] < p.birth_year[heads[fathers]] - 20).all()
    common = Counter(GIVEN_NAMES[g].official for g in p.given.tolist())
    assert {"Bounmy", "Noy", "Phet", "Souk"} <= {name for name, _ in common.most_common(12)}


def test_no_public_figure_and_names_tables_are_large_enough() -> None:
    assert len(GIVEN_NAMES) >= 150 and len(FAMILY_NAMES) >= 150
    official = {n.official for n in GIVEN_NAMES} | {n.official for n in FAMILY_NAMES}
    assert {"Bounmy", "Noy", "Phet", "Souk", "Vongsa", "Phommachanh", "Keobounnavong", "Siphandone"} <= official
    world = build_world(N, SEED, 1)
    full = {(GIVEN_NAMES[g].official.lower(), FAMILY_NAMES[f].official.lower())
            for g, f in zip(world.persons.given.tolist(), world.persons.family.tolist(), strict=True)}
    assert not full & PUBLIC_FIGURES


def test_scripts_and_buddhist_era_dates_are_present(night1: Path) -> None:
    ahtd = exchange_rows(night1 / "night1_mops_ahtd.csv")
    assert sum(bool(LAO.search(r["full_name"] + r["given_name"])) for r in ahtd) > len(ahtd) * 0.5
    th = exchange_rows(night1 / "night1_th_repat.csv")
    assert sum(bool(THAI.search(r["full_name"])) for r in th) > len(th) * 0.5
    assert all(re.fullmatch(r"\d\d/\d\d/25\d\d", r["event_date"]) for r in th if r["record_id"].count("-") == 1)
    assert sum(bool(re.fullmatch(r"\d\d/\d\d/25\d\d", r["date_of_birth"])) for r in th) > len(th) * 0.4
    assert any(r["full_name"].startswith(("นาง ", "นางสาว ", "นาย ")) for r in th)
    lmi = exchange_rows(night1 / "night1_molsw_lmi.csv")
    assert sum(bool(re.fullmatch(r"\d{4}", r["date_of_birth"])) or bool(r["age"]) for r in lmi) > len(lmi) * 0.5
    border = exchange_rows(night1 / "night1_border_fb1.csv")
    assert all(r["family_name"] == r["family_name"].upper() for r in border)


def test_no_cell_starts_with_a_formula_character(night1: Path, night2: Path) -> None:
    for path in _data_files(night1) + _data_files(night2):
        for row in exchange_rows(path):
            for column, value in row.items():
                if column == "phone":  # +856 / +66 are how phones are written; exports neutralise them
                    assert not value.startswith(("=", "-", "@")), (path.name, value)
                else:
                    assert not value.startswith(("=", "+", "-", "@")), (path.name, column, value)


def test_night2_brings_ten_percent_new_and_two_percent_changed(night1: Path, night2: Path) -> None:
    truth1 = {(t["source"], t["record_id"]): t["person_id"] for t in _csv_dicts(night1 / "truth.csv")}
    truth2 = {(t["source"], t["record_id"]): t["person_id"] for t in _csv_dicts(night2 / "truth.csv")}
    assert all(truth2[k] == v for k, v in truth1.items())
    old_rows = {(r["source"], r["record_id"]): r for p in _data_files(night1) for r in exchange_rows(p)}
    bad = {(q["file"], int(q["line"])) for q in _csv_dicts(night2 / "expected_quarantine.csv")}
    new, changed = [], []
    for path in _data_files(night2):
        assert path.name.startswith("night2_")
        for line, row in enumerate(exchange_rows(path), start=2):
            if (path.name, line) in bad:
                continue
            key = (row["source"], row["record_id"])
            assert key in truth2
            if key in truth1:
                diff = [c for c in EXCHANGE_COLUMNS if row[c] != old_rows[key][c]]
                assert 1 <= len(diff) <= 6, (key, diff)
                changed.append(key)
            else:
                new.append(key)
    assert 0.08 <= len(new) / len(truth1) <= 0.12
    assert 0.015 <= len(changed) / len(truth1) <= 0.025
    assert set(truth2) == set(truth1) | set(new)
    new_persons = {truth2[k] for k in new} - set(truth1.values())
    assert 0 < len(new_persons) < len({truth2[k] for k in new})  # some for new persons, most for known ones


def test_cli_writes_the_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo-data", "--out", str(tmp_path), "--persons", "50", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "truth.csv").exists() and (tmp_path / "night1_molsw_dsw.xlsx").exists()
    bad = CliRunner().invoke(app, ["demo-data", "--out", str(tmp_path), "--persons", "50", "--night", "0"])
    assert bad.exit_code != 0 and "--night" in bad.output


@pytest.mark.parametrize(("official", "hand", "expected"), [
    ("Bouasy", "english", "Buasi"), ("Thammasack", "english", "Thammasak"),
    ("Xayamoungkhoun", "english", "Sayamungkhun"), ("Bounmy", "english", "Bunmi"),
    ("Xayamoungkhoun", "bgn", "Sayamoungkhoun"), ("Siphandone", "ala", "Sīphandōn"), ("Bounmy", "ala", "Bunmī"),
    ("Vongsa", "ala", "Vongsā"),
    ("Vongsa", "rtgs", "Wongsa"), ("Bouasy", "rtgs", "Buasi"), ("Keo", "rtgs", "Kaeo"),
    ("Phommachanh", "official", "Phommachanh"),
])
def test_spelling_hands_are_rules_on_the_official_form(official: str, hand: str, expected: str) -> None:
    name = next(n for n in GIVEN_NAMES + FAMILY_NAMES if n.official == official)
    assert spell_name(name, hand) == expected


@pytest.mark.parametrize(("lao", "thai"), [("ວຽງ", "เวียง"), ("ບົວສີ", "บัวสี"), ("ເພັດ", "เพ็ด"), ("ໜອງ", "หนอง"),
                                           ("ບໍ່ແກ້ວ", "บ่อแก้ว"), ("ຫຼວງພະບາງ", "หลวงพะบาง")])
def test_lao_to_thai(lao: str, thai: str) -> None:
    assert lao_to_thai(lao) == thai


def test_every_name_in_thai_script_fits_windows_874() -> None:
    for name in GIVEN_NAMES + FAMILY_NAMES:
        thai = lao_to_thai(name.lao)
        thai.encode("cp874")
        assert thai and not LAO.search(thai)
        for hand in HANDS:
            assert spell_name(name, hand).strip()


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=20), st.floats(0, 0.999),
       st.floats(0, 0.999))
def test_a_latin_typo_is_one_small_slip(text: str, u_kind: float, u_pos: float) -> None:
    out = latin_typo(text, u_kind, u_pos)
    assert out[0] == text[0] and abs(len(out) - len(text)) <= 1


def test_night3_follows_night2_without_re_sending_the_same_record_twice(tmp_path: Path) -> None:
    world = build_world(300, 5, 3)
    assert len(set(world.resends[2].tolist()) & set(world.resends[3].tolist())) == 0
    assert (world.night[world.resends[3]] < 3).all()
    generate(tmp_path / "n2", 300, 5, night=2)
    generate(tmp_path / "n3", 300, 5, night=3)
    truth2 = (tmp_path / "n2" / "truth.csv").read_text().splitlines()
    truth3 = (tmp_path / "n3" / "truth.csv").read_text().splitlines()
    assert truth3[: len(truth2)] == truth2 and len(truth3) > len(truth2)
    assert all(p.name.startswith("night3_") for p in _data_files(tmp_path / "n3"))
    quarantine2 = (tmp_path / "n2" / "expected_quarantine.csv").read_text().splitlines()
    assert (tmp_path / "n3" / "expected_quarantine.csv").read_text().splitlines()[: len(quarantine2)] == quarantine2


def test_the_episodes_knob_makes_a_persons_later_records_within_a_month_of_the_first() -> None:
    from linkage.demo_data.generate import EPISODE_DAYS

    plain, half, every = (build_world(600, 9, 1, episodes=share) for share in (0.0, 0.5, 1.0))
    assert np.array_equal(plain.person, half.person) and np.array_equal(plain.source, half.source)

    def within(world) -> tuple[int, int]:
        days = (world.event - world.event.min()).astype(int)
        first = np.full(int(world.person.max()) + 1, days.max() + 1)
        np.minimum.at(first, world.person, days)
        later = days != first[world.person]
        return int((later & (days - first[world.person] <= EPISODE_DAYS)).sum()), int(later.sum())

    near, later = within(plain)
    assert near < 0.05 * later  # records spread over the years at random
    near, later = within(every)
    assert near == later > 500
    near, later = within(half)
    assert 0.4 * later < near < 0.6 * later
