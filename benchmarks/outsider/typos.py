"""The outside team's error model: slips of the hand in Latin, Lao and Thai script, and keyboard habits.

Latin: a letter transposed, dropped, doubled or struck on a neighbouring key, an h dropped (Phone -> Pone).
Lao: a tone mark dropped, look-alike consonants (ບ/ປ, ດ/ຕ, ຂ/ຄ), a vowel sign dropped, and the old
spellings keyboards still produce (ຫລ for ຫຼ, ຫນ for ໜ, ຫມ for ໝ, ໍາ for ຳ). Thai: a tone mark dropped, a silent
letter with its ์ dropped (วงศ์ -> วง), ร/ล confused.
"""

from __future__ import annotations

import random

_KEY_NEIGHBOURS = {
    "a": "sq", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj", "i": "uo",
    "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o", "r": "et", "s": "ad", "t": "ry",
    "u": "yi", "v": "cb", "x": "zc", "y": "tu",
}
_LAO_TONES = "\u0ec8\u0ec9\u0eca\u0ecb"
_LAO_VOWEL_SIGNS = "\u0eb4\u0eb5\u0eb6\u0eb7\u0eb8\u0eb9\u0ebb\u0eb1"
_LAO_LOOKALIKE = {"ບ": "ປ", "ປ": "ບ", "ດ": "ຕ", "ຕ": "ດ", "ຂ": "ຄ", "ຄ": "ຂ", "ສ": "ຊ", "ຊ": "ສ"}
_LAO_OLD_SPELLINGS = [("ຫຼ", "ຫລ"), ("ໜ", "ຫນ"), ("ໝ", "ຫມ"), ("ຳ", "\u0ecd\u0eb2"), ("ລ", "ຣ")]
_THAI_TONES = "\u0e48\u0e49\u0e4a\u0e4b"


def latin_typo(text: str, rng: random.Random) -> str:
    """One slip in a Latin-letter word."""
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.random()
    if kind < 0.25:  # transposition
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    if kind < 0.45:  # dropped letter
        return text[:i] + text[i + 1:]
    if kind < 0.6:  # doubled letter
        return text[:i] + text[i] + text[i:]
    if kind < 0.8:  # neighbouring key
        c = text[i].lower()
        if c in _KEY_NEIGHBOURS:
            sub = rng.choice(_KEY_NEIGHBOURS[c])
            return text[:i] + (sub.upper() if text[i].isupper() else sub) + text[i + 1:]
        return text
    j = text.lower().find("h", 1)  # an h dropped: Phone -> Pone, Thong -> Tong
    return text[:j] + text[j + 1:] if j > 0 else text


def _without_one(text: str, rng: random.Random, chars: str) -> str | None:
    """``text`` with one of its ``chars`` left out; None when it has none."""
    spots = [i for i, c in enumerate(text) if c in chars]
    if not spots:
        return None
    i = rng.choice(spots)
    return text[:i] + text[i + 1:]


def lao_typo(text: str, rng: random.Random) -> str:
    """One slip in Lao script: a tone mark dropped, a look-alike consonant, a vowel sign dropped."""
    kind = rng.random()
    if kind < 0.35 and (slip := _without_one(text, rng, _LAO_TONES)):
        return slip
    lookalikes = [i for i, c in enumerate(text) if c in _LAO_LOOKALIKE]
    if kind < 0.7 and lookalikes:
        i = rng.choice(lookalikes)
        return text[:i] + _LAO_LOOKALIKE[text[i]] + text[i + 1:]
    return _without_one(text, rng, _LAO_VOWEL_SIGNS) or text


def lao_keyboard(text: str, rng: random.Random, rate: float) -> str:
    """Old spellings some keyboards and clerks still use, each applied with probability ``rate``."""
    for new, old in _LAO_OLD_SPELLINGS:
        if new in text and rng.random() < rate:
            text = text.replace(new, old)
    return text


def thai_typo(text: str, rng: random.Random) -> str:
    """One slip in Thai script: a tone mark dropped, a silent letter dropped, ร/ล confused."""
    kind = rng.random()
    if kind < 0.4 and (slip := _without_one(text, rng, _THAI_TONES)):
        return slip
    if kind < 0.7 and "\u0e4c" in text:  # the silent letter and its thanthakhat dropped
        i = text.index("\u0e4c")
        return text[:i - 1] + text[i + 1:]
    r_or_l = [i for i, c in enumerate(text) if c in "รล"]
    if r_or_l:
        i = rng.choice(r_or_l)
        return text[:i] + ("ล" if text[i] == "ร" else "ร") + text[i + 1:]
    return text


def drop_syllable(parts: tuple[str, ...], rng: random.Random) -> tuple[str, ...]:
    """A syllable left out of a name of three or more (Chanthala -> Chanla)."""
    if len(parts) < 3:
        return parts
    i = rng.randrange(1, len(parts))
    return parts[:i] + parts[i + 1:]


def maybe(rng: random.Random, rate: float, fn, text: str) -> str:
    """``fn(text, rng)`` with probability ``rate``."""
    return fn(text, rng) if text and rng.random() < rate else text
