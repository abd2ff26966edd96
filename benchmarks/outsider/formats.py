"""How the offices write dates, ages, phone numbers and document numbers (the outside team's habits)."""

from __future__ import annotations

import random
from datetime import date

THAI_MONTHS = ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."]
EN_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]


# style -> (weight, template) choices; a template reads d (day), m (month), y (year), b (Buddhist-Era year), M
DATE_STYLES: dict[str, list[tuple[float, str]]] = {
    "dmy": [(0.75, "{d:02d}/{m:02d}/{y}"), (0.15, "{d}/{m}/{y}"), (0.1, "{d:02d}-{m:02d}-{y}")],
    "iso": [(1.0, "{y}-{m:02d}-{d:02d}")],
    "dots": [(1.0, "{d}.{m}.{y2:02d}")],
    "be": [(1.0, "{d:02d}/{m:02d}/{b}")],
    "be_short": [(1.0, "{d}/{m}/{b2:02d}")],
    "passport": [(1.0, "{d:02d}-{M}-{y}")],
    "mdy": [(1.0, "{m:02d}/{d:02d}/{y}")],
}


def write_date(d: date, style: str, rng: random.Random) -> str:
    """``d`` in one office style (``DATE_STYLES``): dmy DD/MM/YYYY (sometimes D/M/YYYY or with dashes), iso,
    dots D.M.YY, be DD/MM/YYYY+543, be_short D/M/YY of the Buddhist Era, passport 15-MAR-1998, mdy a
    spreadsheet's MM/DD/YYYY."""
    choices = DATE_STYLES[style]
    template = choices[0][1] if len(choices) == 1 else rng.choices([t for _, t in choices],
                                                                   [w for w, _ in choices])[0]
    return template.format(d=d.day, m=d.month, y=d.year, y2=d.year % 100, b=d.year + 543, b2=(d.year + 543) % 100,
                           M=EN_MONTHS[d.month - 1])


def write_year(year: int, lang: str, rng: random.Random) -> str:
    """A birth year only, as a clerk writes "about": plain, "ປະມານ 1995", "~1995", or 01/01/1995."""
    written = year + 543 if lang == "th" else year  # a Thai office counts in the Buddhist Era
    r = rng.random()
    if r < 0.35:
        return str(written)
    if r < 0.6:
        return {"lo": f"ປະມານ {written}", "th": f"ประมาณ {written}", "en": f"about {written}"}[lang]
    if r < 0.8:
        return f"01/01/{written}"
    return f"~{written}" if lang == "en" else str(written)


def age_at(dob: date, when: date) -> int:
    return when.year - dob.year - ((when.month, when.day) < (dob.month, dob.day))


def write_age(age: int, lang: str, rng: random.Random, approximate: bool) -> str:
    """An age in years; an approximate one is a guess rounded or "about"."""
    if approximate:
        age = max(10, age + round(rng.gauss(0, 2.2)))
        if rng.random() < 0.3:
            age = 5 * round(age / 5)
        r = rng.random()
        if r < 0.4:
            return {"lo": f"ປະມານ {age}", "th": f"ประมาณ {age}", "en": f"about {age}"}[lang]
        if r < 0.55 and lang == "en":
            return f"~{age}"
    return str(age)


def lao_mobile(rng: random.Random) -> str:
    """A Lao mobile's eight subscriber digits (after 020)."""
    return rng.choice("2579") + "".join(rng.choice("0123456789") for _ in range(7))


def thai_mobile(rng: random.Random) -> str:
    """A Thai mobile's nine digits after the leading 0."""
    return rng.choice("689") + "".join(rng.choice("0123456789") for _ in range(8))


def write_phone(number: str, rng: random.Random, habits: str = "lao") -> str:
    """A phone as an office writes it; ``number`` is 'LA:<8 digits>' or 'TH:<9 digits>'."""
    kind, digits = number.split(":")
    if kind == "LA":
        a, b = digits[:4], digits[4:]
        forms = [f"020 {a} {b}", f"020{digits}", f"+856 20 {a} {b}", f"856-20-{digits}", f"{a} {b}",
                 f"020-{digits[:2]}-{digits[2:5]}-{digits[5:]}", f"(020) {digits}", f"+85620{digits}"]
        weights = {"lao": [30, 30, 5, 5, 15, 5, 5, 5], "intl": [10, 10, 35, 20, 5, 5, 0, 15],
                   "thai": [10, 10, 40, 10, 5, 0, 0, 25]}[habits]
    else:
        forms = [f"0{digits[:2]}-{digits[2:5]}-{digits[5:]}", f"0{digits}",
                 f"+66 {digits[:2]} {digits[2:5]} {digits[5:]}", f"+66{digits}", f"66-{digits[:2]}-{digits[2:]}"]
        weights = {"lao": [25, 35, 20, 10, 10], "intl": [10, 20, 40, 20, 10], "thai": [50, 45, 3, 1, 1]}[habits]
    return rng.choices(forms, weights)[0]


def digit_slip(number: str, rng: random.Random) -> str:
    """Two neighbouring digits transposed, or one digit mistyped."""
    spots = [i for i in range(len(number) - 1) if number[i].isdigit() and number[i + 1].isdigit()]
    if not spots:
        return number
    i = rng.choice(spots)
    if rng.random() < 0.6:
        return number[:i] + number[i + 1] + number[i] + number[i + 2:]
    return number[:i] + rng.choice("0123456789") + number[i + 1:]


def new_id_card(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789") for _ in range(10))


def new_family_book(rng: random.Random) -> str:
    return f"{rng.randrange(1, 2000):04d}/{rng.randrange(1, 99):02d}"


def new_passport(rng: random.Random) -> str:
    return "P" + "".join(rng.choice("0123456789") for _ in range(7))


def new_pink_card(rng: random.Random) -> str:
    d = "00" + "".join(rng.choice("0123456789") for _ in range(11))
    return f"{d[0]}-{d[1:5]}-{d[5:10]}-{d[10:12]}-{d[12]}"
