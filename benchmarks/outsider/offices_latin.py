"""Three offices that write Latin letters: the Vientiane police criminal investigation department
(VTE-POLICE-CID: uppercase, family name first), the Vang Tao border checkpoint (BORDER-VANGTAO: passport
spellings, guessed ages, a pass per crossing) and the labour-export register (LABOUR-EXPORT-REG: one row per
registered worker, before they leave)."""

from __future__ import annotations

import random

from benchmarks.outsider import formats, names, typos
from benchmarks.outsider.facts import birth_date, facts, pick
from benchmarks.outsider.places import latin_place
from benchmarks.outsider.population import Person


def _latin(parts: names.Name, style: str, rng: random.Random, typo_rate: float) -> str:
    return typos.maybe(rng, typo_rate, typos.latin_typo, names.latin(parts, style, rng))


POLICE_HEADERS = ["Case Ref", "Person No", "NAME (SURNAME FIRST)", "SEX", "D.O.B", "AGE", "NATIONALITY",
                  "ADDRESS PROVINCE", "ADDRESS DISTRICT", "ADDRESS VILLAGE", "TEL", "ID / PASSPORT",
                  "DATE OF REPORT", "STATUS", "OFFENCE"]
POLICE_STATUS = {"victim": "VICTIM", "suspect": "SUSPECT", "witness": "WITNESS", "smuggled_migrant": "MIGRANT",
                 "": ""}


def police_row(rng: random.Random, person: Person, when, role: str, record_id: str, line: int) -> dict[str, str]:
    """One person of a police case file."""
    f = facts(rng, person, when)
    style = pick(rng, [(0.5, "official"), (0.5, "adhoc")])
    given = _latin(f.given, style, rng, 0.08)
    family = "" if rng.random() < 0.04 else _latin(f.family, style, rng, 0.08)
    full = (family + " " + given).strip().upper()
    if rng.random() < 0.05:
        full += f" ({names.nickname_latin(person.nickname, rng).upper()})"  # the alias the suspect goes by
    dob = birth_date(f, pick(rng, [(0.55, "dots"), (0.45, "iso")]), "en", rng, missing=0.25)
    province, district, village = f.places
    document = ""
    r = rng.random()
    if person.id_card and r < 0.4:
        document = "ID " + person.id_card
    elif person.passport_at(when) and r < 0.6:
        document = person.passport_at(when)
    elif person.family_book and r < 0.7:
        document = "FB " + person.family_book
    if document and rng.random() < 0.03:
        document = formats.digit_slip(document, rng)
    return {
        "Case Ref": f"{rng.randrange(1, 400)}/{when.year}", "Person No": record_id, "NAME (SURNAME FIRST)": full,
        "SEX": pick(rng, [(0.95, person.sex), (0.05, "")]), "D.O.B": dob,
        "AGE": str(f.age) if not dob and rng.random() < 0.8 else "",
        "NATIONALITY": pick(rng, [(0.6, "LAO"), (0.25, "LAOS"), (0.15, "LAOTIAN")]),
        "ADDRESS PROVINCE": pick(rng, [(0.85, latin_place(province, rng).upper()), (0.15, "")]),
        "ADDRESS DISTRICT": pick(rng, [(0.6, latin_place(district, rng).upper()), (0.4, "")]),
        "ADDRESS VILLAGE": pick(rng, [(0.5, "BAN " + latin_place(village, rng).upper()), (0.5, "")]),
        "TEL": formats.write_phone(f.phone, rng, "lao") if f.phone and rng.random() < 0.5 else "",
        "ID / PASSPORT": document, "DATE OF REPORT": formats.write_date(when, pick(rng, [(0.5, "dots"),
                                                                                       (0.5, "iso")]), rng),
        "STATUS": POLICE_STATUS[role], "OFFENCE": {"smuggled_migrant": "SMUGGLING", "": ""}.get(
            role, pick(rng, [(0.6, "TIP"), (0.4, "HUMAN TRAFFICKING")])),
    }


BORDER_HEADERS = ["Entry No", "Date", "Full Name", "Gender", "Age", "Date of Birth", "Nationality",
                  "Place of Birth", "Document", "Doc No", "Tel", "Category"]
BORDER_CATEGORY = {"victim": "VICTIM", "smuggled_migrant": "SMUGGLED", "suspect": "SUSPECT", "witness": "",
                   "": ""}


def border_row(rng: random.Random, person: Person, when, role: str, record_id: str, line: int) -> dict[str, str]:
    """One crossing at the checkpoint: a passport's spelling and birth date, or a pass and a guessed age."""
    f = facts(rng, person, when, married_share=0.6)
    passport = person.passport_at(when) if rng.random() < 0.55 else None
    style = "official" if passport else pick(rng, [(0.5, "official"), (0.5, "adhoc")])
    full = (_latin(f.given, style, rng, 0.05) + " " + _latin(f.family, style, rng, 0.05)).upper()
    dob = ""
    if passport and f.dob is not None and rng.random() < 0.7:
        dob = formats.write_date(f.dob, "passport", rng)
    age = "" if dob and rng.random() < 0.5 else formats.write_age(f.age, "en", rng, approximate=not passport)
    province = f.places[0]
    if passport:
        document, number = "PASSPORT", passport
    else:
        document = pick(rng, [(0.8, "BORDER PASS"), (0.2, "NONE")])
        number = f"BP {rng.randrange(100000, 999999)}/{when.year % 100:02d}" if document == "BORDER PASS" else ""
    return {
        "Entry No": record_id, "Date": formats.write_date(when, "iso", rng), "Full Name": full,
        "Gender": person.sex, "Age": age, "Date of Birth": dob, "Nationality": "LAO",
        "Place of Birth": latin_place(province, rng, 0.8).upper() if rng.random() < 0.6 else "",
        "Document": document, "Doc No": number,
        "Tel": formats.write_phone(f.phone, rng, "intl") if f.phone and rng.random() < 0.15 else "",
        "Category": BORDER_CATEGORY[role],
    }


REGISTER_HEADERS = ["Reg No", "First Name", "Last Name", "Sex", "Date of Birth", "Province", "District",
                    "Village", "Mobile", "Family Book No", "Passport No", "Registration Date", "Destination"]


def register_row(rng: random.Random, person: Person, when, role: str, record_id: str, line: int) -> dict[str, str]:
    """One registered worker: official spellings, every field asked for."""
    f = facts(rng, person, when, married_share=0.9)
    if f.dob is None:
        dob = f"01/01/{f.year}"
    else:
        dob = formats.write_date(f.dob, "mdy" if rng.random() < 0.04 else "dmy", rng)
    province, district, village = f.places
    passport = person.passport_at(when) or ""
    if passport and rng.random() < 0.02:
        passport = formats.digit_slip(passport, rng)
    return {
        "Reg No": record_id, "First Name": _latin(f.given, "official", rng, 0.03),
        "Last Name": _latin(f.family, "official", rng, 0.03), "Sex": {"F": "Female", "M": "Male"}[person.sex],
        "Date of Birth": dob, "Province": latin_place(province, rng, 0.85),
        "District": latin_place(district, rng, 0.85), "Village": latin_place(village, rng, 0.85),
        "Mobile": formats.write_phone(f.phone, rng, "lao") if f.phone and rng.random() < 0.85 else "",
        "Family Book No": person.family_book or "", "Passport No": passport,
        "Registration Date": formats.write_date(when, "dmy", rng),
        "Destination": pick(rng, [(0.7, "Thailand"), (0.2, "Malaysia"), (0.1, "Japan")]),
    }
