"""Two offices that write Lao script: the Champasak provincial labour and social welfare office (CPS-PLSWO)
and a shelter run by an NGO in Pakse (NGO-SHELTER-PKS), which knows many clients by their house names."""

from __future__ import annotations

import random

from benchmarks.outsider import formats, names, typos
from benchmarks.outsider.facts import birth_date, facts, pick
from benchmarks.outsider.places import latin_place
from benchmarks.outsider.population import Person

LAO_ROLES = {"victim": "ຜູ້ຖືກເຄາະຮ້າຍ", "suspect": "ຜູ້ຕ້ອງສົງໄສ", "witness": "ພະຍານ",
             "smuggled_migrant": "ຜູ້ຖືກລັກລອບຂົນ", "": ""}
LAO_CASES = {"victim": "ການຄ້າມະນຸດ", "smuggled_migrant": "ການລັກລອບຂົນຄົນ", "suspect": "ການຄ້າມະນຸດ"}
LAO_EXPLOITATION = ["ແຮງງານ", "ທາງເພດ", "ບັງຄັບແຕ່ງງານ", "ຄົນຮັບໃຊ້ໃນເຮືອນ", ""]

PLSWO_HEADERS = ["ລ/ດ", "ລະຫັດແຟ້ມ", "ຊື່ ແລະ ນາມສະກຸນ", "ເພດ", "ວັນເດືອນປີເກີດ", "ອາຍຸ", "ສັນຊາດ", "ແຂວງ",
                 "ເມືອງ", "ບ້ານ", "ເບີໂທ", "ເລກທີເອກະສານ", "ວັນທີຮັບເລື່ອງ", "ປະເພດ", "ປະເພດຄະດີ",
                 "ຮູບແບບການຂູດຮີດ", "ໝາຍເຫດ"]


def _lao_name(parts: names.Name, rng: random.Random, typo_rate: float, keyboard: float) -> str:
    text = typos.maybe(rng, typo_rate, typos.lao_typo, names.lao(parts))
    return typos.lao_keyboard(text, rng, keyboard)


def _lao_title(sex: str, age: int, rng: random.Random) -> str:
    if rng.random() < 0.15:
        return ""
    if sex == "M":
        return pick(rng, [(0.6, "ທ້າວ "), (0.4, "ທ. ")])
    if age < 18 and rng.random() < 0.4:
        return "ສາວ "
    return pick(rng, [(0.55, "ນາງ "), (0.4, "ນ. "), (0.05, "ນາງ")])  # "ນາງບົວສີ": no space after the title


def plswo_row(rng: random.Random, person: Person, when, role: str, record_id: str, line: int) -> dict[str, str]:
    """One row of the provincial office's case list."""
    f = facts(rng, person, when)
    keyboard = 0.3 if rng.random() < 0.3 else 0.0  # one clerk's keyboard writes the old spellings
    given = _lao_name(f.given, rng, 0.06, keyboard)
    family = "" if rng.random() < 0.05 else _lao_name(f.family, rng, 0.06, keyboard)
    full = (_lao_title(person.sex, f.age, rng) + given + (" " + family if family else "")).strip()
    dob = birth_date(f, "dmy", "lo", rng, missing=0.3)
    age = str(f.age) if not dob or rng.random() < 0.2 else ""
    province, district, village = f.places
    phone = ""
    if f.phone and rng.random() < 0.6:
        phone = formats.write_phone(f.phone, rng, "lao")
    document = ""
    if person.family_book and rng.random() < 0.25:
        document = pick(rng, [(0.6, "ສຳມະໂນຄົວ "), (0.3, "ສ/ນ "), (0.1, "ປື້ມສຳມະໂນຄົວ ເລກທີ ")]) + person.family_book
    elif person.id_card and rng.random() < 0.12:
        document = "ບັດປະຈຳຕົວ " + person.id_card
    return {
        "ລ/ດ": str(line), "ລະຫັດແຟ້ມ": record_id, "ຊື່ ແລະ ນາມສະກຸນ": full,
        "ເພດ": pick(rng, [(0.8, {"F": "ຍິງ", "M": "ຊາຍ"}[person.sex]), (0.15, {"F": "ຍ", "M": "ຊ"}[person.sex]),
                          (0.05, "")]),
        "ວັນເດືອນປີເກີດ": dob, "ອາຍຸ": age, "ສັນຊາດ": "ລາວ" if rng.random() < 0.9 else "",
        "ແຂວງ": pick(rng, [(0.85, province.lao), (0.1, latin_place(province, rng)), (0.05, "")]),
        "ເມືອງ": pick(rng, [(0.7, district.lao), (0.3, "")]),
        "ບ້ານ": pick(rng, [(0.5, "ບ້ານ" + village.lao), (0.2, village.lao), (0.3, "")]),
        "ເບີໂທ": phone, "ເລກທີເອກະສານ": document, "ວັນທີຮັບເລື່ອງ": formats.write_date(when, "dmy", rng),
        "ປະເພດ": LAO_ROLES[role], "ປະເພດຄະດີ": LAO_CASES.get(role, "") if rng.random() < 0.8 else "",
        "ຮູບແບບການຂູດຮີດ": rng.choice(LAO_EXPLOITATION) if role == "victim" else "",
        "ໝາຍເຫດ": pick(rng, [(0.85, ""), (0.1, "ສົ່ງກັບຈາກໄທ"), (0.05, "ຕິດຕາມ")]),
    }


