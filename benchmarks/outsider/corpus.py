"""Write the outsider corpus: each office's file in its own shape in its own inbox folder, and the truth.

``generate(out, persons, seed)`` writes ``out/inbox/<SOURCE>/<file>`` (one file per office, read by the
mappings in ``benchmarks/outsider/mappings/``) and ``out/truth.csv`` (source, record_id, person_id), and
returns the counts. The same seed gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from benchmarks.outsider import offices_lao, offices_latin, offices_thai
from benchmarks.outsider.population import Person, draw_persons, record_role

MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"

Row = Callable[[random.Random, Person, date, str, str, int], dict[str, str]]


@dataclass(frozen=True)
class Office:
    source: str
    file_name: str
    encoding: str
    delimiter: str
    headers: list[str]
    id_header: str  # the header of the record id
    row: Row
    record_id: Callable[[date, int], str]  # (event date, sequence number in the file) -> record id


OFFICES = [
    Office("CPS-PLSWO", "cps_plswo_caselist.csv", "utf-8-sig", ",", offices_lao.PLSWO_HEADERS, "ລະຫັດແຟ້ມ",
           offices_lao.plswo_row, lambda d, n: f"{n:04d}/{d.year}"),
    Office("VTE-POLICE-CID", "vte_cid_persons_export.csv", "utf-8", ",", offices_latin.POLICE_HEADERS, "Person No",
           offices_latin.police_row, lambda d, n: f"VC-{d.year}-{n:05d}"),
    Office("TH-UBON-PROTECT", "ubon_protection_repatriated.csv", "cp874", ",", offices_thai.HEADERS, "เลขทะเบียน",
           offices_thai.row, lambda d, n: f"UBN{d.year + 543}-{n:05d}"),
    Office("BORDER-VANGTAO", "vangtao_crossings.csv", "utf-8", ";", offices_latin.BORDER_HEADERS, "Entry No",
           offices_latin.border_row, lambda d, n: f"VT{d:%Y%m%d}-{n:05d}"),
    Office("NGO-SHELTER-PKS", "pks_shelter_clients.csv", "utf-8-sig", ",", offices_lao.SHELTER_HEADERS, "Client code",
           offices_lao.shelter_row, lambda d, n: f"SH{n:05d}"),
    Office("LABOUR-EXPORT-REG", "labour_export_register.csv", "utf-8", ",", offices_latin.REGISTER_HEADERS, "Reg No",
           offices_latin.register_row, lambda d, n: f"LER-{n:06d}"),
]


@dataclass(frozen=True)
class Written:
    files: dict[str, Path]  # source -> file
    rows: dict[str, int]  # source -> rows written
    truth: Path
    persons: int

    @property
    def records(self) -> int:
        return sum(self.rows.values())


def _records_by_office(rng: random.Random, persons: list[Person]) -> dict[str, list[tuple]]:
    by_office: dict[str, list[tuple]] = defaultdict(list)
    for person in persons:
        for index, (when, office) in enumerate(person.events):
            by_office[office].append((when, person.pid, index, person, record_role(rng, person, office, index)))
    for records in by_office.values():
        records.sort(key=lambda r: (r[0], r[1], r[2]))
    return by_office


def _csv_text(office: Office, rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=office.headers, delimiter=office.delimiter, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def generate(out: Path, persons: int = 4000, seed: int = 7) -> Written:
    """Write the corpus of ``persons`` persons under ``out`` (inbox/ and truth.csv)."""
    rng = random.Random(seed)
    people = draw_persons(rng, persons)
    by_office = _records_by_office(rng, people)
    files, counts, truth = {}, {}, [("source", "record_id", "person_id")]
    for office in OFFICES:
        office_rng = random.Random(f"{seed}/{office.source}")
        rows = []
        for line, (when, pid, _index, person, role) in enumerate(by_office.get(office.source, []), start=1):
            record_id = office.record_id(when, line)
            rows.append(office.row(office_rng, person, when, role, record_id, line))
            truth.append((office.source, record_id, pid))
        folder = out / "inbox" / office.source
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / office.file_name
        path.write_bytes(_csv_text(office, rows).encode(office.encoding))
        files[office.source], counts[office.source] = path, len(rows)
    truth_path = out / "truth.csv"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(truth)
    truth_path.write_text(buffer.getvalue(), encoding="utf-8")
    return Written(files=files, rows=counts, truth=truth_path, persons=persons)
