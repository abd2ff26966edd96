"""What a record says about the case, as written in Lao, Thai or English, to codes (exchange-format columns
``case_type``, ``exploitation`` and ``role``, see shared/record-schema.md).

The words below are built in; a deployment adds its own beside them (``linkage/fields/vocabulary.py``, written by
``laolink vocabulary add FIELD WORD CODE``): a word is read by the built-in words first, then by the deployment's."""

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
# The forms of the UNODC Global Report on Trafficking in Persons: domestic work, fishing, factories, building sites
# and farms are forced labour; begging and organ removal are among its other purposes (the ILO counts forced begging
# as forced labour too; the Global Report, which national figures are compared with, counts it apart).
EXPLOITATION: dict[str, tuple[str, ...]] = {
    "labour": ("labor", "forced labour", "forced labor", "labour exploitation", "labor exploitation",
               "labour trafficking", "labor trafficking", "debt bondage", "bonded labour", "bonded labor",
               "domestic work", "domestic worker", "domestic labour", "domestic labor", "domestic servitude",
               "domestic service", "housework", "housemaid", "maid", "fishing", "fishery", "fisheries", "fishing boat",
               "fishing vessel", "factory", "factory work", "construction", "agriculture", "plantation",
               "ແຮງງານ", "ບັງຄັບໃຊ້ແຮງງານ", "ການບັງຄັບໃຊ້ແຮງງານ", "ແຮງງານບັງຄັບ", "ຂູດຮີດແຮງງານ", "ການຂູດຮີດແຮງງານ",
               "ຄົນຮັບໃຊ້ໃນເຮືອນ", "ຄົນຮັບໃຊ້", "ຮັບໃຊ້ໃນເຮືອນ", "ແມ່ບ້ານ", "ວຽກບ້ານ", "ປະມົງ", "ການປະມົງ", "ຫາປາ",
               "ເຮືອຫາປາ", "ໂຮງງານ", "ກໍ່ສ້າງ", "ກະສິກຳ",
               "แรงงาน", "บังคับใช้แรงงาน", "การบังคับใช้แรงงาน", "แรงงานบังคับ", "การใช้แรงงานบังคับ", "ขูดรีดแรงงาน",
               "งานบ้าน", "ทำงานบ้าน", "แม่บ้าน", "คนรับใช้", "คนรับใช้ในบ้าน", "ลูกจ้างทำงานบ้าน", "ประมง", "การประมง",
               "เรือประมง", "แรงงานประมง", "ลูกเรือประมง", "โรงงาน", "ก่อสร้าง", "เกษตร"),
    "sexual": ("sex", "sexual exploitation", "prostitution", "forced prostitution", "sex trafficking",
               "commercial sexual exploitation", "sexual servitude", "pornography", "ທາງເພດ", "ການຂູດຮີດທາງເພດ",
               "ຂູດຮີດທາງເພດ", "ຂາຍບໍລິການທາງເພດ", "ບໍລິການທາງເພດ", "ຂາຍບໍລິການ", "ໂສເພນີ", "ทางเพศ",
               "การแสวงประโยชน์ทางเพศ", "แสวงประโยชน์ทางเพศ", "การแสวงหาประโยชน์ทางเพศ", "ค้าประเวณี", "การค้าประเวณี",
               "ขายบริการ", "ขายบริการทางเพศ", "ค้าบริการทางเพศ", "โสเภณี", "สื่อลามก"),
    "forced_marriage": ("forced marriage", "marriage", "bride", "forced bride", "bride trafficking", "ບັງຄັບແຕ່ງງານ",
                        "ການບັງຄັບແຕ່ງງານ", "ແຕ່ງງານ", "ການແຕ່ງງານ", "ເຈົ້າສາວ", "บังคับแต่งงาน", "การบังคับแต่งงาน",
                        "บังคับให้แต่งงาน", "บังคับสมรส", "การบังคับสมรส", "แต่งงาน", "การแต่งงาน", "เจ้าสาว"),
    "other": ("ອື່ນໆ", "ອື່ນ", "อื่นๆ", "อื่น ๆ", "อื่น", "begging", "forced begging", "beggar", "organ removal",
              "removal of organs", "organ trafficking", "forced criminality", "forced criminal activity", "ຂໍທານ",
              "ການຂໍທານ", "ບັງຄັບຂໍທານ", "ບັງຄັບໃຫ້ຂໍທານ", "ขอทาน", "การขอทาน", "บังคับขอทาน", "บังคับให้ขอทาน",
              "ค้าอวัยวะ"),
    "unknown": ("not known", "not recorded", "ບໍ່ຮູ້", "ບໍ່ຮູ້ຈັກ", "ไม่ทราบ", "ไม่ระบุ"),
}
# A person's role in the record. The schema has one code for a migrant who crossed irregularly, smuggled_migrant,
# whether or not a smuggler is named (as 'migrant' and 'irregular migrant' always read): illegal entrants, illegal
# workers and returnees (ຜູ້ຖືກສົ່ງກັບ, ผู้ถูกส่งกลับ: in these records nearly always migrants sent back from
# Thailand) are smuggled_migrant, the schema's most neutral code for them: it claims an irregular crossing and no
# exploitation, and a returnee a later record finds trafficked counts as a victim (ROLES_GRAVEST_FIRST) and as
# smuggled then trafficked. Words that may name either side are left out: a broker (ນາຍໜ້າ / นายหน้า) may be a
# licensed recruitment agent of a labour-export register, or a trafficker. A record whose role no word here reads is
# stored with its role code empty and the value listed by `laolink std report` (linkage/sources/row_rules.py) until
# a deployment teaches it (`laolink vocabulary add role WORD CODE`).
ROLE_WORDS: dict[str, tuple[str, ...]] = {
    "victim": ("victims", "trafficking victim", "victim of trafficking", "victim of human trafficking", "vot", "vots",
               "trafficked person", "presumed victim", "survivor", "client", "ຜູ້ເຄາະຮ້າຍ", "ຜູ້ຖືກເຄາະຮ້າຍ",
               "ຜູ້ເຄາະຮ້າຍຈາກການຄ້າມະນຸດ", "ເຫຍື່ອ", "ผู้เสียหาย", "ผู้เสียหายจากการค้ามนุษย์", "เหยื่อ"),
    "suspect": ("suspects", "offender", "accused", "trafficker", "perpetrator", "defendant", "ຜູ້ຕ້ອງສົງໄສ",
                "ຜູ້ຖືກກ່າວຫາ", "ຜູ້ຖືກຫາ", "ຈຳເລີຍ", "ຜູ້ກະທຳຜິດ", "ผู้ต้องสงสัย", "ผู้ต้องหา", "ผู้ถูกกล่าวหา", "จำเลย",
                "ผู้กระทำผิด", "ผู้กระทำความผิด"),
    "witness": ("witnesses", "eyewitness", "ພະຍານ", "ຜູ້ເຫັນເຫດການ", "พยาน", "ผู้เห็นเหตุการณ์"),
    "smuggled_migrant": ("smuggled migrant", "smuggled", "smuggled person", "migrant", "irregular migrant",
                         "irregular migrant worker", "illegal migrant", "illegal immigrant", "illegal worker",
                         "illegal entrant", "undocumented migrant", "undocumented worker", "returnee", "returnees",
                         "returned migrant", "deportee", "ແຮງງານເຂົ້າເມືອງຜິດກົດໝາຍ", "ຜູ້ເຂົ້າເມືອງຜິດກົດໝາຍ",
                         "ແຮງງານຜິດກົດໝາຍ", "ແຮງງານເຖື່ອນ", "ຜູ້ຖືກລັກລອບຂົນ", "ຜູ້ຖືກລັກລອບຂົນຄົນ", "ຜູ້ຖືກສົ່ງກັບ",
                         "ຜູ້ຖືກສົ່ງກັບຄືນ", "ຜູ້ກັບຄືນ", "ผู้ถูกลักลอบขน", "ผู้ถูกลักลอบขนคน", "แรงงานผิดกฎหมาย",
                         "แรงงานหลบหนีเข้าเมือง", "ผู้หลบหนีเข้าเมือง", "คนหลบหนีเข้าเมือง", "ผู้เข้าเมืองผิดกฎหมาย",
                         "ผู้เข้าเมืองโดยผิดกฎหมาย", "แรงงานต่างด้าวผิดกฎหมาย", "ผู้ถูกส่งกลับ", "ผู้ถูกผลักดันกลับ"),
}
ROLES: tuple[str, ...] = tuple(ROLE_WORDS)  # the closed list of roles, in the order messages and menus list them
# The order a person's roles rank in, gravest first: one recorded a victim once counts as a victim
# (``linkage.statistics.person_facts``); every role of ROLES once (tests/test_case_fields.py).
ROLES_GRAVEST_FIRST: tuple[str, ...] = ("victim", "smuggled_migrant", "witness", "suspect")
_BLANK = {"", "-", "--", "n/a", "na", "none", "nil"}
# field -> its built-in words (code -> the ways records write it); a deployment adds its own words to these
# (linkage/fields/vocabulary.py, `laolink vocabulary add`), never changes what a built-in word reads as
VOCABULARIES: dict[str, dict[str, tuple[str, ...]]] = {"role": ROLE_WORDS, "case_type": CASE_TYPES,
                                                        "exploitation": EXPLOITATION}
