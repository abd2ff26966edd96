"""The standardize step: fill the standardized columns of every stored record, set-based.

Raw values repeat a great deal (names, dates, places), so each parser runs once per
DISTINCT raw value in Python, the results go back to DuckDB as an Arrow lookup table,
and one UPDATE joins them onto the records. Values that cannot be parsed leave the
standardized column NULL and are listed in ``std_issues`` with the parser's reason, so
nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import duckdb
import pyarrow as pa

from linkage.errors import FieldError
from linkage.fields.age_rule import age_fill_sql
from linkage.fields.event_place import apply_event_places
from linkage.fields.invisible import visible_or_none
from linkage.fields.name_parse import name_parts
from linkage.fields.placeholder_dates import apply_placeholder_birth_dates
from linkage.fields.province_fill import province_fill_sql
from linkage.fields.std_cache import NULL_KEY, open_cache, parse_each, table_name
from linkage.paths import StorePaths, store_paths
from linkage.sources.file_settings import record_setting_sql, source_settings_sql
from linkage.store import API_FILES_MAPPING

# Raised whenever a standardizer's output changes, so stored records are standardized again
# (2: the name key undoes doubled consonants first; 3: a province name two provinces share is settled
# by the record's district, and so is a district name two provinces share when the province is one of them;
# an 'about' age never gives a birth year after the event; 4: invisible characters removed from every value,
# a 020 mobile written as its eight subscriber digits; 5: province abbreviations and district variants
# (gazetteer_aliases.yaml), a kind word written twice, 'Vientiane' settled by the words written with it;
# 6: the kind of ID document (id_type) read from the words written with the number; 7: an approximate year
# said after it ('1998 (approx.)', '1998?') or with 'year' written before it ('ປະມານປີ 1998'); 8: role, case
# type and form of exploitation to codes (role_code, case_type_code, exploitation_code); 9: 00/00/YYYY read as the
# year, and a source's placeholder birth dates (01/01/YYYY) as the year only: linkage/fields/placeholder_dates.py;
# 10: 'Vientiane Province' / 'Vientiane Capital' settled by their words even when a deployment alias names Vientiane;
# the word for age before an age, a phone's bracketed note, the Thai ID number's label, ນຄຫຼວງ VT ສຫ ຈປ; dates read
# with their file's buddhist_era setting, ingested_files.date_era: a Thai list's 15/08/62 is 2019; 11: family books
# written ສ/ນ or ປື້ມສຳມະໂນຄົວ ເລກທີ, forms of exploitation and role words of Lao and Thai offices, places as clerks
# shorten them ('Pro.', 'Cap.'): values refused before are read, so every store reads its records again once).
STD_VERSION = 11

_EMPTY = NULL_KEY  # join key standing for NULL, so lookups join with plain equality
# the buddhist_era setting a record is read by (its file's, ingested_files.date_era, or a posted record's source's), a
# key of the date lookups
DATE_ERA = "date_era"
_POSTED_ERA = "posted date_era "  # + a source: std_state's era its records posted through the API were read by


@dataclass
class FieldCounts:
    parsed: int = 0
    empty: int = 0
    unparsed: int = 0


@dataclass
class StandardizeReport:
    records: int = 0
    fields: dict[str, FieldCounts] = field(default_factory=dict)
    redone_for_aliases: int = 0  # records whose place a changed gazetteer table or alias file reads differently
    redone_for_era: int = 0  # records posted through the API whose source's dates' era changed since they were read
    reread_for_words: int = 0  # records whose role, case type or exploitation the deployment's changed words read anew
    placeholder_dates: tuple[int, int] = (0, 0)  # birth dates made year-only, full dates restored

    def summary(self) -> dict[str, Any]:
        """The run report's part: the records read whole, those read again for a changed file or era, and each
        field's counts."""
        return {"records": self.records, "redone_for_aliases": self.redone_for_aliases,
                "redone_for_era": self.redone_for_era, "reread_for_words": self.reread_for_words,
                "placeholder_dates": list(self.placeholder_dates), **{k: v.__dict__ for k, v in self.fields.items()}}

    def lines(self) -> list[str]:
        out = [f"standardized {self.records} records"]
        made, restored = self.placeholder_dates
        if made or restored:
            out.append(f"  placeholder birth dates: {made} read as the year only, {restored} full dates restored")
        if self.redone_for_aliases:
            out.append(f"  of which {self.redone_for_aliases} because the gazetteer or its aliases read their place"
                       " differently")
        if self.reread_for_words:
            out.append(f"  {self.reread_for_words} records' role, case type or exploitation read anew: this"
                       " deployment's words for them changed")
        if self.redone_for_era:
            out.append(f"  of which {self.redone_for_era} posted through the API because their source's dates' era"
                       " changed")
        for name, c in self.fields.items():
            out.append(f"  {name:<14} parsed {c.parsed:>9}  empty {c.empty:>9}  could not parse {c.unparsed:>7}")
        return out