SHELTER_HEADERS = ["No", "Client code", "Name (as known)", "Surname", "Sex", "Age", "Year of birth",
                   "Home province", "Home district", "Phone / WhatsApp", "Admission date", "Referred by", "Type"]
SHELTER_TYPES = {"victim": "trafficking victim", "smuggled_migrant": "migrant", "witness": "witness", "suspect": "",
                 "": ""}


def shelter_row(rng: random.Random, person: Person, when, role: str, record_id: str, line: int) -> dict[str, str]:
    """One row of the shelter's client list: a house name or a given name, often no surname."""
    f = facts(rng, person, when, married_share=0.5)
    lao_script = rng.random() < 0.55
    if rng.random() < 0.5:
        nick = names.NICKNAMES[person.nickname]
        name = nick[0] if lao_script else names.nickname_latin(person.nickname, rng)
    else:
        name = names.lao(f.given) if lao_script else names.latin(f.given, "adhoc", rng)
        name = typos.maybe(rng, 0.06, typos.lao_typo if lao_script else typos.latin_typo, name)
    surname = ""
    if rng.random() < 0.4:
        surname = names.lao(f.family) if lao_script else names.latin(f.family, "adhoc", rng)
        surname = typos.maybe(rng, 0.06, typos.lao_typo if lao_script else typos.latin_typo, surname)
    province, district, _ = f.places
    phone = ""
    if f.phone and rng.random() < 0.55:
        phone = formats.write_phone(f.phone, rng, pick(rng, [(0.5, "lao"), (0.5, "intl")]))
    return {
        "No": str(line), "Client code": record_id, "Name (as known)": name, "Surname": surname,
        "Sex": pick(rng, [(0.75, person.sex), (0.15, {"F": "ຍິງ", "M": "ຊາຍ"}[person.sex]), (0.1, "")]),
        "Age": formats.write_age(f.age, "en", rng, approximate=rng.random() < 0.25) if rng.random() < 0.75 else "",
        "Year of birth": formats.write_year(f.year, "lo" if lao_script else "en", rng) if rng.random() < 0.35 else "",
        "Home province": pick(rng, [(0.45, latin_place(province, rng, 0.4)), (0.35, province.lao), (0.2, "")]),
        "Home district": pick(rng, [(0.3, latin_place(district, rng, 0.4)), (0.7, "")]),
        "Phone / WhatsApp": phone,
        "Admission date": formats.write_date(when, pick(rng, [(0.8, "dmy"), (0.2, "iso")]), rng),
        "Referred by": pick(rng, [(0.4, "Thai shelter"), (0.2, "Police"), (0.2, "PLSWO"), (0.2, "Family")]),
        "Type": SHELTER_TYPES[role],
    }
