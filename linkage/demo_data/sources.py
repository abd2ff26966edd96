"""The demo sources: each office's habits (scripts, spelling hands, formats, gaps) and its file's shape.

A profile is probabilities; ``render_rows`` turns a batch of records into rows of exchange-format
values (one tuple per record, in ``EXCHANGE_COLUMNS`` order) under a profile. Every random choice
for a record comes from that record's own row of a pre-drawn matrix, so rendering a subset of a
batch gives exactly the rows rendering the whole batch would.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from linkage.demo_data import corruptions as c
from linkage.demo_data.case_fields import case_columns, case_draws, record_case, role_text
from linkage.demo_data.names import FAMILY_NAMES, GIVEN_NAMES
from linkage.demo_data.places import PROVINCES, Villages
from linkage.demo_data.population import Persons
from linkage.demo_data.spelling_variants import HANDS, lao_to_thai, spell_name, spell_place


@dataclass(frozen=True)
class Profile:
    """How one office writes its records; every dict maps a style to its probability."""

    source: str
    slug: str  # file names: night<K>_<slug>.<ext>
    weight: float  # share of the records (provincial offices: see generate.PROVINCIAL_SHARE)
    headers: dict[str, str] | None  # exchange column -> own header; None = exchange format
    file_format: str  # csv | xlsx (xlsx falls back to csv above XLSX_MAX_ROWS)
    encoding: str  # Python codec of the csv file
    script: dict[str, float]  # lao | thai | latin
    hands: dict[str, float]
    layout: dict[str, float]  # full | split | both
    dob: dict[str, float]  # a date style, or age | missing
    sex: dict[str, float]
    nationality: dict[str, float]
    province: dict[str, float]  # official | variant | lao | thai | hand | missing
    district: dict[str, float]
    village: dict[str, float]
    event_style: dict[str, float]
    swap_full: float = 0.0
    swap_split: float = 0.0
    upper_family: bool = False
    honorific: float = 0.0
    typo: float = 0.0
    given_only: float = 0.0
    wrong_year: float = 0.0
    phone: float = 0.5
    prefer_thai_phone: bool = False
    ids: float = 0.3
    passport_only: bool = False
    role: str = "person"  # person | victim | none
    mandatory_date: str | None = None  # exchange column that must hold a readable date
    home_province: str | None = None  # provincial office: only persons from this province
    case_language: str | None = None  # lao | thai | english: how it writes case type and exploitation; None: not


XLSX_MAX_ROWS = 100_000

_LATIN_PLACES = {"official": 0.45, "variant": 0.3, "hand": 0.2, "missing": 0.05}

PROFILES: tuple[Profile, ...] = (
    Profile(
        source="MOPS-AHTD", slug="mops_ahtd", weight=0.24, headers=None, file_format="csv", encoding="utf-8",
        script={"lao": 0.8, "latin": 0.2}, hands={"official": 0.8, "english_light": 0.2},
        layout={"full": 0.6, "split": 0.2, "both": 0.2}, honorific=0.25, typo=0.04,
        dob={"dmy": 0.5, "iso": 0.1, "year": 0.18, "age": 0.1, "missing": 0.12},
        sex={"lao": 0.6, "letter": 0.3, "missing": 0.1},
        nationality={"ລາວ": 0.6, "Lao": 0.2, "": 0.2},
        province={"lao": 0.6, "official": 0.2, "variant": 0.1, "missing": 0.1},
        district={"lao": 0.5, "official": 0.15, "missing": 0.35},
        village={"lao": 0.5, "official": 0.1, "missing": 0.4},
        event_style={"iso": 1.0}, phone=0.5, ids=0.3, case_language="lao",
    ),
    Profile(
        source="MOLSW-DSW", slug="molsw_dsw", weight=0.19, file_format="xlsx", encoding="utf-8-sig",
        headers={"record_id": "ລະຫັດ / Case No", "full_name": "ຊື່ / Name", "sex": "Sex", "date_of_birth": "DOB",
                 "age": "Age", "nationality": "Nationality", "province": "Province of origin", "district": "District",
                 "village": "Village", "phone": "Tel", "event_date": "Date of intake", "case_type": "Case type",
                 "exploitation": "Form of exploitation", "role": "Client type"},
        script={"latin": 0.85, "lao": 0.15}, hands={"english": 0.45, "english_light": 0.25, "official": 0.3},
        layout={"full": 1.0}, honorific=0.5, typo=0.08,
        dob={"dmy": 0.55, "dmy_dash": 0.05, "mdy": 0.04, "age": 0.2, "missing": 0.16}, wrong_year=0.02,
        sex={"letter": 0.5, "word": 0.4, "missing": 0.1},
        nationality={"Lao": 0.7, "Laotian": 0.1, "": 0.2},
        province=_LATIN_PLACES, district={"official": 0.4, "hand": 0.3, "missing": 0.3},
        village={"official": 0.35, "hand": 0.3, "missing": 0.35}, event_style={"dmy": 1.0},
        phone=0.6, ids=0.1, role="victim", case_language="english",
    ),
    Profile(
        source="TH-REPAT", slug="th_repat", weight=0.17, file_format="csv", encoding="cp874",
        headers={"record_id": "เลขที่อ้างอิง / Ref No", "full_name": "ชื่อ-นามสกุล / Name", "sex": "เพศ / Sex",
                 "date_of_birth": "วันเกิด / Date of birth", "age": "อายุ / Age",
                 "nationality": "สัญชาติ / Nationality", "province": "แขวง / Province",
                 "district": "เมือง / District", "village": "บ้าน / Village", "phone": "โทรศัพท์ / Phone",
                 "event_date": "วันที่ส่งกลับ / Repatriation date", "case_type": "ประเภทคดี / Case type",
                 "exploitation": "รูปแบบการแสวงประโยชน์ / Exploitation"},
        script={"thai": 0.75, "latin": 0.25}, hands={"rtgs": 1.0}, layout={"full": 1.0}, honorific=0.8, typo=0.04,
        dob={"be": 0.6, "year": 0.05, "age": 0.25, "missing": 0.1},
        sex={"thai": 0.8, "letter": 0.1, "missing": 0.1},
        nationality={"ลาว": 0.8, "Lao": 0.1, "": 0.1},
        province={"thai": 0.5, "hand": 0.3, "official": 0.1, "missing": 0.1},
        district={"thai": 0.3, "hand": 0.2, "missing": 0.5}, village={"thai": 0.2, "hand": 0.1, "missing": 0.7},
        event_style={"be": 1.0}, phone=0.5, prefer_thai_phone=True, ids=0.15, passport_only=True,
        role="victim", mandatory_date="event_date", case_language="thai",
    ),
    Profile(
        source="BORDER-FRIENDSHIP-BRIDGE-1", slug="border_fb1", weight=0.13, file_format="csv", encoding="utf-16",
        headers={"record_id": "Ref No", "family_name": "Surname", "given_name": "Given names", "sex": "Sex",
                 "date_of_birth": "Date of Birth", "nationality": "Nationality", "id_number": "Passport No",
                 "province": "Place of Birth", "phone": "Phone", "event_date": "Date of Entry"},
        script={"latin": 1.0}, hands={"official": 0.5, "bgn": 0.3, "english_light": 0.2}, layout={"split": 1.0},
        upper_family=True, typo=0.02, dob={"iso": 1.0},
        sex={"letter": 1.0}, nationality={"LAO": 0.7, "LA": 0.2, "Lao": 0.1},
        province={"official": 0.6, "variant": 0.2, "missing": 0.2}, district={"missing": 1.0},
        village={"missing": 1.0}, event_style={"iso": 1.0}, phone=0.3, ids=1.0, passport_only=True, role="none",
        mandatory_date="date_of_birth",
    ),
    Profile(
        source="MOLSW-LMI", slug="molsw_lmi", weight=0.14, headers=None, file_format="csv", encoding="utf-8",
        script={"latin": 1.0}, hands={"bgn": 0.6, "english": 0.3, "official": 0.1}, layout={"split": 0.7, "both": 0.3},
        typo=0.05, dob={"year": 0.45, "age": 0.3, "dmy": 0.15, "missing": 0.1}, wrong_year=0.03,
        sex={"letter": 0.6, "word": 0.3, "missing": 0.1}, nationality={"LAO": 0.5, "Lao": 0.3, "": 0.2},
        province={"official": 0.3, "variant": 0.35, "hand": 0.3, "missing": 0.05},
        district={"official": 0.3, "hand": 0.4, "missing": 0.3}, village={"hand": 0.3, "official": 0.2, "missing": 0.5},
        event_style={"dmy": 1.0}, phone=0.4, ids=0.1, role="none",
    ),
    Profile(
        source="PROV-SVK", slug="prov_svk", weight=0.0, headers=None, file_format="csv", encoding="utf-8",
        script={"lao": 0.45, "latin": 0.55}, hands={"official": 0.4, "english": 0.4, "ala": 0.2},
        layout={"full": 0.5, "split": 0.3, "both": 0.2}, swap_full=0.2, swap_split=0.1, honorific=0.2, typo=0.1,
        given_only=0.02, dob={"dmy": 0.45, "mdy": 0.05, "dmy_dot": 0.1, "year": 0.15, "month_year": 0.05,
                              "age": 0.1, "missing": 0.1}, wrong_year=0.03,
        sex={"lao": 0.4, "letter": 0.3, "word": 0.2, "missing": 0.1},
        nationality={"ລາວ": 0.3, "Lao": 0.3, "LA": 0.1, "": 0.3},
        province={"lao": 0.3, "official": 0.3, "variant": 0.2, "missing": 0.2},
        district={"lao": 0.35, "official": 0.25, "hand": 0.2, "missing": 0.2},
        village={"lao": 0.35, "official": 0.25, "hand": 0.2, "missing": 0.2},
        event_style={"dmy": 0.6, "iso": 0.4}, phone=0.5, ids=0.25, home_province="LA-SV", case_language="lao",
    ),
    Profile(
        source="PROV-CPS", slug="prov_cps", weight=0.0, headers=None, file_format="csv", encoding="utf-8",
        script={"lao": 0.3, "latin": 0.7}, hands={"official": 0.5, "english": 0.3, "bgn": 0.2},
        layout={"full": 0.4, "split": 0.4, "both": 0.2}, swap_full=0.25, swap_split=0.15, honorific=0.15, typo=0.1,
        given_only=0.02, dob={"dmy": 0.5, "mdy": 0.05, "year": 0.2, "age": 0.15, "missing": 0.1}, wrong_year=0.03,
        sex={"letter": 0.5, "lao": 0.3, "missing": 0.2}, nationality={"Lao": 0.4, "ລາວ": 0.2, "": 0.4},
        province={"official": 0.4, "variant": 0.3, "lao": 0.1, "missing": 0.2},
        district={"official": 0.4, "lao": 0.2, "hand": 0.2, "missing": 0.2},
        village={"official": 0.4, "lao": 0.2, "hand": 0.2, "missing": 0.2},
        event_style={"dmy": 1.0}, phone=0.5, ids=0.25, home_province="LA-CH", case_language="english",
    ),
)
PROFILE_BY_SOURCE = {p.source: p for p in PROFILES}

_HONORIFICS = {
    "lao": (("ນາງ", "ນ."), ("ທ້າວ", "ທ.")),
    "thai": (("นาง", "นางสาว"), ("นาย", "นาย")),
    "latin": (("Ms", "Nang", "Mrs", "Miss"), ("Mr", "Thao")),
}


@cache
def _name_tables() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    tables = {"lao": (tuple(n.lao for n in GIVEN_NAMES), tuple(n.lao for n in FAMILY_NAMES))}
    tables["thai"] = tuple(tuple(lao_to_thai(s) for s in part) for part in tables["lao"])  # type: ignore[assignment]
    for hand in HANDS:
        tables[hand] = tuple(tuple(spell_name(n, hand) for n in names) for names in (GIVEN_NAMES, FAMILY_NAMES))
    return tables


@cache
def _province_tables() -> dict[str, tuple[str, ...]]:
    t = {"official": tuple(p.official for p in PROVINCES), "lao": tuple(p.lao for p in PROVINCES)}
    t["thai"] = tuple(lao_to_thai(s) for s in t["lao"])
    for hand in HANDS:
        t[hand] = tuple(spell_place(p.lao, p.official, hand) for p in PROVINCES)
    return t


@cache
def _district_tables() -> dict[str, tuple[tuple[str, ...], ...]]:
    t = {"official": tuple(tuple(d[1] for d in p.districts) for p in PROVINCES),
         "lao": tuple(tuple(d[0] for d in p.districts) for p in PROVINCES)}
    t["thai"] = tuple(tuple(lao_to_thai(d) for d in ds) for ds in t["lao"])
    for hand in HANDS:
        t[hand] = tuple(tuple(spell_place(d[0], d[1], hand) for d in p.districts) for p in PROVINCES)
    return t


@dataclass
class RecordBatch:
    """The records of one source arriving on one night, in file order."""

    source: str
    night: int
    person: np.ndarray  # global person index
    record_id: list[str]
    event_year: np.ndarray
    event_month: np.ndarray
    event_day: np.ndarray
    first_record: np.ndarray  # the record is its person's first


_thai = cache(lao_to_thai)


def _pick(u: np.ndarray, probs: dict[str, float]) -> list[str]:
    keys = list(probs)
    cum = np.cumsum([probs[k] for k in keys])
    idx = np.minimum(np.searchsorted(cum / cum[-1], u, side="right"), len(keys) - 1)
    return [keys[i] for i in idx.tolist()]


N_DRAWS = 32


def draws(seed: int, night: int, source: str, n: int, purpose: int = 0) -> np.ndarray:
    """The per-record random matrix of one batch: the same numbers every time for the same arguments."""
    key = [seed, night, [p.source for p in PROFILES].index(source), purpose]
    return np.random.default_rng(key).random((n, N_DRAWS), dtype=np.float32)


@dataclass
class _Rendering:
    """What rendering a batch reads per record ``k``: its random numbers, styles and person's facts, as lists."""

    r: list[list[float]]  # the record's row of draws
    script: list[str]
    hand: list[str]
    layout: list[str]
    dob_style: list[str]
    sex_style: list[str]
    nationality: list[str]
    province_style: list[str]
    district_style: list[str]
    village_style: list[str]
    event_style: list[str]
    phone_style: list[str]
    id_style: list[str]
    person: list[int]  # index into ``persons``
    given: list[int]
    family: list[int]
    male: list[bool]
    birth: tuple[list[int], list[int], list[int]]  # year, month, day
    event: tuple[list[int], list[int], list[int]]
    village: list[int]
    province: list[int]
    district: list[int]
    role: list[int]
    record_id: list[str]
    case: list[str]  # the case the record is about (case_fields.record_case)
    exploitation: list[int]
    case_u: list[list[float]]  # the record's own draws for its case fields


