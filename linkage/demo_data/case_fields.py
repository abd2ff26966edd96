"""What a demo record says about the case: the role, case type and form of exploitation as an office writes them.

A person's role and case are drawn with the person (``population``, among the codes of ``linkage.fields.case_codes``);
a smuggled migrant later found trafficked is a smuggled migrant (SOM) on their first record and a trafficking victim
(TIP) on every later one. Offices write the case type and exploitation in their own language or as the codes, and
leave them blank at times; the random numbers come from their own stream, so every other field of a record is as it
was without them.
"""

from __future__ import annotations

import numpy as np

from linkage.demo_data.population import CASE_TYPES, EXPLOITATIONS, ROLES

CASE_DRAWS = 3
BLANK_P = 0.15  # share of records whose office leaves the case type (and with it the exploitation) empty
CODE_P = 0.4  # share of the others written as the code rather than in words
# code -> (Lao, Thai, English) as offices write them (linkage.fields.case_codes reads every one)
CASE_WORDS: dict[str, tuple[str, str, str]] = {
    "TIP": ("ການຄ້າມະນຸດ", "การค้ามนุษย์", "Human trafficking"),
    "SOM": ("ການລັກລອບຂົນຄົນ", "การลักลอบขนคน", "Smuggling of migrants"),
    "other": ("ອື່ນໆ", "อื่นๆ", "Other"),
    "labour": ("ແຮງງານ", "แรงงาน", "Forced labour"),
    "sexual": ("ການຂູດຮີດທາງເພດ", "การแสวงประโยชน์ทางเพศ", "Sexual exploitation"),
    "forced_marriage": ("ບັງຄັບແຕ່ງງານ", "บังคับแต่งงาน", "Forced marriage"),
    "unknown": ("ບໍ່ຮູ້", "ไม่ทราบ", "Unknown"),
}
LANGUAGES = ("lao", "thai", "english")


def case_draws(seed: int, night: int, source_index: int, n: int, purpose: int = 0) -> np.ndarray:
    """The batch's own random numbers for case fields (rows as in ``sources.draws``)."""
    return np.random.default_rng([seed, night, source_index, purpose, 7]).random((n, CASE_DRAWS))


def record_case(case_type: int, later_trafficked: bool, first_record: bool) -> str:
    """The case a record is about: the person's, or TIP after the first record of a smuggled migrant later
    trafficked."""
    return "TIP" if later_trafficked and not first_record else CASE_TYPES[case_type]


def role_text(profile_role: str, person_role: int, case: str, u_role: float) -> str:
    """The role column: a 'person' office writes the person's role (a victim of smuggling as smuggled_migrant),
    a victim-assistance office 'victim' or, for a smuggled migrant, 'smuggled migrant'."""
    if profile_role == "person":
        if u_role < 0.05:
            return ""
        role = "victim" if u_role < 0.12 else ROLES[person_role]
        return "smuggled_migrant" if role == "victim" and case == "SOM" else role
    if profile_role == "victim":
        return "smuggled migrant" if case == "SOM" else "victim"
    return ""


def case_columns(language: str | None, case: str, role: str, exploitation: int, u: list[float]) -> tuple[str, str]:
    """(case_type, exploitation) as an office writing in ``language`` (None: it records neither) writes them."""
    if language is None or u[0] < BLANK_P:
        return "", ""

    def written(code: str) -> str:
        return code if u[1] < CODE_P else CASE_WORDS[code][LANGUAGES.index(language)]

    victim = role in ("victim", "")
    form = written(EXPLOITATIONS[exploitation]) if case == "TIP" and victim and u[2] < 0.85 else ""
    return written(case), form
