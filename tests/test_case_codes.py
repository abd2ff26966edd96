"""Case type and form of exploitation as sources write them, in Lao, Thai and English."""

import pytest

from linkage.errors import FieldError
from linkage.fields.case_codes import CASE_TYPES, EXPLOITATION, ROLE_WORDS, case_type_code, exploitation_code, role_code
from linkage.fields.codes import _fold


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
        exploitation_code("robbery")  # was "fishing boat", now read as labour (forced labour on fishing boats)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # domestic work, fishing, factories, building sites, farms: forced labour
        ("ຄົນຮັບໃຊ້ໃນເຮືອນ", "labour"), ("ຄົນຮັບໃຊ້", "labour"), ("ແມ່ບ້ານ", "labour"), ("ວຽກບ້ານ", "labour"),
        ("ປະມົງ", "labour"), ("ເຮືອຫາປາ", "labour"), ("ໂຮງງານ", "labour"), ("ກໍ່ສ້າງ", "labour"), ("ກະສິກຳ", "labour"),
        ("ແຮງງານບັງຄັບ", "labour"), ("ການຂູດຮີດແຮງງານ", "labour"),
        ("งานบ้าน", "labour"), ("ทำงานบ้าน", "labour"), ("แม่บ้าน", "labour"), ("คนรับใช้ในบ้าน", "labour"),
        ("ประมง", "labour"), ("เรือประมง", "labour"), ("ลูกเรือประมง", "labour"), ("โรงงาน", "labour"),
        ("ก่อสร้าง", "labour"), ("เกษตร", "labour"), ("แรงงานบังคับ", "labour"),
        ("Domestic work", "labour"), ("domestic servitude", "labour"), ("Housemaid", "labour"), ("Fishing", "labour"),
        ("fishing boat", "labour"), ("Factory", "labour"), ("construction", "labour"), ("Debt bondage", "labour"),
        # sexual exploitation
        ("ໂສເພນີ", "sexual"), ("ຂາຍບໍລິການ", "sexual"), ("ບໍລິການທາງເພດ", "sexual"), ("ຂູດຮີດທາງເພດ", "sexual"),
        ("ขายบริการ", "sexual"), ("ขายบริการทางเพศ", "sexual"), ("โสเภณี", "sexual"), ("แสวงประโยชน์ทางเพศ", "sexual"),
        ("Sex trafficking", "sexual"), ("pornography", "sexual"),
        # forced marriage
        ("ແຕ່ງງານ", "forced_marriage"), ("ເຈົ້າສາວ", "forced_marriage"), ("แต่งงาน", "forced_marriage"),
        ("บังคับให้แต่งงาน", "forced_marriage"), ("การบังคับสมรส", "forced_marriage"), ("bride", "forced_marriage"),
        # begging and organ removal: the Global Report's other purposes
        ("ขอทาน", "other"), ("การขอทาน", "other"), ("บังคับให้ขอทาน", "other"), ("ຂໍທານ", "other"),
        ("ບັງຄັບໃຫ້ຂໍທານ", "other"), ("Begging", "other"), ("forced begging", "other"), ("organ removal", "other"),
    ],
)
def test_forms_of_exploitation_as_lao_and_thai_offices_write_them(text, code):
    assert exploitation_code(text) == code


@pytest.mark.parametrize("table", [CASE_TYPES, EXPLOITATION, ROLE_WORDS], ids=["case_type", "exploitation", "role"])
def test_every_written_word_is_one_code(table):
    codes: dict[str, set[str]] = {}
    for code, spellings in table.items():
        for spelling in (*spellings, code):
            codes.setdefault(_fold(spelling).replace("_", " "), set()).add(code)
    assert {word: found for word, found in codes.items() if len(found) > 1} == {}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # victim of trafficking, as NGOs and the police abbreviate it
        ("VoT", "victim"), ("VOT", "victim"), ("V.o.T.", "victim"), ("VoTs", "victim"), ("trafficked person", "victim"),
        ("ຜູ້ເຄາະຮ້າຍຈາກການຄ້າມະນຸດ", "victim"), ("ผู้เสียหายจากการค้ามนุษย์", "victim"),
        # the accused, the defendant, the offender
        ("ຜູ້ຖືກຫາ", "suspect"), ("ຈຳເລີຍ", "suspect"), ("ຜູ້ກະທຳຜິດ", "suspect"), ("ผู้ถูกกล่าวหา", "suspect"),
        ("จำเลย", "suspect"), ("ผู้กระทำความผิด", "suspect"), ("Defendant", "suspect"),
        ("ຜູ້ເຫັນເຫດການ", "witness"), ("ผู้เห็นเหตุการณ์", "witness"), ("eyewitness", "witness"),
        # illegal entrants, illegal workers, returnees: migrants who crossed irregularly
        ("returnee", "smuggled_migrant"), ("Returnee", "smuggled_migrant"), ("deportee", "smuggled_migrant"),
        ("Illegal migrant", "smuggled_migrant"), ("illegal worker", "smuggled_migrant"),
        ("ຜູ້ເຂົ້າເມືອງຜິດກົດໝາຍ", "smuggled_migrant"), ("ແຮງງານຜິດກົດໝາຍ", "smuggled_migrant"),
        ("ແຮງງານເຖື່ອນ", "smuggled_migrant"), ("ຜູ້ຖືກສົ່ງກັບ", "smuggled_migrant"),
        ("ຜູ້ຖືກລັກລອບຂົນຄົນ", "smuggled_migrant"), ("แรงงานหลบหนีเข้าเมือง", "smuggled_migrant"),
        ("ผู้ถูกลักลอบขนคน", "smuggled_migrant"), ("ผู้หลบหนีเข้าเมือง", "smuggled_migrant"),
        ("ผู้เข้าเมืองผิดกฎหมาย", "smuggled_migrant"), ("ผู้ถูกส่งกลับ", "smuggled_migrant"),
    ],
)
def test_roles_as_lao_and_thai_offices_write_them(text, code):
    assert role_code(text) == code


@pytest.mark.parametrize("text", ["broker", "ນາຍໜ້າ", "นายหน้า", "boss"])
def test_a_word_for_either_side_is_no_role(text):
    with pytest.raises(FieldError, match="role: not one of victim"):
        role_code(text)