@dataclass(frozen=True)
class _Lookup:
    """One parser applied to the distinct values of some raw columns."""

    name: str  # the field reported to stewards
    raw: Sequence[str]  # raw columns (SQL expressions over std_todo) forming the key
    outputs: Sequence[tuple[str, pa.DataType]]
    parse: Callable[..., Sequence[Any] | None]
    only_with: str | None = None  # the other raw columns matter only when this one is written (an age's event)
    context: tuple[str, ...] = ()  # key columns that are the record's file's settings, not its values

    def key_sql(self, alias: str, column: str) -> str:
        """SQL of one key column: the raw value with NULL as _EMPTY; NULL too when ``only_with`` is empty, so
        the many events without an age make one key, not one each (the parser gives nothing for them)."""
        value = f"{alias}.{column}"
        if self.only_with and column != self.only_with:
            value = f"CASE WHEN {alias}.{self.only_with} IS NULL THEN NULL ELSE {value} END"
        return f"coalesce({value}, '{_EMPTY}')"

    def read(self, *values: str | None) -> Sequence[Any] | None:
        """Parse raw values as written, invisible characters removed first (batch and real time alike)."""
        visible = [v if v is None else visible_or_none(v) for v in values]
        return None if visible.count(None) == len(visible) else self.parse(*visible)


def _name_outputs(full_name: str | None, given: str | None, family: str | None) -> Sequence[Any] | None:
    """Script, finer forms and keys of a name; ``_Lookup.read`` passes only visible values, one at least."""
    given_std, family_std, given_key, family_key, _, swapped, _, script = name_parts(full_name, given, family)
    full = f"{given_std} {family_std}" if given_std and family_std else given_std or family_std
    return script, given_std, family_std, full, given_key, family_key, swapped


def _era(date_era: str | None) -> bool | None:
    """The mapping's ``buddhist_era`` from its per-file form (linkage/sources/ingest.py): 'be', 'ce' or 'auto'."""
    return {"be": True, "ce": False}.get(date_era or "")


def _dob_outputs(text: str | None, date_era: str | None = None) -> Sequence[Any] | None:
    from linkage.fields.dates import parse_date

    d = parse_date(text, buddhist_era=_era(date_era), today=date.today())
    if d is None:
        return None
    return (d.date, d.precision, d.year, d.month, d.day, d.year_min, d.year_max)


def _event_outputs(text: str | None, date_era: str | None = None) -> Sequence[Any] | None:
    from linkage.fields.dates import parse_date

    d = parse_date(text, buddhist_era=_era(date_era))
    if d is None:
        return None
    return (d.date, d.year_min, d.year_max)


@lru_cache(maxsize=50_000)
def _event_of_age(event_date: str | None, date_era: str | None, year: int) -> Any:
    """The event date an age is counted at (None when unreadable), read once per value and year (``year``, today's,
    reads two-digit years): ages repeat every event date."""
    from linkage.fields.dates import parse_date

    try:
        return parse_date(event_date, buddhist_era=_era(date_era))
    except FieldError:
        return None


def _age_outputs(age: str | None, event_date: str | None, date_era: str | None = None) -> Sequence[Any] | None:
    from linkage.fields.dates import birth_years_from_age

    if not (age and age.strip()):
        return None
    years = birth_years_from_age(age, _event_of_age(event_date, date_era, date.today().year))
    return None if years is None else (years[0], years[1])


def _single(fn_path: str) -> Callable[[str | None], Sequence[Any] | None]:
    """A one-output parser named by its dotted path, imported at its first value (not at every value)."""
    module_name, fn_name = fn_path.rsplit(".", 1)
    found: list[Callable[[str | None], Any]] = []

    def parse(text: str | None) -> Sequence[Any] | None:
        if not found:
            import importlib

            found.append(getattr(importlib.import_module(module_name), fn_name))
        value = found[0](text)
        return None if value is None else (value,)

    return parse


def _province_outputs(province: str | None, district: str | None) -> Sequence[Any] | None:
    from linkage.fields.places import record_province_code

    value = record_province_code(province, district)
    return None if value is None else (value,)


