"""One phonetic key for every spelling of a Lao name, in Lao, Thai or Latin script.

Two forms are made from any name text:

* ``romanize_name``: the finer form for string similarity: Lao and Thai script
  romanized (Thai goes through Lao script), lower-cased, accents and ALA-LC
  diacritics stripped, punctuation removed, one space between words.
* ``name_key``: the finer form with each word folded by ``FOLD_RULES``, so that
  French-based official spellings, BGN/PCGN and ALA-LC, Thai RTGS spellings and
  ad-hoc English spellings of one name agree.
* ``name_skeleton``: the key with ``SKELETON_RULES`` (vowels, stray h, the g of ng,
  look-alike consonants gone): a coarser second level on which a name that a clerk
  has mistyped still mostly agrees, at the price of more different names agreeing.

Known limit: RTGS writes both Thai จ and ช as ch, and Lao ຊ (x) is Thai ช in
cognate names, so an RTGS "Chai" for ໄຊ keys as ໄຈ; the key keeps ch (ຈ) apart
from x/s (ຊ ສ) because merging them makes Chom = Som, Chit = Sit.

Lao ພ (ph) and ຟ (f) are different sounds, and no romanization system writes
one for the other, so ph/p fold together (ad-hoc spellings drop the h:
Phonsavanh / Ponsavan, ປ and ພ are both heard as 'p' by English writers) but f
stays apart.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from linkage.fields.lao_romanize import romanize_lao
from linkage.fields.thai_to_lao import thai_to_lao

_V = "aeiou"

# Each rule: (pattern, replacement, attested pair of spellings it unites).
# Applied in order to one lower-case, de-accented word, repeated until nothing changes.
FOLD_RULES: list[tuple[str, str, str]] = [
    # A doubled consonant marks nothing (Thammasack / Thamasak, below); undone first, so that the
    # rules below see one letter: a doubled l is not a final l (ລ read as n), a doubled c before h
    # is not c (k) + ch (ຈ). Both are clerks' slips: Souvanthilath / Souvanthillath, Vichit / Vicchit.
    ("([b-df-hj-np-tv-z])\\1+", r"\1", "Souvanthilath / Souvanthillath, Vichit / Vicchit"),
    # English long vowels spelled ee / oo.
    ("ee", "i", "Bounmee / Bounmy"),
    ("oo", "u", "Boonmee / Bounmy (Thai-style 'Boon' for ບຸນ)"),
    # French silent e after a final n (it only marks a long vowel).
    (f"(?<=[{_V}y]n)e$", "", "Siphandone / Siphandon, Phomvihane / Phomvihan"),
    (f"(?<=[{_V}]n)e(?=[bcdfgjklmnpqrstvxz])", "", "Phonesavanh / Phonsavanh, Phonenoy / Phonnoy"),
    # Pali r-clusters are not pronounced in Lao: ພຣະ = ພະ.
    ("([kpt]h?)r", r"\1", "Luang Prabang / Louangphabang"),
    # French ou = u of BGN, ALA-LC and RTGS.
    ("ou", "u", "Xayamoungkhoun / Sayamungkhun"),
    # w as a glide after kh is the French ou (ຂວ ຄວ); elsewhere w is the initial ວ.
    (f"(?<=kh)w(?=[{_V}])", "u", "Xiengkhouang / Xiengkhwang"),
    # ຍ written gn (French), ny (BGN, ALA-LC), nh (Vietnamese-style) or y before a vowel.
    (f"n*(?:gn|ny|nh)(?=[{_V}y])", "y", "Xaignabouli / Sainyabuli / Xayabouly, Bounnhang / Bounyang"),
    # ie at the end is the English i; elsewhere ie and ia are the one vowel ຽ.
    ("ie$", "i", "Malie / Maly (ad-hoc English)"),
    ("ie", "ia", "Viengxay / Viangxai"),
    # ແ is è (French), ae (RTGS) or e.
    ("ae", "e", "Kaeo / Keo"),
    # ເືອ is eua (French), uea (RTGS), ua (BGN); ຶ ື ເີ are eu, ue, oe or u.
    ("(?:eu|ue|oe)a", "ua", "Meuang / Mueang / Muang"),
    ("eu|ue|oe", "u", "Attapeu / Attapu, Dakcheung / Dakchung"),
    # Final ວ after ແ/ເ: o (French, RTGS) or w (informal Thai-English).
    (f"(?<=e)w(?![{_V}])", "o", "Kaew / Keo"),
    # ເົາ written ao, au or (English) ow; illustrative ad-hoc spellings of ດາວ, ເຂົາ.
    ("au", "ao", "Khau / Khao"),
    (f"ow(?![{_V}])", "ao", "Dow / Dao"),
    # y after a vowel is i (ໄ ay/ai, final ີ y/i); iy before a vowel is one y.
    (f"y(?![{_V}])", "i", "Khamtay / Khamtai, Bouasy / Bouasi, Kaysone / Kaisone"),
    (f"iy(?=[{_V}])", "y", "Xaignabouli / Xayabouly (after gn → y)"),
    # Aspirated pairs that ad-hoc spellings do not keep apart.
    ("ph", "p", "Phonsavanh / Ponsavan"),
    ("th", "t", "Gnommalath / Gnommalat"),
    ("kh", "k", "Savannakhet / Savannaket"),
    # ຈ: ch (French, RTGS), j (English), č (ALA-LC, de-accented to c).
    ("ch|j", "j", "Chanthala / Jantala (ad-hoc English j for ຈ; ALA-LC č becomes ch)"),
    ("ck|q|c", "k", "Thammasack / Thammasak, Champasack / Champasak"),
    # ຊ and ສ: x (French), s, z; Lao has one s sound.
    ("[xz]", "s", "Xayamoungkhoun / Sayamungkhun, Oudomxay / Oudomsay"),
    ("w", "v", "Phouthavong / Phouthawong"),
    # Lao names have no r: ລ and ຣ are both l.
    ("r", "l", "Xayaboury / Sayabouly"),
    # A final l or r is the Thai final ล/ร, sounding n.
    (f"l(?![{_V}y])", "n", "Kamol / Kamon, Somporn / Somphone"),
    # h after a consonant other than the aspirates marks nothing: final nh is n.
    ("(?<=[bdgjlmnsv])h", "", "Souvanh / Souvan, Keobounphanh / Keobounphan"),
    # Final ດ written d or t.
    (f"d(?![{_V}y])", "t", "Phoukoud / Phoukout"),
    # Doubled letters mark nothing.
    (r"([a-z])\1+", r"\1", "Thammasack / Thamasak, Sisattanak / Sisatanak"),
]
_COMPILED = [(re.compile(p), r) for p, r, _ in FOLD_RULES]

# The coarse key (``name_skeleton``): rules applied once, in order, to a word's name key. The
# name key folds the ways of *spelling* a name; the skeleton also absorbs the commonest *slips*
# of a clerk's hand (a vowel mistyped, dropped, doubled or swapped with its neighbour, a stray h,
# a dropped g of ng, the Lao-script look-alike consonants), at the price of joining some different
# names (Bounmy = Bounma, Phet = Phat): it is a second, coarser level beside the key, never a
# replacement for it. The examples are slips seen in the sources (the demo's hands make the same).
SKELETON_RULES: list[tuple[str, str, str]] = [
    # Vowels and y after the first letter: the key has already folded their spellings, so what is
    # still apart is a slip, or a different vowel (the price of this key).
    ("(?<=.)[aeiouy]", "", "Souk / Sok, Noy / Nooy, Vongsa / Voongsa, Kham / Khma"),
    # h after the first letter: the key has folded the aspirates, what is left is a stray h or the
    # ຫ of a syllable between vowels.
    ("(?<=.)h", "", "Sithala / Sihtala, Vanh / Vahn"),
    # g is left only from ng (the key writes gn ຍ as y): final ງ and ນ are heard alike, and
    # the g of ng is the letter clerks drop or swap most.
    ("g", "", "Vongsa / Vonsa, Viengsy / Viensi, Pheng / Phegn"),
    # ບ b and ປ p, ດ d and ຕ t differ in Lao script by one stroke, and unaspirated ປ ຕ sound b d
    # to English ears: the look-alikes are the commonest Lao-script slip.
    ("p", "b", "Bounthala / Pounthala (ບຸນ / ປຸນ)"),
    ("t", "d", "Khamdeng / Khamteng (ແດງ / ແຕງ), Siphandone / Siphantone"),
    # A ch that loses its h is c, which the key reads as k (ck and c are k).
    ("j", "k", "Souvanchansy / Souvancansy, Chandao / Candao"),
    # The same letter twice once the vowels are gone is one letter.
    (r"(.)\1+", r"\1", "Phommasy / Phmomasy (m-m), Chansisavath / Chanissavath (s-s)"),
]
_SKELETON = [(re.compile(p), r) for p, r, _ in SKELETON_RULES]

# Letters NFKD does not take apart, and ALA-LC letters with their own spelling.
_SPECIAL_LETTERS = str.maketrans(
    {"æ": "ae", "ǣ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "ß": "ss",
     "ł": "l", "ı": "i", "ñ": "ny", "č": "ch", "ư": "u", "ơ": "o"}
)
_APOSTROPHES = re.compile("['’ʼʻ`´]")
_NOT_ALNUM = re.compile(r"[\W_]")  # exactly the characters that are not str.isalnum()
_ASCII_LETTER = re.compile("[A-Za-z]")


@lru_cache(maxsize=4096)
def _char_script(ch: str) -> str | None:
    """The script one character counts for in ``detect_script`` (None: not a letter or mark)."""
    if "\u0e80" <= ch <= "\u0eff":
        return "lao" if ch.isalpha() or unicodedata.category(ch) == "Mn" else None
    if "\u0e00" <= ch <= "\u0e7f":
        return "thai" if ch.isalpha() or unicodedata.category(ch) == "Mn" else None
    if ch.isalpha():
        return "latin" if unicodedata.name(ch, "").startswith("LATIN") else "other"
    return None


@lru_cache(maxsize=200_000)
def _word_scripts(word: str) -> frozenset[str]:
    """The scripts the letters of one word count for (names repeat words: read each once)."""
    return frozenset(script for script in map(_char_script, set(word)) if script)


def _one_script_text(script: str, first: int, last: int) -> tuple[str, re.Pattern[str], re.Pattern[str]]:
    """A script, the pattern of a text of its block's characters and blanks alone, and of one of its letters."""
    letters = "".join(chr(c) for c in range(first, last + 1) if _char_script(chr(c)) == script)
    return script, re.compile(f"[{chr(first)}-{chr(last)}\\s]+"), re.compile(f"[{letters}]")


