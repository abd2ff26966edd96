"""The Lao name key: attested spellings of one name agree, different names do not, normalisers are idempotent."""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkage.fields.name_key import (
    FOLD_RULES,
    SKELETON_RULES,
    detect_script,
    name_key,
    name_skeleton,
    romanize_name,
    skeleton_sql,
    skeleton_word,
)

# Attested spellings of the same names, in Lao script, Thai script and Latin.
SAME_NAME = [
    ["Khamtai Siphandone", "Khamtay Siphandon", "ຄໍາໄຕ ສີພັນດອນ", "ຄຳໄຕ ສີພັນດອນ", "คำไต สีพันดอน"],
    ["Kaysone Phomvihane", "Kaysone Phomvihan", "ໄກສອນ ພົມວິຫານ", "Kaisone Phomvihane"],
    ["Bouasy Thammasack", "Bouasi Thammasak", "ບົວສີ ທຳມະສັກ", "บัวสี ทำมะสัก", "Buasi Thammasak"],
    ["Xayamoungkhoun", "Sayamungkhun", "ໄຊຍະມຸງຄຸນ", "Xayamungkhun"],
    ["Bounmy", "Bounmi", "Bunmi", "Boonmee", "ບຸນມີ", "บุญมี"],
    ["Thongloun Sisoulith", "Thongloun Sisulith", "Thonglun Sisoulit", "ທອງລຸນ ສີສຸລິດ"],
    ["Sisavath Keobounphanh", "Sisavat Keobounphan", "ສີສະຫວາດ ແກ້ວບຸນພັນ"],
    ["Nouhak Phoumsavanh", "Nouhak Phoumsavan", "Nuhak Phumsavan"],
    ["Souphanouvong", "Suphanuvong", "ສຸພານຸວົງ"],
    ["Sisavangvong", "Sisavang Vong".replace(" ", ""), "ສີສະຫວ່າງວົງ", "Sisawangwong"],
    ["Somphone", "Somphon", "ສົມພອນ", "สมพร", "Somporn"],
    ["Sombath", "Sombat", "ສົມບັດ"],
    ["Outhine", "Uthin", "ອຸທິນ"],
    ["Bounyavong", "Bounnhavong", "ບຸນຍະວົງ"],
    ["Douangdeuane", "Duangduan", "Douangdeuan", "ດວງເດືອນ"],
    ["Keo", "Kaeo", "Kaew", "Kǣo", "ແກ້ວ", "แก้ว"],
    ["Xayabouly", "Xayaboury", "Sayabouly", "Xaignabouli", "Sainyabuli", "ໄຊຍະບູລີ"],
    ["Oudomxay", "Oudomxai", "Udomxai", "Oudomsay", "ອຸດົມໄຊ"],
    ["Savannakhet", "Savannaketh", "Savannaket", "ສະຫວັນນະເຂດ"],
    ["Meuang", "Muang", "Mueang", "ເມືອງ", "เมือง"],
    ["Souvanh", "Souvan", "Suvan", "ສຸວັນ"],
    ["Phonesavanh", "Phonsavanh", "Phonsavan"],
    ["Vilayvanh", "Vilaivan", "Wilaiwan", "ວິໄລວັນ", "วิไลวัน"],
    ["Somchith", "Somchit", "Somjit", "ສົມຈິດ"],
    ["Chanthavong", "Chanthawong", "Jantavong", "ຈັນທະວົງ", "จันทะวง"],
    ["Xiengkhouang", "Xiangkhouang", "Xiengkhwang", "ຊຽງຂວາງ"],
    ["Louangphabang", "Luangphabang", "Luangprabang", "ຫຼວງພະບາງ"],
    ["Phetsamone", "Phetsamon", "Petsamon", "ເພັດສະໝອນ"],
    ["Gnommalath", "Gnommalat", "Nyommalat", "ຍົມມະລາດ"],
]

