"""Thai script to Lao script: Lao names written by Thai officials read as their Lao originals."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkage.fields.lao_romanize import romanize_lao
from linkage.fields.thai_to_lao import thai_to_lao


@pytest.mark.parametrize(
    ("thai", "lao"),
    [
        ("บัวสี ทำมะสัก", "ບົວສີ ທຳມະສັກ"),  # -ัว is Lao ົວ
        ("คำไต สีพันดอน", "ຄຳໄຕ ສີພັນດອນ"),
        ("ไกสอน", "ໄກສອນ"),
        ("แก้วบุนนะวง", "ແກ້ວບຸນນະວງ"),  # tone marks carried over
        ("บุญมี", "ບຸນມີ"),  # final ญ sounds n
        ("เวียงไช", "ວຽງໄຊ"),  # closed เ-ีย is ຽ
        ("เสีย", "ເສັຍ"),  # open เ-ีย is ເ-ັຍ
        ("เสา", "ເສົາ"),  # เ-า is ເ-ົາ
        ("เมือง", "ເມືອງ"),
        ("สมพร", "ສມພອນ"),  # word-final consonant + ร reads -on
        ("จันทร์", "ຈັນ"),  # ทร์ silent
        ("ศักดิ์", "ສັກ"),  # ดิ์ silent, ศ → ສ
        ("สุวรรณ", "ສຸວັນ"),  # รร reads a before a final
        ("ธรรม", "ທັມ"),
        ("ภูมี", "ພູມີ"),  # ภ → ພ
        ("ณัฐ", "ນັຖ"),  # ณ → ນ, ฐ → ຖ
        ("รัตนา", "ລັຕນາ"),  # Lao names have no r
        ("เพชร", "ເພຊ"),  # final ชร: ร silent
        ("ศรีสะหวาด", "ສີສະຫວາດ"),  # ศร reads s
        ("พระบาง", "ພຣະບາງ"),  # r-cluster kept as ຣ (romanized Phrabang, keyed as Phabang)
        ("แสงวง", "ແສງວົງ"),  # -วง after a closed syllable is ວົງ ...
        ("ดวง", "ດວງ"),  # ... but ดวง is the vowel ua
        ("๑๒", "໑໒"),
        ("Ms บัวสี", "Ms ບົວສີ"),
        ("ບົວສີ", "ບົວສີ"),  # Lao passes through
        ("", ""),
    ],
)
def test_thai_to_lao(thai: str, lao: str) -> None:
    assert thai_to_lao(thai) == lao


@pytest.mark.parametrize(
    ("thai", "latin"),
    [
        ("บัวสี ทำมะสัก", "Bouasy Thammasack"),
        ("คำไต สีพันดอน", "Khamtay Siphandone"),
        ("ไกสอน พมวิหาน", "Kaysone Phomvihane"),  # Thai writes closed short o with no vowel
        ("ไชยะมุงคุน", "Xayamoungkhoun"),
        ("บุญมี", "Bounmy"),
        ("สมพร", "Somphone"),
        ("สีสุลิด", "Sisoulith"),
        ("หลวงพะบาง", "Louangphabang"),
        ("อุดมวิไล", "Oudomvilay"),  # ມ takes no ວ glide: ອຸ|ດົມ|ວິ|ໄລ
        ("แก้ววงสา", "Keovongsa"),
        ("จะเลิน", "Chaleune"),  # Thai เ-ิน is Lao ເ-ີນ
    ],
)
def test_thai_names_romanize_like_lao(thai: str, latin: str) -> None:
    assert romanize_lao(thai_to_lao(thai)) == latin


@given(st.text())
def test_never_raises_and_leaves_no_thai(text: str) -> None:
    out = thai_to_lao(text)
    assert not any("\u0e01" <= ch <= "\u0e5b" and ch not in "\u0e3a\u0e3f\u0e4f\u0e5a\u0e5b" for ch in out)
