"""Identity documents: the kind read from the words written with the number, in Lao, Thai and English."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkage.errors import FieldError
from linkage.fields.id_documents import PER_EVENT_DOCUMENTS, is_per_event_document, read_id_document
from linkage.fields.standardize import standardize
from linkage.fields.standardize_one import standardize_record
from linkage.store import connect


@pytest.mark.parametrize(
    ("text", "number", "kind"),
    [
        ("ສຳມະໂນຄົວ 9476/35", "947635", "family_book"),
        ("เลขประจำตัวประชาชน 1234567890123", "1234567890123", "id_card"),  # the Thai ID number's usual label
        ("ສໍາມະໂນຄົວເລກທີ 9476/35", "947635", "family_book"),  # ໍ + າ typed for ຳ
        ("ປຶ້ມສຳມະໂນຄົວ: 9476/35", "947635", "family_book"),
        ("ທະບຽນບ້ານ 55/12", "5512", "family_book"),
        ("ทะเบียนบ้าน 1234-56", "123456", "family_book"),
        ("Family book 9476/35", "947635", "family_book"),
        ("FB 9476/35", "947635", "family_book"),
        ("9476/35 (family book)", "947635", "family_book"),
        ("ບັດປະຈຳຕົວ 01-234567", "01234567", "id_card"),
        ("ບັດປະຈໍາຕົວເລກທີ 01234567", "01234567", "id_card"),
        ("บัตรประชาชน 1 2345 67890 12 3", "1234567890123", "id_card"),
        ("บัตรประจำตัวประชาชน ๑-๒๓๔๕-๖๗๘๙๐-๑๒-๓", "1234567890123", "id_card"),
        ("ID card: 1-2345-67890-12-3", "1234567890123", "id_card"),
        ("National ID 01234567", "01234567", "id_card"),
        ("ໜັງສືເດີນທາງ P1234567", "P1234567", "passport"),
        ("ຫນັງສືເດີນທາງ P1234567", "P1234567", "passport"),  # ຫນ typed for ໜ
        ("หนังสือเดินทาง AA1234567", "AA1234567", "passport"),
        ("Passport No. P1234567", "P1234567", "passport"),
        ("P1234567 (passport)", "P1234567", "passport"),
        ("PP: P1234567", "P1234567", "passport"),
        ("ໜັງສືຜ່ານແດນ 123456", "123456", "border_pass"),
        ("ຫນັງສືຜ່ານແດນ: 123456", "123456", "border_pass"),
        ("บัตรผ่านแดน 1234/2563", "12342563", "border_pass"),
        ("Border pass 0012345", "0012345", "border_pass"),
        ("BP0012345", "BP0012345", "border_pass"),
        ("BP-0012345", "BP0012345", "border_pass"),
        ("bp 12/345", "BP12345", "border_pass"),
        ("ເລກສຳນວນ 2019/445", "2019445", "case_number"),
        ("คดี 445/2562", "4452562", "case_number"),
        ("Case no. 2019/445", "2019445", "case_number"),
        ("File 12345", "12345", "case_number"),
        # no kind written: the number alone
        ("P 123-4567", "P1234567", None),
        ("ID: 01-234567", "01234567", None),
        ("ເລກທີ 123456", "123456", None),
        ("01.234.567", "01234567", None),
    ],
)
def test_kind_and_number(text: str, number: str, kind: str | None) -> None:
    document = read_id_document(text)
    assert document is not None and (document.number, document.kind) == (number, kind)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        # ສ/ນ (ສ.ນ): the family book shortened, as provincial social welfare lists and village registers write it
        ("ສ/ນ 1234/56", "123456"), ("ສ/ນ 0587/51", "058751"), ("ສ/ນ: 1234/56", "123456"),
        ("ສ/ນ ເລກທີ 1234/56", "123456"), ("ສ.ນ 1234/56", "123456"), ("ສ.ນ. 1234/56", "123456"),
        ("ສ. ນ 1234/56", "123456"),
        # 'book' spelled ປື້ມ as well as ປຶ້ມ, with 'number' (ເລກທີ) after it, or a space inside
        ("ປື້ມສຳມະໂນຄົວ ເລກທີ 1234", "1234"), ("ປື້ມສຳມະໂນຄົວ ເລກທີ 0115/41", "011541"),
        ("ປື້ມສຳມະໂນຄົວເລກທີ:1234/56", "123456"), ("ປຶ້ມສຳມະໂນຄົວ ເລກທີ 1234/56", "123456"),
        ("ປຶ້ມ ສຳມະໂນຄົວ ເລກທີ 1234/56", "123456"), ("ປື້ມ ສໍາມະໂນຄົວ 1234/56", "123456"),
        # the census register by its other names
        ("ທະບຽນສຳມະໂນຄົວ 1234/56", "123456"), ("ສຳມະໂນ 1234/56", "123456"),
    ],
)
def test_family_books_as_lao_offices_write_them(text: str, number: str) -> None:
    document = read_id_document(text)
    assert document is not None and (document.number, document.kind) == (number, "family_book")


@pytest.mark.parametrize("text", ["ສຳມະໂນຄົວ", "Passport", "บัตรผ่านแดน -", "Case no. ?", "BPX"])
def test_a_kind_without_a_number_is_an_error(text: str) -> None:
    with pytest.raises(FieldError) as err:
        read_id_document(text)
    assert err.value.field == "id_number"


@pytest.mark.parametrize(("kind", "per_event"), [("border_pass", True), ("case_number", True), ("passport", False),
                                                 ("id_card", False), ("family_book", False), (None, False)])
def test_per_event_documents(kind: str | None, per_event: bool) -> None:
    assert is_per_event_document(kind) is per_event
    assert (kind in PER_EVENT_DOCUMENTS) is per_event


@given(st.sampled_from(["ສຳມະໂນຄົວ", "ບັດປະຈຳຕົວ", "ໜັງສືເດີນທາງ", "บัตรผ่านแดน", "Case no.", "", "ເລກທີ"]),
       st.from_regex(r"[A-Z]{0,2}[0-9]{4,10}(/[0-9]{2})?", fullmatch=True))
def test_the_number_read_is_a_fixed_point(words: str, written: str) -> None:
    document = read_id_document(f"{words} {written}")
    assert document is not None
    again = read_id_document(document.number)
    assert again is not None and again.number == document.number


def test_batch_and_one_record_fill_id_type_alike(tmp_path) -> None:
    con = connect(tmp_path / "store.duckdb")
    written = ["ສຳມະໂນຄົວ 9476/35", "BP0012345", "P1234567", None]
    for i, value in enumerate(written):
        con.execute("INSERT INTO records (source, record_id, row_hash, file_id, line_no, id_number)"
                    " VALUES ('S', ?, 'h', 1, ?, ?)", [f"R{i}", i, value])
    standardize(con)
    rows = con.execute("SELECT id_number_std, id_type FROM records ORDER BY line_no").fetchall()
    assert rows == [("947635", "family_book"), ("BP0012345", "border_pass"), ("P1234567", None), (None, None)]
    assert [(std["id_number_std"], std["id_type"]) for std in (standardize_record({"id_number": v}) for v in written)] \
        == rows
    con.close()
