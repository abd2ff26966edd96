"""The layout the README promises: linkage/ never imports api/, and typer lives only in linkage/cli/."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imported_modules(path: Path) -> set[str]:
    """Top-level names of every module a file imports (absolute imports; relative ones stay in the package)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _modules_importing(folder: str, name: str) -> list[str]:
    return sorted(
        str(path.relative_to(ROOT)) for path in (ROOT / folder).rglob("*.py") if name in _imported_modules(path)
    )


def test_the_walk_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from api.app import create_app\n    import typer.core\n", encoding="utf-8")
    assert _imported_modules(module) == {"api", "typer"}


def test_no_module_under_linkage_imports_api():
    assert _modules_importing("linkage", "api") == []


def test_typer_is_imported_only_by_the_cli_package():
    users = _modules_importing("linkage", "typer") + _modules_importing("api", "typer")
    assert users and all(path.startswith("linkage/cli/") for path in users), users


def test_pyproject_lists_every_package_and_maps_the_shipped_folders():
    import tomllib

    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("linkage", "api") for init in (ROOT / top).rglob("__init__.py")
    }
    mapped = setuptools["package-dir"]
    assert mapped == {"linkage.model.blocking_rules": "blocking_rules", "linkage.model.shipped_models": "models"}
    assert set(setuptools["packages"]) == on_disk | set(mapped)


def test_no_module_is_over_500_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for top in ("linkage", "api", "benchmarks") for path in (ROOT / top).rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert long == {}, "split these by concern"


def test_linkage_keeps_its_modules_in_stage_folders():
    top_level = sorted(p.name for p in (ROOT / "linkage").glob("*.py"))
    assert len(top_level) <= 15, top_level
    stages = {"sources", "fields", "model", "clusters", "publishing", "service", "statistics", "cli"}
    assert stages <= {p.name for p in (ROOT / "linkage").iterdir() if (p / "__init__.py").exists()}
