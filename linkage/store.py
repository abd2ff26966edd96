"""The LaoLink store: one DuckDB file, versioned by migrations that run on open.

Every table of the product lives here. Migrations are append-only: a released
migration is never edited, a change is a new entry in ``MIGRATIONS``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from linkage.sources.exchange_format import EXCHANGE_COLUMNS

_RAW_COLUMNS = ",\n    ".join(f"{c} VARCHAR" for c in EXCHANGE_COLUMNS if c not in ("source", "record_id"))

# Standardized columns filled by `laolink standardize`. Contract shared by the
# model, clustering and API: see linkage/fields/standardize.py for how each is made.
STANDARDIZED_COLUMNS: dict[str, str] = {
    "name_script": "VARCHAR",  # lao | thai | latin | mixed | NULL
    "given_name_std": "VARCHAR",  # romanized, lower-case, de-accented (finer form)
    "family_name_std": "VARCHAR",
    "full_name_std": "VARCHAR",  # given + ' ' + family, romanized finer form
    "given_key": "VARCHAR",  # Lao name key of the given name
    "family_key": "VARCHAR",  # Lao name key of the family name
    "name_order_swapped": "BOOLEAN",
    "sex_code": "VARCHAR",  # F | M
    "dob": "DATE",  # full date when known to the day
    "dob_precision": "VARCHAR",  # day | month | year | range
    "dob_year": "INTEGER",
    "dob_month": "INTEGER",
    "dob_day": "INTEGER",
    "dob_year_min": "INTEGER",  # birth-year range (from partial dates or ages)
    "dob_year_max": "INTEGER",
    "dob_placeholder": "VARCHAR",  # month-day ('01-01') of a placeholder birth date read as the year only
    "nationality_code": "VARCHAR",  # ISO 3166-1 alpha-3
    "province_code": "VARCHAR",  # gazetteer code
    "province_is_event": "BOOLEAN",  # the province is where an event happened (mapping province_is: event_place)
    "district_code": "VARCHAR",
    "village_key": "VARCHAR",  # Lao name key of the village name
    "phone_e164": "VARCHAR",
    "id_number_std": "VARCHAR",
    "id_type": "VARCHAR",  # family_book | id_card | passport | border_pass | case_number | NULL (not named)
    "event_date_std": "DATE",
    "role_code": "VARCHAR",  # victim | suspect | witness | smuggled_migrant | NULL (linkage/fields/case_codes.py)
    "case_type_code": "VARCHAR",  # TIP | SOM | other | NULL
    "exploitation_code": "VARCHAR",  # labour | sexual | forced_marriage | other | unknown | NULL
    "std_version": "INTEGER",  # standardizer version that produced these values
}

# ingested_files.mapping of the files of records posted to POST /match?persist=true (linkage/sources/api_records.py)
API_FILES_MAPPING = "(api)"

_STD_COLUMNS_SQL = ",\n    ".join(f"{c} {t}" for c, t in STANDARDIZED_COLUMNS.items())

MIGRATIONS: list[str] = [
    # 1: foundation — sources, files, records with history, quarantine
    f"""
    CREATE SEQUENCE record_rid_seq START 1;
    CREATE SEQUENCE file_id_seq START 1;
    CREATE TABLE sources (
        source VARCHAR PRIMARY KEY,
        first_seen_at TIMESTAMP NOT NULL DEFAULT current_timestamp
    );
    CREATE TABLE ingested_files (
        file_id BIGINT PRIMARY KEY DEFAULT nextval('file_id_seq'),
        path VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL,
        mapping VARCHAR NOT NULL,
        encoding VARCHAR,
        ingested_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
        rows_read BIGINT NOT NULL DEFAULT 0,
        rows_stored BIGINT NOT NULL DEFAULT 0,
        rows_updated BIGINT NOT NULL DEFAULT 0,
        rows_unchanged BIGINT NOT NULL DEFAULT 0,
        rows_quarantined BIGINT NOT NULL DEFAULT 0
    );
    CREATE TABLE records (
        rid BIGINT PRIMARY KEY DEFAULT nextval('record_rid_seq'),
        source VARCHAR NOT NULL,
        record_id VARCHAR NOT NULL,
        {_RAW_COLUMNS},
        row_hash VARCHAR NOT NULL,
        version INTEGER NOT NULL DEFAULT 1,
        file_id BIGINT NOT NULL,
        line_no BIGINT NOT NULL,
        first_seen_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
        updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
        {_STD_COLUMNS_SQL},
        UNIQUE (source, record_id)
    );
    CREATE TABLE record_history (
        rid BIGINT NOT NULL,
        source VARCHAR NOT NULL,
        record_id VARCHAR NOT NULL,
        {_RAW_COLUMNS},
        row_hash VARCHAR NOT NULL,
        version INTEGER NOT NULL,
        file_id BIGINT NOT NULL,
        line_no BIGINT NOT NULL,
        replaced_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
        replaced_by_file_id BIGINT NOT NULL
    );
    CREATE TABLE quarantine (
        file_id BIGINT NOT NULL,
        path VARCHAR NOT NULL,
        line_no BIGINT,
        field VARCHAR,
        reason VARCHAR NOT NULL,
        raw_line VARCHAR,
        quarantined_at TIMESTAMP NOT NULL DEFAULT current_timestamp
    );
    """,
    # 2: values the standardizer could not parse, one row per record and field
    """
    CREATE TABLE std_issues (
        rid BIGINT NOT NULL,
        field VARCHAR NOT NULL,
        value VARCHAR,
        reason VARCHAR NOT NULL
    );
    """,
    # 3: nightly runs, the models that scored them, and which records are scored by which model
    """
    CREATE SEQUENCE run_id_seq START 1;
    CREATE TABLE runs (
        run_id BIGINT PRIMARY KEY DEFAULT nextval('run_id_seq'),
        started_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
        finished_at TIMESTAMP,
        status VARCHAR NOT NULL,
        model_version VARCHAR,
        report JSON
    );
    CREATE TABLE models (
        model_version VARCHAR PRIMARY KEY,
        path VARCHAR NOT NULL,
        settings_json JSON NOT NULL,
        first_used_run_id BIGINT
    );
    ALTER TABLE records ADD COLUMN scored_model VARCHAR;
    ALTER TABLE records ADD COLUMN scored_version INTEGER;
    """,
    # 4: clusters, stable person IDs with their history, and the review queue (linkage/clusters/clustering.py,
    # person_ids.py, review_queue.py). cluster_links keeps the links that hold each cluster together
    # after decisions; clustering_flags what decisions did to clusters (cuts, conflicts).
    """
    CREATE TABLE record_cluster (rid BIGINT NOT NULL, cluster_key BIGINT NOT NULL);
    CREATE TABLE cluster_links (
        rid_l BIGINT NOT NULL,
        rid_r BIGINT NOT NULL,
        match_weight DOUBLE,
        match_probability DOUBLE,
        origin VARCHAR NOT NULL  -- model | decision
    );
    CREATE TABLE clustering_flags (
        run_id BIGINT NOT NULL,
        kind VARCHAR NOT NULL,  -- negative-cut | decision-conflict
        rid_l BIGINT NOT NULL,
        rid_r BIGINT NOT NULL,
        links_cut INTEGER NOT NULL DEFAULT 0,
        detail JSON
    );
    CREATE TABLE record_person (rid BIGINT NOT NULL, person_id VARCHAR NOT NULL);
    CREATE TABLE persons (
        person_id VARCHAR NOT NULL,
        status VARCHAR NOT NULL,  -- active | alias | retired
        alias_of VARCHAR,
        created_run_id BIGINT NOT NULL,
        updated_run_id BIGINT NOT NULL,
        n_records BIGINT NOT NULL
    );
    CREATE SEQUENCE id_event_seq START 1;
    CREATE TABLE id_history (
        event_id BIGINT NOT NULL DEFAULT nextval('id_event_seq'),
        person_id VARCHAR NOT NULL,
        event VARCHAR NOT NULL,  -- created | merged-into | split-from | records-added | records-removed
        other_person_id VARCHAR,
        n_records BIGINT,
        detail JSON,
        run_id BIGINT NOT NULL,
        "at" TIMESTAMP NOT NULL DEFAULT current_timestamp
    );
    CREATE SEQUENCE review_item_seq START 1;
    CREATE TABLE review_queue (
        item_id BIGINT NOT NULL DEFAULT nextval('review_item_seq'),
        kind VARCHAR NOT NULL,  -- pair | cluster
        rid_l BIGINT,
        rid_r BIGINT,
        person_id VARCHAR,
        priority DOUBLE NOT NULL,
        reason VARCHAR NOT NULL,
        match_probability DOUBLE,
        run_id BIGINT NOT NULL
    );
    """,
    # 5: ingestion outcome per file (linkage/sources/ingest.py): files rejected whole are recorded too, with the
    # reason; headers of the file that no mapping column uses are listed
    """
    ALTER TABLE ingested_files ADD COLUMN status VARCHAR DEFAULT 'ingested';
    ALTER TABLE ingested_files ADD COLUMN reason VARCHAR;
    ALTER TABLE ingested_files ADD COLUMN ignored_headers VARCHAR;
    """,
    # 6: what the standardizer last read besides its code (linkage/fields/standardize.py): the digest of the
    # gazetteer alias files, so records whose place a changed alias reads differently are standardized again
    """
    CREATE TABLE std_state (name VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
    """,
    # 7: the kind of identity document beside its number (linkage/fields/id_documents.py); a store created
    # after this has the column from migration 1
    """
    ALTER TABLE records ADD COLUMN IF NOT EXISTS id_type VARCHAR;
    """,
    # 8: what a record says about the case (optional exchange columns case_type and exploitation, as written,
    # in records and their history) and the codes read from them and from the role (linkage/fields/case_codes.py)
    """
    ALTER TABLE records ADD COLUMN IF NOT EXISTS case_type VARCHAR;
    ALTER TABLE records ADD COLUMN IF NOT EXISTS exploitation VARCHAR;
    ALTER TABLE record_history ADD COLUMN IF NOT EXISTS case_type VARCHAR;
    ALTER TABLE record_history ADD COLUMN IF NOT EXISTS exploitation VARCHAR;
    ALTER TABLE records ADD COLUMN IF NOT EXISTS role_code VARCHAR;
    ALTER TABLE records ADD COLUMN IF NOT EXISTS case_type_code VARCHAR;
    ALTER TABLE records ADD COLUMN IF NOT EXISTS exploitation_code VARCHAR;
    """,
    # 9: placeholder birth dates (01/01/YYYY for "YYYY"): the mapping's setting per ingested file, and the
    # month-day a record's birth date had before it was read as the year only (linkage/fields/placeholder_dates.py)
    """
    ALTER TABLE ingested_files ADD COLUMN placeholder_birth_dates VARCHAR;
    ALTER TABLE records ADD COLUMN IF NOT EXISTS dob_placeholder VARCHAR;
    """,
    # 10: review queue reasons as codes with their values (linkage/clusters/review_queue.py), shown in the page's
    # language; ``reason`` (English) is no longer written
    """
    ALTER TABLE review_queue ADD COLUMN reasons JSON;
    ALTER TABLE review_queue ALTER COLUMN reason DROP NOT NULL;
    """,
    # 11: what a source's province says (mapping province_is: home | event_place) per ingested file, and per
    # record whether its province is the place of an event rather than the person's (linkage/fields/event_place.py)
    """
    ALTER TABLE ingested_files ADD COLUMN province_is VARCHAR;
    ALTER TABLE records ADD COLUMN IF NOT EXISTS province_is_event BOOLEAN;
    """,
    # 12: the source lists each person at most once (mapping one_record_per_person), per ingested file
    # (linkage/clusters/one_to_one.py)
    """
    ALTER TABLE ingested_files ADD COLUMN one_record_per_person BOOLEAN;
    """,
    # 13: the cuts of the last clustering, by component signature, so that a component cut the same way again
    # costs no minimum cut (linkage/clusters/cut_cache.py)
    """
    CREATE TABLE clustering_cut_cache (signature VARCHAR NOT NULL, cut JSON NOT NULL, flags JSON NOT NULL);
    """,
    # 14: the bridge links of the last review queue, by cluster signature, so that a cluster whose links are as
    # they were is not searched again (linkage/clusters/bridges.py)
    """
    CREATE TABLE queue_bridge_cache (signature VARCHAR NOT NULL, bridges STRUCT(rid_l BIGINT, rid_r BIGINT)[] NOT NULL);
    """,
    # 15: records without index: DuckDB writes a table's whole index at every checkpoint, so the primary key and
    # UNIQUE (source, record_id) made a night of 1,000 new records at 1M cost 1.8 s there, growing with the store.
    # Ingest keeps both unique itself (a record is inserted only when its key is in neither the store nor earlier
    # in its file: linkage/sources/ingest.py); tests/test_ingest_keys.py checks it. Defaults and NOT NULL stay.
    """
    CREATE TABLE records_unindexed AS SELECT * FROM records ORDER BY rid;
    DROP TABLE records;
    ALTER TABLE records_unindexed RENAME TO records;
    ALTER TABLE records ALTER COLUMN rid SET DEFAULT nextval('record_rid_seq');
    ALTER TABLE records ALTER COLUMN version SET DEFAULT 1;
    ALTER TABLE records ALTER COLUMN first_seen_at SET DEFAULT current_timestamp;
    ALTER TABLE records ALTER COLUMN updated_at SET DEFAULT current_timestamp;
    ALTER TABLE records ALTER COLUMN rid SET NOT NULL;
    ALTER TABLE records ALTER COLUMN source SET NOT NULL;
    ALTER TABLE records ALTER COLUMN record_id SET NOT NULL;
    ALTER TABLE records ALTER COLUMN row_hash SET NOT NULL;
    ALTER TABLE records ALTER COLUMN version SET NOT NULL;
    ALTER TABLE records ALTER COLUMN file_id SET NOT NULL;
    ALTER TABLE records ALTER COLUMN line_no SET NOT NULL;
    ALTER TABLE records ALTER COLUMN first_seen_at SET NOT NULL;
    ALTER TABLE records ALTER COLUMN updated_at SET NOT NULL;
    """,
    # 16: what the last clustering saw, so that a night clusters again only the components it touched
    # (linkage/clusters/scope.py)
    """
    CREATE TABLE clustering_state (run_id BIGINT NOT NULL, signature VARCHAR NOT NULL, last_file_id BIGINT NOT NULL,
                                   scoped_nights INTEGER NOT NULL, ids_assigned BOOLEAN NOT NULL);
    CREATE TABLE record_component (rid BIGINT NOT NULL, component_key BIGINT NOT NULL, member_hash UBIGINT NOT NULL);
    CREATE TABLE clustering_decisions (rid_l BIGINT, rid_r BIGINT, judgement VARCHAR, decision_id BIGINT);
    CREATE TABLE scored_since_clustering (rid BIGINT NOT NULL);
    """,
    # 17: a digest of the mapping a file was read with, so that a file rejected under a mapping is read again once
    # the mapping is mended (linkage/sources/ingest.py)
    """
    ALTER TABLE ingested_files ADD COLUMN mapping_digest VARCHAR;
    """,
    # 18: the mapping's buddhist_era per ingested file ('be', 'ce', 'auto'), so that standardize reads a file's dates
    # as its ingest checked them (linkage/fields/standardize.py)
    """
    ALTER TABLE ingested_files ADD COLUMN date_era VARCHAR;
    """,
    # 19: the files of records posted through the API, ingested before they were told apart from the inbox's (read
    # by the exchange mapping from <db stem>.work/pending/): they never decide a source's settings
    # (linkage/sources/file_settings.py)
    f"""
    UPDATE ingested_files SET mapping = '{API_FILES_MAPPING}'
    WHERE mapping = 'exchange' AND regexp_matches(path, '[.]work/pending/pending-run-[0-9]+-[0-9]+-[0-9]+[.]csv$');
    """,
    # 20: the sources each ingested file read (``records``: its rows of the source stored, updated or unchanged), so
    # that a source's settings are its latest inbox file's even when that file's rows were all unchanged or a posted
    # update moved its records to an API file (linkage/sources/file_settings.py). Earlier files: from the files
    # their records and their records' earlier versions came from (``records`` unknown: unchanged rows left no trace)
    """
    CREATE TABLE file_sources (file_id BIGINT NOT NULL, source VARCHAR NOT NULL, records BIGINT);
    INSERT INTO file_sources (file_id, source)
    SELECT DISTINCT file_id, source FROM (
        SELECT file_id, source FROM records
        UNION ALL SELECT file_id, source FROM record_history
        UNION ALL SELECT replaced_by_file_id, source FROM record_history)
    ORDER BY file_id, source;
    """,
    # 21: the review queue's per-cluster parts of the last queue (sizes, persons, cluster items), so that a night
    # builds them again only for the clusters it clustered (linkage/clusters/queue_cache.py)
    """
    CREATE TABLE queue_clusters (cluster_key BIGINT NOT NULL, size BIGINT NOT NULL, person_id VARCHAR,
                                 signature VARCHAR);
    CREATE TABLE queue_cluster_items (cluster_key BIGINT NOT NULL, rid_l BIGINT, rid_r BIGINT, priority DOUBLE,
                                      reason JSON, match_probability DOUBLE);
    CREATE TABLE queue_state (run_id BIGINT NOT NULL, signature VARCHAR NOT NULL);
    """,
    # 22: the review queue's uncertain pairs between two clusters, with whether their two persons may be asked about,
    # so that a night measures again those of the clusters it clustered only (linkage/clusters/queue_band.py)
    """
    CREATE TABLE queue_band_pairs (rid_l BIGINT NOT NULL, rid_r BIGINT NOT NULL, match_probability DOUBLE,
                                   pattern VARCHAR, key_l BIGINT NOT NULL, key_r BIGINT NOT NULL,
                                   dropped BOOLEAN NOT NULL);
    """,
]


def has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether the connection's own database (a store or a snapshot; not its temporary tables) has ``table``."""
    rows = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND database_name = current_database()", [table]
    ).fetchall()
    return rows[0][0] > 0