def render_rows(profile: Profile, batch: RecordBatch, persons: Persons, villages: Villages, seed: int,
                subset: np.ndarray | None = None, purpose: int = 0) -> list[tuple[str, ...]]:
    """Rows of exchange-format values for ``batch`` (or its ``subset`` positions) as ``profile`` writes them."""
    b = _rendering(profile, batch, persons, villages, seed, subset, purpose)
    rows: list[tuple[str, ...]] = []
    for k in range(len(b.person)):
        full, g_out, f_out = _name_fields(profile, b, k)
        dob, age = _birth_fields(profile, b, k)
        province, district, village = _place_fields(b, k, villages)
        phone, id_number = _contact_fields(profile, b, k, persons)
        ey, em, ed = (part[k] for part in b.event)
        role = role_text(profile.role, b.role[k], b.case[k], b.r[k][30])
        rows.append((
            b.record_id[k], profile.source, role, full, g_out, f_out,
            c.format_sex(b.male[k], b.sex_style[k]), dob, age, b.nationality[k], province, district, village, phone,
            id_number, c.format_date(ey, em, ed, b.event_style[k]),
            *case_columns(profile.case_language, b.case[k], role, b.exploitation[k], b.case_u[k]),
        ))
    return rows


def _rendering(profile: Profile, batch: RecordBatch, persons: Persons, villages: Villages, seed: int,
               subset: np.ndarray | None, purpose: int) -> _Rendering:
    """The batch's (or subset's) draws, the styles they pick under ``profile`` and its persons' facts."""
    u_all = draws(seed, batch.night, batch.source, len(batch.person), purpose)
    pos = np.arange(len(batch.person)) if subset is None else np.asarray(subset, dtype=np.int64)
    u = u_all[pos]
    pers = batch.person[pos] - persons.first
    source_index = [p.source for p in PROFILES].index(batch.source)
    later = persons.later_trafficked[pers].tolist()
    return _Rendering(
        r=u.astype(np.float64).tolist(),
        script=_pick(u[:, 0], profile.script),
        hand=_pick(u[:, 1], profile.hands),
        layout=_pick(u[:, 2], profile.layout),
        dob_style=_pick(u[:, 13], profile.dob),
        sex_style=_pick(u[:, 12], profile.sex),
        nationality=_pick(u[:, 16], profile.nationality),
        province_style=_pick(u[:, 17], profile.province),
        district_style=_pick(u[:, 19], profile.district),
        village_style=_pick(u[:, 21], profile.village),
        event_style=_pick(u[:, 26], profile.event_style),
        phone_style=_pick(u[:, 23], {s: 1.0 for s in c.LAO_PHONE_STYLES}),
        id_style=_pick(u[:, 25], {"plain": 0.7, "spaced": 0.15, "dashed": 0.15}),
        person=pers.tolist(),
        given=persons.given[pers].tolist(),
        family=persons.family[pers].tolist(),
        male=persons.male[pers].tolist(),
        birth=tuple(a[pers].tolist() for a in (persons.birth_year, persons.birth_month, persons.birth_day)),
        event=tuple(a[pos].tolist() for a in (batch.event_year, batch.event_month, batch.event_day)),
        village=persons.village[pers].tolist(),
        province=villages.province[persons.village[pers]].tolist(),
        district=villages.district[persons.village[pers]].tolist(),
        role=persons.role[pers].tolist(),
        record_id=[batch.record_id[i] for i in pos.tolist()],
        case=[record_case(t, lt, f) for t, lt, f in
              zip(persons.case_type[pers].tolist(), later, batch.first_record[pos].tolist(), strict=True)],
        exploitation=persons.exploitation[pers].tolist(),
        case_u=case_draws(seed, batch.night, source_index, len(batch.person), purpose)[pos].tolist(),
    )