_ONE_SCRIPT_TEXTS = (_one_script_text("lao", 0x0E80, 0x0EFF), _one_script_text("thai", 0x0E00, 0x0E7F))


def detect_script(text: str | None) -> str:
    """'lao' | 'thai' | 'latin' | 'mixed' | 'empty' by the letters present.

    Letters of any other script, or of more than one script, give 'mixed'.
    """
    if not text:
        return "empty"
    if text.isascii():  # most names: every ASCII letter is Latin
        return "latin" if _ASCII_LETTER.search(text) else "empty"
    for script, whole, letter in _ONE_SCRIPT_TEXTS:  # most others: Lao or Thai characters alone
        if whole.fullmatch(text) and letter.search(text):
            return script
    scripts = set().union(*map(_word_scripts, text.split()))
    if not scripts:
        return "empty"
    if len(scripts) == 1 and "other" not in scripts:
        return scripts.pop()
    return "mixed"


def _finer_once(text: str) -> str:
    text = _APOSTROPHES.sub("", romanize_lao(thai_to_lao(text)).lower())
    if not text.isascii():  # ASCII has no special letters and no accents to take apart
        text = text.translate(_SPECIAL_LETTERS)
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return " ".join(_NOT_ALNUM.sub(" ", text).split())


@lru_cache(maxsize=500_000)
def romanize_name(text: str | None) -> str:
    """Any script → romanized, lower-case, de-accented words separated by one space."""
    if not text:
        return ""
    out = _finer_once(text)
    for _ in range(4):
        again = _finer_once(out)
        if again == out:
            break
        out = again
    return out