def sequence_drawn(con: duckdb.DuckDBPyConnection, sequence: str) -> int | None:
    """The last number ``sequence`` of the connection's own database gave (its start less one before it gave any);
    None when there is no such sequence (a snapshot's copied tables have none)."""
    rows = con.execute("SELECT last_value, start_value FROM duckdb_sequences() WHERE sequence_name = ?"
                       " AND database_name = current_database()", [sequence]).fetchall()
    if not rows:
        return None
    last, start = rows[0]
    return start - 1 if last is None else last


def draw_contiguous(con: duckdb.DuckDBPyConnection, sequence: str, count: int, what: str) -> int:
    """The first of ``count`` numbers drawn from ``sequence`` in one statement, so that rows numbered first + offset
    in an order of the caller's get consecutive numbers (a column default draws row by row, in whatever order a
    parallel insert meets the rows); 0 when ``count`` is 0. Raises if the numbers drawn are not consecutive (another
    writer drawing at once): ``what`` names them in the error."""
    if not count:
        return 0
    first, last = con.execute(f"SELECT min(n), max(n) FROM (SELECT nextval('{sequence}') AS n FROM range(?))",
                              [count]).fetchall()[0]
    if last - first != count - 1:
        raise RuntimeError(f"{what}: {count} numbers drawn are not contiguous ({first}..{last})")
    return first


