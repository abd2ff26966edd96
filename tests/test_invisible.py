"""Invisible format characters are removed before any key: batch standardizing, one record, and /match."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from snapshot_builder import build_snapshot

from linkage.fields.invisible import INVISIBLE_CHARACTERS, remove_invisible, visible_or_none
from linkage.fields.standardize import LOOKUPS, standardize
from linkage.store import connect

ZWSP, ZWNJ, ZWJ, WJ, BOM, LRM, RLM, RLO, PDF, RLI, PDI = (
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u200e", "\u200f", "\u202e", "\u202c", "\u2067", "\u2069")

BOUASY = {"full_name": "ບົວສີ ທຳມະສັກ", "sex": "ຍິງ", "date_of_birth": "04/07/2001", "province": "ສະຫວັນນະເຂດ",
          "district": "ໄກສອນ ພົມວິຫານ", "phone": "020 5555 0101", "id_number": "P1234567", "nationality": "ລາວ"}

# (field, the value with invisible characters as copied from chat apps, web forms and word processors)
WRITTEN = [
    ("full_name", f"ບົວ{ZWSP}ສີ ທຳມະ{ZWSP}ສັກ"),
    ("full_name", f"ບົວສີ{ZWNJ} ທຳ{ZWJ}ມະສັກ"),
    ("full_name", f"{BOM}ບົວສີ ທຳມະສັກ{WJ}"),
    ("full_name", f"{RLO}ບົວສີ ທຳມະສັກ{PDF}"),
    ("full_name", f"{RLI}ບົວສີ{PDI} {LRM}ທຳມະສັກ{RLM}"),
    ("date_of_birth", f"04/07/{ZWSP}2001"),
    ("date_of_birth", f"{BOM}04/07/2001"),
    ("sex", f"ຍິງ{ZWSP}"),
    ("province", f"ສະຫວັນ{ZWSP}ນະເຂດ"),
    ("district", f"ໄກສອນ{ZWJ} ພົມວິຫານ"),
    ("phone", f"020{ZWSP}5555{WJ}0101"),
    ("id_number", f"P12{ZWNJ}34567{LRM}"),
    ("nationality", f"{RLM}ລາວ"),
]


def outputs(record: dict[str, str | None]) -> dict[str, object]:
    out: dict[str, object] = {}
    for lookup in LOOKUPS:
        parsed = lookup.read(*(record.get(c) for c in lookup.raw))
        out.update({name: None if parsed is None else parsed[i] for i, (name, _) in enumerate(lookup.outputs)})
    return out


@pytest.mark.parametrize(("field", "written"), WRITTEN)
def test_invisible_characters_change_no_standardized_value(field: str, written: str) -> None:
    assert outputs({**BOUASY, field: written}) == outputs(BOUASY)


@pytest.mark.parametrize("written", [ZWSP, f"{BOM} {ZWJ}", f"{RLO}{PDF}"])
def test_a_value_of_invisible_characters_only_is_empty(written: str) -> None:
    assert visible_or_none(written) is None
    assert outputs({**BOUASY, "phone": written})["phone_e164"] is None


@given(st.text(max_size=20), st.lists(st.sampled_from(INVISIBLE_CHARACTERS), max_size=5), st.data())
def test_remove_invisible_is_idempotent_and_removes_only_them(text: str, extra: list[str], data) -> None:
    at = data.draw(st.integers(0, len(text)))
    written = text[:at] + "".join(extra) + text[at:]
    assert remove_invisible(written) == remove_invisible(remove_invisible(written)) == remove_invisible(text)
    assert not set(remove_invisible(written)) & set(INVISIBLE_CHARACTERS)


@given(st.text(max_size=20))
def test_visible_or_none_skips_ascii_text_safely(text: str) -> None:
    """visible_or_none takes ASCII text as it is (the standardizer's speed): no invisible character is ASCII."""
    assert not any(ch.isascii() for ch in INVISIBLE_CHARACTERS)
    cleaned = remove_invisible(text)
    assert visible_or_none(text) == (cleaned if cleaned.strip() else None)


def test_batch_standardize_gives_the_same_keys_and_lists_no_issue(tmp_path) -> None:
    con = connect(tmp_path / "store.duckdb")
    rows = [BOUASY] + [{**BOUASY, field: written} for field, written in WRITTEN]
    columns = list(BOUASY)
    for i, row in enumerate(rows):
        con.execute(
            f"INSERT INTO records (source, record_id, row_hash, file_id, line_no, {', '.join(columns)})"
            f" VALUES ('S', ?, 'h', 1, ?, {', '.join('?' * len(columns))})", [f"R{i}", i, *(row[c] for c in columns)])
    report = standardize(con)
    assert report.records == len(rows)
    std = "given_key, family_key, full_name_std, sex_code, dob, province_code, district_code, phone_e164," \
          " id_number_std, nationality_code"
    distinct = con.execute(f"SELECT DISTINCT {std} FROM records").fetchall()
    assert distinct == [("buasi", "tamasak", "bouasy thammasack", "F", date(2001, 7, 4), "LA-SV", "LA-SV-01",
                         "+8562055550101", "P1234567", "LAO")]
    assert con.execute("SELECT count(*) FROM std_issues").fetchall() == [(0,)]
    con.close()


@pytest.fixture(scope="module")
def match_server(tmp_path_factory):
    from api_server import SHARED_SERVER_ENV, start_api_server

    db = tmp_path_factory.mktemp("invisible") / "laolink.duckdb"
    raw = [{"source": "MOLSW-DSW", "record_id": "A1", **BOUASY},
           {"source": "PROV-SVK", "record_id": "C1", "full_name": "ບົວສີ ພົມມະຈັນ", "sex": "ຍິງ",
            "date_of_birth": "1985", "province": "ນະຄອນຫຼວງວຽງຈັນ"}]
    build_snapshot(db, raw, standardize=True, persons=[{"person_id": "LA-P-0000010"}, {"person_id": "LA-P-0000011"}],
                   record_person={("MOLSW-DSW", "A1"): "LA-P-0000010", ("PROV-SVK", "C1"): "LA-P-0000011"})
    with start_api_server(db, env=SHARED_SERVER_ENV) as server:
        yield server


@pytest.mark.parametrize("name", [f"ບົວ{ZWSP}ສີ ທຳມະ{ZWSP}ສັກ", f"{RLO}ບົວສີ{ZWJ} ທຳມະສັກ{PDF}"])
def test_match_keeps_the_certain_match_with_invisible_characters(match_server, name: str) -> None:
    client = match_server.client_as("system")
    probe = {"sex": "ຍິງ", "date_of_birth": "04/07/2001", "phone": "020 5555 0101"}
    clean = client.post("/api/v1/match", json={**probe, "full_name": BOUASY["full_name"]})
    written = client.post("/api/v1/match", json={**probe, "full_name": name})
    assert clean.status_code == written.status_code == 200, written.text
    best = written.json()["persons"][0]
    assert best == clean.json()["persons"][0]  # the same person, probability and reasons as without them
    assert best["person_id"] == "LA-P-0000010"
    labels = {f["comparison"]: f["label"] for f in best["fields"]}
    assert labels["name"] == "Lao name key equal (given and family)", labels


def test_pages_show_direction_controls_written_out_never_raw():
    """A stored name with a right-to-left override cannot turn a page around: every printed value shows it."""
    from markupsafe import Markup

    from api.pages.render import templates

    page = templates.env.from_string("<td>{{ name }}</td><td>{{ other }}</td>")
    html = page.render(name=f"{RLO}evil{PDF} ບົວສີ", other=Markup("<b>app markup</b>"))
    assert RLO not in html and PDF not in html
    assert "⟨U+202E⟩evil⟨U+202C⟩ ບົວສີ" in html and "<b>app markup</b>" in html
