"""Provinces, districts and villages of Lao PDR as the outside team's clerks spell them.

Each place: Lao script, Latin spellings (the usual one first, then what clerks write), Thai script.
Province weights lean south and to the capital, where most of the cases these offices see come from.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    lao: str
    latin: tuple[str, ...]
    thai: str


def _p(lao: str, latin: str, thai: str) -> Place:
    return Place(lao, tuple(latin.split("|")), thai)


# (province, weight, districts)
PROVINCES: list[tuple[Place, float, list[Place]]] = [
    (_p("ນະຄອນຫຼວງວຽງຈັນ", "Vientiane Capital|Vientiane|VTE Capital|Nakhone Luang|Vientiane Cap.",
        "นครหลวงเวียงจันทน์"), 0.12, [
        _p("ຈັນທະບູລີ", "Chanthabouly|Chanthabuly|Chantabouly", "จันทบุรี"),
        _p("ສີສັດຕະນາກ", "Sisattanak|Sisattanack|Sysattanak", "ศรีสัตตนาค"),
        _p("ໄຊເສດຖາ", "Xaysetha|Saysettha|Xaisettha", "ไชเสษฐา"),
        _p("ສີໂຄດຕະບອງ", "Sikhottabong|Sikhotabong|Sikhottabong", "ศรีโคตรบอง"),
        _p("ໄຊທານີ", "Xaythany|Saythany|Xaithani", "ไชยธานี"),
        _p("ນາຊາຍທອງ", "Naxaythong|Naxaithong|Nasaythong", "นาทรายทอง")]),
    (_p("ສະຫວັນນະເຂດ", "Savannakhet|Savannaketh|Savanakhet|Savannakhed|Savan", "สะหวันนะเขต"), 0.2, [
        _p("ໄກສອນພົມວິຫານ", "Kaysone Phomvihane|Kaisone|Kaysone|Khanthabouly", "ไกสอนพมวิหาร"),
        _p("ອຸທຸມພອນ", "Outhoumphone|Uthumphon|Outhoumphon", "อุทุมพร"),
        _p("ຈຳພອນ", "Champhone|Champhon|Jamphone", "จำพร"),
        _p("ສອງຄອນ", "Songkhone|Songkhon|Xongkhone", "สองคอน"),
        _p("ອາດສະພັງທອງ", "Atsaphangthong|Atsaphangtong|Asaphangthong", "อาดสะพังทอง")]),
    (_p("ຈຳປາສັກ", "Champasak|Champassak|Champasack|Jampasak|Champassack", "จำปาศักดิ์"), 0.2, [
        _p("ປາກເຊ", "Pakse|Paksé|Pakxe", "ปากเซ"),
        _p("ຈຳປາສັກ", "Champasak|Champassak", "จำปาศักดิ์"),
        _p("ໂພນທອງ", "Phonthong|Phone Thong|Ponthong", "โพนทอง"),
        _p("ປາກຊ່ອງ", "Paksong|Pak Song|Pakxong", "ปากซ่อง"),
        _p("ຊະນະສົມບູນ", "Sanasomboun|Xanasomboun|Sanasombun", "ชนะสมบูรณ์")]),
    (_p("ສາລະວັນ", "Salavan|Saravane|Salavanh|Saravan", "สาละวัน"), 0.1, [
        _p("ສາລະວັນ", "Salavan|Saravane", "สาละวัน"),
        _p("ຄົງເຊໂດນ", "Khongsedone|Khong Sedone|Kongsedon", "คงเซโดน"),
        _p("ວາປີ", "Vapy|Vapi|Wapi", "วาปี")]),
    (_p("ຄຳມ່ວນ", "Khammouane|Khammuan|Khammouan|Khamuane", "คำม่วน"), 0.08, [
        _p("ທ່າແຂກ", "Thakhek|Thakek|Tha Khaek", "ท่าแขก"),
        _p("ໜອງບົກ", "Nongbok|Nong Bok", "หนองบก"),
        _p("ຫີນບູນ", "Hinboun|Hinbun|Hin Boun", "หินบูน")]),
    (_p("ບໍລິຄຳໄຊ", "Bolikhamxay|Bolikhamsai|Borikhamxay|Bolikhamxai", "บอลิคำไซ"), 0.06, [
        _p("ປາກຊັນ", "Paksan|Pakxan|Pak San", "ปากซัน"),
        _p("ທ່າພະບາດ", "Thaphabath|Thaphabat", "ท่าพระบาท"),
        _p("ປາກກະດິງ", "Pakkading|Pak Kading", "ปากกระดิ่ง")]),
    (_p("ແຂວງວຽງຈັນ", "Vientiane Province|Vientiane Prov.|Vientiane|Vientiane Pro", "แขวงเวียงจันทน์"), 0.06, [
        _p("ວັງວຽງ", "Vangvieng|Vang Vieng|Wangwieng", "วังเวียง"),
        _p("ໂພນໂຮງ", "Phonhong|Phone Hong|Ponhong", "โพนโฮง"),
        _p("ແກ້ວອຸດົມ", "Keo Oudom|Keooudom|Kaeo Udom", "แก้วอุดม")]),
    (_p("ຫຼວງພະບາງ", "Luang Prabang|Louangphabang|Luangprabang|LPB", "หลวงพระบาง"), 0.05, [
        _p("ຫຼວງພະບາງ", "Luang Prabang|Louangphabang", "หลวงพระบาง"),
        _p("ນ້ຳບາກ", "Nambak|Nam Bak", "น้ำบาก"),
        _p("ຊຽງເງິນ", "Xiengngeun|Xieng Ngeun|Siengngeun", "เชียงเงิน")]),
    (_p("ໄຊຍະບູລີ", "Xayabouly|Sayaboury|Xayaburi|Sainyabuli|Xayabury", "ไชยบุรี"), 0.04, [
        _p("ໄຊຍະບູລີ", "Xayabouly|Sayaboury", "ไชยบุรี"),
        _p("ແກ່ນທ້າວ", "Kenethao|Kaenthao|Kenthao", "แก่นท้าว"),
        _p("ປາກລາຍ", "Paklay|Pak Lai|Paklai", "ปากลาย")]),
    (_p("ອຸດົມໄຊ", "Oudomxay|Oudomsay|Udomxai|Oudomxai", "อุดมไซ"), 0.03, [
        _p("ໄຊ", "Xay|Xai|Muang Xay", "ไซ"), _p("ແບ່ງ", "Beng|Baeng", "แบ่ง")]),
    (_p("ບໍ່ແກ້ວ", "Bokeo|Bokeow|Bo Keo", "บ่อแก้ว"), 0.03, [
        _p("ຫ້ວຍຊາຍ", "Houayxay|Huay Xai|Houeisay", "ห้วยทราย"), _p("ຕົ້ນເຜິ້ງ", "Tonpheung|Ton Pheung", "ต้นผึ้ง")]),
    (_p("ອັດຕະປື", "Attapeu|Attapue|Attopeu|Attapeau", "อัตตะปือ"), 0.01, [
        _p("ສາມັກຄີໄຊ", "Samakkhixay|Samakkixai", "สามัคคีไซ"), _p("ສະໜາມໄຊ", "Sanamxay|Sanamxai", "สนามไซ")]),
    (_p("ເຊກອງ", "Sekong|Xekong|Se Kong", "เซกอง"), 0.01, [
        _p("ລະມາມ", "Lamam|La Mam", "ละมาม"), _p("ທ່າແຕງ", "Thateng|Tha Teng", "ท่าแตง")]),
    (_p("ຫົວພັນ", "Houaphan|Huaphanh|Houaphanh", "หัวพัน"), 0.01, [
        _p("ຊຳເໜືອ", "Xamneua|Sam Neua|Xamnua", "ซำเหนือ"), _p("ວຽງໄຊ", "Viengxay|Vieng Xai", "เวียงไซ")]),
]

VILLAGES: list[Place] = [_p(*v) for v in [
    ("ໂນນສະຫວ່າງ", "Nonsavang|Non Savang|Nonsawang", "โนนสว่าง"),
    ("ໜອງດ້ວງ", "Nongduang|Nong Douang|Nongdouang", "หนองด้วง"),
    ("ໂພນສະຫວັນ", "Phonsavanh|Phonesavanh|Ponsavan", "โพนสะหวัน"),
    ("ນາໄຊ", "Naxay|Na Xai|Nasay", "นาไซ"), ("ດອນໃໝ່", "Donmai|Don Mai|Donemay", "ดอนใหม่"),
    ("ນາຄຳ", "Nakham|Na Kham", "นาคำ"), ("ທ່າງອນ", "Thangon|Tha Ngon|Tangone", "ท่างอน"),
    ("ໂພນໄຊ", "Phonxay|Phone Xay|Ponsai", "โพนไซ"), ("ໜອງບົວ", "Nongboua|Nong Bua|Nongbua", "หนองบัว"),
    ("ໂຄກສະອາດ", "Khoksaat|Khok Sa-at|Koksaat", "โคกสะอาด"), ("ນາແຄ", "Nakhae|Na Khae|Nakhe", "นาแค"),
    ("ດອນແດງ", "Dondaeng|Don Deng|Dondeng", "ดอนแดง"), ("ຫ້ວຍຫົງ", "Houayhong|Huay Hong", "ห้วยหงส์"),
    ("ໂພນທັນ", "Phonthan|Phone Than", "โพนทัน"), ("ຊຽງດາ", "Xiengda|Xieng Da|Siengda", "เชียงดา"),
    ("ນາດີ", "Nady|Na Dee|Nadi", "นาดี"), ("ໜອງແສງ", "Nongsaeng|Nong Seng", "หนองแสง"),
    ("ບຶງຂະຫຍອງ", "Beungkhayong|Bung Khayong", "บึงขะยอง"), ("ທົ່ງກາງ", "Thongkang|Thong Kang", "ทุ่งกลาง"),
    ("ໂນນສູງ", "Nonsoung|Non Sung", "โนนสูง"),
]]


@dataclass(frozen=True)
class Home:
    province: int
    district: int
    village: int


def draw_home(rng: random.Random) -> Home:
    """A home: a province by its weight, a district and a village in it."""
    province = rng.choices(range(len(PROVINCES)), [w for _, w, _ in PROVINCES])[0]
    return Home(province, rng.randrange(len(PROVINCES[province][2])), rng.randrange(len(VILLAGES)))


def places_of(home: Home) -> tuple[Place, Place, Place]:
    """The province, district and village of ``home``."""
    province, _, districts = PROVINCES[home.province]
    return province, districts[home.district], VILLAGES[home.village]


def latin_place(place: Place, rng: random.Random, usual: float = 0.6) -> str:
    """A Latin spelling: the usual one with probability ``usual``, else one a clerk writes."""
    if rng.random() < usual or len(place.latin) == 1:
        return place.latin[0]
    return rng.choice(place.latin[1:])
