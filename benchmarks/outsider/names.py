"""Lao given names, family names and nicknames, and how each office writes them.

A name is a tuple of syllables (keys of ``syllables.SYLLABLES``). Given names are drawn with Zipf-like
weights (a few very common, a long tail), family names are composed the way Lao family names are
(Phomma + vong, Keo + many), nicknames are the short house names people give a shelter.
"""

from __future__ import annotations

import random

from benchmarks.outsider.syllables import SYLLABLES

Name = tuple[str, ...]

FEMALE_GIVEN: list[Name] = [tuple(n.split()) for n in [
    "ບົວ ສີ", "ຈັນ ທະ ລາ", "ຄຳ ລາ", "ມະ ນີ ວັນ", "ພອນ ທິບ", "ແສງ ດາ", "ດວງ ຈັນ", "ນາ ລີ", "ອຸ່ນ ເຮືອນ",
    "ບົວ ພັນ", "ດາ ວອນ", "ສີ ພອນ", "ຄຳ ພອນ", "ແກ້ວ ມະ ນີ", "ວັນ ນາ", "ຈິດ ດາ", "ທອງ ຈັນ", "ແສງ ຈັນ",
    "ພອນ ສະ ຫວັນ", "ດວງ ດີ", "ມາ ລີ", "ບຸນ ມາ", "ສຸກ ສະ ຫວັນ", "ອາ ລຸນ", "ແພງ", "ລາ ວັນ", "ທິບ ພະ ວັນ",
    "ສີ ດາ", "ຄຳ ແພງ", "ດວງ ມະ ນີ", "ວິ ໄລ", "ບົວ ວອນ", "ແສງ ອາ ລຸນ", "ພອນ ມະ ນີ", "ຈັນ ສີ", "ນາ ວັນ",
]]
MALE_GIVEN: list[Name] = [tuple(n.split()) for n in [
    "ສົມ ພອນ", "ບຸນ ມີ", "ຄຳ ພັນ", "ສົມ ສັກ", "ບຸນ ທອງ", "ແສງ ທອງ", "ຄຳ ແສນ", "ທອງ ພັນ", "ສົມ ຈິດ",
    "ພອນ ໄຊ", "ຄຳ ແດງ", "ບຸນ ຄອນ", "ສົມ ໄພ", "ທອງ ວັນ", "ແສງ ເພັດ", "ເພັດ", "ສີ ສະຫວັດ", "ບຸນ ເຮືອນ",
    "ຄຳ ໄຊ", "ສຸກ ສະຫວັດ", "ພູ ມີ", "ວັນ ໄຊ", "ສົມ ບັດ", "ທອງ ໄຊ", "ເພັງ", "ສີ ພັນ", "ດວງ ໄຊ",
    "ພອນ ສະ ຫວັນ", "ຂັນ ທະ ລີ", "ບຸນ ໄພ", "ຄຳ ພູ", "ສົມ ມີ", "ທອງ ສີ", "ແສງ ສົມ ບັດ", "ວິ ລະ", "ບູ ວັນ",
]]
MALE_GIVEN = [n for n in MALE_GIVEN if all(s in SYLLABLES for s in n)]

_LINKED = [("ພົມ", "ມະ"), ("ຈັນ", "ທະ"), ("ອິນ", "ທະ"), ("ພັນ", "ທະ"), ("ຄຳ", "ມະ"), ("ໄຊ", "ຍະ"),
           ("ສຸ", "ລິ", "ຍະ"), ("ວິ", "ລະ")]
_PLAIN = [("ແກ້ວ",), ("ສີ",), ("ບຸນ",), ("ດວງ",), ("ສຸກ",), ("ວົງ",), ("ທອງ",), ("ແສງ",), ("ພູ",), ("ລາດ",),
          ("ພົມ",), ("ອິນ",), ("ຈັນ",), ("ບົວ",)]
_SUFFIXES = [("ມະ", "ນີ"), ("ສຸ", "ວັນ"), ("ສະ", "ຫວັນ"), ("ສົມ", "ບັດ"), ("ໄຊ",), ("ວົງ", "ສາ"),
             ("ພັນ",), ("ທະ", "ວົງ")]