def _name_fields(profile: Profile, b: _Rendering, k: int) -> tuple[str, str, str]:
    """Full name, given name and family name as written (typos, honorifics, swaps, upper-case families)."""
    r, scr = b.r[k], b.script[k]
    table = _name_tables()[b.hand[k] if scr == "latin" else scr]
    given, family = table[0][b.given[k]], table[1][b.family[k]]
    if r[6] < profile.typo:
        typo = c.lao_typo if scr == "lao" else c.thai_typo if scr == "thai" else c.latin_typo
        if r[9] < 0.5:
            given = typo(given, r[7], r[8])
        else:
            family = typo(family, r[10], r[11])
    if r[27] < profile.given_only:
        family = ""
    if profile.upper_family:
        family = family.upper()
    swapped = r[3] < profile.swap_full
    full = ""
    layout = b.layout[k]
    if layout != "split":
        full = " ".join(x for x in ((family, given) if swapped or profile.upper_family else (given, family)) if x)
        if r[5] < profile.honorific:
            options = _HONORIFICS[scr][int(b.male[k])]
            full = f"{options[int(r[29] * len(options))]} {full}"
    if layout == "full":
        return full, "", ""
    if r[4] < profile.swap_split:
        return full, family, given
    return full, given, family


def _birth_fields(profile: Profile, b: _Rendering, k: int) -> tuple[str, str]:
    """Date of birth and age as written (an age at the event instead of a date, or a wrong year, or neither)."""
    r, style = b.r[k], b.dob_style[k]
    by, bm, bd = (part[k] for part in b.birth)
    if style == "age":
        ey, em, ed = (part[k] for part in b.event)
        years = ey - by - int((em, ed) < (bm, bd))
        return "", f"about {years}" if r[15] < 0.15 else str(years)
    if style == "missing":
        return "", ""
    year = by + (1 if r[15] < 0.5 else -1) * int(r[14] < profile.wrong_year)
    if style == "mdy" and bd > 12:
        style = "dmy"
    return c.format_date(year, bm, bd, style), ""


