"""Helpers for the bulk tests: seeded sandbox recipients and a quiet send."""

from __future__ import annotations

import pytest

import ptdata


@pytest.fixture
def run(tmp_path):
    """send(plan, client) with a ledger in tmp_path and no progress bar."""

    def _run(plan, client, **kw):
        kw.setdefault("progress", False)
        kw.setdefault("ledger", tmp_path / "ledger.sqlite")
        kw.setdefault("rate", 200)
        kw.setdefault("concurrency", 1)  # requests arrive in call order: exact expectations
        return ptdata.send(plan, client, **kw)

    return _run