def multiset_hash_sql(columns: str) -> str:
    """An aggregate over a group of rows: the sum of their 64-bit hashes of ``columns``, as HUGEINT (no overflow).
    With the group's count it tells two groups of rows apart whatever their order (snapshot deltas, the cut and
    bridge caches): groups that differ share it only with a chance of 2^-64."""
    return f"sum(CAST(hash({columns}) AS HUGEINT))"


def sql_literal(value: object) -> str:
    """``value`` as a SQL string literal, for statements that take no parameters (SET, COPY ... TO, ATTACH)."""
    return "'" + str(value).replace("'", "''") + "'"


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Return the store's schema version (0 for an empty file)."""
    con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    rows = con.execute("SELECT max(version) FROM schema_version").fetchall()
    return rows[0][0] or 0


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every migration newer than the store's version, each in its own transaction."""
    current = schema_version(con)
    for number, sql in enumerate(MIGRATIONS, start=1):
        if number <= current:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_version VALUES (?)", [number])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return len(MIGRATIONS)


def connect(path: str | os.PathLike[str], *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the store at ``path``, creating it and running migrations as needed.

    The file is created with owner-only permissions: it holds victims' personal data.
    """
    db_path = Path(path)
    if not read_only:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        if not db_path.exists():
            old_umask = os.umask(0o077)
            try:
                duckdb.connect(str(db_path)).close()
            finally:
                os.umask(old_umask)
    con = duckdb.connect(str(db_path), read_only=read_only)
    if not read_only:
        migrate(con)
    return con


@contextmanager
def open_store(path: str | os.PathLike[str], *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Context manager around :func:`connect` that always closes the connection."""
    con = connect(path, read_only=read_only)
    try:
        yield con
    finally:
        con.close()
