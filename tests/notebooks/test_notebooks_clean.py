"""The notebooks are documentation that runs: stored clean, portable, and all listed.

``test_notebooks_run`` executes each one; these checks keep what is committed free of outputs,
machine paths and keys, and the README in step.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MACHINE_PATH = re.compile(r"(?<![\w.])(/home/|/Users/|/root/|/tmp/|/work/|[A-Z]:\\\\)")


def _cells(path: Path):
    return nbformat.read(path, as_version=4).cells


def test_the_six_stories_are_there():
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05", "06"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_stored_without_outputs(path):
    code = [c for c in _cells(path) if c.cell_type == "code"]
    assert [c.outputs for c in code if c.outputs] == []
    assert [c.execution_count for c in code if c.execution_count is not None] == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_machine_paths_no_keys_and_sample_data_exists(path):
    source = "\n".join(c.source for c in _cells(path))
    assert MACHINE_PATH.findall(source) == []
    assert re.findall(r"api_key=\"(?!sandbox\")[^\"]*\"", source) == []
    for rel in re.findall(r"\"(\.\./sample_data/[^\"]+)\"", source):
        assert (path.parent / rel).is_file(), rel


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_prose_between_cells(path):
    kinds = [c.cell_type for c in _cells(path)]
    assert kinds[0] == "markdown"
    assert kinds.count("markdown") >= 4


def test_readme_links_each_notebook_once():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        assert readme.count(f"(notebooks/{path.name})") == 1, path.name
    assert "(docs/compose-form.png)" in readme and (ROOT / "docs" / "compose-form.png").is_file()