def _district_outputs(district: str | None, province: str | None) -> Sequence[Any] | None:
    from linkage.fields.places import district_code, record_province_code

    try:
        prov = record_province_code(province, district)
    except FieldError:
        prov = None
    value = district_code(district, prov)
    return None if value is None else (value,)


def _id_outputs(text: str | None) -> Sequence[Any] | None:
    from linkage.fields.id_documents import read_id_document

    document = read_id_document(text)
    return None if document is None else (document.number, document.kind)


LOOKUPS: tuple[_Lookup, ...] = (
    _Lookup(
        "name",
        ("full_name", "given_name", "family_name"),
        (("name_script", pa.string()), ("given_name_std", pa.string()), ("family_name_std", pa.string()),
         ("full_name_std", pa.string()), ("given_key", pa.string()), ("family_key", pa.string()),
         ("name_order_swapped", pa.bool_())),
        _name_outputs,
    ),
    # dates are read as their file's mapping says (buddhist_era): a Thai list's 15/08/62 is 2019, not 1962
    _Lookup(
        "date_of_birth",
        ("date_of_birth", DATE_ERA),
        (("dob", pa.date32()), ("dob_precision", pa.string()), ("dob_year", pa.int32()),
         ("dob_month", pa.int32()), ("dob_day", pa.int32()), ("dob_year_min", pa.int32()),
         ("dob_year_max", pa.int32())),
        _dob_outputs,
        context=(DATE_ERA,),
    ),
    _Lookup("age", ("age", "event_date", DATE_ERA), (("age_year_min", pa.int32()), ("age_year_max", pa.int32())),
            _age_outputs, only_with="age", context=(DATE_ERA,)),
    _Lookup("event_date", ("event_date", DATE_ERA),
            (("event_date_std", pa.date32()), ("event_year_min", pa.int32()), ("event_year_max", pa.int32())),
            _event_outputs, context=(DATE_ERA,)),
    _Lookup("sex", ("sex",), (("sex_code", pa.string()),), _single("linkage.fields.codes.sex_code")),
    _Lookup("nationality", ("nationality",), (("nationality_code", pa.string()),),
            _single("linkage.fields.codes.nationality_code")),
    _Lookup("province", ("province", "district"), (("province_code", pa.string()),), _province_outputs),
    _Lookup("district", ("district", "province"), (("district_code", pa.string()),), _district_outputs),
    _Lookup("village", ("village",), (("village_key", pa.string()),), _single("linkage.fields.places.village_key")),
    _Lookup("phone", ("phone",), (("phone_e164", pa.string()),), _single("linkage.fields.phones.phone_e164")),
    _Lookup("id_number", ("id_number",), (("id_number_std", pa.string()), ("id_type", pa.string())),
            _id_outputs),
    _Lookup("role", ("role",), (("role_code", pa.string()),), _single("linkage.fields.case_codes.role_code")),
    _Lookup("case_type", ("case_type",), (("case_type_code", pa.string()),),
            _single("linkage.fields.case_codes.case_type_code")),
    _Lookup("exploitation", ("exploitation",), (("exploitation_code", pa.string()),),
            _single("linkage.fields.case_codes.exploitation_code")),
)


def _key_sql(lookup: _Lookup, alias: str) -> str:
    return ", ".join(f"{lookup.key_sql(alias, c)} AS k_{c}" for c in lookup.raw)


