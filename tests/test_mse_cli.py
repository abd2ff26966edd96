"""`laolink mse` on a capture-history file and on a real nightly-built demo store."""

import json
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from demo_deployment import demo_model, nightly_store
from typer.testing import CliRunner

from linkage.cli import app
from linkage.clusters.clustering import DEFAULT_LINK_THRESHOLD
from linkage.paths import store_paths
from linkage.publishing.publish import current_snapshot

DATA = Path(__file__).parent / "data" / "mse"
runner = CliRunner()


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    return nightly_store(tmp_path_factory.mktemp("mse"), demo_model())


def _run_json(*args: str) -> dict:
    result = runner.invoke(app, ["mse", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_file_json_is_the_published_uk_estimate():
    answer = _run_json(str(DATA / "UKdat_5.csv"))
    assert set(answer) == {"observed", "estimate", "ci95", "terms"}
    assert answer["observed"] == 2744
    assert answer["estimate"] == pytest.approx(11312.99, rel=0.005)
    assert answer["terms"] == ["LA:NG", "NG:GP", "PFNCA:GP", "LA:PFNCA", "GO:GP", "NG:GO"]


def test_bootstrap_adds_a_bca_interval():
    answer = _run_json(str(DATA / "NewOrl.csv"), "--bootstrap", "20")
    low, high = answer["ci95_bca"]
    assert low < answer["estimate"] < high


def test_bootstrap_of_a_tiny_table_says_its_upper_bound_is_open(tmp_path):
    path = tmp_path / "tiny.csv"
    path.write_text("A,B,count\n1,0,1\n0,1,1\n1,1,1\n", encoding="utf-8")
    answer = _run_json(str(path), "--bootstrap", "50")
    assert answer["ci95_bca"][1] is None and 0 < answer["bootstrap"]["not_finite"] < 50
    result = runner.invoke(app, ["mse", str(path), "--bootstrap", "50"])
    assert result.exit_code == 0 and "to open (" in result.output
    assert "resamples had no finite estimate" in result.output


def test_bad_file_is_reported_with_row_and_field(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("A,B,count\n1,0,3\n1,1,two\n", encoding="utf-8")
    result = runner.invoke(app, ["mse", str(path)])
    assert result.exit_code == 1
    assert "row 3, field count" in result.output


def _published_histories(db: Path) -> tuple[list[str], Counter]:
    """Each published person's set of sources, straight from the snapshot (no SQL grouping)."""
    con = duckdb.connect(str(current_snapshot(store_paths(db))), read_only=True)
    rows = con.execute("SELECT p.person_id, r.source FROM record_person p JOIN records r USING (rid)").fetchall()
    con.close()
    sources: dict[str, set[str]] = {}
    for person, source in rows:
        sources.setdefault(person, set()).add(source)
    names = sorted({source for _, source in rows})
    return names, Counter(tuple(int(name in seen) for name in names) for seen in sources.values())


def test_store_estimate_counts_the_published_persons_on_each_combination_of_sources(store):
    names, histories = _published_histories(store)
    answer = _run_json("--db", str(store))
    assert list(answer["lists"]) == names
    (overall,) = answer["strata"]
    assert overall["stratum"] == "all"
    assert overall["observed"] == sum(histories.values())
    assert overall["estimate"] is None or overall["estimate"] >= overall["observed"]
    assert set(overall["at_threshold"]) == {"0.5", "0.95"}
    assert answer["threshold"] == DEFAULT_LINK_THRESHOLD  # the nightly's, from the published run's report
    for terms in [overall["terms"], *(other["terms"] for other in overall["at_threshold"].values())]:
        assert all(":" in term and term.split(":")[0] in names for term in terms)


def test_strata_partition_the_persons_and_groups_join_sources(store):
    names, histories = _published_histories(store)
    answer = _run_json("--db", str(store), "--by", "sex", "--lists", f"{names[0]}+{names[1]},{names[2]}")
    assert {row["stratum"] for row in answer["strata"]} <= {"F", "M", "not recorded"}
    seen = sum(count for history, count in histories.items() if any(history[:3]))
    assert sum(row["observed"] for row in answer["strata"]) == seen
    assert answer["lists"] == {f"{names[0]}+{names[1]}": names[:2], names[2]: [names[2]]}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lists", "NO-SUCH-SOURCE,MOLSW-DSW"], "unknown source NO-SUCH-SOURCE"),
        (["--by", "shoe_size"], "--by must be one of"),
        (["--lists", "MOLSW-DSW,MOLSW-DSW+MOPS-AHTD"], "MOLSW-DSW in more than one list"),
        (["--role", "foo"], "'foo' is not a role: not one of victim, suspect, witness, smuggled_migrant"),
        (["--pthresh", "1"], "--pthresh must be between 0 and 1"),
        (["--pthresh", "0"], "--pthresh must be between 0 and 1"),
    ],
)
def test_store_errors_are_one_clear_line(store, args, message):
    result = runner.invoke(app, ["mse", "--db", str(store), *args])
    assert result.exit_code == 1
    assert message in result.output


def test_nothing_published(tmp_path):
    result = runner.invoke(app, ["mse", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1
    assert "nothing is published yet" in result.output