_EXPECTED = {"role": ", ".join(ROLES), "case_type": "TIP, SOM, other (or ການຄ້າມະນຸດ, การค้ามนุษย์, smuggling)",
             "exploitation": "labour, sexual, forced_marriage, other, unknown"}


def fold_word(text: str) -> str:
    """A word as the readers below compare it: case, accents, dots, extra spaces and '_' aside."""
    return _fold(text).replace("_", " ")


def _index(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {fold_word(spelling): code for code, spellings in table.items() for spelling in (*spellings, code)}


_BUILT_IN = {field: _index(table) for field, table in VOCABULARIES.items()}
_deployment: dict[str, dict[str, str]] = {field: {} for field in VOCABULARIES}  # folded word -> code


def _find(index: dict[str, str], folded: str) -> str | None:
    return index.get(folded) or index.get(folded.replace(" ", ""))


def is_blank(text: str) -> bool:
    return fold_word(text) in _BLANK


def built_in_code(field: str, text: str) -> str | None:
    """The code the built-in words of ``field`` read ``text`` as; None when none does (or it is blank)."""
    return _find(_BUILT_IN[field], fold_word(text))


def deployment_code(field: str, text: str) -> str | None:
    """The code this deployment's own words of ``field`` read ``text`` as; None when none does."""
    return _find(_deployment[field], fold_word(text))


def use_deployment_words(words: dict[str, dict[str, str]]) -> None:
    """Read with these deployment words too (field -> folded word -> code), beside the built-in ones."""
    for field in VOCABULARIES:
        _deployment[field] = dict(words.get(field, {}))
    for reader in (case_type_code, exploitation_code, role_code):
        reader.cache_clear()


def _code(field: str, text: str | None) -> str | None:
    if text is None:
        return None
    folded = fold_word(text)
    if folded in _BLANK:
        return None
    code = _find(_BUILT_IN[field], folded) or _find(_deployment[field], folded)
    if code is None:
        raise FieldError(f"not one of {_EXPECTED[field]}", field=field, value=text)
    return code


@lru_cache(maxsize=1_000)
def case_type_code(text: str | None) -> str | None:
    """'TIP', 'SOM' or 'other' from a case type in English, Lao or Thai; None when blank; FieldError otherwise."""
    return _code("case_type", text)


@lru_cache(maxsize=1_000)
def exploitation_code(text: str | None) -> str | None:
    """'labour', 'sexual', 'forced_marriage', 'other' or 'unknown'; None when blank; FieldError otherwise."""
    return _code("exploitation", text)


@lru_cache(maxsize=1_000)
def role_code(text: str | None) -> str | None:
    """'victim', 'suspect', 'witness' or 'smuggled_migrant'; None when blank; FieldError otherwise."""
    return _code("role", text)
