"""The examples in the inbound modules' docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

MODULES = [
    "ptdata.inbound",
    "ptdata.inbound.schema",
    "ptdata.inbound.loader",
    "ptdata.inbound.columns",
    "ptdata.inbound.optouts",
    "ptdata.inbound.listener",
    "ptdata.inbound.readers",
    "ptdata.inbound._chart",
    "ptdata.inbound.jsonl",
    "ptdata.inbound.sources",
    "ptdata.inbound.payloads",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
