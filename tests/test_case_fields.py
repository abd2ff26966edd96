"""Case type, form of exploitation and role: optional exchange columns, read into codes, in the demo data."""

import ast
import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from linkage.demo_data.generate import build_world, generate
from linkage.demo_data.population import CASE_TYPES
from linkage.fields.standardize import standardize
from linkage.sources.exchange_format import EXCHANGE_COLUMNS, OPTIONAL_COLUMNS
from linkage.sources.ingest import ingest_files
from tests.test_ingest import write_csv

CORE = [c for c in EXCHANGE_COLUMNS if c not in OPTIONAL_COLUMNS]


def _csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    return write_csv(path, [[r.get(c, "") for c in header] for r in rows], header=header)


@pytest.fixture
def con(store_con):
    return store_con


def test_case_columns_are_read_into_codes_and_may_be_left_out(con, tmp_path):
    with_case = _csv(tmp_path / "a.csv", list(EXCHANGE_COLUMNS), [
        {"record_id": "A-1", "source": "MOPS-AHTD", "role": "smuggled_migrant", "case_type": "ການລັກລອບຂົນຄົນ"},
        {"record_id": "A-2", "source": "MOPS-AHTD", "role": "ຜູ້ເຄາະຮ້າຍ", "case_type": "TIP",
         "exploitation": "ການຂູດຮີດທາງເພດ"},
        {"record_id": "A-3", "source": "MOPS-AHTD", "role": "Victim", "case_type": "การค้ามนุษย์",
         "exploitation": "Forced marriage"},
    ])
    without = _csv(tmp_path / "b.csv", CORE, [{"record_id": "B-1", "source": "PROV-SVK", "role": "witness"}])
    report = ingest_files(con, [with_case, without])
    assert [f.status for f in report.files] == ["ingested", "ingested"]
    standardize(con)
    rows = con.execute("SELECT record_id, role_code, case_type_code, exploitation_code, case_type FROM records"
                       " ORDER BY record_id").fetchall()
    assert rows == [
        ("A-1", "smuggled_migrant", "SOM", None, "ການລັກລອບຂົນຄົນ"),
        ("A-2", "victim", "TIP", "sexual", "TIP"),
        ("A-3", "victim", "TIP", "forced_marriage", "การค้ามนุษย์"),
        ("B-1", "witness", None, None, None),
    ]


def test_unknown_case_words_are_listed_not_dropped(con, tmp_path):
    """Unknown case words, and a role no role word reads, are stored and listed as unparsed (never quarantined)."""
    path = _csv(tmp_path / "a.csv", list(EXCHANGE_COLUMNS), [
        {"record_id": "A-1", "source": "MOPS-AHTD", "role": "victim", "case_type": "robbery", "exploitation": "x"},
        {"record_id": "A-2", "source": "MOPS-AHTD", "role": "boss"}])
    ingest_files(con, [path])
    standardize(con)
    issues = con.execute("SELECT field, value FROM std_issues ORDER BY field").fetchall()
    assert issues == [("case_type", "robbery"), ("exploitation", "x"), ("role", "boss")]
    assert con.execute("SELECT record_id, case_type, role, role_code FROM records ORDER BY record_id").fetchall() == [
        ("A-1", "robbery", "victim", "victim"), ("A-2", None, "boss", None)]
    assert con.execute("SELECT count(*) FROM quarantine").fetchall() == [(0,)]


def test_a_record_hashes_as_before_without_case_values(con, tmp_path):
    """Re-sending a file with empty case columns leaves its records unchanged (same row hash)."""
    record = {"record_id": "A-1", "source": "MOPS-AHTD", "full_name": "Bouasy Thammasack"}
    ingest_files(con, [_csv(tmp_path / "old.csv", CORE, [record])])
    again = ingest_files(con, [_csv(tmp_path / "new.csv", list(EXCHANGE_COLUMNS), [record])])
    assert (again.files[0].unchanged, again.files[0].updated) == (1, 0)
    changed = ingest_files(con, [_csv(tmp_path / "new2.csv", list(EXCHANGE_COLUMNS), [{**record, "case_type": "SOM"}])])
    assert changed.files[0].updated == 1
    assert con.execute("SELECT case_type FROM record_history").fetchall() == [(None,)]