# Common names that are different names: their keys must differ.
DIFFERENT_NAMES = [
    ("Bounmy", "Bounma"),
    ("Phet", "Pheng"),
    ("Souk", "Souksavanh"),
    ("Khamla", "Khamsy"),
    ("Somphone", "Somphong"),
    ("Keo", "Kham"),
    ("Bouasy", "Bouavone"),
    ("Phommachanh", "Phommavong"),
    ("Chanthala", "Chanthavong"),
    ("Vilay", "Vilayvanh"),
    ("Seng", "Sengphet"),
    ("Manivong", "Many"),
    ("Noy", "Nang"),
    ("Sombath", "Somboun"),
    ("Fa", "Pha"),  # ຟ and ພ are different sounds: f is not folded into p
    ("Douang", "Dao"),
    ("Thongdy", "Thongsy"),
    ("Khamphet", "Khamphou"),
]


@pytest.mark.parametrize("spellings", SAME_NAME, ids=[s[0] for s in SAME_NAME])
def test_attested_spellings_reach_one_key(spellings: list[str]) -> None:
    keys = {name_key(s) for s in spellings}
    assert len(keys) == 1, {s: name_key(s) for s in spellings}


@pytest.mark.parametrize(("a", "b"), DIFFERENT_NAMES)
def test_different_names_do_not_collide(a: str, b: str) -> None:
    assert name_key(a) != name_key(b)


def test_different_names_table_is_collision_free_overall() -> None:
    names = sorted({n for pair in DIFFERENT_NAMES for n in pair})
    keys = [name_key(n) for n in names]
    assert len(set(keys)) == len(names)


def _example_groups(example: str) -> list[list[str]]:
    """A rule's documented example: comma-separated groups of spellings split by '/', notes in brackets dropped."""
    groups = [[s.strip() for s in group.split("/")] for group in re.sub(r"\(.*?\)", "", example).split(",")]
    assert all(len(g) >= 2 for g in groups), example
    return groups


@pytest.mark.parametrize("rule", FOLD_RULES, ids=[r[0] for r in FOLD_RULES])
def test_each_rule_unites_its_documented_example(rule: tuple[str, str, str]) -> None:
    for group in _example_groups(rule[2]):
        keys = {name_key(s).replace(" ", "") for s in group}
        assert len(keys) == 1, (group, keys)


@pytest.mark.parametrize("rule", SKELETON_RULES, ids=[r[0] for r in SKELETON_RULES])
def test_each_skeleton_rule_unites_its_documented_example(rule: tuple[str, str, str]) -> None:
    for group in _example_groups(rule[2]):
        assert len({name_skeleton(s) for s in group}) == 1, group
        assert len({name_key(s) for s in group}) > 1, f"{group}: the key alone already unites them"


# Different names that differ in a consonant: the coarse key keeps them apart too.
SKELETON_DIFFERENT = [
    ("Phet", "Pheng"), ("Keo", "Kham"), ("Khamla", "Khamsy"), ("Thongdy", "Thongsy"), ("Sombath", "Somboun"),
    ("Fa", "Pha"), ("Phommachanh", "Phommavong"), ("Souk", "Souksavanh"), ("Khamphet", "Khamphou"),
    ("Bouasy", "Bouavone"), ("Vilay", "Vilayvanh"), ("Manivong", "Many"),
]


@pytest.mark.parametrize(("a", "b"), SKELETON_DIFFERENT)
def test_skeleton_keeps_consonant_differences(a: str, b: str) -> None:
    assert name_skeleton(a) != name_skeleton(b)


def test_skeleton_is_coarser_than_the_key() -> None:
    """Names with one key have one skeleton (the skeleton is a function of the key)."""
    for spellings in SAME_NAME:
        assert len({name_skeleton(s) for s in spellings}) == 1, spellings


_SQL = None


def _sql_skeletons(keys: list[str]) -> list[str | None]:
    import duckdb

    global _SQL
    if _SQL is None:
        _SQL = duckdb.connect()
    _SQL.execute("CREATE OR REPLACE TEMP TABLE t (i INTEGER, k VARCHAR)")
    if keys:
        _SQL.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(keys)))
    return [r[0] for r in _SQL.execute(f"SELECT {skeleton_sql('k')} FROM t ORDER BY i").fetchall()]


def test_skeleton_sql_is_the_python_skeleton_on_demo_names() -> None:
    """The model input's SQL skeleton equals ``name_skeleton`` on every spelling of every demo name."""
    from linkage.demo_data.names import FAMILY_NAMES, GIVEN_NAMES
    from linkage.demo_data.spelling_variants import name_spellings

    keys = sorted({name_key(v).replace(" ", "") for name in GIVEN_NAMES + FAMILY_NAMES for v in name_spellings(name)})
    assert _sql_skeletons(keys) == [skeleton_word(k) or None for k in keys]
    assert _sql_skeletons([None, ""]) == [None, None]


