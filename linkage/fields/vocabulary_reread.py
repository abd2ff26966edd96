"""A change of the deployment's words read again: the stored values of role, case type or exploitation it touches.

When a field's deployment words (``vocabulary``) changed since the last standardizing run (each field's digest is
kept in ``std_state``), every distinct value of that field among the records standardized at this version is read
with the words now (from the field's standardization cache, which the change emptied: its context holds the
digest), the records whose code that changes get the new code in place, and the field's ``std_issues`` are listed
again as the words read them now: a value now read leaves ``laolink std report``, one still unread stays. Only the
changed fields are read, and only their codes written. Role, case type and exploitation are no evidence the model
weighs (``linkage/model/model_input.py``), so no record is scored again for them; the night's publish carries
the new codes like any changed row.
"""

from __future__ import annotations

import duckdb

_STATE = "vocabulary:"  # + a field: std_state's digest of the words that field's stored values were last read with


def changed_fields(con: duckdb.DuckDBPyConnection, digests: dict[str, str]) -> list[str]:
    """The fields whose words' digest differs from the one their stored values were read with ('' when never set)."""
    last = dict(con.execute("SELECT name, value FROM std_state WHERE starts_with(name, ?)", [_STATE]).fetchall())
    return [field for field, digest in digests.items() if last.get(_STATE + field, "") != digest]


def reread_vocabulary_change(con: duckdb.DuckDBPyConnection, digests: dict[str, str], *, cached: bool) -> int:
    """Read again the stored values of the fields whose words changed (``digests``: field -> digest of the words
    read now); returns how many records' codes changed."""
    from linkage.fields.standardize import LOOKUPS, STD_VERSION, _build_lookup, _issue_value_sql

    fields = changed_fields(con, digests)
    changed = 0
    for lookup in (lk for lk in LOOKUPS if lk.name in fields):
        (column,), output = lookup.raw, lookup.outputs[0][0]
        current = f"r.std_version = {STD_VERSION}"
        con.execute(f"CREATE OR REPLACE TEMP TABLE std_todo AS SELECT DISTINCT r.{column} FROM records r"
                    f" WHERE {current} AND r.{column} IS NOT NULL")
        view = _build_lookup(con, lookup, cached=cached, alias_digest="")
        same = f"{lookup.key_sql('r', column)} = lk.k_{column}"
        con.execute("BEGIN TRANSACTION")
        try:
            changed += con.execute(f"""UPDATE records r SET {output} = lk.{output} FROM {view} lk
                WHERE {same} AND {current} AND r.{output} IS DISTINCT FROM lk.{output}""").fetchall()[0][0]
            con.execute(f"DELETE FROM std_issues WHERE field = '{lookup.name}'"
                        f" AND rid IN (SELECT rid FROM records r WHERE {current})")
            con.execute(f"""INSERT INTO std_issues SELECT r.rid, '{lookup.name}', {_issue_value_sql(lookup, 'r')},
                lk.reason FROM records r JOIN {view} lk ON {same} WHERE {current} AND lk.reason IS NOT NULL""")
            con.execute("INSERT OR REPLACE INTO std_state VALUES (?, ?)", [_STATE + lookup.name, digests[lookup.name]])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            for tmp in ("std_todo", view):
                con.execute(f"DROP TABLE IF EXISTS {tmp}")
    return changed
