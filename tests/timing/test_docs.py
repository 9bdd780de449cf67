"""The examples in the timing docstrings run and show what they say."""

import doctest
import importlib

import pytest

MODULES = [
    "_clock",
    "_data",
    "local",
    "offsets",
    "parse",
    "quiet",
    "reminder_times",
    "zones",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"ptdata.timing.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
