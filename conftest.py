"""The docstring examples under ptdata/ run as doctests (``--doctest-modules``).

Each example runs in a fresh folder holding the sample sheets under the names the examples use,
with ``POWERTEXTOR_API_KEY`` and ``POWERTEXTOR_BASE_URL`` pointing at a local sandbox, so that
``ptdata.PowerTextor()`` talks to 127.0.0.1 only. The names the examples take as given
(``client``, ``frame``, ``plan``, ``report`` ...) are in ``doctest_namespace``.
"""

from __future__ import annotations

import gc
import importlib.util
import os
import shutil
import tempfile
import warnings
from datetime import UTC, datetime
from pathlib import Path

import pytest
from _pytest.doctest import DoctestItem  # not exported by pytest itself


def _real_history() -> tuple[Path, tuple[int, int] | None]:
    """The user's own send history (where ptdata keeps it without PTDATA_HOME), and its state."""
    import platformdirs

    path = platformdirs.user_data_path("ptdata", appauthor=False) / "history.sqlite"
    try:
        stat = path.stat()
    except FileNotFoundError:
        return path, None
    return path, (stat.st_mtime_ns, stat.st_size)


_REAL_HISTORY = _real_history()

# never the user's real send history, whatever an example forgets to pass
os.environ.setdefault("PTDATA_HOME", tempfile.mkdtemp(prefix="ptdata-home-"))
os.environ.setdefault("MPLBACKEND", "Agg")

SAMPLES = Path(__file__).parent / "sample_data"
TESTS = Path(__file__).parent / "tests"

# scripts and entry points: importing them would run them
collect_ignore = ["ptdata/__main__.py", "ptdata/timing/_build_area_codes.py"]
# modules of optional extras, collected only when the extra is installed
for _module, _paths in {
    "ipywidgets": ["ptdata/widgets"],
    "matplotlib": ["ptdata/inbound/_chart.py"],
}.items():
    if importlib.util.find_spec(_module) is None:
        collect_ignore += _paths


def pytest_ignore_collect(collection_path, config):
    # --doctest-modules imports every .py file it is given as a module: under tests/ only the
    # test files (there are no examples there), not the conftest.py files, which share one
    # module name, nor helpers and scripts
    if (
        collection_path.suffix == ".py"
        and TESTS in collection_path.parents
        and not collection_path.name.startswith("test_")
    ):
        return True
    return None


def pytest_collection_modifyitems(items):
    # examples write ``ptdata.PowerTextor()`` inline, as a notebook cell does, and leave it open
    for item in items:
        if isinstance(item, DoctestItem):
            item.add_marker(pytest.mark.filterwarnings("ignore::ResourceWarning"))


def pytest_sessionfinish(session):
    """A run that wrote into the user's real send history fails, naming the file: tests and
    examples keep their history under PTDATA_HOME (a temporary folder)."""
    path, before = _REAL_HISTORY
    if _real_history()[1] != before:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"error: the run wrote the user's real send history {path}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def _doctest_sandbox():
    from ptdata.sandbox import serve_sandbox

    with serve_sandbox() as server:
        yield server


@pytest.fixture(autouse=True)
def _doctest_setting(request, tmp_path, monkeypatch):
    """For a doctest item: its own folder, history and sandbox, and the names examples use."""
    if not isinstance(request.node, DoctestItem):
        yield
        return
    server = request.getfixturevalue("_doctest_sandbox")
    server.reset()
    for name, sample in {
        "contacts.csv": "contacts_clean.csv",
        "crm.csv": "contacts_clean.csv",
        "messy.csv": "contacts_messy.csv",
        "appointments.csv": "appointments.csv",
        "inbound.jsonl": "inbound_sms.jsonl",
    }.items():
        shutil.copy(SAMPLES / sample, tmp_path / name)
    shutil.copytree(SAMPLES, tmp_path / "sample_data")
    (tmp_path / "dumps").mkdir()
    shutil.copy(SAMPLES / "inbound_sms.jsonl", tmp_path / "dumps" / "inbound_sms.jsonl")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PTDATA_HOME", str(tmp_path / "ptdata-home"))
    monkeypatch.setenv("POWERTEXTOR_API_KEY", "pt-doctest-key")
    monkeypatch.setenv("POWERTEXTOR_BASE_URL", server.url)

    import pandas as pd

    import ptdata
    import ptdata.timing._clock

    # a weekday afternoon everywhere in the US: no example depends on when the suite runs
    monkeypatch.setattr(ptdata.timing._clock, "datetime", _FrozenDatetime)
    namespace = request.getfixturevalue("doctest_namespace")
    with ptdata.PowerTextor() as client:
        frame = ptdata.read_sheet("contacts.csv")
        namespace.update(
            ptdata=ptdata,
            pd=pd,
            client=client,
            frame=frame,
            sheet=frame,
            appts=ptdata.read_sheet("appointments.csv"),
            plan=ptdata.plan(frame, body="Doors open at 9!", to="numbers"),
        )
        yield
    # what an example left open is closed now, not reported as a leak by a later test
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


class _FrozenDatetime(datetime):
    @classmethod
    def now(cls, tz=None):
        return datetime(2026, 12, 2, 20, 0, tzinfo=UTC).astimezone(tz)
