import stat

from linkage.service.service_db import connect_service
from linkage.store import MIGRATIONS, connect, schema_version


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
