"""The Thai protection centre in Ubon Ratchathani (TH-UBON-PROTECT): its repatriation list in Thai script,
saved by Excel as Windows-874, dates in the Buddhist Era, an English name copied from a passport or
romanized the Thai way when there is one at all."""

from __future__ import annotations

import random
import unicodedata

from benchmarks.outsider import formats, names, typos
from benchmarks.outsider.facts import birth_date, facts, pick
from benchmarks.outsider.population import Person

HEADERS = ["ลำดับ", "เลขทะเบียน", "ชื่อ-นามสกุล", "Name (English)", "Surname (English)", "เพศ", "วันเดือนปีเกิด",
           "อายุ", "สัญชาติ", "แขวง", "เมือง", "บ้าน", "เบอร์โทรศัพท์", "เลขที่หนังสือเดินทาง/บัตร", "วันที่ส่งกลับ",
           "สถานะ", "ประเภทการแสวงประโยชน์"]
STATUS = {"victim": "ผู้เสียหาย", "smuggled_migrant": "แรงงานผิดกฎหมาย", "suspect": "ผู้ต้องหา",
          "witness": "พยาน", "": ""}
EXPLOITATION = ["แรงงาน", "ทางเพศ", "ขอทาน", "งานบ้าน", "ประมง", ""]


def _title(sex: str, age: int, rng: random.Random) -> str:
    if rng.random() < 0.1:
        return ""
    if age < 15:
        return "ด.ญ." if sex == "F" else "ด.ช."
    if sex == "M":
        return "นาย"
    return pick(rng, [(0.5, "นางสาว"), (0.3, "น.ส."), (0.2, "นาง")])


def _ascii(text: str) -> str:
    """What survives Windows-874: Latin letters without their accents."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def row(rng: random.Random, person: Person, when, role: str, record_id: str, line: int) -> dict[str, str]:
    """One person handed back to Lao PDR."""
    f = facts(rng, person, when, married_share=0.6)
    given = typos.maybe(rng, 0.07, typos.thai_typo, names.thai(f.given, rng))
    family = typos.maybe(rng, 0.07, typos.thai_typo, names.thai(f.family, rng)) if rng.random() < 0.93 else ""
    full = _title(person.sex, f.age, rng) + given + (" " + family if family else "")
    passport = person.passport_at(when)
    en_given = en_family = ""
    if passport and rng.random() < 0.6:
        en_given, en_family = names.latin(f.given, "official", rng).upper(), names.latin(f.family, "official",
                                                                                          rng).upper()
    elif rng.random() < 0.3:
        en_given, en_family = names.latin(f.given, "thai", rng), names.latin(f.family, "thai", rng)
    dob = birth_date(f, pick(rng, [(0.8, "be"), (0.2, "be_short")]), "th", rng, missing=0.2)
    province, district, village = f.places
    document = ""
    if passport and rng.random() < 0.5:
        document = passport
    elif person.pink_card and rng.random() < 0.6:
        document = person.pink_card
    phone = person.phone_at(when, "TH") or f.phone
    return {
        "ลำดับ": str(line), "เลขทะเบียน": record_id, "ชื่อ-นามสกุล": full, "Name (English)": _ascii(en_given),
        "Surname (English)": _ascii(en_family), "เพศ": {"F": "หญิง", "M": "ชาย"}[person.sex],
        "วันเดือนปีเกิด": dob, "อายุ": str(f.age) if not dob or rng.random() < 0.5 else "", "สัญชาติ": "ลาว",
        "แขวง": pick(rng, [(0.8, province.thai), (0.1, _ascii(province.latin[0])), (0.1, "")]),
        "เมือง": pick(rng, [(0.4, district.thai), (0.6, "")]),
        "บ้าน": pick(rng, [(0.3, "บ้าน" + village.thai), (0.7, "")]),
        "เบอร์โทรศัพท์": formats.write_phone(phone, rng, "thai") if phone and rng.random() < 0.45 else "",
        "เลขที่หนังสือเดินทาง/บัตร": document,
        "วันที่ส่งกลับ": formats.write_date(when, "be", rng), "สถานะ": STATUS[role],
        "ประเภทการแสวงประโยชน์": rng.choice(EXPLOITATION) if role == "victim" else "",
    }
