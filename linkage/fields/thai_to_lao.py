"""Thai script to Lao script, so that Thai-written Lao names romanize like Lao ones.

Thai officials write Lao names in Thai script (บัวสี ทำมะสัก for ບົວສີ ທຳມະສັກ).
Letters map one to one onto their Lao sound equivalents; Thai-only letters
(Sanskrit/Pali spellings) fold onto the Lao letter with the same sound, and ร,
which Lao names do not have, becomes ລ. A few spelling patterns differ between
the scripts and are rewritten before the letter mapping: เ-ีย, เ-า, -ัว, -รร-,
a final ร/ล/ญ (sounding n), and letters silenced by ์.
"""

from __future__ import annotations

import re
from functools import lru_cache

THAI_TO_LAO_LETTERS: dict[str, str] = {
    # consonants
    "ก": "ກ", "ข": "ຂ", "ฃ": "ຂ", "ค": "ຄ", "ฅ": "ຄ", "ฆ": "ຄ", "ง": "ງ", "จ": "ຈ",
    "ฉ": "ສ", "ช": "ຊ", "ซ": "ຊ", "ฌ": "ຊ", "ญ": "ຍ", "ฎ": "ດ", "ฏ": "ຕ", "ฐ": "ຖ",
    "ฑ": "ທ", "ฒ": "ທ", "ณ": "ນ", "ด": "ດ", "ต": "ຕ", "ถ": "ຖ", "ท": "ທ", "ธ": "ທ",
    "น": "ນ", "บ": "ບ", "ป": "ປ", "ผ": "ຜ", "ฝ": "ຝ", "พ": "ພ", "ฟ": "ຟ", "ภ": "ພ",
    "ม": "ມ", "ย": "ຍ", "ร": "ລ", "ล": "ລ", "ว": "ວ", "ศ": "ສ", "ษ": "ສ", "ส": "ສ",
    "ห": "ຫ", "ฬ": "ລ", "อ": "ອ", "ฮ": "ຮ", "ฤ": "ລຶ", "ฦ": "ລື",
    # vowels
    "ะ": "ະ", "ั": "ັ", "า": "າ", "ำ": "ຳ", "ิ": "ິ", "ี": "ີ", "ึ": "ຶ", "ื": "ື",
    "ุ": "ຸ", "ู": "ູ", "เ": "ເ", "แ": "ແ", "โ": "ໂ", "ใ": "ໃ", "ไ": "ໄ", "ๅ": "",
    "็": "ັ", "ํ": "ໍ",
    # tone marks, cancellation, repetition and abbreviation signs
    "่": "່", "้": "້", "๊": "໊", "๋": "໋", "์": "໌", "ๆ": "ໆ", "ฯ": "ຯ",
    # digits
    "๐": "໐", "๑": "໑", "๒": "໒", "๓": "໓", "๔": "໔", "๕": "໕", "๖": "໖", "๗": "໗",
    "๘": "໘", "๙": "໙",
}
_TABLE = str.maketrans(THAI_TO_LAO_LETTERS)
_THAI_CHARACTER = re.compile("[\u0e00-\u0e7f]")

_C = "[ก-ฮ]"
_TONE = "[่-๋]?"
_VOWEL_AFTER = "[ะ-ู็-๎]"  # any vowel sign, tone mark or ์ that follows a consonant

_REWRITES: list[tuple[re.Pattern[str], str]] = [
    # -ทร์ / -ทน์ after a final: both letters silent (จันทร์ = ຈັນ, เวียงจันทน์ = ວຽງຈັນ)
    (re.compile("(?<=[ก-ฮ])[ทตดศสพ][รนท]์"), ""),
    # final -ชร -ตร -ทร after a vowel: ร silent (เพชร = ເພັດ, บุตร = ບຸດ)
    (re.compile("(?<=[ัาิีึืุู็่-๋])([ชตทด])ร(?![ก-๛])"), r"\1"),
    (re.compile("(?<=[เแโ][ก-ฮ])([ชตทด])ร(?![ก-๛])"), r"\1"),
    # letter (with its vowel) silenced by ์: ศักดิ์ = ສັກ, วงศ์ = ວົງ
    (re.compile(f"{_C}[ิุ]?์"), ""),
    # -รร- reads 'a' before a final, 'an' at the end: ธรรม = ທັມ, สรร = ສັນ
    (re.compile(f"({_C})รร(?={_C})"), r"\1ั"),
    (re.compile(f"({_C})รร(?!{_VOWEL_AFTER})"), r"\1ັນ"),
    # open 'ia' เ-ีย → ເ-ັຍ, closed เ-ียF → -ຽF: เสีย = ເສັຍ, เวียง = ວຽງ
    (re.compile(f"เ({_C}{_TONE})ีย(?={_C}(?!{_VOWEL_AFTER}))"), r"\1ຽ"),
    (re.compile(f"เ({_C}{_TONE})ีย"), r"ເ\1ັຍ"),
    # เ-า → ເ-ົາ: เสา = ເສົາ
    (re.compile(f"เ({_C}{_TONE})า(?!ะ)"), r"ເ\1ົາ"),
    # open 'ua' -ัว → -ົວ: บัว = ບົວ
    (re.compile(f"({_C})ั({_TONE})ว"), r"\1ົ\2ວ"),
    # ศร/สร read s (ศรี = ສີ), ทร at the start reads x (ทราย = ຊາຍ)
    (re.compile("[ศส]ร(?=[ะัาำิีึืุู็่-๋])"), "ส"),
    (re.compile("(?<![ก-๛])ทร(?=[ะัาำิีึืุู็่-๋])"), "ซ"),
    # other r-clusters keep ຣ, which Lao reads as a cluster and the name key drops: พระ = ພຣະ
    (re.compile("([กขคตปพผบ])ร(?=[ะัาำิีึืุู็่-๋])"), "\\1ຣ"),
    # -วง after a syllable closed by ง น ม ก บ ว is the name word ວົງ, not the vowel ua: แสงวง = ແສງວົງ
    (re.compile("(?<=[ก-ฮ\u0e30-\u0e4e])([งนมกบว])วง(?![\u0e30-\u0e4e])"), r"\1ວົງ"),
    # word-final consonant + ร reads -on: พร = ພອນ, นคร = ນຄອນ
    (re.compile(f"(?<![เแโใไ])(?<![เแโใไ][ก-ฮ])({_C})ร(?![ก-๛])"), r"\1ອນ"),
    # final ร ล ญ ฬ (after a written vowel) sound n in Lao: บุญ = ບຸນ, กมล(ร) ...
    (re.compile(f"(?<=[ัาิีึืุู็่-๋])[รลญฬ](?!{_VOWEL_AFTER}|[อวย])"), "ນ"),
]


@lru_cache(maxsize=100_000)
def thai_to_lao(text: str) -> str:
    """Thai script → Lao script; characters outside Thai pass through unchanged."""
    if not text or not _THAI_CHARACTER.search(text):
        return text
    for pattern, repl in _REWRITES:
        text = pattern.sub(repl, text)
    return text.translate(_TABLE)
