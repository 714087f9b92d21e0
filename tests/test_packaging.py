"""`pip install .` ships every package of the project (a missed subpackage only shows after install)."""
import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_directory_is_included():
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = conf["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = []
    for top in ("bot", "adapters", "storage"):
        for init in (ROOT / top).rglob("__init__.py"):
            packages.append(".".join(init.parent.relative_to(ROOT).parts))
        for py in (ROOT / top).rglob("*.py"):
            assert (py.parent / "__init__.py").exists(), f"{py.parent} holds modules but no __init__.py"
    assert {"bot", "bot.commands", "bot.review", "adapters", "storage"} <= set(packages)
    for pkg in packages:
        assert any(fnmatch.fnmatch(pkg, pat) for pat in include), pkg
