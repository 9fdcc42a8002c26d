"""The contract suite's plugin part (options, seed, summary table) and what every family shares."""

from __future__ import annotations

from .plugin import contract, pytest_addoption, pytest_configure, pytest_runtest_makereport  # noqa: F401
