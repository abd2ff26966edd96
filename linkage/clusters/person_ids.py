"""Stable person IDs: map this run's clusters onto the IDs of earlier runs.

Other systems keep LaoLink person IDs in their case files, so an ID must keep meaning
the same person. The rules, applied set-based over the overlap of old persons and new
clusters (how many of person P's records are in cluster C):

- An alias counts as an old person too, with its former records: those it had when it
  was last merged (``merged-into`` ``detail.records``), each record counted for the alias
  that held it first, as long as the person holding it now keeps a record of its own.
- Each old person goes with the cluster that holds most of its records (ties: the cluster
  with the lowest record). If that is the only old person going there, it keeps its ID:
  an ID survives every night its cluster keeps its records or grows.
- Several old persons going to one cluster is a merge: an active person before an alias,
  then the oldest ID (lowest ``created_run_id``, then lowest number) survives; the other
  active ones become ``alias`` of it (``merged-into`` events) and aliases of those are
  redirected, so an alias always resolves in one step.
- A cluster only aliases go with revives the first of them (a ``revived`` event naming the
  person it had been merged into, then ``split-from`` as for a new ID): a merge undone
  gives back the ID other systems held for those records, not a new one.
- A cluster no old person goes with gets a new ID: ``split-from`` events name each old
  person whose records it took, or a ``created`` event if all its records are new.
- ``records-removed`` tells where an ID's records went (``detail.to``: person → count,
  ``no_longer_stored``), ``records-added`` where they came from (``detail.from``,
  ``new_records``). A person whose records are all gone is ``retired``.

Assigning twice for the same clustering changes nothing and writes no event.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import duckdb

from linkage.clusters.scope import mark_ids_assigned

PERSON_ID_PREFIX = "LA-P-"


@dataclass
class IdReport:
    run_id: int
    active: int = 0
    kept: int = 0
    created: int = 0
    revived: int = 0
    split: int = 0
    merged: int = 0
    retired: int = 0
    records_added: int = 0
    records_removed: int = 0
    events: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def _id_number(column: str) -> str:
    return f"CAST(substr({column}, {len(PERSON_ID_PREFIX) + 1}) AS BIGINT)"


def _steps(rp: str, rc: str) -> str:
    """The assignment over record-person table ``rp`` and record-cluster table ``rc``."""
    return f"""
-- old person x new cluster: how many of the person's records are in the cluster
CREATE OR REPLACE TEMP TABLE _overlap AS
SELECT rp.person_id, rc.cluster_key, count(*) AS n
FROM {rp} rp JOIN {rc} rc USING (rid)
GROUP BY rp.person_id, rc.cluster_key;

-- the records each alias had when it was last merged (merged-into detail.records)
CREATE OR REPLACE TEMP TABLE _former AS
WITH merges AS (
    SELECT h.person_id, arg_max(h.detail, h.event_id) AS detail, max(h.event_id) AS merged_at
    FROM id_history h SEMI JOIN persons p ON p.person_id = h.person_id AND p.status = 'alias'
    WHERE h.event = 'merged-into' GROUP BY h.person_id)
SELECT person_id, merged_at, unnest(CAST(detail->'$.records' AS BIGINT[])) AS rid FROM merges
WHERE (detail->'$.records') IS NOT NULL;

-- the records that go by an alias: each held by the alias that held it first (its merge the earliest), while
-- the record's person (holder) keeps a record no alias held; every other record goes by its person
CREATE OR REPLACE TEMP TABLE _moved AS
WITH first_alias AS (SELECT rid, arg_min(person_id, merged_at) AS alias FROM _former GROUP BY rid),
held AS (SELECT rp.rid, rp.person_id AS holder, f.alias FROM {rp} rp JOIN first_alias f USING (rid)),
own AS (SELECT DISTINCT rp.person_id FROM {rp} rp SEMI JOIN held h ON h.holder = rp.person_id
        ANTI JOIN first_alias f USING (rid))
SELECT h.holder, h.alias, rc.cluster_key FROM held h JOIN {rc} rc USING (rid)
WHERE h.holder IN (SELECT person_id FROM own);

-- each old person (and alias) goes with the cluster that holds most of its records: the overlap, the counts of
-- the persons records moved from or to counted again
CREATE OR REPLACE TEMP TABLE _major AS
WITH moved AS (SELECT holder, alias, cluster_key, count(*) AS n FROM _moved GROUP BY ALL),
touched AS (SELECT holder AS person_id FROM moved UNION SELECT alias FROM moved),
counts AS (
    SELECT person_id, cluster_key, n FROM _overlap ANTI JOIN touched USING (person_id)
    UNION ALL
    SELECT person_id, cluster_key, CAST(sum(n) AS BIGINT) FROM (
        SELECT person_id, cluster_key, n FROM _overlap SEMI JOIN touched USING (person_id)
        UNION ALL SELECT holder, cluster_key, -n FROM moved
        UNION ALL SELECT alias, cluster_key, n FROM moved)
    GROUP BY person_id, cluster_key HAVING sum(n) > 0)