def _place_fields(b: _Rendering, k: int, villages: Villages) -> tuple[str, str, str]:
    """Province, district and village as written (official, variant, Lao, Thai, a hand's spelling, missing)."""
    r, pv, dv, vill, place_hand = b.r[k], b.province[k], b.district[k], b.village[k], b.hand[k]
    ps = b.province_style[k]
    if ps == "missing":
        province = ""
    elif ps == "variant":
        variants = PROVINCES[pv].variants
        province = variants[int(r[18] * len(variants))]
    else:
        province = _province_tables()[place_hand if ps == "hand" else ps][pv]
    ds = b.district_style[k]
    district = "" if ds == "missing" else _district_tables()[place_hand if ds == "hand" else ds][pv][dv]
    vs = b.village_style[k]
    if vs == "missing":
        village = ""
    elif vs == "lao":
        village = ("ບ້ານ" if r[28] < 0.3 else "") + villages.lao[vill]
    elif vs == "thai":
        village = _thai(villages.lao[vill])
    else:
        name = villages.official[vill]
        if vs == "hand":
            name = spell_place(villages.lao[vill], name, place_hand)
        village = ("Ban " if r[28] < 0.4 else "") + name
    return province, district, village


def _contact_fields(profile: Profile, b: _Rendering, k: int, persons: Persons) -> tuple[str, str]:
    """Phone and ID number as written, when the office records them."""
    r, p = b.r[k], b.person[k]
    phone = ""
    if r[22] < profile.phone:
        lao_phone, thai_phone = persons.lao_phone[p], persons.thai_phone[p]
        if thai_phone and (profile.prefer_thai_phone or not lao_phone):
            phone = c.format_thai_phone(thai_phone, c.THAI_PHONE_STYLES[int(r[23] * 3)])
        elif lao_phone:
            phone = c.format_lao_phone(lao_phone, b.phone_style[k])
    id_number = ""
    if r[24] < profile.ids:
        number = persons.passport[p] or ("" if profile.passport_only else persons.id_card[p])
        id_number = c.format_id(number, b.id_style[k]) if number else ""
    return phone, id_number