@lru_cache(maxsize=500_000)
def _fold_word(word: str) -> str:
    for _ in range(8):
        before = word
        for pattern, repl in _COMPILED:
            word = pattern.sub(repl, word)
        if word == before:
            break
    return word


@lru_cache(maxsize=500_000)
def name_key(text: str | None) -> str:
    """Phonetic Lao name key; multi-word input gives the keys of its words joined by one space."""
    return " ".join(k for k in (_fold_word(w) for w in romanize_name(text).split()) if k)


def skeleton_word(key_word: str) -> str:
    """``SKELETON_RULES`` applied to one word of a name key (a skeleton is its own skeleton)."""
    for pattern, repl in _SKELETON:
        key_word = pattern.sub(repl, key_word)
    return key_word


@lru_cache(maxsize=500_000)
def name_skeleton(text: str | None) -> str:
    """Coarse name key: each word's name key through ``SKELETON_RULES``, joined by one space like ``name_key``."""
    return " ".join(k for k in (skeleton_word(w) for w in name_key(text).split()) if k)


def skeleton_sql(column: str) -> str:
    """``name_skeleton`` of a one-word name key column, as DuckDB SQL (NULL or an empty skeleton give NULL).

    The model input computes the skeleton from the stored key this way, so the store and the API
    carry no second name field; ``tests/test_name_key.py`` checks it against ``name_skeleton``.
    """
    c = f'"{column}"'
    rest = f"regexp_replace(substr({c}, 2), '[aeiouyh]', '', 'g')"  # vowels, y and h after the first letter
    s = f"translate(replace(left({c}, 1) || {rest}, 'g', ''), 'ptj', 'bdk')"
    # the same letter twice is one: a left fold over the letters (about 0.8 s per million keys)
    fold = "lambda acc, ch: CASE WHEN right(acc, 1) = ch THEN acc ELSE acc || ch END"
    return f"nullif(list_reduce(string_split({s}, ''), {fold}), '')"