def test_key_works_per_name_part() -> None:
    assert name_key("Bouasy   Thammasack") == f"{name_key('Bouasy')} {name_key('Thammasack')}"
    assert len(name_key("ບົວສີ ທຳມະສັກ").split()) == 2


@pytest.mark.parametrize(
    ("text", "finer"),
    [
        ("  Ms.  Bouasy   THAMMASACK ", "ms bouasy thammasack"),
        ("Kǣo-Mạnī", "kaeo mani"),
        ("Vīangchan", "viangchan"),
        ("ບົວສີ ທຳມະສັກ", "bouasy thammasack"),
        ("นางสาว บัวสี", "nangsao bouasy"),
        ("Phoumi Vongvichit (ພູມີ)", "phoumi vongvichit phoumy"),
        ("O'Neill", "oneill"),
        ("", ""),
    ],
)
def test_romanize_name(text: str, finer: str) -> None:
    assert romanize_name(text) == finer


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("Bouasy", "latin"),
        ("Bouasy Thammasack", "latin"),
        ("ບົວສີ", "lao"),
        ("บัวสี", "thai"),
        ("ບົວສີ Thammasack", "mixed"),
        ("Иван", "mixed"),
        ("", "empty"),
        ("  12-3 ", "empty"),
        (None, "empty"),
    ],
)
def test_detect_script(text: str | None, script: str) -> None:
    assert detect_script(text) == script


def test_none_is_empty() -> None:
    assert romanize_name(None) == "" and name_key(None) == ""


def test_finer_form_shortcuts_hold_for_every_character() -> None:
    """The finer form blanks what str.isalnum() refuses with one regex, and translates special letters and takes
    accents apart only outside ASCII (the standardizer's speed): each shortcut holds for every character."""
    from linkage.fields.name_key import _NOT_ALNUM, _SPECIAL_LETTERS

    every = [chr(c) for c in range(sys.maxunicode + 1)]
    assert [ch for ch in every if (_NOT_ALNUM.match(ch) is None) != ch.isalnum()] == []
    ascii_chars = every[:128]
    assert [ch for ch in ascii_chars if unicodedata.normalize("NFKD", ch) != ch or unicodedata.combining(ch)] == []
    assert [c for c in _SPECIAL_LETTERS if c < 128] == []


latin_names = st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzàéèôñçABCXYZ -'.,"), max_size=40)
lao_names = st.text(alphabet=st.characters(min_codepoint=0x0E80, max_codepoint=0x0EFF), max_size=20)
thai_names = st.text(alphabet=st.characters(min_codepoint=0x0E00, max_codepoint=0x0E7F), max_size=20)
any_names = st.one_of(st.text(), latin_names, lao_names, thai_names)


@given(any_names)
def test_romanize_name_is_idempotent(text: str) -> None:
    once = romanize_name(text)
    assert romanize_name(once) == once


@given(any_names)
def test_name_key_is_idempotent(text: str) -> None:
    key = name_key(text)
    assert name_key(key) == key


@given(st.one_of(lao_names, thai_names, latin_names))
def test_three_scripts_give_plain_latin(text: str) -> None:
    assert re.fullmatch("[a-z0-9 ]*", name_key(text))


def test_demo_generator_spellings_agree() -> None:
    """Every spelling habit of the demo data generator (written independently) reaches the official key."""
    from linkage.demo_data.spelling_variants import spelling_agreement

    _spellings, share = spelling_agreement(name_key)
    assert share >= 0.98


@given(any_names)
def test_skeleton_of_a_skeleton_is_itself(text: str) -> None:
    for word in name_key(text).split():
        once = skeleton_word(word)
        assert skeleton_word(once) == once


@given(st.lists(any_names, max_size=10))
def test_skeleton_sql_is_the_python_skeleton(texts: list[str]) -> None:
    keys = [name_key(t).replace(" ", "") for t in texts]
    assert _sql_skeletons(keys) == [skeleton_word(k) or None for k in keys]