def _build_lookups(con: duckdb.DuckDBPyConnection, lookups: Sequence[_Lookup], *, cached: bool,
                   alias_digest: str, counted: bool = False) -> None:
    """Parse each distinct raw key of each lookup once; the results as a table named lk_<name> per lookup.

    ``cached``: keys read before (same version, same context) come from the store's standardization cache,
    and the new ones are added to it (linkage/fields/std_cache.py). The new keys of all lookups are parsed together.
    ``counted``: each lookup's keys with the number of std_todo rows holding them are kept as lk_n_<name>.
    """
    jobs = []
    for lookup in lookups:
        view, keys, key_columns = f"lk_{lookup.name}", f"lk_n_{lookup.name}", ", ".join(f"k_{c}" for c in lookup.raw)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {keys} AS SELECT {_key_sql(lookup, 't')}, count(*) AS n"
                    f" FROM std_todo t GROUP BY ALL")
        if not cached:
            jobs.append((lookup, con.sql(f"SELECT {key_columns} FROM {keys}").to_arrow_table()))
        else:
            cache = open_cache(con, lookup, std_version=STD_VERSION, alias_digest=alias_digest)
            con.execute(f"CREATE OR REPLACE TEMP TABLE {view} AS SELECT * FROM {cache} SEMI JOIN {keys}"
                        f" USING ({key_columns})")
            jobs.append((lookup, con.sql(f"SELECT {key_columns} FROM {keys} ANTI JOIN {cache} USING ({key_columns})")
                         .to_arrow_table()))
        if not counted:
            con.execute(f"DROP TABLE {keys}")
    for i, table in parse_each(jobs):  # each stored while the workers parse the next
        lookup, view = jobs[i][0], f"lk_{jobs[i][0].name}"
        con.register(f"{view}_arrow", table)
        if not cached:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {view} AS SELECT * FROM {view}_arrow")
        elif table.num_rows:
            # when no key came from the cache, the cache takes the new ones from the lookup table: reading the
            # Arrow table again cost more (0.3 s CPU of the names at 1M)
            from_cache = con.execute(f"SELECT count(*) FROM {view}").fetchall()[0][0]
            con.execute(f"INSERT INTO {view} SELECT * FROM {view}_arrow")
            new = f"{view}_arrow" if from_cache else view
            con.execute(f"INSERT INTO {table_name(lookup)} SELECT * FROM {new} WHERE reason IS NULL")
        con.unregister(f"{view}_arrow")


def _build_lookup(con: duckdb.DuckDBPyConnection, lookup: _Lookup, *, cached: bool, alias_digest: str) -> str:
    """One lookup's table of parsed keys (``_build_lookups``); returns its name, lk_<name>."""
    _build_lookups(con, [lookup], cached=cached, alias_digest=alias_digest)
    return f"lk_{lookup.name}"


def _filled_columns(alias: str) -> dict[str, str]:
    """Each standardized column a record's parsed values set, and its SQL over the lookup outputs of table
    ``alias`` (the lookups' outputs of a std_todo row)."""
    same = ["name_script", "given_name_std", "family_name_std", "full_name_std", "given_key", "family_key",
            "name_order_swapped", "sex_code", "dob", "dob_year", "dob_month", "dob_day", "nationality_code",
            "district_code", "village_key", "phone_e164", "id_number_std", "id_type", "role_code", "case_type_code",
            "exploitation_code", "event_date_std"]
    return {**{column: f"{alias}.{column}" for column in same}, "dob_placeholder": "NULL", **age_fill_sql(alias),
            # an ambiguous or missing province is known from a district that exists once
            "province_code": province_fill_sql(f"{alias}.province_code", f"{alias}.district_code")}


def _key_match_sql(lookup: _Lookup) -> str:
    """SQL of a std_todo row (t) holding a key of lk_<name>."""
    return " AND ".join(f"{lookup.key_sql('t', c)} = lk_{lookup.name}.k_{c}" for c in lookup.raw)


def _join_sql(lookup: _Lookup) -> str:
    return f"LEFT JOIN lk_{lookup.name} ON {_key_match_sql(lookup)}"


def _issue_value_sql(lookup: _Lookup, alias: str) -> str:
    """SQL of the value a std_issues row lists: the raw values of ``alias`` joined by ' / '."""
    return " || ' / ' || ".join(f"coalesce({alias}.{c}, '')" for c in lookup.raw if c not in lookup.context)


def _issues_sql(lookup: _Lookup) -> str:
    """SELECT of the std_issues rows of one field: record, field, the raw values joined by ' / ', reason (the few
    keys its parser refused, joined to the records holding them)."""
    view = f"lk_{lookup.name}"
    return (f"SELECT t.rid, '{lookup.name}', {_issue_value_sql(lookup, 't')}, {view}.reason FROM std_todo t"
            f" JOIN {view} ON {_key_match_sql(lookup)} WHERE {view}.reason IS NOT NULL")


def _counts(con: duckdb.DuckDBPyConnection, records: int) -> dict[str, FieldCounts]:
    """Each field's parsed, empty and refused values among the ``records`` of std_todo, from its keys' counts."""
    sums = ", ".join(
        f"(SELECT [coalesce(sum(n) FILTER (WHERE {lk.outputs[0][0]} IS NOT NULL), 0),"
        f" coalesce(sum(n) FILTER (WHERE reason IS NOT NULL), 0)]"
        f" FROM lk_n_{lk.name} JOIN lk_{lk.name} USING ({', '.join(f'k_{c}' for c in lk.raw)}))" for lk in LOOKUPS)
    counts = con.execute(f"SELECT {sums}").fetchall()[0]
    return {lk.name: FieldCounts(int(parsed), records - int(parsed) - int(refused), int(refused))
            for lk, (parsed, refused) in zip(LOOKUPS, counts, strict=True)}


