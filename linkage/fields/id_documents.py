"""Identity documents as records write them: the kind of document beside its number.

``ສຳມະໂນຄົວ 9476/35`` is family book 947635; ``หนังสือเดินทาง P1234567`` passport P1234567. The kind is
read from the words written with the number (Lao, Thai, English) and from the border-pass prefix BP;
a number written alone has no kind (None), which comparisons treat as "kind unknown".

Kinds (the ``id_type`` standardized column):

- ``family_book``: the household register (ສຳມະໂນຄົວ, ທະບຽນບ້ານ, ทะเบียนบ้าน, family/house book);
- ``id_card``: the national identity card (ບັດປະຈຳຕົວ, บัตรประชาชน, ID card, NIC);
- ``passport`` (ໜັງສືເດີນທາງ, หนังสือเดินทาง, passport, PP);
- ``border_pass``: a pass issued for one crossing (ໜັງສືຜ່ານແດນ, บัตรผ่านแดน, border pass, BP...);
- ``case_number``: a case, file or reference number an office gave one event (ສຳນວນ, คดี, case, file).

The last two are issued per event: two of them differing says nothing about two records being
different people (``is_per_event_document``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from linkage.errors import FieldError

_DIGITS = str.maketrans("໐໑໒໓໔໕໖໗໘໙๐๑๒๓๔๕๖๗๘๙", "01234567890123456789")
_EMPTY = {"-", "--", "?", "n/a", "na", "nil", "none", "unknown", "not known", "not recorded", "u", "ບໍ່ຮູ້",
          "ບໍ່ຮູ້ຈັກ", "ບໍ່ມີ", "ไม่ทราบ", "ไม่ระบุ", "ไม่มี"}

PER_EVENT_DOCUMENTS = frozenset({"border_pass", "case_number"})

def _normal(text: str) -> str:
    """NFKC (full-width forms, ligatures) with the vowel AM kept whole in Lao and Thai (NFKC splits it, and
    typists write it split too), digits in ASCII, lower case, ໜ and ໝ for ຫນ and ຫມ."""
    s = unicodedata.normalize("NFKC", text).translate(_DIGITS).lower()
    s = s.replace("\u0ecd\u0eb2", "\u0eb3").replace("\u0e4d\u0e32", "\u0e33")
    return s.replace("ຫນ", "ໜ").replace("ຫມ", "ໝ").strip()


# The words that name each kind, compared after NFC, lower case and the Lao ຫນ/ໜ, ຫມ/ໝ, ໍາ/ຳ spellings made one.
_KIND_WORDS: dict[str, tuple[str, ...]] = {
    # ປຶ້ມ / ປື້ມ: 'book' is written with either vowel; ສ/ນ and ສ.ນ shorten ສຳມະໂນຄົວ on forms and registers
    "family_book": ("ປຶ້ມສຳມະໂນຄົວ", "ປື້ມສຳມະໂນຄົວ", "ທະບຽນສຳມະໂນຄົວ", "ສຳມະໂນຄົວ", "ສຳມະໂນ", "ສ/ນ", "ສ.ນ", "ສ. ນ",
                    "ທະບຽນບ້ານ", "ทะเบียนบ้าน", "สำมะโนครัว", "family book", "familybook",
                    "family register", "household book", "household register", "household registration",
                    "house registration", "house book", "census book", "fb"),
    "id_card": ("ບັດປະຈຳຕົວ", "ບັດປະຊາຊົນ", "ບັດປະຈຳຕົວປະຊາຊົນ", "บัตรประจำตัวประชาชน", "บัตรประชาชน", "บัตร ปชช",
                "เลขประจำตัวประชาชน", "เลขบัตรประชาชน",
                "national id card", "national identity card", "national id", "identity card", "id card", "idcard",
                "nic", "nid"),
    "passport": ("ໜັງສືເດີນທາງ", "ປື້ມຜ່ານແດນ", "หนังสือเดินทาง", "พาสปอร์ต", "passport", "pass port", "ppt", "pp"),
    "border_pass": ("ໜັງສືຜ່ານແດນ", "ບັດຜ່ານແດນ", "ໃບຜ່ານແດນ", "บัตรผ่านแดน", "หนังสือผ่านแดน", "border pass",
                    "border permit", "border crossing pass", "crossing pass", "bp"),
    "case_number": ("ເລກສຳນວນ", "ສຳນວນ", "ເລກຄະດີ", "ຄະດີ", "เลขคดี", "คดี", "case number", "case no", "case",
                    "file number", "file no", "file", "ref", "reference"),
}
_WORD_TO_KIND = {_normal(w): kind for kind, words in _KIND_WORDS.items() for w in words}
_LATIN_WORD = re.compile(r"[a-z ]+")
_KIND_RE = re.compile(
    "|".join(
        (rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])" if _LATIN_WORD.fullmatch(w) else re.escape(w))
        for w in sorted(_WORD_TO_KIND, key=len, reverse=True)
    )
)
# A border pass number written with its prefix only: BP followed by digits (BP-0012345, BP 12/345).
_BP_NUMBER = re.compile(r"^bp[\s\-./:#]*\d")
_LABEL = re.compile(
    r"^(?:(?:passport|id|card|no|nr|number|ເລກທີ|ເລກ|ບັດ|ປະຈຳຕົວ|ປຶ້ມ|ປື້ມ|เลขที่|เลข|บัตรประชาชน|หนังสือเดินทาง)(?![a-z0-9])"
    r"\.?[\s:#.]*)+",
)
_SEPARATORS = re.compile(r"[\s\-./_:#,()\[\]]")
_NUMBER = re.compile(r"[A-Z0-9]{4,20}")


@dataclass(frozen=True)
class IdDocument:
    """A document number with separators removed, and its kind when the record names it."""

    number: str
    kind: str | None


def is_per_event_document(id_type: str | None) -> bool:
    """True for documents issued for one event (border passes, case and file numbers): no identity evidence."""
    return id_type in PER_EVENT_DOCUMENTS


def _kind_word(s: str) -> tuple[str, int, int] | None:
    """The kind the first word naming one in ``s`` gives, and where that word starts and ends."""
    if s.isascii() and s.isalnum():  # a Latin kind word stands apart from letters and digits: here only as the whole
        kind = _WORD_TO_KIND.get(s)
        return None if kind is None else (kind, 0, len(s))
    found = _KIND_RE.search(s)
    return None if found is None else (_WORD_TO_KIND[found.group(0)], found.start(), found.end())


@lru_cache(maxsize=200_000)
def read_id_document(text: str | None) -> IdDocument | None:
    """The number and kind of an ID written in any script; None for empty, FieldError for no number."""
    if text is None:
        return None
    s = _normal(text)
    if not s or s in _EMPTY:
        return None
    kind = None
    if _BP_NUMBER.match(s):
        kind = "border_pass"
    elif found := _kind_word(s):
        kind, start, end = found
        s = (s[:start] + " " + s[end:]).strip()
    number = _SEPARATORS.sub("", _LABEL.sub("", s.strip(" :#.-"))).upper()
    if not _NUMBER.fullmatch(number):
        raise FieldError("an ID number has 4 to 20 letters and digits once separators are removed", field="id_number",
                         value=text)
    if not any(c.isdigit() for c in number):
        raise FieldError("an ID number has at least one digit", field="id_number", value=text)
    return IdDocument(number, kind)
