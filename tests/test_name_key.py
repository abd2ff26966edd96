"""The Lao name key: attested spellings of one name agree, different names do not, normalisers are idempotent."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkage.name_key import FOLD_RULES, detect_script, name_key, romanize_name

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


@pytest.mark.parametrize("rule", FOLD_RULES, ids=[r[0] for r in FOLD_RULES])
def test_each_rule_unites_its_documented_example(rule: tuple[str, str, str]) -> None:
    example = re.sub(r"\(.*?\)", "", rule[2])
    for group in example.split(","):
        spellings = [s.strip() for s in group.split("/")]
        assert len(spellings) >= 2
        keys = {name_key(s).replace(" ", "") for s in spellings}
        assert len(keys) == 1, (group, keys)


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
    from linkage.demo_data.names import FAMILY_NAMES, GIVEN_NAMES
    from linkage.demo_data.spelling_variants import HANDS, lao_to_thai, spell_name

    total = agree = 0
    for name in GIVEN_NAMES + FAMILY_NAMES:
        ref = name_key(name.official)
        variants = [spell_name(name, hand) for hand in HANDS] + [name.lao, lao_to_thai(name.lao)]
        total += len(variants)
        agree += sum(name_key(v) == ref for v in variants)
    assert agree / total >= 0.98