SELECT person_id, cluster_key FROM (
    SELECT person_id, cluster_key,
           row_number() OVER (PARTITION BY person_id ORDER BY n DESC, cluster_key) AS rn
    FROM counts)
WHERE rn = 1;

-- clusters claimed; rank 1 survives a merge: an active person before an alias, then the oldest ID
CREATE OR REPLACE TEMP TABLE _claim AS
SELECT m.cluster_key, m.person_id, p.status = 'active' AS active,
       row_number() OVER (PARTITION BY m.cluster_key
                          ORDER BY p.status <> 'active', p.created_run_id, {_id_number("m.person_id")}) AS rk
FROM _major m JOIN persons p USING (person_id);

CREATE OR REPLACE TEMP TABLE _cluster_size AS
SELECT cluster_key, count(*) AS n FROM {rc} GROUP BY cluster_key;

-- this run's person of every cluster: the survivor (an alias revived when no active person claims it), or a
-- new ID numbered after the highest
CREATE OR REPLACE TEMP TABLE _cluster_person AS
SELECT cluster_key, person_id, false AS is_new, NOT active AS revived FROM _claim WHERE rk = 1
UNION ALL
SELECT c.cluster_key,
       printf('{PERSON_ID_PREFIX}%07d',
              (SELECT coalesce(max({_id_number("person_id")}), 0) FROM persons)
              + row_number() OVER (ORDER BY c.cluster_key)),
       true, false
FROM _cluster_size c ANTI JOIN _claim k ON k.cluster_key = c.cluster_key;

-- where each old person's records go (to_person NULL: record no longer stored)
CREATE OR REPLACE TEMP TABLE _flow AS
SELECT rp.person_id, cp.person_id AS to_person, count(*) AS n
FROM {rp} rp
LEFT JOIN {rc} rc USING (rid)
LEFT JOIN _cluster_person cp USING (cluster_key)
GROUP BY rp.person_id, cp.person_id;

-- the ID each old person resolves to after this run (NULL: retired)
CREATE OR REPLACE TEMP TABLE _target AS
SELECT o.person_id, cp.person_id AS target
FROM (SELECT DISTINCT person_id FROM {rp}) o
LEFT JOIN _major m USING (person_id) LEFT JOIN _cluster_person cp USING (cluster_key);

-- where each surviving person's incoming records come from (from_person NULL: new record)
CREATE OR REPLACE TEMP TABLE _inflow AS
SELECT cp.person_id, rp.person_id AS from_person, count(*) AS n
FROM {rc} rc
JOIN _cluster_person cp USING (cluster_key)
LEFT JOIN {rp} rp USING (rid)
WHERE NOT cp.is_new AND NOT cp.revived AND rp.person_id IS DISTINCT FROM cp.person_id
GROUP BY cp.person_id, rp.person_id;

CREATE OR REPLACE TEMP TABLE _events AS
SELECT 1 AS step, cp.person_id, 'created' AS event, NULL AS other_person_id, s.n AS n_records,
       NULL::JSON AS detail
FROM _cluster_person cp JOIN _cluster_size s USING (cluster_key)
WHERE cp.is_new AND cp.cluster_key NOT IN (SELECT cluster_key FROM _overlap)
UNION ALL
SELECT 1, cp.person_id, 'revived', p.alias_of, s.n, NULL
FROM _cluster_person cp JOIN persons p USING (person_id) JOIN _cluster_size s USING (cluster_key)
WHERE cp.revived
UNION ALL
SELECT 2, cp.person_id, 'split-from', o.person_id, o.n,
       json_object('cluster_records', s.n)
FROM _cluster_person cp JOIN _overlap o USING (cluster_key) JOIN _cluster_size s USING (cluster_key)
WHERE cp.is_new OR cp.revived
UNION ALL
SELECT 3, k.person_id, 'merged-into', s.person_id, o.n, json_object('records', f.rids)
FROM _claim k JOIN _claim s ON s.cluster_key = k.cluster_key AND s.rk = 1
JOIN _overlap o ON o.person_id = k.person_id AND o.cluster_key = k.cluster_key
JOIN (SELECT r.person_id, list(r.rid ORDER BY r.rid) AS rids
      FROM {rp} r SEMI JOIN _claim m ON m.person_id = r.person_id AND m.rk > 1 AND m.active
      GROUP BY r.person_id) f ON f.person_id = k.person_id
WHERE k.rk > 1 AND k.active
UNION ALL
SELECT 4, f.person_id, 'records-removed', NULL, sum(f.n),
       json_object('to', to_json(map_from_entries(
                       coalesce(list((f.to_person, f.n) ORDER BY f.to_person)
                                FILTER (WHERE f.to_person IS NOT NULL), []))),
                   'no_longer_stored', coalesce(sum(f.n) FILTER (WHERE f.to_person IS NULL), 0))
