"""The README's example tests run as written, in a project of their own, with the plugin installed."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"

pytest_plugins = ["pytester"]


def test_readme_examples_pass(pytester):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    examples = "\n\n".join(block for block in blocks if "def test_" in block)
    assert examples.count("def test_") >= 3
    pytester.makepyfile(test_examples=examples)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=examples.count("def test_"))