def _store_paths(con: duckdb.DuckDBPyConnection) -> StorePaths | None:
    """Where the deployment's files beside the store are (None for an in-memory store)."""
    rows = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    return store_paths(rows[0][0]) if rows and rows[0][0] else None


def _redo_places_aliases_change(con: duckdb.DuckDBPyConnection, digest: str, *, cached: bool) -> int:
    """Mark for standardizing (and scoring) again the records whose province or district the gazetteer table and
    alias files (read now, ``digest``) read differently; only when the files changed since the last run. The other
    records' place issues are listed again as the files read them now (a value read now whose record's codes stay,
    a province its district gave, leaves ``laolink std report``). Returns how many were marked."""
    last = con.execute("SELECT value FROM std_state WHERE name = 'gazetteer_aliases'").fetchall()
    if last and last[0][0] == digest:
        return 0
    con.execute(f"CREATE OR REPLACE TEMP TABLE std_todo AS SELECT DISTINCT province, district FROM records"
                f" WHERE std_version = {STD_VERSION}")
    places = [lk for lk in LOOKUPS if lk.name in ("province", "district")]
    _build_lookups(con, places, cached=cached, alias_digest=digest)
    joined = ("FROM std_todo t " + " ".join(_join_sql(lk) for lk in places))
    con.execute(f"""CREATE OR REPLACE TEMP TABLE std_places AS
        SELECT coalesce(t.province, '{_EMPTY}') AS k_province, coalesce(t.district, '{_EMPTY}') AS k_district,
               {province_fill_sql('lk_province.province_code', 'lk_district.district_code')} AS province_code,
               lk_district.district_code, lk_province.reason AS reason_province,
               lk_district.reason AS reason_district {joined}""")
    same_places = (f"coalesce(r.province, '{_EMPTY}') = p.k_province"
                   f" AND coalesce(r.district, '{_EMPTY}') = p.k_district AND r.std_version = {STD_VERSION}")
    marked = con.execute(f"""
        UPDATE records r SET std_version = NULL, scored_version = NULL FROM std_places p
        WHERE {same_places} AND (r.province_code IS DISTINCT FROM p.province_code
                                 OR r.district_code IS DISTINCT FROM p.district_code)""").fetchall()[0][0]
    # the marked records' issues are replaced when they are standardized; the others' place issues here
    con.execute(f"""DELETE FROM std_issues WHERE field IN ('province', 'district')
        AND rid IN (SELECT rid FROM records WHERE std_version = {STD_VERSION})""")
    con.execute("INSERT INTO std_issues " + " UNION ALL ".join(
        f"SELECT r.rid, '{lk.name}', {_issue_value_sql(lk, 'r')}, p.reason_{lk.name} FROM records r JOIN std_places p"
        f" ON {same_places} WHERE p.reason_{lk.name} IS NOT NULL" for lk in places))
    con.execute("INSERT OR REPLACE INTO std_state VALUES ('gazetteer_aliases', ?)", [digest])
    for tmp in ("std_todo", "std_places", "lk_province", "lk_district"):
        con.execute(f"DROP TABLE IF EXISTS {tmp}")
    return marked


def _redo_posted_records_era_change(con: duckdb.DuckDBPyConnection) -> int:
    """Mark for standardizing (and scoring) again the records posted through the API of a source whose dates' era
    changed since they were read (they are read by their source's, ``file_settings.record_setting_sql``: a list with
    ``buddhist_era`` that arrived after them, a mended mapping). The era they were read by is kept in ``std_state``
    per source, at first their API file's. Returns how many were marked."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE std_posted_eras AS
        SELECT s.source, coalesce(s.date_era, 'auto') AS era FROM ({source_settings_sql(con)}) s
        WHERE s.source IN (SELECT fs.source FROM file_sources fs JOIN ingested_files f USING (file_id)
                           WHERE f.mapping = '{API_FILES_MAPPING}')""")
    marked = con.execute(f"""
        UPDATE records SET std_version = NULL, scored_version = NULL
        FROM (SELECT f.file_id, e.source FROM file_sources fs JOIN ingested_files f USING (file_id)
              JOIN std_posted_eras e USING (source) LEFT JOIN std_state m ON m.name = '{_POSTED_ERA}' || e.source
              WHERE f.mapping = '{API_FILES_MAPPING}' AND coalesce(m.value, f.date_era, 'auto') <> e.era) x
        WHERE records.file_id = x.file_id AND records.source = x.source AND records.std_version IS NOT NULL
        """).fetchall()[0][0]
    con.execute(f"INSERT OR REPLACE INTO std_state SELECT '{_POSTED_ERA}' || source, era FROM std_posted_eras")
    con.execute("DROP TABLE std_posted_eras")
    return marked


