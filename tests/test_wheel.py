"""An installed wheel carries its blocking rules and demo model: the demo night runs from outside the repository."""

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "linkage", "api", "blocking_rules", "models")


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.slow
def test_wheel_in_a_fresh_venv_runs_the_demo_nightly(tmp_path):
    source = tmp_path / "source"  # a copy, so that building leaves no build/ folder in the repository
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, source / name)
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp_path / "dist", source, cwd=tmp_path)
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = next((tmp_path / "dist").glob("laolink-*.whl"))

    venv = tmp_path / "venv"  # sees the test venv's dependencies through a .pth line, but not its laolink
    assert _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path).returncode == 0
    python = venv / "bin" / "python"
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path)
                .stdout.strip())
    (site / "laolink_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    installed = _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", wheel, cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr[-3000:]

    where = _run(python, "-c", "import linkage.model.shipped as s; print(s.__file__); print(s.DEFAULT_MODEL);"
                 " print(s.PREDICT_RULES)", cwd=tmp_path)
    assert where.returncode == 0, where.stderr[-3000:]
    paths = [Path(line) for line in where.stdout.split()]
    assert all(p.is_relative_to(site) and p.is_file() for p in paths), paths

    laolink = venv / "bin" / "laolink"
    demo = _run(laolink, "demo-data", "--out", "demo", "--persons", "200", cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr[-3000:]
    inbox = tmp_path / "demo" / "inbox"
    inbox.mkdir()
    for night_file in (tmp_path / "demo").glob("night1_*"):
        night_file.rename(inbox / night_file.name)
    night = _run(laolink, "nightly", "--inbox", inbox, "--db", "store.duckdb", cwd=tmp_path)
    assert night.returncode == 0, night.stderr[-3000:]
    assert ": ok (model demo-" in night.stdout, night.stdout
    current = tmp_path / "store.published" / "CURRENT"
    assert current.is_file() and (current.parent / current.read_text(encoding="utf-8").strip()).exists()
