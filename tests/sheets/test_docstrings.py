"""The examples in the sheets modules' docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

MODULES = [
    "errors",
    "excel_safe",
    "headers",
    "mapping",
    "messages",
    "phone_choice",
    "phones",
    "reading",
    "schemas",
    "segments",
    "templates",
    "validate",
    "xlsx",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    module = importlib.import_module(f"ptdata.sheets.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
