"""``aioca new-plugin``: the skeleton is installable, discovered, and passes its own tests.

The package is "installed" the way pip would leave it for aioca's discovery: a
``.dist-info`` folder with its ``METADATA`` and the ``entry_points.txt`` built from the
skeleton's own pyproject.toml, next to the source on ``PYTHONPATH``. Everything then runs
in fresh interpreters, so this process's plugin state is untouched. ``.ci/run`` also does
the real ``pip install -e`` of a skeleton and runs its tests.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from aioca import cli
from aioca.scaffold import PluginNameError, plugin_files, write_plugin


def install_like_pip(root: Path, site: Path) -> dict[str, str]:
    """Write the dist-info pip would write for the skeleton at ``root``; return an
    environment whose ``PYTHONPATH`` sees it."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    name, version = project["name"], project["version"]
    dist_info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    lines = ["[aioca]"] + [
        f"{key} = {value}" for key, value in project["entry-points"]["aioca"].items()
    ]
    (dist_info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(root), env.get("PYTHONPATH", "")])
    env.pop("AIOCA_PLUGINS", None)
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    base = tmp_path_factory.mktemp("scaffold")
    out = CliRunner().invoke(
        cli.cli, ["new-plugin", "krakenish", "--directory", str(base)], catch_exceptions=False
    )
    assert out.exit_code == 0, out.output
    root = base / "aioca-krakenish"
    assert f"created {root}" in out.output
    return root, install_like_pip(root, base / "site")


def run(
    env: dict[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_the_skeleton_has_every_part_of_a_plugin() -> None:
    files = plugin_files("krakenish")
    assert set(files) == {
        "pyproject.toml",
        "README.md",
        "aioca_krakenish/__init__.py",
        "aioca_krakenish/py.typed",
        "aioca_krakenish/plugin.py",
        "aioca_krakenish/api.py",
        "aioca_krakenish/endpoint.py",
        "aioca_krakenish/tasks.py",
        "tests/test_aioca_krakenish.py",
    }
    project = tomllib.loads(files["pyproject.toml"])["project"]
    assert project["entry-points"]["aioca"] == {"krakenish": "aioca_krakenish.plugin"}
    # The core's distribution is aioca-core ("aioca" on PyPI is an unrelated package).
    assert "aioca-core>=0.1" in project["dependencies"]
    assert not any(dep.startswith("aioca>") for dep in project["dependencies"])
    assert "def sign_request" in files["aioca_krakenish/api.py"]
    assert "class KrakenishServerTime(KrakenishTask)" in files["aioca_krakenish/tasks.py"]
    for path, text in files.items():
        if path.endswith(".py"):
            compile(text, path, "exec")  # every generated module is valid Python
            # Typed without escape hatches (.ci/run runs mypy --strict on a skeleton).
            assert "type: ignore" not in text, path


def test_the_readme_names_only_what_the_skeleton_has() -> None:
    files = plugin_files("krakenish")
    readme = files["README.md"]
    code = "\n".join(text for path, text in files.items() if path.endswith(".py"))
    for name in re.findall(r"`(\w+)`", readme):
        if (name.islower() and "_" in name) or name.startswith("Krakenish"):
            assert re.search(rf"\b{name}\b", code), f"the README names {name}, the code has none"
    assert "def map_error" in files["aioca_krakenish/api.py"]


def test_aioca_exchanges_sees_the_new_plugin(installed: tuple[Path, dict[str, str]]) -> None:
    _, env = installed
    out = run(env, "-m", "aioca", "exchanges")
    assert out.returncode == 0, out.stderr
    assert re.search(r"^krakenish\s+aioca-krakenish\s+0\.1\.0\s+1$", out.stdout, re.M)


def test_aioca_tasks_lists_its_example_task(installed: tuple[Path, dict[str, str]]) -> None:
    _, env = installed
    out = run(env, "-m", "aioca", "tasks", "krakenish")
    assert out.returncode == 0, out.stderr
    assert re.search(r"^KrakenishServerTime\s+GET\s+/api/v1/time\s+public\s+1$", out.stdout, re.M)


def test_the_skeleton_passes_its_own_tests(installed: tuple[Path, dict[str, str]]) -> None:
    root, env = installed
    out = run(env, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=root)
    assert out.returncode == 0, out.stdout + out.stderr
    assert re.search(r"\b8 passed\b", out.stdout)


def test_an_existing_folder_is_never_overwritten(tmp_path: Path) -> None:
    write_plugin("twice", tmp_path)
    with pytest.raises(FileExistsError):
        write_plugin("twice", tmp_path)


@pytest.mark.parametrize("name", ["", "Kraken", "1x", "kra-ken", "kra ken", "core"])
def test_a_name_that_cannot_be_a_package_is_refused(name: str, tmp_path: Path) -> None:
    with pytest.raises(PluginNameError):
        write_plugin(name, tmp_path)
    out = CliRunner().invoke(cli.cli, ["new-plugin", name, "--directory", str(tmp_path)])
    assert out.exit_code == 2
    assert list(tmp_path.iterdir()) == []
