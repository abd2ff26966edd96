"""The pending_records table through its one owner, linkage.service.pending_records (API writes, nightly reads)."""

from __future__ import annotations

from linkage.service.pending_records import add_pending_record, mark_ingested, waiting_records
from linkage.service.service_db import connect_service
from linkage.sources.exchange_format import EXCHANGE_COLUMNS


def test_records_wait_until_a_run_ingests_them_and_that_run_sees_them_again(tmp_path):
    svc = connect_service(tmp_path / "svc.sqlite")
    first = add_pending_record(svc, {"source": "MOPS-AHTD", "record_id": "API-1", "full_name": "Bouasy"}, "key:k1")
    second = add_pending_record(svc, {"source": "PROV-SVK", "record_id": "API-2", "phone": "020 5555 0101"}, "noy")
    assert second.pending_id > first.pending_id and first.received_at.endswith("Z")
    waiting = waiting_records(svc, run_id=7)
    assert [row[0] for row in waiting] == [first.pending_id, second.pending_id]
    row = dict(zip(("pending_id", *EXCHANGE_COLUMNS), waiting[0], strict=True))
    assert (row["source"], row["record_id"], row["full_name"], row["phone"]) == ("MOPS-AHTD", "API-1", "Bouasy", None)
    mark_ingested(svc, [first.pending_id], run_id=7)
    assert [r[0] for r in waiting_records(svc, run_id=8)] == [second.pending_id]  # a later run: only the waiting one
    assert [r[0] for r in waiting_records(svc, run_id=7)] == [first.pending_id, second.pending_id]  # run 7 again
    assert svc.execute("SELECT received_by FROM pending_records ORDER BY pending_id").fetchall() == [
        ("key:k1",), ("noy",)]
