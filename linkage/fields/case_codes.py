"""What a record says about the case, as written in Lao, Thai or English, to codes (exchange-format columns
``case_type``, ``exploitation`` and ``role``, see shared/record-schema.md)."""

from __future__ import annotations

from functools import lru_cache

from linkage.errors import FieldError
from linkage.fields.codes import _fold

CASE_TYPES: dict[str, tuple[str, ...]] = {
    "TIP": ("tip", "trafficking", "human trafficking", "trafficking in persons", "trafficking in human beings",
            "ການຄ້າມະນຸດ", "ຄ້າມະນຸດ", "ການຄ້າຂາຍມະນຸດ", "การค้ามนุษย์", "ค้ามนุษย์"),
    "SOM": ("som", "smuggling", "smuggling of migrants", "migrant smuggling", "people smuggling",
            "ການລັກລອບຂົນຄົນ", "ລັກລອບຂົນຄົນ", "ການລັກລອບຂົນສົ່ງຄົນ", "การลักลอบขนคน", "ลักลอบขนคน",
            "การลักลอบขนผู้ย้ายถิ่น", "การลักลอบขนคนเข้าเมือง"),
    "other": ("ອື່ນໆ", "ອື່ນ", "อื่นๆ", "อื่น ๆ", "อื่น"),
}
EXPLOITATION: dict[str, tuple[str, ...]] = {
    "labour": ("labor", "forced labour", "forced labor", "labour exploitation", "labor exploitation",
               "ແຮງງານ", "ບັງຄັບໃຊ້ແຮງງານ", "ການບັງຄັບໃຊ້ແຮງງານ", "แรงงาน", "บังคับใช้แรงงาน", "การบังคับใช้แรงงาน"),
    "sexual": ("sex", "sexual exploitation", "prostitution", "forced prostitution", "ທາງເພດ", "ການຂູດຮີດທາງເພດ",
               "ຂາຍບໍລິການທາງເພດ", "ทางเพศ", "การแสวงประโยชน์ทางเพศ", "ค้าประเวณี", "การค้าประเวณี"),
    "forced_marriage": ("forced marriage", "marriage", "ບັງຄັບແຕ່ງງານ", "ການບັງຄັບແຕ່ງງານ", "บังคับแต่งงาน",
                        "การบังคับแต่งงาน", "บังคับสมรส"),
    "other": ("ອື່ນໆ", "ອື່ນ", "อื่นๆ", "อื่น ๆ", "อื่น"),
    "unknown": ("not known", "not recorded", "ບໍ່ຮູ້", "ບໍ່ຮູ້ຈັກ", "ไม่ทราบ", "ไม่ระบุ"),
}
ROLE_WORDS: dict[str, tuple[str, ...]] = {
    "victim": ("victims", "trafficking victim", "victim of trafficking", "survivor", "client", "ຜູ້ເຄາະຮ້າຍ",
               "ຜູ້ຖືກເຄາະຮ້າຍ", "ເຫຍື່ອ", "ผู้เสียหาย", "เหยื่อ"),
    "suspect": ("suspects", "offender", "accused", "trafficker", "ຜູ້ຕ້ອງສົງໄສ", "ຜູ້ຖືກກ່າວຫາ", "ผู้ต้องสงสัย",
                "ผู้ต้องหา"),
    "witness": ("witnesses", "ພະຍານ", "พยาน"),
    "smuggled_migrant": ("smuggled migrant", "smuggled", "migrant", "irregular migrant", "ແຮງງານເຂົ້າເມືອງຜິດກົດໝາຍ",
                         "ຜູ້ຖືກລັກລອບຂົນ", "ผู้ถูกลักลอบขน", "แรงงานผิดกฎหมาย"),
}
ROLES: tuple[str, ...] = tuple(ROLE_WORDS)  # the closed list of roles, in the order messages and menus list them
# The order a person's roles rank in, gravest first: one recorded a victim once counts as a victim
# (``linkage.statistics.person_facts``); every role of ROLES once (tests/test_case_fields.py).
ROLES_GRAVEST_FIRST: tuple[str, ...] = ("victim", "smuggled_migrant", "witness", "suspect")
_BLANK = {"", "-", "--", "n/a", "na", "none", "nil"}


def _index(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {_fold(spelling): code for code, spellings in table.items() for spelling in (*spellings, code)}


_CASE_TYPE_INDEX = _index(CASE_TYPES)
_EXPLOITATION_INDEX = _index(EXPLOITATION)
_ROLE_INDEX = _index(ROLE_WORDS)


def _code(index: dict[str, str], text: str | None, field: str, expected: str) -> str | None:
    if text is None:
        return None
    folded = _fold(text).replace("_", " ")
    if folded in _BLANK:
        return None
    code = index.get(folded) or index.get(folded.replace(" ", ""))
    if code is None:
        raise FieldError(f"not one of {expected}", field=field, value=text)
    return code


@lru_cache(maxsize=1_000)
def case_type_code(text: str | None) -> str | None:
    """'TIP', 'SOM' or 'other' from a case type in English, Lao or Thai; None when blank; FieldError otherwise."""
    return _code(_CASE_TYPE_INDEX, text, "case_type", "TIP, SOM, other (or ການຄ້າມະນຸດ, การค้ามนุษย์, smuggling)")


@lru_cache(maxsize=1_000)
def exploitation_code(text: str | None) -> str | None:
    """'labour', 'sexual', 'forced_marriage', 'other' or 'unknown'; None when blank; FieldError otherwise."""
    return _code(_EXPLOITATION_INDEX, text, "exploitation", "labour, sexual, forced_marriage, other, unknown")


@lru_cache(maxsize=1_000)
def role_code(text: str | None) -> str | None:
    """'victim', 'suspect', 'witness' or 'smuggled_migrant'; None when blank; FieldError otherwise."""
    return _code(_ROLE_INDEX, text, "role", ", ".join(ROLES))
