"""How different hands write the same Lao name: romanization habits as rules, and Lao script to Thai script.

Every habit is a list of rewrite rules applied to one name word at a time (its official French-based
romanization, with its Lao spelling at hand for the vowels the Latin form hides), so the rules work
for any Lao name, not only the ones in ``names``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from linkage.demo_data.names import FAMILY_NAMES, GIVEN_NAMES, Name

# (pattern, replacement) applied in order to one lower-case word; "$" is the end of the word.
_RULES: dict[str, tuple[tuple[str, str], ...]] = {
    "official": (),
    # BGN/PCGN-like: s for ຊ, no French "nh"/"ck"/"th" endings, ai for ໄ, ô for a closed o.
    "bgn": (("x", "s"), ("ck$", "k"), ("nh$", "n"), ("one$", "ôn"), ("ay$", "ai"), ("th$", "t")),
    # ALA-LC-like with diacritics: long vowels get a macron, read from the Lao spelling (``_ala_lengths``).
    "ala": (("x", "s"), ("ck$", "k"), ("nh$", "n"), ("ou", "u"), ("one$", "ōn"), ("ay$", "ai"), ("oy$", "oi"),
            ("th$", "t"), ("eua", "ư̄a")),
    # Ad-hoc English as NGO staff write what they hear (Bunmi, Buasi, Sayamungkhun, Thammasak).
    "english": (("ou", "u"), ("x", "s"), ("ck$", "k"), ("nh$", "n"), ("one$", "on"), ("y$", "i")),
    # A lighter hand of the same kind: only the most common habits.
    "english_light": (("ou", "u"), ("x", "s"), ("y$", "i")),
    # Thai RTGS, as Thai officials romanize Lao names (Buasi Thammasak, Wongsa, Saeng).
    "rtgs": (("ou", "u"), ("x", "s"), ("ck$", "k"), ("nh$", "n"), ("one$", "on"), ("v", "w"), ("ay$", "ai"),
             ("oy$", "oi"), ("y$", "i"), ("eua", "uea"), ("ieng", "iang"), ("th$", "t")),
}
HANDS: tuple[str, ...] = tuple(_RULES)
_COMPILED = {hand: tuple((re.compile(p), r) for p, r in rules) for hand, rules in _RULES.items()}
# ແ (open e) hides behind a plain "e" in the official form; these hands write it apart.
_OPEN_E = {"ala": "æ", "rtgs": "ae"}
_PLAIN_E = re.compile(r"(?<![iu])e(?!u)")


# Long vowels in Lao script and where their macron goes in the Latin word.
_LONG_VOWELS = (("ີ", re.compile(r"(?<![ao])i|y$"), "ī"), ("ູ", re.compile("u"), "ū"),
                ("າ", re.compile(r"(?<![uei])a(?![iyou])"), "ā"))


def _ala_lengths(lao: str, out: str) -> str:
    for vowel, pattern, long in _LONG_VOWELS:
        if vowel in lao:
            out = pattern.sub(long, out, count=1)
    return out.replace("y", "i") if out.endswith("y") else out


def spell_word(lao: str, latin: str, hand: str) -> str:
    """One name word written by ``hand``, from its Lao spelling and official romanization."""
    out = latin
    for pattern, replacement in _COMPILED[hand]:
        out = pattern.sub(replacement, out)
    if hand in _OPEN_E and "ແ" in lao:
        out = _PLAIN_E.sub(_OPEN_E[hand], out, count=1)
    if hand == "ala":
        out = _ala_lengths(lao, out)
    return out


def spell_name(name: Name, hand: str) -> str:
    """A whole name written by ``hand`` (capitalised)."""
    return "".join(spell_word(lao, latin, hand) for lao, latin in name.parts).capitalize()


def spell_place(lao: str, official: str, hand: str) -> str:
    """A place name written by ``hand``: the rules applied to each Latin word of its official name."""
    return " ".join(spell_word(lao, w.lower(), hand).capitalize() for w in official.split())


_LAO_TO_THAI = str.maketrans({
    "ກ": "ก", "ຂ": "ข", "ຄ": "ค", "ງ": "ง", "ຈ": "จ", "ສ": "ส", "ຊ": "ซ", "ຍ": "ย", "ດ": "ด", "ຕ": "ต",
    "ຖ": "ถ", "ທ": "ท", "ນ": "น", "ບ": "บ", "ປ": "ป", "ຜ": "ผ", "ຝ": "ฝ", "ພ": "พ", "ຟ": "ฟ", "ມ": "ม",
    "ຢ": "ย", "ຣ": "ร", "ລ": "ล", "ວ": "ว", "ຫ": "ห", "ອ": "อ", "ຮ": "ฮ",
    "ະ": "ะ", "ັ": "ั", "າ": "า", "ຳ": "ำ", "ິ": "ิ", "ີ": "ี", "ຶ": "ึ", "ື": "ื", "ຸ": "ุ", "ູ": "ู",
    "ເ": "เ", "ແ": "แ", "ໂ": "โ", "ໃ": "ใ", "ໄ": "ไ", "່": "่", "້": "้", "໊": "๊", "໋": "๋", "໌": "์",
    "ໆ": "ๆ", "ົ": "", "ຼ": "ล",
})
_CONSONANT = "[ກ-ຮ]"
_TONE = "[່້໊໋]?"
_THAI_PRE = (
    (re.compile("ໜ"), "ຫນ"), (re.compile("ໝ"), "ຫມ"), (re.compile("ົວ"), "ັວ"),  # ບົວ -> บัว
    (re.compile(f"({_CONSONANT}ຼ?)({_TONE})ຽ"), r"ເ\1ີ\2ຍ"),  # ວຽງ -> เวียง
    (re.compile(f"({_CONSONANT})ໍ({_TONE})"), r"\1\2ອ"),  # ບໍ່ -> บ่อ
)
_LAO_BLOCK = re.compile("[\u0e80-\u0eff]")
_THAI_SHORT_E = re.compile("([เแ][ก-ฮ])ั")  # Lao ເ◌ັ is Thai เ◌็


def lao_to_thai(text: str) -> str:
    """Lao script written in Thai script letter by letter, as a Thai official copying a Lao name does."""
    for pattern, replacement in _THAI_PRE:
        text = pattern.sub(replacement, text)
    return _THAI_SHORT_E.sub("\\1็", _LAO_BLOCK.sub("", text.translate(_LAO_TO_THAI)))


def name_spellings(name: Name) -> list[str]:
    """Every way the demo writes a name: each hand's romanization, the Lao script, the Thai script."""
    return [spell_name(name, hand) for hand in HANDS] + [name.lao, lao_to_thai(name.lao)]


def spelling_agreement(key: Callable[[str], str]) -> tuple[int, float]:
    """How many spellings of the demo's name parts there are (``name_spellings``), and the share of them
    whose ``key`` is the key of the official spelling.

    The name key comes as an argument: the generator is written apart from ``linkage.fields.name_key`` so as to test it.
    """
    total = agree = 0
    for name in GIVEN_NAMES + FAMILY_NAMES:
        ref = key(name.official)
        variants = name_spellings(name)
        total += len(variants)
        agree += sum(key(v) == ref for v in variants)
    return total, agree / total
