"""cloudtwin installs under one import name: the repository's folders are the package `cloudtwin` and two of
its subpackages, so a project with packages called `emulator` or `pytest_plugin` keeps them and the plugin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Repository folder -> the package it installs as (pyproject.toml's package-dir).
INSTALLED_AS = {
    "emulator": "cloudtwin",
    "pytest_plugin": "cloudtwin.pytest_plugin",
    "contract_tests": "cloudtwin.contract_tests",
}

pytest_plugins = ["pytester"]


def test_every_package_folder_is_installed_under_cloudtwin():
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setuptools["package-dir"] == {package: folder for folder, package in INSTALLED_AS.items()}
    folders = {
        ".".join([package, *init.parent.relative_to(REPO / folder).parts])
        for folder, package in INSTALLED_AS.items()
        for init in (REPO / folder).rglob("__init__.py")
    }
    assert sorted(setuptools["packages"]) == sorted(folders)


def test_plugin_loads_in_a_project_with_its_own_emulator_and_pytest_plugin_packages(pytester):
    # Modules named as cloudtwin's folders' modules were: a wheel installed them as top-level packages, which the
    # project's own shadowed (an editable install fell back to its folders only for modules the project lacks).
    for package, module in (("emulator", "config"), ("pytest_plugin", "plugin")):
        folder = pytester.mkpydir(package)
        folder.joinpath(f"{module}.py").write_text(f'OWNER = "the project\'s own {package}.{module}"\n')
    pytester.makepyfile(
        test_app="""
        from emulator import config
        from pytest_plugin import plugin

        def test_queue(sqs_client, sqs_queue):
            assert config.OWNER == "the project's own emulator.config"
            assert plugin.OWNER == "the project's own pytest_plugin.plugin"
            sqs_client.send_message(QueueUrl=sqs_queue, MessageBody="job")
            assert sqs_client.receive_message(QueueUrl=sqs_queue)["Messages"][0]["Body"] == "job"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


RUN_WITHOUT_HYPOTHESIS = """
import sys

import pytest


class NoHypothesis:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "hypothesis":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


sys.meta_path.insert(0, NoHypothesis())
sys.exit(pytest.main(["-p", "no:cacheprovider", "-p", "no:hypothesispytest", "test_app.py"]))
"""


def test_plugins_load_without_hypothesis(pytester):
    # hypothesis comes with cloudtwin[contract], not with `pip install cloudtwin`; both plugins load in every session.
    pytester.makepyfile(
        test_app="""
        def test_queue(sqs_client, sqs_queue):
            sqs_client.send_message(QueueUrl=sqs_queue, MessageBody="job")
            assert sqs_client.receive_message(QueueUrl=sqs_queue)["Messages"][0]["Body"] == "job"
        """
    )
    result = pytester.run(sys.executable, "-c", RUN_WITHOUT_HYPOTHESIS)
    result.assert_outcomes(passed=1)


DUPLICATE_CHECK = """
import json
import sys
from collections import defaultdict
from pathlib import Path

FOLDERS = [Path({repo!r}, folder) for folder in {folders!r}]


def pytest_collection_finish(session):
    names = defaultdict(set)
    for name, module in list(sys.modules.items()):
        path = Path(getattr(module, "__file__", None) or "/").resolve()
        # A package's __init__ holds only its docstring: pytest imports the folders above a checkout's tests
        # and conftests as packages of their own.
        if path.name != "__init__.py" and any(path.is_relative_to(folder) for folder in FOLDERS):
            names[str(path)].add(name)
    twice = {{path: sorted(found) for path, found in names.items() if len(found) > 1}}
    Path({out!r}).write_text(json.dumps({{"twice": twice, "files": len(names)}}))
"""


def test_no_module_is_imported_under_two_names_when_the_checkout_is_collected(tmp_path):
    """From a checkout pytest imports contract_tests/'s tests and conftests as `contract_tests.…`, while the
    entry point loads `cloudtwin.contract_tests.plugin`: a second copy of a module would have its own state."""
    out = tmp_path / "modules.json"
    (tmp_path / "duplicate_check.py").write_text(
        DUPLICATE_CHECK.format(repo=str(REPO), out=str(out), folders=[*INSTALLED_AS, "tests"])
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "duplicate_check", "--collect-only", "-q",
         "contract_tests", "tests/sqs/test_queues.py"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    modules = json.loads(out.read_text())
    assert modules["files"] > 10  # the suite's modules were seen
    assert modules["twice"] == {}
