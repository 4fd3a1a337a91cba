"""The distributions' metadata: the core is ``aioca-core`` (``aioca`` on PyPI is an unrelated
EPICS client), and everything that depends on the core names that distribution."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = sorted((ROOT / "plugins").glob("*/pyproject.toml"))


def project(path: Path) -> dict[str, object]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))["project"]
    assert isinstance(data, dict)
    return data


def test_the_core_distribution_is_aioca_core_with_urls() -> None:
    core = project(ROOT / "pyproject.toml")
    assert core["name"] == "aioca-core"
    urls = core["urls"]
    assert isinstance(urls, dict)
    assert {"Homepage", "Documentation", "Repository", "Issues"} <= set(urls)


@pytest.mark.parametrize("path", PLUGINS, ids=lambda path: path.parent.name)
def test_every_plugin_depends_on_aioca_core(path: Path) -> None:
    dependencies = project(path)["dependencies"]
    assert isinstance(dependencies, list)
    assert any(dep.startswith("aioca-core>=") for dep in dependencies)
    assert not any(dep.split(">")[0].split("[")[0].strip() == "aioca" for dep in dependencies)


def test_self_referencing_extras_name_aioca_core() -> None:
    extras = project(ROOT / "pyproject.toml")["optional-dependencies"]
    assert isinstance(extras, dict)
    for name, requirements in extras.items():
        for requirement in requirements:
            assert not requirement.startswith("aioca["), (name, requirement)