FROM _flow f JOIN _target t USING (person_id)
WHERE f.to_person IS DISTINCT FROM t.target OR f.to_person IS NULL
GROUP BY f.person_id
UNION ALL
SELECT 5, i.person_id, 'records-added', NULL, sum(i.n),
       json_object('from', to_json(map_from_entries(
                       coalesce(list((i.from_person, i.n) ORDER BY i.from_person)
                                FILTER (WHERE i.from_person IS NOT NULL), []))),
                   'new_records', coalesce(sum(i.n) FILTER (WHERE i.from_person IS NULL), 0))
FROM _inflow i
GROUP BY i.person_id;
"""

_APPLY = """
INSERT INTO id_history (person_id, event, other_person_id, n_records, detail, run_id)
SELECT person_id, event, other_person_id, n_records, detail, $run_id
FROM _events ORDER BY step, person_id, other_person_id NULLS FIRST;

INSERT INTO persons (person_id, status, alias_of, created_run_id, updated_run_id, n_records)
SELECT cp.person_id, 'active', NULL, $run_id, $run_id, s.n
FROM _cluster_person cp JOIN _cluster_size s USING (cluster_key) WHERE cp.is_new;

-- aliases of a person merged tonight now point at its survivor
UPDATE persons SET alias_of = t.target, updated_run_id = $run_id
FROM _claim k JOIN _target t USING (person_id)
WHERE k.rk > 1 AND k.active AND persons.alias_of = k.person_id;

UPDATE persons SET status = 'alias', alias_of = t.target, n_records = 0, updated_run_id = $run_id
FROM _claim k JOIN _target t USING (person_id)
WHERE k.rk > 1 AND k.active AND persons.person_id = k.person_id;

UPDATE persons SET status = 'retired', n_records = 0, updated_run_id = $run_id
FROM _target t WHERE t.target IS NULL AND persons.person_id = t.person_id;

UPDATE persons SET n_records = s.n, updated_run_id = $run_id
FROM _cluster_person cp JOIN _cluster_size s USING (cluster_key)
WHERE NOT cp.is_new AND persons.person_id = cp.person_id
  AND cp.person_id IN (SELECT person_id FROM _events WHERE event IN ('records-added', 'records-removed'));

-- last: an alias revived tonight is no alias, whatever merged tonight
UPDATE persons SET status = 'active', alias_of = NULL, n_records = s.n, updated_run_id = $run_id
FROM _cluster_person cp JOIN _cluster_size s USING (cluster_key)
WHERE cp.revived AND persons.person_id = cp.person_id;
"""


def assign_person_ids(con: duckdb.DuckDBPyConnection, *, run_id: int, scope: str | None = None) -> IdReport:
    """Give every cluster in ``record_cluster`` a person ID, recording each change in ``id_history``.

    ``scope``: a table of the records whose clusters may have changed (``linkage.clusters.scope``: whole old
    persons and components); every other record keeps its person, which no rule would change."""
    started = time.perf_counter()
    report = IdReport(run_id=run_id)
    rp, rc = "record_person", "record_cluster"
    if scope is not None:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _rp AS SELECT * FROM record_person SEMI JOIN {scope} USING (rid);"
                    f" CREATE OR REPLACE TEMP TABLE _rc AS SELECT * FROM record_cluster SEMI JOIN {scope} USING (rid)")
        rp, rc = "_rp", "_rc"
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(_steps(rp, rc))
        counts = dict(con.execute("SELECT event, count(*) FROM _events GROUP BY event").fetchall())
        new_ids = con.execute("SELECT count(*) FROM _cluster_person WHERE is_new").fetchall()[0][0]
        report.retired = con.execute("SELECT count(*) FROM _target WHERE target IS NULL").fetchall()[0][0]
        report.split = con.execute(
            "SELECT count(DISTINCT person_id) FROM _events WHERE event = 'split-from'"
        ).fetchall()[0][0]
        for statement in filter(str.strip, _APPLY.split(";")):
            con.execute(statement, {"run_id": run_id} if "$run_id" in statement else None)
        con.execute(f"DELETE FROM record_person{f' WHERE rid IN (SELECT rid FROM {scope})' if scope else ''}")
        con.execute(f"INSERT INTO record_person SELECT rc.rid, cp.person_id FROM {rc} rc "
                    "JOIN _cluster_person cp USING (cluster_key)")
        mark_ids_assigned(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    report.created = counts.get("created", 0)
    report.revived = counts.get("revived", 0)
    report.merged = counts.get("merged-into", 0)
    report.records_added = counts.get("records-added", 0)
    report.records_removed = counts.get("records-removed", 0)
    report.events = sum(counts.values())
    report.active = con.execute("SELECT count(*) FROM persons WHERE status = 'active'").fetchall()[0][0]
    # one active person per cluster: each kept its ID, got a revived one or a new one
    report.kept = report.active - new_ids - report.revived
    for table in ("_overlap", "_former", "_moved", "_major", "_claim", "_cluster_size", "_cluster_person", "_flow",
                  "_target", "_inflow", "_events", "_rp", "_rc"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    report.seconds = round(time.perf_counter() - started, 3)
    return report
