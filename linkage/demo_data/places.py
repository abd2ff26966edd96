"""Real Lao provinces and districts (Lao script, official Latin name, other Latin spellings) and invented villages."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Province:
    code: str  # ISO 3166-2:LA
    lao: str
    official: str
    variants: tuple[str, ...]  # other Latin spellings seen in files
    weight: float  # share of the demo persons from this province
    districts: tuple[tuple[str, str], ...]  # (Lao, official Latin)


PROVINCES: tuple[Province, ...] = (
    Province("LA-VT", "ນະຄອນຫຼວງວຽງຈັນ", "Vientiane Capital",
             ("Vientiane Prefecture", "Nakhon Luang", "Vientiane Capital City", "Nakhone Luang Vientiane", "VTE"), 6,
             (("ຈັນທະບູລີ", "Chanthabouly"), ("ສີໂຄດຕະບອງ", "Sikhottabong"), ("ໄຊເສດຖາ", "Xaysetha"),
              ("ສີສັດຕະນາກ", "Sisattanak"), ("ນາຊາຍທອງ", "Naxaythong"), ("ໄຊທານີ", "Xaythany"),
              ("ຫາດຊາຍຟອງ", "Hadxayfong"), ("ສັງທອງ", "Sangthong"))),
    Province("LA-PH", "ຜົ້ງສາລີ", "Phongsaly", ("Phongsali", "Phongsaly Province"), 1.5,
             (("ຜົ້ງສາລີ", "Phongsaly"), ("ບຸນເໜືອ", "Boun Neua"), ("ບຸນໃຕ້", "Boun Tay"), ("ຂວາ", "Khoua"),
              ("ສຳພັນ", "Samphanh"))),
    Province("LA-LM", "ຫຼວງນ້ຳທາ", "Luang Namtha", ("Louang Namtha", "Luangnamtha", "Luang Nam Tha"), 2,
             (("ນ້ຳທາ", "Namtha"), ("ສິງ", "Sing"), ("ລອງ", "Long"), ("ວຽງພູຄາ", "Viengphoukha"), ("ນາແລ", "Nalae"))),
    Province("LA-OU", "ອຸດົມໄຊ", "Oudomxay", ("Oudomxai", "Udomxai", "Oudomsay"), 2.5,
             (("ໄຊ", "Xay"), ("ຫຼາ", "La"), ("ງາ", "Nga"), ("ແບ່ງ", "Beng"), ("ຮຸນ", "Houn"), ("ປາກແບງ", "Pakbeng"))),
    Province("LA-BK", "ບໍ່ແກ້ວ", "Bokeo", ("Bokèo", "Bo Keo"), 3,
             (("ຫ້ວຍຊາຍ", "Houayxay"), ("ຕົ້ນເຜິ້ງ", "Tonpheung"), ("ເມິງ", "Meung"), ("ຜາອຸດົມ", "Pha Oudom"),
              ("ປາກທາ", "Paktha"))),
    Province("LA-LP", "ຫຼວງພະບາງ", "Luang Prabang", ("Louangphabang", "Luang Phabang", "Luangprabang"), 4,
             (("ຫຼວງພະບາງ", "Luang Prabang"), ("ຊຽງເງິນ", "Xiengngeun"), ("ນານ", "Nan"), ("ປາກອູ", "Pak Ou"),
              ("ນ້ຳບາກ", "Nambak"), ("ງອຍ", "Ngoy"), ("ປາກແຊງ", "Pakseng"), ("ໂພນໄຊ", "Phonxay"))),
    Province("LA-HO", "ຫົວພັນ", "Houaphanh", ("Houaphan", "Huaphan", "Hua Phan"), 2,
             (("ຊຳເໜືອ", "Xamneua"), ("ຊຽງຄໍ້", "Xiengkhor"), ("ວຽງໄຊ", "Viengxay"), ("ຫົວເມືອງ", "Houameuang"),
              ("ຊຳໃຕ້", "Xamtay"), ("ແອດ", "Et"))),
    Province("LA-XA", "ໄຊຍະບູລີ", "Xayaboury", ("Xayabouly", "Sayaboury", "Sainyabuli", "Xaignabouli"), 3.5,
             (("ໄຊຍະບູລີ", "Xayaboury"), ("ຄອບ", "Khop"), ("ຫົງສາ", "Hongsa"), ("ເງິນ", "Ngeun"), ("ພຽງ", "Phiang"),
              ("ປາກລາຍ", "Paklay"), ("ແກ່ນທ້າວ", "Kenthao"), ("ບໍ່ແຕນ", "Botene"))),
    Province("LA-XI", "ຊຽງຂວາງ", "Xiengkhouang", ("Xieng Khouang", "Xiangkhoang", "Xiengkhuang"), 2.5,
             (("ແປກ", "Pek"), ("ຄຳ", "Kham"), ("ໜອງແຮດ", "Nonghet"), ("ຄູນ", "Khoun"), ("ພູກູດ", "Phoukout"),
              ("ຜາໄຊ", "Phaxay"))),
    Province("LA-VI", "ແຂວງວຽງຈັນ", "Vientiane Province", ("Vientiane", "Vientiane Prov.", "Viangchan Province"), 4,
             (("ໂພນໂຮງ", "Phonhong"), ("ທຸລະຄົມ", "Thoulakhom"), ("ແກ້ວອຸດົມ", "Keo Oudom"), ("ກາສີ", "Kasy"),
              ("ວັງວຽງ", "Vangvieng"), ("ເຟືອງ", "Feuang"), ("ຊະນະຄາມ", "Xanakharm"), ("ຫີນເຫີບ", "Hinheup"))),
    Province("LA-BL", "ບໍລິຄຳໄຊ", "Bolikhamxay", ("Borikhamxay", "Bolikhamsai", "Borikhamsay"), 3,
             (("ປາກຊັນ", "Pakxan"), ("ທ່າພະບາດ", "Thaphabath"), ("ປາກກະດິງ", "Pakkading"), ("ບໍລິຄັນ", "Bolikhanh"),
              ("ຄຳເກີດ", "Khamkeut"), ("ວຽງທອງ", "Viengthong"))),
    Province("LA-KH", "ຄຳມ່ວນ", "Khammouane", ("Khammouan", "Khammuan", "Khamouane"), 5,
             (("ທ່າແຂກ", "Thakhek"), ("ມະຫາໄຊ", "Mahaxay"), ("ໜອງບົກ", "Nongbok"), ("ຫີນບູນ", "Hinboun"),
              ("ຍົມມະລາດ", "Yommalath"), ("ບົວລະພາ", "Boualapha"), ("ນາກາຍ", "Nakai"), ("ເຊບັ້ງໄຟ", "Xebangfay"))),
    Province("LA-SV", "ສະຫວັນນະເຂດ", "Savannakhet", ("Savannaketh", "Suvannakhet", "Savanakhet", "Savannakhed"), 16,
             (("ໄກສອນ ພົມວິຫານ", "Kaysone Phomvihane"), ("ອຸທຸມພອນ", "Outhoumphone"),
              ("ອາດສະພັງທອງ", "Atsaphangthong"), ("ພີນ", "Phine"), ("ເຊໂປນ", "Xepon"), ("ນອງ", "Nong"),
              ("ທ່າປາງທອງ", "Thapangthong"), ("ສອງຄອນ", "Songkhone"), ("ຈຳພອນ", "Champhone"), ("ຊົນບູລີ", "Xonbouly"),
              ("ໄຊບູລີ", "Xaybouly"), ("ວິລະບູລີ", "Vilabouly"), ("ອາດສະພອນ", "Atsaphone"), ("ໄຊພູທອງ", "Xayphouthong"))),
    Province("LA-SL", "ສາລະວັນ", "Salavan", ("Saravan", "Saravane", "Salavane"), 5,
             (("ສາລະວັນ", "Salavan"), ("ຕະໂອ້ຍ", "Taoy"), ("ຕຸ້ມລານ", "Toumlan"), ("ລະຄອນເພັງ", "Lakhonepheng"),
              ("ວາປີ", "Vapy"), ("ຄົງເຊໂດນ", "Khongxedone"), ("ເລົ່າງາມ", "Lao Ngam"))),
    Province("LA-XE", "ເຊກອງ", "Sekong", ("Xekong", "Se Kong"), 1.5,
             (("ລະມາມ", "Lamam"), ("ກະເລີມ", "Kaleum"), ("ດາກຈຶງ", "Dakcheung"), ("ທ່າແຕງ", "Thateng"))),
    Province("LA-CH", "ຈຳປາສັກ", "Champasak", ("Champassak", "Champasack", "Jampasak", "Champasac"), 12,
             (("ປາກເຊ", "Pakse"), ("ຊະນະສົມບູນ", "Xanasomboun"), ("ບາຈຽງຈະເລີນສຸກ", "Bachiangchaleunsouk"),
              ("ປາກຊ່ອງ", "Paksong"), ("ປະທຸມພອນ", "Pathoumphone"), ("ໂພນທອງ", "Phonthong"), ("ຈຳປາສັກ", "Champasak"),
              ("ສຸຂຸມາ", "Soukhouma"), ("ມູນລະປະໂມກ", "Moulapamok"), ("ໂຂງ", "Khong"))),
    Province("LA-AT", "ອັດຕະປື", "Attapeu", ("Attapu", "Attopeu", "Attapue"), 2,
             (("ໄຊເສດຖາ", "Xaysetha"), ("ສາມັກຄີໄຊ", "Samakkhixay"), ("ສະໜາມໄຊ", "Sanamxay"), ("ສານໄຊ", "Sanxay"),
              ("ພູວົງ", "Phouvong"))),
    Province("LA-XS", "ໄຊສົມບູນ", "Xaysomboun", ("Xaisomboun", "Saysomboun"), 1,
             (("ອະນຸວົງ", "Anouvong"), ("ລ້ອງແຈ້ງ", "Longchaeng"), ("ລ້ອງຊານ", "Longxan"), ("ຮົ່ມ", "Hom"),
              ("ທ່າໂທມ", "Thathom"))),
)

# Village names are invented from common village words: (Lao, official) pairs.
_VILLAGE_FIRST = (("ໜອງ", "Nong"), ("ໂພນ", "Phon"), ("ນາ", "Na"), ("ດອນ", "Don"), ("ຫ້ວຍ", "Houay"), ("ທ່າ", "Tha"),
                  ("ໂຄກ", "Khok"), ("ນາໄຊ", "Naxay"), ("ປາກ", "Pak"), ("ຫາດ", "Had"), ("ສົບ", "Sop"), ("ວັງ", "Vang"))
_VILLAGE_LAST = (("ສະຫວ່າງ", "savang"), ("ດວງ", "douang"), ("ແກ້ວ", "keo"), ("ທອງ", "thong"), ("ໄຊ", "xay"),
                 ("ຄຳ", "kham"), ("ແສງ", "seng"), ("ຈັນ", "chan"), ("ບົກ", "bok"), ("ໃຫຍ່", "nhai"), ("ນ້ອຍ", "noy"),
                 ("ເໜືອ", "neua"), ("ໃຕ້", "tai"), ("ງາມ", "ngam"), ("ສີ", "si"), ("ຫີນ", "hin"), ("ຄູນ", "khoun"),
                 ("ໂພ", "pho"), ("ມ່ວງ", "mouang"), ("ແດງ", "deng"))
VILLAGE_WORDS: tuple[tuple[str, str], ...] = tuple(
    (a_lao + b_lao, a_lat + b_lat) for a_lao, a_lat in _VILLAGE_FIRST for b_lao, b_lat in _VILLAGE_LAST
)


@dataclass(frozen=True)
class Villages:
    """Every demo village: its province and district index, Lao and official name, and its share of persons."""

    province: np.ndarray
    district: np.ndarray
    lao: tuple[str, ...]
    official: tuple[str, ...]
    weight: np.ndarray


def make_villages(n: int, rng: np.random.Generator) -> Villages:
    """``n`` villages spread over provinces by weight; names are unique within a district."""
    p_weight = np.array([p.weight for p in PROVINCES])
    province = rng.choice(len(PROVINCES), size=n, p=p_weight / p_weight.sum())
    district = np.array([rng.integers(len(PROVINCES[p].districts)) for p in province.tolist()], dtype=np.int64)
    lao: list[str] = []
    official: list[str] = []
    used: set[tuple[int, int, int]] = set()
    for p, d in zip(province.tolist(), district.tolist(), strict=True):
        k = int(rng.integers(len(VILLAGE_WORDS)))
        for _ in range(len(VILLAGE_WORDS)):  # a full district keeps a repeated name: that happens too
            if (p, d, k) not in used:
                break
            k = (k + 1) % len(VILLAGE_WORDS)
        used.add((p, d, k))
        lao.append(VILLAGE_WORDS[k][0])
        official.append(VILLAGE_WORDS[k][1])
    weight = rng.pareto(2.5, size=n) + 1.0
    return Villages(province, district, tuple(lao), tuple(official), weight / weight.sum())
