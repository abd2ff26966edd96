"""The table the match model reads, and the scratch workspace Splink runs in.

Training, prediction, blocking analysis and evaluation all read records through the one
definition here, so a model never sees columns shaped differently from those it was
trained on. Splink's own tables go to an in-memory workspace attached to the store
connection (spilling to parquet files under ``<db stem>.work/``), never into the store.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
from splink import DuckDBAPI
from splink.internals.splink_dataframe import SplinkDataFrame

from linkage.errors import LaoLinkError
from linkage.fields.id_documents import PER_EVENT_DOCUMENTS
from linkage.fields.name_key import skeleton_sql
from linkage.paths import StorePaths, store_paths
from linkage.store import open_store, sql_literal

WORKSPACE = "laolink_work"
MODEL_INPUT_TABLE = "model_input"  # inside the workspace, the current catalog while Splink runs
MIN_ID_DIGITS = 6  # shorter numbers share their digits too often for the sorted digits to block on

# name_key: both name keys together, for term frequencies of whole names; name_key_records: how many
# records of the store carry that whole name (a rare one blocks by itself, blocking_rules/predict.yaml);
# given_key_records/family_key_records: the same count per name part (a rare part blocks with the province).
# given_skeleton/family_skeleton: the coarse keys (linkage.fields.name_key.name_skeleton) of the name keys,
# computed here from the stored keys, so that the store and the API carry no further name field.
# village_id: province and village key, for term frequencies of village names within a province
# (Nonghin or Thasai recur in many provinces; within one they say much more).
# province_is_event: the province is where an event happened (linkage/fields/event_place.py).
# event_date: the day the record was made (an interview, an arrest, a repatriation): not a person's attribute, but
# one person's records of one episode are made days apart (linkage/model/comparisons.event_comparison).
# id_number_std: left out for documents issued per event (border passes, case numbers): no identity evidence;
# id_type: the kind of document, IDs compare only within a kind (linkage/fields/id_documents.py).
# id_digits: the kind of document and its number's digits in sorted order (numbers of at least MIN_ID_DIGITS digits):
# two digits transposed, the commonest slip in a long number, leave it unchanged (blocking_rules/predict.yaml).
# id_head/id_tail: the kind of document and the first/second half of its number's digits (same lengths as id_digits):
# one digit written wrong leaves one half as it was (blocking_rules/predict.yaml, with a birth date or a name part).
# birth_year_min/max: the birth-year range of every record (a full or year-only date is a
# range of one year; an age at an event date is a range of two).
_PER_EVENT = f"coalesce(id_type IN ({', '.join(repr(t) for t in sorted(PER_EVENT_DOCUMENTS))}), false)"
_DIGITS = "regexp_replace(id_number_std, '[^0-9]', '', 'g')"  # computed once per record, as id_digits_all


def _id_key(digits: str) -> str:
    """SQL of a blocking key on an ID number's digits (``digits``: an expression over ``id_digits_all``, the
    number's digits), within its kind of document; NULL for a document issued per event or a number shorter than
    MIN_ID_DIGITS."""
    return (f"CASE WHEN NOT {_PER_EVENT} AND length(id_digits_all) >= {MIN_ID_DIGITS}"
            f" THEN coalesce(id_type, '') || ' | ' || {digits} END")


# The columns of one record, without the counts and skeletons (model_input_sql adds them per distinct key).
_RECORD_COLUMNS_SQL = f"""
    rid,
    given_key,
    family_key,
    CASE WHEN given_key IS NOT NULL AND family_key IS NOT NULL
         THEN given_key || ' | ' || family_key END AS name_key,
    full_name_std,
    given_name_std,
    family_name_std,
    sex_code,
    dob,
    dob_year,
    dob_month,
    dob_day,
    coalesce(dob_year_min, dob_year) AS birth_year_min,
    coalesce(dob_year_max, dob_year) AS birth_year_max,
    nationality_code,
    province_code,
    coalesce(province_is_event, false) AS province_is_event,
    district_code,
    village_key,
    CASE WHEN province_code IS NOT NULL AND village_key IS NOT NULL
         THEN province_code || ' | ' || village_key END AS village_id,
    phone_e164,
    event_date_std AS event_date,
    CASE WHEN {_PER_EVENT} THEN NULL ELSE id_number_std END AS id_number_std,
    id_type,
    {_id_key("array_to_string(list_sort(string_split(id_digits_all, '')), '')")} AS id_digits,
    {_id_key("left(id_digits_all, length(id_digits_all) // 2)")} AS id_head,
    {_id_key("right(id_digits_all, length(id_digits_all) - length(id_digits_all) // 2)")} AS id_tail