def _family_names() -> list[Name]:
    names: list[Name] = [p + ("ວົງ",) for p in _LINKED if all(s in SYLLABLES for s in p)]
    for i, prefix in enumerate(_PLAIN):
        for j, suffix in enumerate(_SUFFIXES):
            if (i * 3 + j) % 7 != 0 and prefix[0] != suffix[0]:  # not every combination is a family name
                names.append(prefix + suffix)
    return [n for n in names if all(s in SYLLABLES for s in n)]


FAMILY: list[Name] = _family_names()

# House names: Lao script, Latin spellings, Thai script; (F, M, both) by who usually carries them.
NICKNAMES: list[tuple[str, tuple[str, ...], str, str]] = [
    ("ນ້ອຍ", ("Noy", "Noi", "Nooy"), "น้อย", "B"), ("ແອ໋", ("Ae", "Air", "Eh"), "แอ๋", "F"),
    ("ຕຸ້ຍ", ("Tui", "Toui", "Tuy"), "ตุ้ย", "B"), ("ແດງ", ("Daeng", "Deng"), "แดง", "B"),
    ("ຫຼ້າ", ("La", "Lah"), "หล้า", "B"), ("ນາງ", ("Nang",), "นาง", "F"), ("ກ້ອຍ", ("Koy", "Koi"), "ก้อย", "F"),
    ("ອ້ວນ", ("Ouan", "Uan", "Auan"), "อ้วน", "B"), ("ດຳ", ("Dam", "Dum"), "ดำ", "B"),
    ("ນິດ", ("Nit", "Nith"), "นิด", "F"), ("ປຸ້ຍ", ("Pui", "Puy"), "ปุ้ย", "F"), ("ເຕີຍ", ("Toey", "Teuy"), "เตย", "F"),
    ("ບີ", ("Bee", "Bi"), "บี", "B"), ("ຈອຍ", ("Joy", "Choy"), "จอย", "F"), ("ບ່າວ", ("Bao", "Bow"), "บ่าว", "M"),
    ("ໂຕ້ງ", ("Tong", "Toung"), "โต้ง", "M"), ("ເປ້", ("Pe", "Pae"), "เป้", "M"), ("ຄຳ", ("Kham",), "คำ", "B"),
]


def zipf_pick(rng: random.Random, items: list, s: float = 1.0):
    """One of ``items``, the k-th with weight 1 / k^s (the list order is the order of frequency)."""
    weights = [1.0 / (k + 1) ** s for k in range(len(items))]
    return rng.choices(items, weights)[0]


def nickname_for(rng: random.Random, sex: str) -> int:
    """Index into NICKNAMES of a house name fitting ``sex``."""
    fitting = [i for i, n in enumerate(NICKNAMES) if n[3] in ("B", sex)]
    return zipf_pick(rng, fitting, 0.8)


def lao(name: Name) -> str:
    """The name in Lao script."""
    return "".join(name)


def thai(name: Name, rng: random.Random, phonetic: float = 0.2) -> str:
    """The name as a Thai office writes it in Thai script: the usual spelling, sometimes a phonetic one."""
    parts = []
    for syl in name:
        forms = SYLLABLES[syl].thai
        parts.append(forms[-1] if len(forms) > 1 and rng.random() < phonetic else forms[0])
    return "".join(parts)


def latin(name: Name, style: str, rng: random.Random) -> str:
    """The name in Latin letters in a clerk's ``style``: official, adhoc or thai (from the Thai script)."""
    out = []
    for i, syl in enumerate(name):
        s = SYLLABLES[syl]
        final = i == len(name) - 1
        official = s.final if final else s.internal
        if style == "official":
            part = official if rng.random() < 0.9 else rng.choice(s.adhoc)
        elif style == "adhoc":
            part = official if rng.random() < 0.6 else rng.choice(s.adhoc)
            if not final and part.endswith("h") and part[-2] in "aeiou":  # "Lah" ends a name, never "Lahvong"
                part = official
        else:
            part = rng.choice(s.thai_latin) if rng.random() < 0.85 else official
        out.append(part)
    if len(out) > 2 and rng.random() < 0.03:  # a long given name split in two words: "Phone Savanh"
        cut = rng.randrange(1, len(out))
        return "".join(out[:cut]).capitalize() + " " + "".join(out[cut:]).capitalize()
    return "".join(out).capitalize()


def nickname_latin(index: int, rng: random.Random) -> str:
    return rng.choice(NICKNAMES[index][1])
