"""Which true pairs the linker left apart, and why, as far as the store shows it (a diagnosis for the linker
team, never used by the benchmark's figures).

A missed pair is two records of one person (truth file) in two published clusters. Each is put in one kind by
its name evidence as the standardizer read it (Lao name keys of the given and family names; one side without a
family name; the key of one side's family name equal to the other's given name, a name read in the wrong
order), split by whether any prediction rule scored it at all, with what else the pair shares.
"""

from __future__ import annotations

from pathlib import Path

KIND_SQL = """
CASE
  WHEN l.family_key IS NULL OR r.family_key IS NULL THEN 'one side has no family name (given or house name only)'
  WHEN l.given_key = r.family_key OR l.family_key = r.given_key THEN 'name parts in the other order'
  WHEN l.given_key = r.given_key AND l.family_key = r.family_key THEN 'name keys equal'
  WHEN l.given_key = r.given_key THEN 'given key equal, family key differs'
  WHEN l.family_key = r.family_key THEN 'family key equal, given key differs'
  ELSE 'both name keys differ'
END
"""


def _missed(con) -> None:  # noqa: ANN001 (a DuckDB connection)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE missed AS
        WITH pairs AS (
            SELECT a.rid AS rid_l, b.rid AS rid_r FROM eval_truth a JOIN eval_truth b
              ON a.person_id = b.person_id AND a.rid < b.rid
            JOIN record_cluster ca ON ca.rid = a.rid JOIN record_cluster cb ON cb.rid = b.rid
            WHERE ca.cluster_key <> cb.cluster_key)
        SELECT p.rid_l, p.rid_r, {KIND_SQL} AS kind,
               least(l.source, r.source) || ' ~ ' || greatest(l.source, r.source) AS sources,
               pr.match_probability AS probability,
               l.dob_year IS NOT NULL AND r.dob_year IS NOT NULL AS both_birth_years,
               l.province_code = r.province_code AS same_province,
               l.phone_e164 = r.phone_e164 AS same_phone,
               l.full_name AS name_l, l.given_name AS given_l, l.family_name AS family_l,
               r.full_name AS name_r, r.given_name AS given_r, r.family_name AS family_r
        FROM pairs p JOIN records l ON l.rid = p.rid_l JOIN records r ON r.rid = p.rid_r
        LEFT JOIN predictions pr ON pr.rid_l = least(p.rid_l, p.rid_r) AND pr.rid_r = greatest(p.rid_l, p.rid_r)
    """)


def _shown(name: str | None, given: str | None, family: str | None) -> str:
    return name or " / ".join(x for x in (given, family) if x) or "-"


def report(db: Path, truth: Path, kinds: int = 6, examples: int = 3, threshold: float = 0.6) -> str:
    """A plain-text table of the commonest kinds of missed true pairs, and the values left unread."""
    from linkage.model.evaluation import load_truth
    from linkage.store import open_store

    lines = []
    with open_store(db) as con:
        load_truth(con, truth)
        _missed(con)
        total = con.execute("SELECT count(*) FROM missed").fetchone()[0]
        lines.append(f"missed true pairs: {total}")
        for kind, n, unscored, linked, median, years, province, phone in con.execute("""
                SELECT kind, count(*), count(*) FILTER (WHERE probability IS NULL),
                       count(*) FILTER (WHERE probability >= ?), median(probability), avg(both_birth_years::INT),
                       avg(same_province::INT), avg(same_phone::INT)
                FROM missed GROUP BY kind ORDER BY 2 DESC LIMIT ?""", [threshold, kinds]).fetchall():
            lines.append(f"\n{n:6d}  {kind}: never scored {unscored}, scored at or over {threshold} yet apart "
                         f"{linked}, median probability of the scored {median if median is None else round(median, 2)};"
                         f" share with both birth years {years or 0:.2f}; where both sides have one: same province "
                         f"{province or 0:.2f}, same phone {phone or 0:.2f}")
            for sources, m in con.execute("SELECT sources, count(*) FROM missed WHERE kind = ? GROUP BY 1 "
                                          "ORDER BY 2 DESC, 1 LIMIT 3", [kind]).fetchall():
                lines.append(f"          {m:5d}  {sources}")
            for row in con.execute("SELECT name_l, given_l, family_l, name_r, given_r, family_r FROM missed "
                                   "WHERE kind = ? ORDER BY hash(rid_l, rid_r) LIMIT ?", [kind, examples]).fetchall():
                lines.append(f"          e.g. {_shown(*row[:3])}  ~  {_shown(*row[3:])}")
        lines.append("\nclustering's consistency cuts (components, links cut):")
        for reason, n, cut in con.execute("""SELECT detail->>'reason', count(*), sum(links_cut) FROM clustering_flags
                                             WHERE kind = 'consistency-cut' GROUP BY 1 ORDER BY 2 DESC""").fetchall():
            lines.append(f"{n:6d}  {cut:6d}  {reason}")
        lines.append("\nvalues the standardizer could not read (top 12):")
        for source, field, reason, n, value in con.execute("""
                SELECT r.source, i.field, i.reason, count(*), min(i.value)
                FROM std_issues i JOIN records r USING (rid) GROUP BY ALL ORDER BY 4 DESC, 1, 2 LIMIT 12
                """).fetchall():
            lines.append(f"{n:6d}  {source} {field}: {reason} (e.g. {value!r})")
    return "\n".join(lines)