"""


def record_columns_sql(source: str, where: str) -> str:
    """The model input's columns of one record, without the name counts and skeletons: what the comparisons read
    of each record of ``source`` that satisfies ``where`` (``linkage.model.store_model`` profiles them)."""
    return _record_columns(source, where)


def _record_columns(source: str, where: str | None) -> str:
    """SELECT of the model input's columns of each record of ``source`` satisfying ``where`` (the ID number's digits
    extracted once per record: the three keys on them read it nine times, 0.4 s more at a million records)."""
    return (f"SELECT {_RECORD_COLUMNS_SQL} FROM (SELECT *, {_DIGITS} AS id_digits_all FROM {source}"
            f"{f' WHERE {where}' if where else ''})")


def model_input_sql(source: str, where: str | None = None, new_rids: str | None = None, *, by_name: bool = True) -> str:
    """The model input of the records in ``source`` (a table or a parenthesized query with the standardized
    columns) that satisfy ``where``; the name counts are over those records. With ``new_rids`` (a table with a
    ``rid`` column), ``laolink_new`` says which records it names (an incremental night's new or changed ones).

    The counts and skeletons are computed once per distinct name key and joined back: at a million records
    that takes 0.9 s, where windows over every record and a skeleton per record took 4.2 s. The rows come
    ordered by name: Splink's blocking joins, most of them on name keys, take 10.6 s at a million records on
    rows kept together by name and 17.1 s on rows in record order (measured; sorting costs about 0.7 s). Without
    ``by_name`` they come in no set order (a night's few records gain nothing from it)."""
    return f"""
    WITH m AS MATERIALIZED ({_record_columns(source, where)}),
    whole AS (SELECT given_key, family_key, count(*) AS n FROM m GROUP BY ALL),
    given AS (SELECT given_key, sum(n)::BIGINT AS n, {skeleton_sql("given_key")} AS skeleton FROM whole GROUP BY ALL),
    family AS (SELECT family_key, sum(n)::BIGINT AS n, {skeleton_sql("family_key")} AS skeleton
               FROM whole GROUP BY ALL)
    SELECT m.rid, m.given_key, m.family_key, m.name_key, whole.n AS name_key_records,
           given.n AS given_key_records, family.n AS family_key_records,
           given.skeleton AS given_skeleton, family.skeleton AS family_skeleton,
           m.* EXCLUDE (rid, given_key, family_key, name_key)
           {f", coalesce(m.rid IN (SELECT rid FROM {new_rids}), false) AS laolink_new" if new_rids else ""}
    FROM m
    JOIN whole ON whole.given_key IS NOT DISTINCT FROM m.given_key
              AND whole.family_key IS NOT DISTINCT FROM m.family_key
    JOIN given ON given.given_key IS NOT DISTINCT FROM m.given_key
    JOIN family ON family.family_key IS NOT DISTINCT FROM m.family_key
    {"ORDER BY m.family_key, m.given_key" if by_name else ""}
    """


@dataclass
class Workspace:
    con: duckdb.DuckDBPyConnection
    db_api: DuckDBAPI
    store: str  # catalog name of the pipeline store, to qualify its tables

    def table(self, name: str) -> str:
        return f'"{self.store}".main.{name}'

    def create_model_input(self, where: str | None = None, *, require_rows: bool = True,
                           new_rids: str | None = None, key_ids: bool = False) -> int:
        """(Re)create the model input from standardized records; return its row count.

        Records the standardizer has not seen (``std_version`` NULL) have nothing to compare. ``new_rids``:
        a table whose records are flagged ``laolink_new`` (:func:`model_input_sql`); the rows are ordered by
        name unless it is given. ``key_ids``: each record's ``rid`` is :meth:`key_id` (training: Splink samples
        pairs by their ids, and a rid is the order records arrived in).
        """
        condition = "std_version IS NOT NULL" + (f" AND ({where})" if where else "")
        source = self.table("records")
        if key_ids:
            source = f"(SELECT * REPLACE ({self.key_id('r')} AS rid) FROM {source} r)"
        self.con.execute(
            f"CREATE OR REPLACE TABLE {MODEL_INPUT_TABLE} AS "
            f"{model_input_sql(source, condition, new_rids, by_name=new_rids is None)}"
        )
        if key_ids and self.con.execute(f"SELECT count(*) - count(DISTINCT rid) FROM {MODEL_INPUT_TABLE}"
                                        ).fetchall()[0][0]:
            self._refuse_equal_key_ids(condition)
        n = self.con.execute(f"SELECT count(*) FROM {MODEL_INPUT_TABLE}").fetchall()[0][0]
        if n == 0 and require_rows:
            raise LaoLinkError("no standardized records to link: run `laolink ingest` then `laolink standardize`")
        return n

    def _refuse_equal_key_ids(self, condition: str) -> None:
        """LaoLinkError naming two records whose key ids are equal (64-bit hashes: about 5 in 100 million at a million
        records): training cannot tell them apart."""
        equal = self.con.execute(
            f"SELECT list(source || ' ' || record_id ORDER BY source, record_id)[1:2] FROM {self.table('records')} r"
            f" WHERE {condition} GROUP BY {self.key_id('r')} HAVING count(*) > 1 LIMIT 1").fetchall()
        if equal:
            raise LaoLinkError(
                f"records {' and '.join(equal[0][0])} hash to the same training id (source, record_id): training"
                " cannot tell them apart; give one of them another record_id at its source and deliver it again,"
                " or report it to LaoLink's maintainers")

    @staticmethod
    def key_id(alias: str) -> str:
        """A record's id from its (source, record_id) alone, whatever order it arrived in (SQL over ``alias``)."""
        return f"(hash({alias}.source, {alias}.record_id) >> 1)::BIGINT"

    def register_model_input(self, name: str = "laolink_records") -> SplinkDataFrame:
        return self.db_api.register(MODEL_INPUT_TABLE, dataset_display_name=name, table_name=name)


def default_work_dir(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The store's scratch directory (``<db stem>.work/``), or None for an in-memory store."""
    from linkage.paths import store_paths

    rows = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    return store_paths(rows[0][0]).work_dir if rows and rows[0][0] else None


@contextmanager
def splink_workspace(con: duckdb.DuckDBPyConnection, work_dir: Path | None = None) -> Iterator[Workspace]:
    """Attach an in-memory workspace to the store connection and run Splink there.

    With ``work_dir`` Splink materialises its intermediate tables as parquet files in a fresh
    sub-directory (removed afterwards), which keeps memory low at millions of records.
    """
    store = con.execute("SELECT current_database()").fetchall()[0][0]
    con.execute(f"ATTACH ':memory:' AS {WORKSPACE}")
    con.execute(f"USE {WORKSPACE}")
    materialisation_dir = None
    try:
        if work_dir is not None:
            materialisation_dir = Path(work_dir) / f"splink-{uuid.uuid4().hex[:12]}"
            materialisation_dir.mkdir(parents=True, exist_ok=True)
            db_api = DuckDBAPI(connection=con, materialisation="parquet", materialisation_dir=materialisation_dir)
        else:
            db_api = DuckDBAPI(connection=con)
        yield Workspace(con=con, db_api=db_api, store=store)
    finally:
        con.execute(f'USE "{store}"')
        con.execute(f"DETACH {WORKSPACE}")
        if materialisation_dir is not None:
            shutil.rmtree(materialisation_dir, ignore_errors=True)


def tune_connection(
    con: duckdb.DuckDBPyConnection, work_dir: Path, *, memory_limit: str = "6GB", threads: int | None = None
) -> None:
    """Bound DuckDB's memory and let it spill to ``work_dir`` instead of failing on large runs."""
    Path(work_dir).mkdir(parents=True, exist_ok=True)
    con.execute(f"SET memory_limit = {sql_literal(memory_limit)}")
    con.execute(f"SET temp_directory = {sql_literal(Path(work_dir) / 'duckdb-spill')}")
    con.execute("SET preserve_insertion_order = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")


@contextmanager
def open_tuned_store(db: Path) -> Iterator[tuple[duckdb.DuckDBPyConnection, StorePaths]]:
    """The pipeline store and its paths, its connection tuned (:func:`tune_connection`) for a model run."""
    paths = store_paths(db)
    with open_store(db) as con:
        tune_connection(con, paths.work_dir)
        yield con, paths
