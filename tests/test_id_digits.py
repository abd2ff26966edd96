"""An ID number with two digits transposed (the commonest slip in a long number) still meets its record in a block:
the model input's ``id_digits`` (kind of document and sorted digits), the ``id_digits`` blocking rule, and the
demo generator's knob for the slip (``Shift.id_typo``)."""

from __future__ import annotations

from linkage.demo_data.shift import Shift
from linkage.model.blocking import load_rules
from linkage.model.model_input import model_input_sql
from linkage.sources.exchange_format import EXCHANGE_COLUMNS
from linkage.store import connect

ROWS = [  # record_id, id_number_std, id_type
    ("A", "5714719", "national_id"),
    ("B", "5714791", "national_id"),  # A with its last two digits transposed
    ("C", "5714791", "passport"),  # the same digits on another kind of document
    ("D", "12345", "national_id"),  # too short: its digits say too little
    ("E", "BP1234567", "border_pass"),  # issued per crossing: no identity evidence
    ("F", None, None),
]


def test_transposed_digits_share_the_key_within_a_kind_of_document(tmp_path):
    con = connect(tmp_path / "store.duckdb")
    for n, (record_id, number, kind) in enumerate(ROWS, start=1):
        con.execute("INSERT INTO records (rid, source, record_id, row_hash, file_id, line_no, id_number_std, id_type,"
                    " std_version) VALUES (?, 'S', ?, 'h', 1, ?, ?, ?, 1)", [n, record_id, n, number, kind])
    keys = dict(con.execute(f"SELECT r.record_id, m.id_digits FROM ({model_input_sql('records')}) m "
                            "JOIN records r USING (rid)").fetchall())
    assert keys["A"] == keys["B"] == "national_id | 1145779"
    assert keys["C"] == "passport | 1145779"
    assert keys["D"] is keys["E"] is keys["F"] is None
    con.close()


def test_one_wrong_digit_leaves_one_half_of_the_number_and_the_rules_pair_it_with_a_birth_date(tmp_path):
    """A digit written wrong in one half of a number leaves the other half (``id_head``/``id_tail``, within a kind of
    document): with the same birth date, or the same given or family name, the prediction rules pair the two records;
    a number wrong in both halves, another kind of document or another birth date and names are not paired."""
    rows = [  # record_id, id_number_std, id_type, dob, given_key, family_key
        ("A", "5714719", "national_id", "1990-03-04", "bouasy", "thammasack"),
        ("B", "5714619", "national_id", "1990-03-04", "noy", "keo"),  # a digit wrong in the second half
        ("C", "5794719", "national_id", None, "bouasy", "sisavath"),  # in the first half, the same given name
        ("D", "5794619", "national_id", "1990-03-04", "bouasy", "thammasack"),  # wrong in both halves
        ("E", "5714719", "passport", "1990-03-04", "phet", "ly"),  # another kind of document
        ("F", "5714611", "national_id", "1971-01-01", "khamla", "vong"),  # the head, nothing else
    ]
    con = connect(tmp_path / "store.duckdb")
    for n, (record_id, number, kind, dob, given, family) in enumerate(rows, start=1):
        con.execute("INSERT INTO records (rid, source, record_id, row_hash, file_id, line_no, id_number_std, id_type,"
                    " dob, given_key, family_key, std_version) VALUES (?, 'S', ?, 'h', 1, ?, ?, ?, ?, ?, ?, 1)",
                    [n, record_id, n, number, kind, dob, given, family])
    con.execute(f"CREATE TABLE m AS SELECT m.*, r.record_id FROM ({model_input_sql('records')}) m"
                " JOIN records r USING (rid)")
    halves = {k: (h, t) for k, h, t in con.execute("SELECT record_id, id_head, id_tail FROM m").fetchall()}
    assert halves["A"] == ("national_id | 571", "national_id | 4719")
    assert halves["B"][0] == halves["A"][0] and halves["C"][1] == halves["A"][1] and halves["E"][0] == "passport | 571"
    rules = [r for r in load_rules() if "id_head" in r.sql or "id_tail" in r.sql]
    paired = {pair for rule in rules for pair in con.execute(
        f"SELECT l.record_id, r.record_id FROM m l JOIN m r ON l.rid < r.rid AND ({rule.sql})").fetchall()}
    assert paired == {("A", "B"), ("A", "C"), ("B", "D"), ("C", "D")}  # D is one digit from B and from C
    con.close()


def test_the_prediction_rules_block_on_it():
    assert any(rule.name == "id_digits" and "id_digits" in rule.sql for rule in load_rules())


def _row(record_id: str, id_number: str, phone: str) -> tuple[str, ...]:
    values = dict.fromkeys(EXCHANGE_COLUMNS, "") | {"record_id": record_id, "id_number": id_number, "phone": phone}
    return tuple(values[c] for c in EXCHANGE_COLUMNS)


def test_the_generator_knob_transposes_two_adjacent_digits_and_leaves_the_other_knobs_alone():
    rows = [_row(f"R{k}", f"{1000000 + 7919 * k}", f"+856 20 5555 {k:04d}") for k in range(200)]
    male = [False] * len(rows)
    slipped = Shift(id_typo=1.0).rows(rows, "S", male, seed=3, key=1)
    column = EXCHANGE_COLUMNS.index("id_number")
    for before, after in zip(rows, slipped, strict=True):
        a, b = before[column], after[column]
        moved = [i for i in range(len(a)) if a[i] != b[i]]
        assert sorted(a) == sorted(b) and (moved == [] and len(set(a)) == 1 or len(moved) == 2)
        assert not moved or moved[1] == moved[0] + 1
    assert sum(b[column] != a[column] for a, b in zip(rows, slipped, strict=True)) > 190
    assert Shift(id_typo=0.0).rows(rows, "S", male, seed=3, key=1) == rows
    phones = EXCHANGE_COLUMNS.index("phone")
    alone = Shift(second_phone=0.5).rows(rows, "S", male, seed=3, key=1)
    both = Shift(second_phone=0.5, id_typo=0.5).rows(rows, "S", male, seed=3, key=1)
    assert [r[phones] for r in alone] == [r[phones] for r in both]  # the knob draws from a stream of its own
