"""Sex, nationality and identity-document numbers as written in Lao, Thai and English, to codes."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from linkage.errors import FieldError

_EMPTY = {"-", "--", "?", "n/a", "na", "nil", "none", "unknown", "not known", "not recorded", "u", "ບໍ່ຮູ້",
          "ບໍ່ຮູ້ຈັກ", "ບໍ່ມີ", "ไม่ทราบ", "ไม่ระบุ", "ไม่มี"}

_SEX = {
    "F": ("f", "female", "woman", "girl", "fem", "ຍ", "ຍິງ", "ເພດຍິງ", "ແມ່ຍິງ", "ຜູ້ຍິງ", "ญ", "หญิง",
          "เพศหญิง", "ผู้หญิง", "ด.ญ", "ดญ", "เด็กหญิง"),
    "M": ("m", "male", "man", "boy", "ຊ", "ຊາຍ", "ເພດຊາຍ", "ຜູ້ຊາຍ", "ช", "ชาย", "เพศชาย", "ผู้ชาย", "ด.ช", "ดช",
          "เด็กชาย"),
}

# ISO 3166-1 alpha-3 (and ICAO's XXA for stateless persons) -> the ways records write them.
_NATIONALITIES = {
    "LAO": ("lao", "la", "laos", "laotian", "lao pdr", "laopdr", "lao p.d.r", "lao people's democratic republic",
            "ລາວ", "ສປປ ລາວ", "ສປປລາວ", "ลาว", "สปป.ลาว", "สปป ลาว", "สปปลาว"),
    "THA": ("thai", "th", "tha", "thailand", "siamese", "ໄທ", "ไทย", "ประเทศไทย"),
    "VNM": ("vietnamese", "vietnam", "viet nam", "viet", "vn", "vnm", "ຫວຽດນາມ", "ຫວຽດ", "เวียดนาม", "ญวน"),
    "CHN": ("chinese", "china", "prc", "cn", "chn", "ຈີນ", "จีน"),
    "KHM": ("cambodian", "cambodia", "khmer", "kh", "khm", "kampuchea", "ກຳປູເຈຍ", "ກໍາປູເຈຍ", "ຂະແມ", "กัมพูชา",
            "เขมร"),
    "MMR": ("myanmar", "burmese", "burma", "mm", "mmr", "ມຽນມາ", "ພະມ້າ", "พม่า", "เมียนมา", "เมียนมาร์"),
    "MYS": ("malaysian", "malaysia", "my", "mys", "ມາເລເຊຍ", "มาเลเซีย"),
    "SGP": ("singaporean", "singapore", "sg", "sgp", "ສິງກະໂປ", "สิงคโปร์"),
    "IDN": ("indonesian", "indonesia", "id", "idn", "ອິນໂດເນເຊຍ", "อินโดนีเซีย"),
    "PHL": ("filipino", "filipina", "philippine", "philippines", "ph", "phl", "ຟີລິບປິນ", "ฟิลิปปินส์"),
    "KOR": ("korean", "south korean", "south korea", "korea", "kr", "kor", "ເກົາຫຼີ", "ເກົາຫລີ", "เกาหลี",
            "เกาหลีใต้"),
    "JPN": ("japanese", "japan", "jp", "jpn", "ຍີ່ປຸ່ນ", "ญี่ปุ่น"),
    "TWN": ("taiwanese", "taiwan", "tw", "twn", "ໄຕ້ຫວັນ", "ไต้หวัน"),
    "IND": ("indian", "india", "in", "ind", "ອິນເດຍ", "อินเดีย"),
    "BGD": ("bangladeshi", "bangladesh", "bd", "bgd", "บังกลาเทศ"),
    "NPL": ("nepali", "nepalese", "nepal", "np", "npl", "เนปาล"),
    "USA": ("american", "united states", "usa", "us", "ອາເມລິກາ", "อเมริกัน", "สหรัฐอเมริกา"),
    "FRA": ("french", "france", "fr", "fra", "ຝຣັ່ງ", "ฝรั่งเศส"),
    "GBR": ("british", "united kingdom", "uk", "gb", "gbr", "อังกฤษ"),
    "AUS": ("australian", "australia", "au", "aus", "ອົດສະຕຣາລີ", "ออสเตรเลีย"),
    "XXA": ("stateless", "no nationality", "ໄຮ້ສັນຊາດ", "ບໍ່ມີສັນຊາດ", "ไร้สัญชาติ", "ไม่มีสัญชาติ"),
}
_NATIONALITY_PREFIX = re.compile(r"^(?:ສັນຊາດ|ຄົນ|ชาว|สัญชาติ|คน|nationality[:\s]*)\s*")
_NATIONALITY_SUFFIX = re.compile(r"\s*(?:national|citizen|nationality|people|person)$")


def _fold(text: str) -> str:
    """Lower-case, de-accent Latin letters, drop dots, collapse spaces; Lao and Thai marks are kept."""
    out: list[str] = []
    latin_base = False
    for c in unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).lower()):
        if not unicodedata.combining(c):
            latin_base = c < "\u0250"
        elif latin_base:
            continue
        out.append(c)
    s = unicodedata.normalize("NFC", "".join(out)).replace(".", "").replace("\u200b", "")
    return re.sub(r"\s+", " ", s).strip()


def _index(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    index: dict[str, str] = {}
    for code, spellings in table.items():
        for spelling in (*spellings, code.lower()):
            index[_fold(spelling)] = code
    return index


_SEX_INDEX = _index(_SEX)
_NATIONALITY_INDEX = _index(_NATIONALITIES)


@lru_cache(maxsize=10_000)
def sex_code(text: str | None) -> str | None:
    """'F' or 'M' from a sex field in English, Lao or Thai; None for empty or unknown; FieldError otherwise."""
    if text is None:
        return None
    s = _fold(text)
    if not s or s in _EMPTY:
        return None
    code = _SEX_INDEX.get(s) or _SEX_INDEX.get(s.replace(" ", ""))
    if code is None:
        raise FieldError("not a sex recorded as female or male (F, M, ຍິງ, ຊາຍ, หญิง, ชาย)", field="sex", value=text)
    return code


@lru_cache(maxsize=10_000)
def nationality_code(text: str | None) -> str | None:
    """ISO 3166-1 alpha-3 code (XXA for stateless) from a nationality in English, Lao or Thai."""
    if text is None:
        return None
    s = _fold(text)
    if not s or s in _EMPTY:
        return None
    if s.upper() in _NATIONALITIES:
        return s.upper()
    for candidate in (s, _NATIONALITY_SUFFIX.sub("", _NATIONALITY_PREFIX.sub("", s))):
        code = _NATIONALITY_INDEX.get(candidate) or _NATIONALITY_INDEX.get(candidate.replace(" ", ""))
        if code:
            return code
    raise FieldError("not a nationality LaoLink knows (e.g. Lao, Thai, Vietnamese, ລາວ, ไทย)", field="nationality",
                     value=text)


@lru_cache(maxsize=200_000)
def id_number_std(text: str | None) -> str | None:
    """An ID-card, family-book or passport number: upper-case ASCII letters and digits, separators and the
    document's name removed (its kind: ``id_documents.read_id_document``)."""
    from linkage.fields.id_documents import read_id_document

    document = read_id_document(text)
    return None if document is None else document.number
