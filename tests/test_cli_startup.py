"""``ptdata --help`` and every command's ``--help`` answer without loading the heavy libraries.

Each is run in a fresh interpreter with ``-X importtime``, which lists every module imported.
"""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from ptdata.cli import main

#: Loaded only when a command runs and needs them.
HEAVY = ("pandas", "pandera", "pyarrow", "numpy", "httpx", "starlette", "uvicorn")


def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            paths += _command_paths(command, (*prefix, name))
        else:
            paths.append((*prefix, name))
    return paths


def _imported(args: list[str]) -> tuple[subprocess.CompletedProcess, set[str]]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ptdata", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    names = {
        line.rsplit("|", 1)[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return done, names


@pytest.mark.parametrize("path", _command_paths(main), ids=lambda p: " ".join(p) or "ptdata")
def test_help_loads_none_of_the_heavy_libraries(path):
    done, names = _imported([*path, "--help"])
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("Usage: ")
    assert "ptdata.cli" in names  # the listing is real: the command was imported
    assert sorted(n for n in names if n.split(".")[0] in HEAVY) == []


def test_the_listing_names_every_command():
    done, _ = _imported(["--help"])
    assert [name for name in main.commands if f"  {name} " not in done.stdout] == []


def test_a_command_that_runs_loads_what_it_uses(tmp_path):
    sheet = tmp_path / "contacts.csv"
    sheet.write_text("Phone,Name\n+14155550101,Ana\n", encoding="utf-8")
    done, names = _imported(["validate", str(sheet)])
    assert done.returncode == 0, done.stderr[-2000:]
    assert {"pandas", "pandera", "pyarrow"} <= names
