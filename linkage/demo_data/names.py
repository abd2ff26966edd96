"""Lao name parts in Lao script with their official (French-based) romanization, and the invented names built from them.

Names are composed from common name words, so no list of real people is involved; a few combinations
that are full names of public figures are refused (``PUBLIC_FIGURES``). Each name keeps its parts, so
spelling habits can be applied word by word (``spelling_variants``), and the order of each list is its
frequency rank: ``zipf_weights`` gives a realistic long tail (many Bounmy, few Xayamoungkhoun).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Word:
    """One name word: Lao script, its romanization at the start of a name and at its end."""

    lao: str
    initial: str
    final: str


@dataclass(frozen=True)
class Name:
    """A given or family name made of words; ``parts`` pairs each Lao word with its romanization there."""

    parts: tuple[tuple[str, str], ...]
    sex: str = "U"  # F, M or U (either), for given names

    @property
    def lao(self) -> str:
        return "".join(lao for lao, _ in self.parts)

    @property
    def official(self) -> str:
        return "".join(latin for _, latin in self.parts).capitalize()


def _w(lao: str, initial: str, final: str | None = None) -> Word:
    return Word(lao, initial.lower(), (final or initial).lower())


# Given-name words. Sex tags below lean a name female or male when it contains such a word.
GIVEN_WORDS: dict[str, Word] = {
    w.initial: w
    for w in (
        _w("ບຸນ", "boun"), _w("ຄຳ", "kham"), _w("ສົມ", "som"), _w("ທອງ", "thong"), _w("ແສງ", "seng"),
        _w("ພອນ", "phon", "phone"), _w("ບົວ", "boua"), _w("ຈັນ", "chan", "chanh"), _w("ສຸກ", "souk"),
        _w("ແກ້ວ", "keo"), _w("ເພັດ", "phet"), _w("ວຽງ", "vieng"), _w("ສີ", "si", "sy"), _w("ວັນ", "van", "vanh"),
        _w("ໄຊ", "xay"), _w("ມີ", "my"), _w("ນ້ອຍ", "noy"), _w("ດາ", "da"), _w("ດາວ", "dao"), _w("ຄູນ", "khoun"),
        _w("ນວນ", "nouan"), _w("ພູ", "phou"), _w("ສະຫວັນ", "savan", "savanh"), _w("ມະນີ", "mani", "many"),
        _w("ມາລີ", "mali", "maly"), _w("ສະໄໝ", "samai", "samay"), _w("ເຫຼືອ", "leua"), _w("ແພງ", "pheng"),
        _w("ສອນ", "son", "sone"), _w("ໄພ", "phai", "phay"), _w("ແດງ", "deng"), _w("ເດືອນ", "deuan", "deuane"),
        _w("ຫອມ", "hom"), _w("ພັນ", "phan", "phanh"), _w("ວົງ", "vong"), _w("ທະວີ", "thavi", "thavy"),
        _w("ສະຫວາດ", "savat", "savath"), _w("ລີ", "li", "ly"), _w("ຈິດ", "chit", "chith"), _w("ອຸ່ນ", "oun"),
        _w("ນາ", "na"), _w("ທິບ", "thip"), _w("ໄຫຼ", "lai", "lay"), _w("ອ່ອນ", "on", "one"), _w("ສຸດ", "sout", "soud"),
    )
}
FEMALE_WORDS = frozenset({"boua", "dao", "mali", "mani", "vieng", "samai", "pheng", "deuan", "hom", "da", "thip"})
MALE_WORDS = frozenset({"boun", "thong", "phet", "xay", "savat", "thavi", "vong", "phou", "chit", "khoun", "sout"})

# The most common given names first (rank order matters: it is the frequency order).
COMMON_GIVEN = (
    ("boun", "my"), ("noy",), ("phet",), ("souk",), ("kham",), ("som", "phone"), ("boua", "sy"), ("kham", "phone"),
    ("keo",), ("van",), ("som", "chanh"), ("thong", "chanh"), ("seng", "dao"), ("vieng", "samay"), ("boun", "leua"),
    ("kham", "ly"), ("seng", "deuane"), ("thong", "vanh"), ("boun", "thavy"), ("som", "savath"), ("dao",),
    ("mali",), ("mani",), ("phon", "sy"), ("chan", "thavy"), ("kham", "sy"), ("boua", "phanh"), ("souk", "savanh"),
    ("phet", "sy"), ("xay",), ("boun", "chanh"), ("noy", "pheng"), ("kham", "deng"), ("som", "phet"),
)
GIVEN_FIRST = ("boun", "kham", "som", "thong", "seng", "phon", "boua", "chan", "souk", "keo", "phet", "vieng",
               "van", "xay", "dao", "khoun", "phou", "savan", "nouan", "oun", "thip", "si", "on")
GIVEN_LAST = ("my", "phone", "sy", "chanh", "vanh", "xay", "thong", "kham", "keo", "phet", "samay", "leua",
              "pheng", "sone", "dao", "deuane", "souk", "savath", "thavy", "vong", "maly", "seng", "phanh",
              "ly", "chith", "noy", "da", "hom", "lay", "many", "na", "savanh")
STANDALONE_GIVEN = ("seng", "thong", "phon", "boua", "chan", "vieng", "phou", "hom", "pheng", "oun", "deng", "on")

FAMILY_WORDS: dict[str, Word] = {
    w.initial: w
    for w in (
        _w("ພົມມະ", "phomma"), _w("ພົມ", "phom"), _w("ວົງ", "vong"), _w("ແກ້ວ", "keo"), _w("ສີ", "si", "sy"),
        _w("ພູ", "phou"), _w("ໄຊຍະ", "xaya"), _w("ທຳມະ", "thamma"), _w("ແສງ", "seng"), _w("ບຸນ", "boun"),
        _w("ຄຳ", "kham"), _w("ອິນ", "in"), _w("ຈັນ", "chan", "chanh"), _w("ສຸວັນ", "souvan", "souvanh"),
        _w("ດວງ", "douang"), _w("ມະນີ", "mani", "many"), _w("ລາດ", "lat", "lath"), _w("ທອງ", "thong"),
        _w("ສຸລິ", "souli"), _w("ວິ", "vi"), _w("ຊາ", "xa"), _w("ບົວ", "boua"), _w("ໄຊ", "xay"),
        _w("ຈັນທະ", "chantha"), _w("ອຸດົມ", "oudom"),
        _w("ທະວົງ", "thavong"), _w("ນະວົງ", "navong"), _w("ສາ", "sa"), _w("ພັນດອນ", "phandon", "phandone"),
        _w("ສັກ", "sak", "sack"), _w("ມຸງຄຸນ", "moungkhoun"), _w("ສຸລາດ", "soulat", "soulath"),
        _w("ວົງສາ", "vongsa"), _w("ທະລາ", "thala"), _w("ວິໄລ", "vilai", "vilay"), _w("ມາລາ", "mala"),
        _w("ສົມບັດ", "sombat", "sombath"), _w("ພອນ", "phon", "phone"), _w("ວິຈິດ", "vichit", "vichith"),
        _w("ລັກ", "lak", "lack"), _w("ສະຫວັດ", "savat", "savath"), _w("ລາ", "la"), _w("ສີລາ", "sila"),
        _w("ຈະເລີນ", "chaleun", "chaleune"), _w("ທິລາດ", "thilat", "thilath"), _w("ສຸກ", "souk"),
        _w("ໄຊຍະວົງ", "xayavong"), _w("ແສນ", "sen", "sene"), _w("ໄຊສະນາ", "xaysana"),
    )
}
COMMON_FAMILY = (
    ("vong", "sa"), ("phomma", "chanh"), ("phomma", "vong"), ("keo", "boun", "navong"), ("si", "phandone"),
    ("phou", "thavong"), ("xaya", "moungkhoun"), ("thamma", "sack"), ("si", "soulath"), ("in", "thavong"),
    ("chan", "thavong"), ("souvan", "navong"), ("mani", "vong"), ("douang", "mala"), ("keo", "vongsa"),
    ("seng", "souk"), ("boun", "thala"), ("chan", "thala"), ("kham", "vongsa"), ("phomma", "sy"),
    ("xay", "sana"), ("vong", "phachanh"), ("si", "vilay"), ("thong", "sy"), ("phom", "sombath"),
)
FAMILY_FIRST = ("phomma", "vong", "keo", "si", "phou", "xaya", "thamma", "seng", "boun", "kham", "in", "chan",
                "souvan", "douang", "mani", "thong", "souli", "vi", "boua", "xay", "chantha", "oudom", "lat", "sen")
FAMILY_MIDDLE = ("boun", "kham", "seng", "in", "si", "vong", "keo", "xay", "phou", "thong", "chan", "sen")
FAMILY_LAST = ("chanh", "thavong", "navong", "sa", "phandone", "sack", "moungkhoun", "soulath", "vongsa", "thala",
               "vilay", "mala", "sombath", "phone", "vichith", "lack", "savath", "sila", "chaleune", "thilath",
               "souk", "xayavong", "sene", "kham", "sy", "xaysana", "vong", "boun", "la")

# Full names of public figures that random composition must never produce (given, family).
PUBLIC_FIGURES = frozenset({
    ("khamtay", "siphandone"), ("sonexay", "siphandone"), ("thongloun", "sisoulith"), ("bounnhang", "vorachith"),
    ("choummaly", "sayasone"), ("kaysone", "phomvihane"), ("saysomphone", "phomvihane"), ("phankham", "viphavanh"),
    ("thongsing", "thammavong"), ("bouasone", "bouphavanh"), ("nouhak", "phoumsavanh"), ("pany", "yathotou"),
    ("somsavat", "lengsavad"), ("xaysomphone", "phomvihane"),
})

# Extra given-name parts in the family lists that are spelled differently at the start of a word.
_FAMILY_EXTRA = {"phachanh": Word("ພະຈັນ", "phachan", "phachanh"), "sana": Word("ສະນາ", "sana", "sana")}


def _given_name(keys: tuple[str, ...]) -> Name:
    words = [GIVEN_WORDS[k] if k in GIVEN_WORDS else _final_lookup(GIVEN_WORDS, k) for k in keys]
    last = len(words) - 1
    parts = tuple((w.lao, w.final if i == last else w.initial) for i, w in enumerate(words))
    tags = {w.initial for w in words}
    female, male = bool(tags & FEMALE_WORDS), bool(tags & MALE_WORDS)
    return Name(parts, "F" if female and not male else "M" if male and not female else "U")


def _final_lookup(table: dict[str, Word], key: str) -> Word:
    for w in table.values():
        if w.final == key:
            return w
    if key in _FAMILY_EXTRA:
        return _FAMILY_EXTRA[key]
    raise KeyError(key)


def _family_name(keys: tuple[str, ...]) -> Name:
    words = [FAMILY_WORDS[k] if k in FAMILY_WORDS else _final_lookup(FAMILY_WORDS, k) for k in keys]
    return Name(tuple((w.lao, w.final if i == len(words) - 1 else w.initial) for i, w in enumerate(words)))


def _unique(names: list[Name]) -> tuple[Name, ...]:
    seen: dict[str, Name] = {}
    for n in names:
        seen.setdefault(n.lao, n)
    return tuple(seen.values())


def _build_given() -> tuple[Name, ...]:
    names = [_given_name(k) for k in COMMON_GIVEN] + [_given_name((k,)) for k in STANDALONE_GIVEN]
    combos = [(a, b) for a, b in itertools.product(GIVEN_FIRST, GIVEN_LAST) if GIVEN_WORDS[a].final != b]
    order = np.random.default_rng(20240611).permutation(len(combos))  # fixed: the table never depends on --seed
    names += [_given_name(combos[i]) for i in order[:260]]
    return _unique(names)


def _build_family() -> tuple[Name, ...]:
    names = [_family_name(k) for k in COMMON_FAMILY]
    pairs = [(a, b) for a, b in itertools.product(FAMILY_FIRST, FAMILY_LAST) if FAMILY_WORDS[a].final != b]
    rng = np.random.default_rng(19750312)
    names += [_family_name(pairs[i]) for i in rng.permutation(len(pairs))[:330]]
    triples = [(a, b, c) for a, b, c in itertools.product(FAMILY_FIRST, FAMILY_MIDDLE, FAMILY_LAST)
               if len({a, b, c, FAMILY_WORDS[a].final, FAMILY_WORDS[b].final}) == 5]
    names += [_family_name(triples[i]) for i in rng.choice(len(triples), size=330, replace=False)]
    return _unique(names)


GIVEN_NAMES: tuple[Name, ...] = _build_given()
FAMILY_NAMES: tuple[Name, ...] = _build_family()


def zipf_weights(n: int, exponent: float) -> np.ndarray:
    """Probabilities of ranks 1..n under a Zipf law: the first names are common, the tail is long."""
    w = 1.0 / np.arange(1, n + 1) ** exponent
    return w / w.sum()
