"""Fuzzing every parser with hostile text: only FieldError escapes, normalisers are idempotent, nothing is lost.

Adds to the per-parser property tests (plain ``st.text()``) text as it really arrives broken:
three scripts mixed in one value, Lao and Thai digits, zero-width and bidi controls, combining
marks, BOMs, NULs, very long values; and runs the whole set-based ``standardize`` step over
random records (every value it cannot parse is listed in ``std_issues``, none dropped silently).
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkage.errors import FieldError
from linkage.fields.codes import id_number_std, nationality_code, sex_code
from linkage.fields.dates import ParsedDate, birth_years_from_age, parse_date
from linkage.fields.invisible import visible_or_none
from linkage.fields.lao_romanize import romanize_lao
from linkage.fields.name_key import detect_script, name_key, romanize_name
from linkage.fields.name_parse import parse_name
from linkage.fields.phones import phone_e164
from linkage.fields.places import district_code, province_code, village_key
from linkage.fields.thai_to_lao import thai_to_lao

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TODAY = dt.date(2026, 6, 1)

LAO = st.characters(min_codepoint=0x0E80, max_codepoint=0x0EFF)
THAI = st.characters(min_codepoint=0x0E00, max_codepoint=0x0E7F)
LATIN = st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZàâéèêëïîôöùûüçñøœÀÉÔ")
HOSTILE = st.sampled_from([
    " ", "\t", "\n", "\r", "-", "/", ".", ",", "'", '"', "(", ")", "[", "]", "+", "=", "@", "#", "%",
    "\x00", "\ufeff", "\u200b", "\u200c", "\u200d", "\u2060", "\u202e", "\u202c", "\u00a0", "\u3000",
    "\u0301", "\u0308", "\u0e31", "\u0ec8", "\u0ecc", "ຯ", "ๆ", "\U0001f600", "\ud7ff", "\uffff",
])
DIGITS = st.sampled_from("0123456789໐໑໒໓໔໕໖໗໘໙๐๑๒๓๔๕๖๗๘๙٠١٢")
CHARS = st.one_of(LAO, THAI, LATIN, HOSTILE, DIGITS)
texts = st.one_of(
    st.text(CHARS, max_size=40),
    st.text(max_size=40),
    st.builds(lambda a, b, c: f"{a} {b} {c}", st.text(LAO, min_size=1, max_size=8), st.text(THAI, min_size=1,
              max_size=8), st.text(LATIN, min_size=1, max_size=8)),
    st.text(CHARS, min_size=500, max_size=2000),
)
dates = st.one_of(
    texts,
    st.builds(lambda d, m, y, sep: f"{d}{sep}{m}{sep}{y}", st.integers(-1, 40), st.integers(-1, 14),
              st.integers(0, 3000), st.sampled_from(["/", "-", ".", " ", "//"])),
    st.builds(lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}", st.integers(0, 9999), st.integers(0, 13),
              st.integers(0, 32)),
)
phones = st.one_of(texts, st.builds(
    lambda lead, n, sep: lead + sep.join(str(n)),
    st.sampled_from(["", "0", "+856", "856", "+66", "0066", "00856", "+", "++"]), st.integers(0, 10**14),
    st.sampled_from(["", " ", "-"])))
ages = st.one_of(texts, st.builds(str, st.integers(-200, 300)), st.builds(lambda x: f"about {x}", st.integers(-5, 200)))


def only_field_error(parse, *args, **kwargs):
    """Call a parser: its value, or None when it raised FieldError (with a reason); anything else fails the test."""
    try:
        return parse(*args, **kwargs)
    except FieldError as exc:
        assert exc.reason and isinstance(exc.reason, str)
        return None


# ---------------------------------------------------------------- names in three scripts


@FUZZ
@given(texts)
def test_name_functions_never_raise_and_are_idempotent(text):
    assert detect_script(text) in ("lao", "thai", "latin", "mixed", "empty")
    finer = romanize_name(text)
    assert romanize_name(finer) == finer
    key = name_key(text)
    assert name_key(key) == key
    lao = romanize_lao(text)
    assert romanize_lao(lao) == lao
    converted = thai_to_lao(text)
    assert thai_to_lao(converted) == converted
    # Thai letters, vowels and tone marks all have Lao counterparts (signs like ฿ ๏ ๚ ๛ and phinthu may stay)
    assert not any("\u0e01" <= ch <= "\u0e39" or "\u0e40" <= ch <= "\u0e4d" for ch in converted)


@FUZZ
@given(st.text(THAI, min_size=1, max_size=20))
def test_thai_and_its_lao_spelling_reach_the_same_key(text):
    assert name_key(text) == name_key(thai_to_lao(text))


@FUZZ
@given(st.one_of(st.none(), texts), st.one_of(st.none(), texts), st.one_of(st.none(), texts))
def test_parse_name_never_raises_and_its_forms_are_fixed_points(full, given_name, family):
    p = parse_name(full, given_name, family)
    for form, key in ((p.given_std, p.given_key), (p.family_std, p.family_key)):
        assert (form is None) == (key is None)
        if form is not None:
            assert romanize_name(form) == form  # already the finer form
            assert name_key(key) == key


# ---------------------------------------------------------------- dates and ages


@FUZZ
@given(dates, st.sampled_from([None, True, False]), st.sampled_from([None, TODAY]))
def test_parse_date_raises_only_field_error_and_its_result_is_consistent(text, buddhist_era, today):
    d = only_field_error(parse_date, text, buddhist_era=buddhist_era, today=today)
    if d is None:
        return
    assert isinstance(d, ParsedDate) and d.precision in ("day", "month", "year", "range")
    assert d.year_min <= d.year_max
    if today is not None:
        assert d.year_min <= today.year
    if d.precision == "day":
        assert d.date is not None and d.year_min == d.year_max == d.year
        again = parse_date(d.date.isoformat(), buddhist_era=False)  # the canonical form reads back the same
        assert again is not None and again.date == d.date


@FUZZ
@given(ages, st.one_of(st.none(), st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)))
def test_age_raises_only_field_error(age, event):
    years = only_field_error(birth_years_from_age, age, event)
    if years is not None:
        assert years[0] <= years[1] and event is not None and years[1] <= event.year


# ---------------------------------------------------------------- phones, IDs, codes, places


@FUZZ
@given(phones)
def test_phone_raises_only_field_error_and_is_idempotent(text):
    e164 = only_field_error(phone_e164, text)
    if e164 is not None:
        assert e164.startswith("+") and e164[1:].isdigit() and 8 <= len(e164) <= 16
        assert phone_e164(e164) == e164


@FUZZ
@given(st.one_of(texts, st.text(st.sampled_from("0123456789ABCDEFPN -/."), max_size=25)))
def test_id_numbers_raise_only_field_error_and_are_idempotent(text):
    std = only_field_error(id_number_std, text)
    if std is not None:
        assert id_number_std(std) == std


@FUZZ
@given(texts)
def test_codes_raise_only_field_error_and_are_idempotent(text):
    sex = only_field_error(sex_code, text)
    assert sex in (None, "F", "M")
    if sex is not None:
        assert sex_code(sex) == sex
    nationality = only_field_error(nationality_code, text)
    if nationality is not None:
        assert len(nationality) == 3 and nationality.isupper()
        assert nationality_code(nationality) == nationality


@FUZZ
@given(texts, texts)
def test_places_raise_only_field_error_and_are_idempotent(province, district):
    prov = only_field_error(province_code, province)
    if prov is not None:
        assert province_code(prov) == prov
    dist = only_field_error(district_code, district, prov)
    if dist is not None:
        assert district_code(dist, prov) == dist
    village = only_field_error(village_key, district)
    if village is not None:
        assert village == village.strip() and village


# ---------------------------------------------------------------- the whole standardize step

RAW_FIELDS = ("full_name", "given_name", "family_name", "sex", "date_of_birth", "age", "nationality",
              "province", "district", "village", "phone", "id_number", "event_date")
STD_OF = {"sex": "sex_code", "date_of_birth": "dob_year_min", "nationality": "nationality_code",
          "province": "province_code", "phone": "phone_e164", "id_number": "id_number_std",
          "event_date": "event_date_std"}
_ids = itertools.count()
records = st.lists(st.fixed_dictionaries({
    "full_name": texts, "given_name": texts, "family_name": texts, "sex": texts, "date_of_birth": dates,
    "age": st.one_of(texts, st.builds(str, st.integers(-5, 130))), "nationality": texts, "province": texts,
    "district": texts, "village": texts, "phone": phones, "id_number": texts, "event_date": dates,
}), min_size=1, max_size=25)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from linkage.store import connect

    con = connect(tmp_path_factory.mktemp("fuzz-std") / "store.duckdb")
    yield con
    con.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(records)
def test_standardize_never_fails_and_lists_every_value_it_cannot_parse(store, rows):
    from linkage.fields.standardize import standardize

    store.execute("DELETE FROM std_issues; DELETE FROM records")
    batch = next(_ids)
    for i, r in enumerate(rows):
        values = {k: (v.replace("\x00", "") or None) for k, v in r.items()}  # NUL rows never pass ingest
        store.execute(
            f"INSERT INTO records (source, record_id, row_hash, file_id, line_no, {', '.join(RAW_FIELDS)})"
            f" VALUES ('FUZZ', ?, 'h', ?, ?, {', '.join('?' * len(RAW_FIELDS))})",
            [f"F-{i}", batch, i + 2, *(values[k] for k in RAW_FIELDS)])
    report = standardize(store)
    assert report.records == len(rows)
    std = ", ".join(f"r.{c}" for c in STD_OF.values())
    got = store.execute(f"SELECT r.rid, {', '.join('r.' + k for k in STD_OF)}, {std}, r.std_version"
                        " FROM records r ORDER BY rid").fetchall()
    issues = {(rid, field) for rid, field in store.execute("SELECT rid, field FROM std_issues").fetchall()}
    n = len(STD_OF)
    for row in got:
        rid, raw, parsed, version = row[0], row[1:1 + n], row[1 + n:1 + 2 * n], row[-1]
        assert version is not None
        for field, value, result in zip(STD_OF, raw, parsed, strict=True):
            if result is None and value is not None and value.strip():
                assert (rid, field) in issues or _parses_to_none(field, value), (field, value)


def _parses_to_none(field: str, value: str) -> bool:
    """A non-blank value a parser reads as 'not known' (e.g. 'unknown', '-'), or as no day: not an issue."""
    parse = {"sex": sex_code, "nationality": nationality_code, "province": province_code,
             "phone": phone_e164, "id_number": id_number_std, "date_of_birth": parse_date,
             "event_date": parse_date}[field]
    try:
        parsed = parse(visible_or_none(value))
    except FieldError:
        return False
    # an event date known only to the year or month has no day for event_date_std (a DATE): its years are kept
    # for the age rule (event_year_min/max), the text as written in records.event_date
    return parsed is None or (field == "event_date" and parsed.date is None)


# ---------------------------------------------------------------- the file readers, byte by byte


def _read_all(path) -> int:
    """Open a source file and read every row of every header, as ingest does; the rows read."""
    from linkage.sources.readers import open_source

    with open_source(path) as source:
        wanted = list(range(len(source.headers))) or [0]
        names = [f"c{i}" for i in range(len(wanted))]
        return sum(batch.rows_read for batch in source.batches(wanted, names, batch_rows=50))


def _workbook_bytes() -> bytes:
    import io

    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["record_id", "source", "full_name", "date_of_birth"])
    for i in range(5):
        ws.append([f"R-{i}", "S", "ບົວສີ Bouasy บัวสี", "15/03/1998"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


WORKBOOK = _workbook_bytes()
csv_bytes = st.one_of(
    st.binary(max_size=2000),
    st.builds(lambda head, body: head + body, st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"]),
              st.lists(st.sampled_from([b"record_id,source\n", b"a,b\n", b'"x\n', b"\x00", b"\r", b"\xe9", b"\xff",
                                        b",,,,", b"\xe0\xba\x9a", "ບົວ".encode("utf-16-le")]), max_size=40)
              .map(b"".join)),
)


@FUZZ
@given(csv_bytes)
def test_csv_reader_raises_only_input_file_error(tmp_path_factory, data):
    from linkage.errors import InputFileError

    path = tmp_path_factory.mktemp("csv") / "fuzz.csv"
    path.write_bytes(data)
    try:
        _read_all(path)
    except InputFileError as exc:
        assert exc.reason and str(path) in str(exc)


CENTRAL = WORKBOOK.find(b"PK\x01\x02")  # the zip directory: names, flags and sizes the reader trusts first
positions = st.one_of(st.integers(0, len(WORKBOOK) - 1), st.integers(CENTRAL, len(WORKBOOK) - 1))


@FUZZ
@given(st.lists(st.tuples(positions, st.integers(0, 255)), min_size=1, max_size=8), st.integers(0, len(WORKBOOK)))
def test_xlsx_reader_raises_only_input_file_error(tmp_path_factory, flips, cut):
    from linkage.errors import InputFileError

    data = bytearray(WORKBOOK)
    for position, value in flips:
        data[position] = value
    path = tmp_path_factory.mktemp("xlsx") / "fuzz.xlsx"
    path.write_bytes(bytes(data[:cut]) if cut < 64 else bytes(data))
    try:
        _read_all(path)
    except InputFileError as exc:
        assert exc.reason and str(path) in str(exc)