def test_demo_offices_write_case_fields_and_smuggled_migrants_later_trafficked(tmp_path):
    generate(tmp_path, 600, seed=11)
    with (tmp_path / "night1_mops_ahtd.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert set(EXCHANGE_COLUMNS) <= set(rows[0])
    roles = Counter(r["role"] for r in rows)
    assert roles["smuggled_migrant"] > 0.1 * len(rows) and roles["victim"] > 0.3 * len(rows)
    filled = [r["case_type"] for r in rows if r["case_type"]]
    assert 0.75 < len(filled) / len(rows) < 0.95
    world = build_world(600, seed=11, nights=1)
    som = CASE_TYPES.index("SOM")
    later = world.persons.later_trafficked
    assert 0.1 < later.sum() / (world.persons.case_type == som).sum() < 0.3
    records = Counter(world.person[~world.first_record].tolist())
    assert sum(1 for p in later.nonzero()[0].tolist() if records[p]) > 10  # seen again, as TIP


def _role_lists(path: Path) -> list[str]:
    """Where a module spells out two or more role codes together: a tuple, list or set of them, or a text (SQL)
    quoting them one after another (``['victim', 'suspect']``, ``IN ('victim', 'witness')``)."""
    from linkage.fields.case_codes import ROLES

    one = "|".join(ROLES)
    listed = re.compile(rf"""['"](?:{one})['"](?:\s*,\s*['"](?:{one})['"])+""")
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            named = {e.value for e in node.elts if isinstance(e, ast.Constant) and e.value in ROLES}
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            named = set(re.findall(rf"""['"]({one})['"]""", " ".join(listed.findall(node.value))))
        else:
            continue
        if len(named) > 1:
            found.append(f"{path}:{node.lineno}: {', '.join(sorted(named))}")
    return found


def test_the_roles_are_listed_only_where_they_are_defined():
    """The closed list of roles, and the order a person's roles rank in, are ``linkage.fields.case_codes``'s. Person
    facts ranked roles by a list of their own in SQL, and the demo generator drew persons' roles from another
    (victim, suspect, witness): a role added to the package reached neither."""
    import linkage.fields.case_codes as case_codes
    from linkage.fields.case_codes import ROLE_WORDS, ROLES, ROLES_GRAVEST_FIRST

    root = Path(__file__).resolve().parent.parent
    modules = sorted(p for folder in ("linkage", "api") for p in (root / folder).rglob("*.py")
                     if p != Path(case_codes.__file__).resolve())
    assert [found for p in modules for found in _role_lists(p)] == []
    assert tuple(ROLE_WORDS) == ROLES and sorted(ROLES_GRAVEST_FIRST) == sorted(ROLES)


def test_a_persons_role_is_their_gravest_in_the_order_the_package_defines():
    """``person_facts`` picks, of a person's roles, the first in ``case_codes.ROLES_GRAVEST_FIRST``, whatever the
    order of their records."""
    import duckdb

    from linkage.fields.case_codes import ROLES_GRAVEST_FIRST
    from linkage.statistics.person_facts import create_person_facts

    con = duckdb.connect()
    pairs = [(a, b) for i, a in enumerate(ROLES_GRAVEST_FIRST) for b in ROLES_GRAVEST_FIRST[i + 1:]]
    records = [(f"P{p}", role, n) for p, (graver, lesser) in enumerate(pairs)
               for n, role in enumerate((lesser, graver, lesser))]  # the graver role neither first nor last
    con.execute("""
        CREATE TEMP TABLE stat_records AS
        SELECT row_number() OVER () AS rid, person, role_code, ord, 'A' AS source, true AS counted,
               NULL::INTEGER AS event_year, NULL::DATE AS event_date_std, NULL::VARCHAR AS age_band,
               NULL::VARCHAR AS sex_code, NULL::VARCHAR AS province_code, NULL::VARCHAR AS nationality_code,
               NULL::VARCHAR AS exploitation_code, NULL::VARCHAR AS case_type_code
        FROM (SELECT unnest($person) AS person, unnest($role) AS role_code, unnest($ord) AS ord)""",
                {"person": [r[0] for r in records], "role": [r[1] for r in records], "ord": [r[2] for r in records]})
    con.execute("CREATE TEMP TABLE persons AS SELECT rid, person FROM stat_records")
    facts = dict(con.execute(f"SELECT person, role FROM {create_person_facts(con, 'persons')}").fetchall())
    assert facts == {f"P{p}": graver for p, (graver, _) in enumerate(pairs)}
