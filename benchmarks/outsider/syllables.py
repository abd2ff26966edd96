"""Lao name syllables as the outside team spells them: Lao script, Latin and Thai script.

Each syllable has an official Latin form (the French-based spelling of Lao passports and ministries; an
internal and a final form, since "ຈັນ" is "Chan" inside Chanthavong and "Chanh" at the end of Douangchanh),
ad-hoc English spellings clerks invent, the spellings a Thai office writes in Thai script, and the Thai-style
romanizations of those (ພອນ becomes พร, "Porn"). All tables are the outside team's own.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Syllable:
    lao: str
    internal: str  # official form inside a name
    final: str  # official form at the end of a name
    adhoc: tuple[str, ...]  # English spellings clerks make up
    thai: tuple[str, ...]  # Thai script, the usual one first
    thai_latin: tuple[str, ...]  # Thai-style romanizations


def _s(lao: str, official: str, adhoc: str, thai: str, thai_latin: str) -> Syllable:
    internal, _, final = official.partition("|")
    return Syllable(lao, internal, final or internal, tuple(adhoc.split()), tuple(thai.split()),
                    tuple(thai_latin.split()))


_TABLE = [
    _s("ສົມ", "som", "som", "สม", "som"),
    _s("ພອນ", "phone", "phon pone phorn", "พร พอน", "porn phon pon"),
    _s("ບຸນ", "boun", "bun boon", "บุญ บุน", "boon bun"),
    _s("ມີ", "mi|my", "mee mi my", "มี", "mee mi"),
    _s("ຄຳ", "kham", "kam khum", "คำ", "kham kam"),
    _s("ແກ້ວ", "keo", "kaeo kaew keow kéo", "แก้ว", "kaew kaeo keaw"),
    _s("ສີ", "si|sy", "sy see sri", "ศรี สี", "sri si see"),
    _s("ສຸກ", "souk", "suk sook souck", "สุข สุก", "suk sook sukh"),
    _s("ຈັນ", "chan|chanh", "chan jan chane", "จันทร์ จัน", "chan jan"),
    _s("ທອງ", "thong", "tong thoung", "ทอง", "thong tong"),
    _s("ວົງ", "vong", "wong", "วงศ์ วง", "wong vong wongse"),
    _s("ແສງ", "seng", "saeng sang", "แสง", "saeng sang"),
    _s("ດາ", "da", "dah daa", "ดา", "da"),
    _s("ວັນ", "van|vanh", "van wan vane", "วรรณ วัน", "wan van"),
    _s("ນາ", "na", "nah naa", "นา", "na"),
    _s("ລີ", "li|ly", "lee li ly", "ลี", "lee li"),
    _s("ມະ", "ma", "ma mah", "มะ มา", "ma"),
    _s("ນີ", "ni|ny", "nee ni nie", "นี", "nee ni"),
    _s("ໄຊ", "xay", "xai say sai", "ไซ ไชย", "chai sai xai"),
    _s("ສະ", "sa", "sa xa", "สะ", "sa"),
    _s("ຫວັນ", "van|vanh", "van wan vane", "หวัน", "wan van"),
    _s("ບົວ", "boua", "bua bouah boa", "บัว", "bua boua"),
    _s("ພັນ", "phan|phanh", "phan pan phane", "พันธ์ พัน", "phan pan"),
    _s("ອິນ", "in|inh", "in inn", "อินทร์ อิน", "in"),
    _s("ທະ", "tha", "ta thah", "ทะ", "tha ta"),
    _s("ຈິດ", "chit", "jit chith", "จิตร จิด", "chit jit"),
    _s("ເພັດ", "phet", "pheth pet phed", "เพชร เพ็ด", "phet pet petch"),
    _s("ລາ", "la", "lah laa", "ลา", "la"),
    _s("ດວງ", "douang", "duang doung dueng", "ดวง", "duang"),
    _s("ອຸ່ນ", "oun", "un oon", "อุ่น", "un oon"),
    _s("ເຮືອນ", "heuane", "huan heuan hueun", "เรือน เฮือน", "ruean ruan huean"),
    _s("ແດງ", "daeng", "deng dang", "แดง", "daeng dang"),
    _s("ສຸ", "sou", "su soo", "สุ", "su"),
    _s("ລິ", "li", "ly lee", "ลิ", "li"),
    _s("ຍະ", "ya", "nha ia nya", "ยะ", "ya"),
    _s("ພົມ", "phom", "pom", "พรหม พม", "phrom phom prom"),
    _s("ດີ", "di|dy", "dee di", "ดี", "dee di"),
    _s("ສັກ", "sack", "sak", "ศักดิ์ สัก", "sak sack"),
    _s("ແສນ", "sene", "saen sen", "แสน", "saen san"),
    _s("ໄພ", "phay", "phai pai", "ไพ ภัย", "phai pai"),
    _s("ທິບ", "thip", "tip", "ทิพย์ ทิบ", "thip tip"),
    _s("ສາ", "sa", "sah xa", "สา", "sa"),
    _s("ບັດ", "bath", "bat baht", "บัติ บัด", "bat bad"),
    _s("ຄອນ", "khon|khone", "khon kone", "คอน", "khon kon"),
    _s("ອາ", "a", "ar ah", "อา", "a"),
    _s("ລຸນ", "loun", "lun loon", "ลุน", "lun loon"),
    _s("ພູ", "phou", "phu pu phoo", "ภู พู", "phu poo"),
    _s("ວອນ", "vone", "von won", "วอน", "won von"),
    _s("ສະຫວັດ", "savath", "savat sawat", "สวัสดิ์ สะหวัด", "sawat savat"),
    _s("ມາ", "ma", "mah maa", "มา", "ma"),
    _s("ແພງ", "phaeng", "pheng peng", "แพง", "phaeng paeng"),
    _s("ພະ", "pha", "pa phah", "พระ พะ", "phra pha"),
    _s("ຂັນ", "khan|khanh", "khan kanh", "ขัน", "khan"),
    _s("ເພັງ", "pheng", "peng", "เพ็ง", "pheng peng"),
    _s("ບູ", "bou", "bu boo", "บู", "bu"),
    _s("ລາດ", "lath", "lat lad", "ราช ลาด", "rat lat"),
    _s("ວິ", "vi", "wi vee", "วิ", "wi"),
    _s("ໄລ", "lay", "lai lay", "ไล", "lai"),
]

SYLLABLES: dict[str, Syllable] = {s.lao: s for s in _TABLE}
