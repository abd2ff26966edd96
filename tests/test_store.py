import stat

from linkage.service.service_db import connect_service
from linkage.store import MIGRATIONS, connect, schema_version, sequence_drawn


def test_store_created_private_and_migrated(tmp_path):
    db = tmp_path / "store.duckdb"
    con = connect(db)
    assert schema_version(con) == len(MIGRATIONS)
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"sources", "ingested_files", "records", "record_history", "quarantine"} <= tables
    con.close()
    assert stat.S_IMODE(db.stat().st_mode) & 0o077 == 0
    # re-opening runs no migration twice
    con = connect(db)
    assert con.execute("SELECT count(*) FROM schema_version").fetchall()[0][0] == len(MIGRATIONS)
    con.close()


def test_service_db_rejects_unordered_pairs(tmp_path):
    con = connect_service(tmp_path / "svc.sqlite")
    con.execute(
        "INSERT INTO decisions (source_l, record_id_l, source_r, record_id_r, judgement, decided_by)"
        " VALUES ('A', '1', 'B', '2', 'positive', 'steward1')"
    )
    try:
        con.execute(
            "INSERT INTO decisions (source_l, record_id_l, source_r, record_id_r, judgement, decided_by)"
            " VALUES ('B', '2', 'A', '1', 'positive', 'steward1')"
        )
    except Exception as exc:
        assert "CHECK" in str(exc)
    else:
        raise AssertionError("unordered pair accepted")


def test_records_lose_their_indexes_and_keep_rows_defaults_and_not_null(tmp_path):
    """Migration 15 rebuilds ``records`` without index (a whole index is rewritten at every checkpoint)."""
    import duckdb
    import pytest

    from linkage.store import migrate
    from tests.store_builders import store_at_migration

    db = tmp_path / "store.duckdb"
    con = store_at_migration(db, 14)
    con.execute("INSERT INTO records (source, record_id, full_name, row_hash, file_id, line_no) "
                "VALUES ('A', '1', 'Noy', 'h1', 1, 2), ('A', '2', 'Keo', 'h2', 1, 3)")
    assert con.execute("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'records' "
                       "AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')").fetchall()[0][0] == 2
    migrate(con)
    assert con.execute("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'records' "
                       "AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')").fetchall()[0][0] == 0
    assert con.execute("SELECT rid, source, record_id, full_name, version FROM records ORDER BY rid").fetchall() == [
        (1, "A", "1", "Noy", 1), (2, "A", "2", "Keo", 1)]
    con.execute("INSERT INTO records (source, record_id, row_hash, file_id, line_no) VALUES ('A', '3', 'h', 2, 2)")
    assert con.execute("SELECT rid, version, first_seen_at IS NOT NULL FROM records WHERE record_id = '3'"
                       ).fetchall() == [(3, 1, True)]  # the sequence goes on; the defaults stay
    with pytest.raises(duckdb.ConstraintException, match="NOT NULL"):
        con.execute("INSERT INTO records (source, record_id, row_hash, file_id, line_no) VALUES ('A', NULL, 'h', 2, 3)")
    con.close()


def test_a_sequence_says_the_last_number_it_gave(tmp_path):
    """What the queue's item ids and a decision publish's draws read (was decoded in each of them)."""
    con = connect(tmp_path / "store.duckdb")
    assert sequence_drawn(con, "review_item_seq") == 0  # none given yet: its start less one
    con.execute("SELECT nextval('review_item_seq') FROM range(3)").fetchall()
    assert sequence_drawn(con, "review_item_seq") == 3
    con.execute("CREATE SEQUENCE later_seq START 10")
    assert sequence_drawn(con, "later_seq") == 9
    assert sequence_drawn(con, "no_such_seq") is None
