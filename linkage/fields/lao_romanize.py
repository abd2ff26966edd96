"""Lao script to Latin in the official French-based convention of Lao documents.

ພູທະວົງ → Phouthavong, ແກ້ວບຸນນະວົງ → Keobounnavong, ໄຊຍະມຸງຄຸນ → Xayamoungkhoun.

Lao writes no spaces between syllables, so each word is segmented into
syllables first: every way of reading the word as a sequence of syllable
templates (pre-posed vowel, initial consonant cluster, vowel signs, optional
final consonant) is scored and the cheapest reading wins, ties going to the
reading whose first syllable is longest (a consonant between two vowels closes
the syllable before it, as in ບຸນ|ນະ). Each syllable is then spelled from the
tables below; the French spelling habits that depend on the syllable's place in
the word (final ີ → y, final ັນ → anh, final ານ → ane, final ັກ → ack ...) are
applied at word level. Tone marks are ignored. Latin and other characters pass
through unchanged.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

# --- consonants -------------------------------------------------------------

INITIALS: dict[str, str] = {
    "ກ": "k", "ຂ": "kh", "ຄ": "kh", "ງ": "ng", "ຈ": "ch", "ສ": "s", "ຊ": "x", "ຍ": "y",
    "ດ": "d", "ຕ": "t", "ຖ": "th", "ທ": "th", "ນ": "n", "ບ": "b", "ປ": "p", "ຜ": "ph",
    "ຝ": "f", "ພ": "ph", "ຟ": "f", "ມ": "m", "ຢ": "y", "ຣ": "r", "ລ": "l", "ວ": "v",
    "ຫ": "h", "ອ": "", "ຮ": "h",
    # Pali/Sanskrit letters added in Unicode 12, spelled as their plain Lao sounds.
    "ຆ": "kh", "ຉ": "ch", "ຌ": "x", "ຎ": "y", "ຏ": "t", "ຐ": "th", "ຑ": "d", "ຒ": "th",
    "ຓ": "n", "ຘ": "th", "ຠ": "ph", "ຨ": "s", "ຩ": "s", "ຬ": "l",
}
CONSONANTS = frozenset(INITIALS)

# ຫ before a sonorant only marks the tone class: ຫງ ຫຍ ຫນ ຫມ ຫລ ຫວ read as the sonorant.
H_LED = frozenset("ງຍນມລວຣ")

# Consonants that take ວ as a glide (ຂວາງ khouang); labials never do.
GLIDE_INITIALS = frozenset("ກຂຄງຈສຊຍດຕຖທນລຮ")

# Native finals and their sound; loan finals (Pali/Sanskrit spellings, Thai
# script converted letter by letter) are read as the native final of their class.
FINALS: dict[str, str] = {"ກ": "k", "ງ": "ng", "ດ": "t", "ນ": "n", "ບ": "p", "ມ": "m", "ຍ": "y", "ວ": "o"}
LOAN_FINALS: dict[str, str] = {
    "ສ": "t", "ຊ": "t", "ຈ": "t", "ທ": "t", "ຕ": "t", "ຖ": "t", "ລ": "n", "ຣ": "n",
    "ຄ": "k", "ຂ": "k", "ພ": "p", "ຟ": "p", "ປ": "p",
}

# --- vowels -----------------------------------------------------------------
# (pre-posed part, part after the consonant, vowel id, open|closed|both)
# 'closed' templates need a final consonant, 'open' ones take none.
VOWEL_TEMPLATES: list[tuple[str, str, str, str]] = [
    ("", "ະ", "a", "open"),
    ("", "ັ", "a", "closed"),
    ("", "າ", "aa", "both"),
    ("", "ິ", "i", "both"),
    ("", "ີ", "ii", "both"),
    ("", "ຶ", "eu", "both"),
    ("", "ື", "eu", "both"),
    ("", "ືອ", "eu", "open"),
    ("", "ຸ", "ou", "both"),
    ("", "ູ", "ou", "both"),
    ("ເ", "ະ", "e", "open"),
    ("ເ", "ັ", "e", "closed"),
    ("ເ", "", "e", "both"),
    ("ແ", "ະ", "ae", "open"),
    ("ແ", "ັ", "ae", "closed"),
    ("ແ", "", "ae", "both"),
    ("ໂ", "ະ", "o", "open"),
    ("ໂ", "", "o", "both"),
    ("", "ົ", "o", "closed"),
    ("ເ", "າະ", "or", "open"),
    ("", "ໍ", "or", "open"),
    ("", "ອ", "or", "both"),
    ("", "ັອ", "or", "closed"),
    ("ເ", "ິ", "oe", "both"),
    ("ເ", "ີ", "oe", "both"),
    ("ເ", "ັຍ", "ia", "open"),
    ("ເ", "ຍ", "ia", "open"),
    ("", "ຽ", "ie", "both"),
    ("ເ", "ືອ", "uea", "both"),
    ("", "ົວ", "ua", "open"),
    ("", "ັວ", "ua", "open"),
    ("", "ວ", "ua", "closed"),
    ("ໄ", "", "ai", "open"),
    ("ໃ", "", "ai", "open"),
    ("ໄ", "ຍ", "ai", "open"),  # old spelling, and Thai ไ-ย: ໄທຍ

    ("ເ", "ົາ", "ao", "open"),
    ("", "ຳ", "am", "open"),
    ("", "", "inherent", "both"),  # old or abbreviated spelling with no written vowel
]

VOWELS: dict[str, str] = {
    "a": "a", "aa": "a", "i": "i", "ii": "i", "eu": "eu", "ou": "ou", "e": "e", "ae": "e",
    "o": "o", "or": "o", "oe": "eu", "ia": "ia", "ie": "ie", "uea": "eua", "ua": "oua",
    "ai": "ay", "ao": "ao", "am": "am",
}

# Final ວ is spelled after the vowel: ລາວ Lao, ແກ້ວ Keo, but ນິວ niou.
FINAL_V_AFTER: dict[str, str] = {"i": "ou", "ii": "ou", "ou": "", "eu": "ou"}

# Word-final ນ: the French spelling marks a long vowel with a silent e (Phomvihane,
# Siphandone, Outhine) and short a with h (Souvanh, Keobounphanh).
FINAL_N_SILENT_E = frozenset({"aa", "ua", "uea", "or", "o", "i", "ii", "e", "ae", "oe"})

TONE_MARKS = re.compile("[\u0ec8-\u0ecb]")
CANCELLED = re.compile("[\u0e81-\u0eae][\u0eb0-\u0ebc]*\u0ecc")  # letter (+ its vowel) killed by ໌
LAO_RUN = re.compile("[\u0e80-\u0eff]+")
LAO_DIGITS = str.maketrans("໐໑໒໓໔໕໖໗໘໙", "0123456789")

INHERENT_COST = 2.0  # open syllable with no written vowel (rare)
INHERENT_CLOSED_COST = 1.6  # closed one: Thai writes every short closed o so (สม = ສົມ)
GLIDE_COST = 0.3
CLUSTER_COST = 0.5
LOAN_FINAL_COST = 0.6
ODD_FINAL_COST = 0.1  # ເCຍ is 'ia', not 'e' + final ຍ
SKIP_COST = 5.0


class Syllable(NamedTuple):
    initial: str  # romanized initial cluster ('' for ອ)
    vowel: str  # vowel id from VOWEL_TEMPLATES
    final: str | None  # final consonant letter (Lao) or None
    y_initial: bool  # initial is ຍ/ຫຍ (spelled gn at the start of a word)


def _clusters(word: str, j: int) -> list[tuple[int, str, bool, float]]:
    """Initial consonant clusters starting at j: (end, romanized, is ຍ, extra cost)."""
    if j >= len(word) or word[j] not in CONSONANTS:
        return []
    c = word[j]
    out = [(j + 1, INITIALS[c], c in "ຍຎ", 0.0)]
    nxt = word[j + 1] if j + 1 < len(word) else ""
    if c == "ຫ" and nxt in H_LED:
        out.append((j + 2, INITIALS[nxt], nxt == "ຍ", 0.0))
    if nxt == "ຼ":
        out.append((j + 2, INITIALS[c] + "l" if c != "ຫ" else "l", False, 0.0))
    if nxt == "ວ" and c in GLIDE_INITIALS:
        out.append((j + 2, INITIALS[c] + "ou", False, GLIDE_COST))
    if nxt == "ຣ" and c in "ກຂຄຕທປພບສ":
        out.append((j + 2, INITIALS[c] + "r", False, CLUSTER_COST))
    return out


def _index_templates() -> dict[tuple[str, str], list[tuple[str, str, str]]]:
    """Templates by (pre-posed vowel, first character after the consonant)."""
    index: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for pre, post, vowel, kind in VOWEL_TEMPLATES:
        index.setdefault((pre, post[:1]), []).append((post, vowel, kind))
    return index


_TEMPLATES_BY_START = _index_templates()
_PRE_POSED = frozenset(pre for pre, *_ in VOWEL_TEMPLATES if pre)


def _candidates(word: str, i: int) -> list[tuple[int, float, Syllable]]:
    """Every syllable that can start at position i: (end, cost, syllable)."""
    out = []
    n = len(word)
    pre = word[i] if word[i] in _PRE_POSED else ""
    j = i + len(pre)
    for k, initial, is_y, ccost in _clusters(word, j):
        after = word[k] if k < n else ""
        templates = _TEMPLATES_BY_START.get((pre, ""), [])
        if after:
            templates = templates + _TEMPLATES_BY_START.get((pre, after), [])
        glide = initial.endswith("ou") and ccost == GLIDE_COST
        for post, vowel, kind in templates:
            if glide and (vowel in ("inherent", "ua") or post.startswith("ົ")):
                continue
            if post and not word.startswith(post, k):
                continue
            end = k + len(post)
            cost = 1.0 + ccost
            syl = Syllable(initial, vowel, None, is_y)
            if kind in ("open", "both"):
                out.append((end, cost + (INHERENT_COST if vowel == "inherent" else 0.0), syl))
            if vowel == "inherent":
                cost += INHERENT_CLOSED_COST
            if kind in ("closed", "both") and end < n:
                f = word[end]
                if f in FINALS:
                    odd = ODD_FINAL_COST if (vowel, f) in {("e", "ຍ"), ("o", "ວ"), ("a", "ວ")} else 0.0
                    out.append((end + 1, cost + odd, syl._replace(final=f)))
                elif f in LOAN_FINALS:
                    out.append((end + 1, cost + LOAN_FINAL_COST, syl._replace(final=f)))
    return out


def segment(word: str) -> list[Syllable]:
    """Cheapest reading of a Lao word as syllables; a character no syllable can hold
    (a stray or doubled mark) is skipped at a high cost rather than losing the word."""
    n = len(word)
    best: list[tuple[int, Syllable | None]] = [(n, None)] * (n + 1)
    best_cost = [float("inf")] * (n + 1)
    best_cost[n] = 0.0
    for i in range(n - 1, -1, -1):
        best_cost[i] = SKIP_COST + best_cost[i + 1]
        best[i] = (i + 1, None)
        for end, cost, syl in sorted(_candidates(word, i), key=lambda c: -c[0]):
            total = cost + best_cost[end]
            if total < best_cost[i] - 1e-9:
                best_cost[i] = total
                best[i] = (end, syl)
    out, i = [], 0
    while i < n:
        i, syl = best[i]
        if syl is not None:
            out.append(syl)
    return out


def _spell(syl: Syllable, first: bool, last: bool) -> str:
    """Spell one syllable; first/last say where it sits in its word."""
    initial = "gn" if (syl.y_initial and first) else syl.initial
    vowel, final = syl.vowel, syl.final
    if vowel == "inherent":
        v = "o" if final else "a"
    elif vowel == "ii" and last and not final:
        v = "y"  # Bouasy, Bounmy, Keomany
    elif vowel == "ia" and final:
        v = "ie"
    else:
        v = VOWELS[vowel]
    if final is None:
        return initial + v
    f = FINALS.get(final) or LOAN_FINALS[final]
    if final == "ວ":
        f = FINAL_V_AFTER.get(vowel, "o")
    elif final == "ຍ":
        f = "" if v.endswith("y") else "y"
    elif final == "ນ":
        if last and vowel == "a":
            f = "nh"  # Souvanh, Keobounphanh, Houaphanh
        elif (last and vowel in FINAL_N_SILENT_E) or vowel == "or":
            f = "ne"  # Phomvihane, Siphandone; ອນ keeps its e inside a word too: Sonexay
    elif final == "ກ" and last and vowel == "a":
        f = "ck"  # Thammasack, Champasack
    elif f == "t" and last and vowel in ("a", "aa", "i", "ii"):
        f = "th"  # Sombath, Gnommalath, Sisoulith
    return initial + v + f


def _join(parts: list[str]) -> str:
    out = ""
    for p in parts:
        if out.endswith("y") and p.startswith("y"):
            p = p[1:]  # ໄຊ + ຍະ → Xaya, not Xayya
        out += p
    return out


def _normalize(text: str) -> str:
    text = TONE_MARKS.sub("", text)
    text = text.replace("ໍາ", "ຳ").replace("ໜ", "ຫນ").replace("ໝ", "ຫມ").replace("ຫຼ", "ຫລ")
    text = CANCELLED.sub("", text)
    return text.translate(LAO_DIGITS)


@lru_cache(maxsize=200_000)
def _romanize_word(word: str) -> str:
    sylls = segment(word)
    if not sylls:
        return ""
    last = len(sylls) - 1
    roman = _join([_spell(s, i == 0, i == last) for i, s in enumerate(sylls)])
    return roman[:1].upper() + roman[1:]


def _romanize_run(match: re.Match[str]) -> str:
    run = _normalize(match.group(0))
    # Digits and other non-letters inside a run (after normalising) split words.
    return re.sub("[\u0e80-\u0eff]+", lambda m: _romanize_word(m.group(0)), run)


@lru_cache(maxsize=200_000)
def romanize_lao(text: str) -> str:
    """Lao script → Latin in the French-based official convention; other text unchanged."""
    if not text:
        return text
    return LAO_RUN.sub(_romanize_run, text)