def standardize(con: duckdb.DuckDBPyConnection, *, everything: bool = False, cached: bool = True) -> StandardizeReport:
    """Fill the standardized columns of records whose std_version is not current (or all of them).

    The gazetteer table and the store's alias file are read first; records whose place they now read differently
    are redone. So is the store's vocabulary file: the stored roles, case types and forms of exploitation its changed
    words read differently get their new codes (``vocabulary_reread``).
    ``cached=False`` parses every distinct value again instead of taking those read before from the store's
    standardization cache (the output is the same; tests compare the two).
    """
    from linkage.fields.places import use_deployment_aliases
    from linkage.fields.vocabulary import use_deployment_vocabulary
    from linkage.fields.vocabulary_reread import reread_vocabulary_change

    paths = _store_paths(con)
    digest = use_deployment_aliases(paths.gazetteer_aliases if paths else None)
    words = use_deployment_vocabulary(paths.vocabulary if paths else None)
    redone = _redo_places_aliases_change(con, digest, cached=cached)
    reread_for_words = reread_vocabulary_change(con, words, cached=cached)
    redone_for_era = _redo_posted_records_era_change(con)
    raw_columns = sorted({c for lk in LOOKUPS for c in lk.raw if c not in lk.context})
    where = "" if everything else f"WHERE r.std_version IS DISTINCT FROM {STD_VERSION}"
    con.execute(f"CREATE OR REPLACE TEMP TABLE std_todo AS SELECT r.rid, {', '.join(f'r.{c}' for c in raw_columns)},"
                f" {record_setting_sql('date_era')} AS {DATE_ERA} FROM records r LEFT JOIN ingested_files f"
                f" USING (file_id) LEFT JOIN ({source_settings_sql(con)}) s ON s.source = r.source {where}")
    report = StandardizeReport(records=con.execute("SELECT count(*) FROM std_todo").fetchall()[0][0],
                               redone_for_aliases=redone, redone_for_era=redone_for_era,
                               reread_for_words=reread_for_words)
    if report.records == 0:
        report.placeholder_dates = apply_placeholder_birth_dates(con)
        apply_event_places(con)
        return report
    _build_lookups(con, LOOKUPS, cached=cached, alias_digest=digest, counted=True)

    joins = "\n".join(_join_sql(lk) for lk in LOOKUPS)
    selected = ", ".join(f"lk_{lk.name}.{name}" for lk in LOOKUPS for name, _ in lk.outputs)
    filled = _filled_columns("s")
    changed = " OR ".join(f"records.{column} IS DISTINCT FROM {value}" for column, value in filled.items())
    con.execute("BEGIN TRANSACTION")
    try:
        # only the records whose columns change are written (a record read again mostly reads as before: writing
        # a million rows costs more than comparing them); the others only take the version
        con.execute(f"""UPDATE records SET {', '.join(f'{c} = {v}' for c, v in filled.items())},
                        std_version = {STD_VERSION}
                        FROM (SELECT t.rid, {selected} FROM std_todo t {joins}) s
                        WHERE records.rid = s.rid AND ({changed})""")
        con.execute(f"""UPDATE records SET std_version = {STD_VERSION} WHERE rid IN (SELECT rid FROM std_todo)
                        AND std_version IS DISTINCT FROM {STD_VERSION}""")
        con.execute("DELETE FROM std_issues WHERE rid IN (SELECT rid FROM std_todo)")
        con.execute("INSERT INTO std_issues " + " UNION ALL ".join(_issues_sql(lk) for lk in LOOKUPS))
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise

    report.fields = _counts(con, report.records)
    for tmp in ["std_todo", *(f"lk_{lk.name}" for lk in LOOKUPS), *(f"lk_n_{lk.name}" for lk in LOOKUPS)]:
        con.execute(f"DROP TABLE IF EXISTS {tmp}")
    report.placeholder_dates = apply_placeholder_birth_dates(con)
    apply_event_places(con)
    return report
