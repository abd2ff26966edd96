"""Case type and form of exploitation as sources write them, in Lao, Thai and English."""

import pytest

from linkage.errors import FieldError
from linkage.fields.case_codes import case_type_code, exploitation_code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("TIP", "TIP"), ("tip", "TIP"), ("Human trafficking", "TIP"), ("ການຄ້າມະນຸດ", "TIP"), ("การค้ามนุษย์", "TIP"),
        ("SOM", "SOM"), ("smuggling", "SOM"), ("Smuggling of migrants", "SOM"), ("ການລັກລອບຂົນຄົນ", "SOM"),
        ("การลักลอบขนคน", "SOM"), ("other", "other"), ("ອື່ນໆ", "other"), ("อื่น ๆ", "other"),
        ("", None), ("  ", None), (None, None), ("-", None),
    ],
)
def test_case_type(text, code):
    assert case_type_code(text) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("labour", "labour"), ("Forced labor", "labour"), ("ແຮງງານ", "labour"), ("การบังคับใช้แรงงาน", "labour"),
        ("sexual", "sexual"), ("Sexual exploitation", "sexual"), ("ການຂູດຮີດທາງເພດ", "sexual"), ("ค้าประเวณี", "sexual"),
        ("forced_marriage", "forced_marriage"), ("Forced marriage", "forced_marriage"),
        ("ບັງຄັບແຕ່ງງານ", "forced_marriage"), ("บังคับแต่งงาน", "forced_marriage"),
        ("other", "other"), ("unknown", "unknown"), ("ບໍ່ຮູ້", "unknown"), ("ไม่ทราบ", "unknown"), ("", None),
    ],
)
def test_exploitation(text, code):
    assert exploitation_code(text) == code


def test_unknown_words_are_refused_with_the_field_and_value():
    with pytest.raises(FieldError, match="case_type: not one of TIP, SOM, other") as error:
        case_type_code("burglary")
    assert error.value.value == "burglary"
    with pytest.raises(FieldError, match="exploitation: not one of labour"):
        exploitation_code("fishing boat")
