"""Each notebook runs top to bottom in a fresh kernel, as a reader's does, and shows what it says.

nbclient executes the stored notebook with the ``python3`` kernel of this environment, from
the notebook's folder, with matplotlib left to the kernel's defaults (no ``MPLBACKEND``). Then
the outputs are read as a reader sees them: no cell ends in an error, every cell that calls a
``plot_`` function shows a picture, and no cell shows a figure as text (``<Figure size …>``).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PLOTS = re.compile(r"\bplot_\w+\(")
FIGURE_TEXT = re.compile(
    r"<\w*Figure size [\d.]+x[\d.]+ with \d+ Axes>|<\w+ size [\d.]+x[\d.]+ "
    r"with \d+ Axes>"
)
IMAGES = ("image/png", "image/svg+xml")


def executed(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=240,
        resources={"metadata": {"path": str(path.parent)}},
        allow_errors=True,
    )
    client.execute()
    return nb


def shown_text(output: nbformat.NotebookNode) -> str:
    """The text a reader sees for an output that shows no picture."""
    if output.output_type == "stream":
        return output.text
    data = output.get("data", {})
    if any(kind in data for kind in IMAGES) or "text/html" in data:
        return ""
    return data.get("text/plain", "")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_runs_and_shows_its_pictures(path, monkeypatch):
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = executed(path)
    problems = []
    pictures = 0
    for number, cell in enumerate(nb.cells, 1):
        if cell.cell_type != "code":
            continue
        where = f"cell {number} ({cell.source.splitlines()[0] if cell.source else ''!r})"
        for output in cell.outputs:
            if output.output_type == "error":
                problems.append(f"{where} fails: {output.ename}: {output.evalue}")
            if FIGURE_TEXT.search(shown_text(output)):
                problems.append(f"{where} shows a figure as text: {shown_text(output).strip()!r}")
        images = [o for o in cell.outputs if any(k in o.get("data", {}) for k in IMAGES)]
        pictures += len(images)
        if PLOTS.search(cell.source) and not images:
            problems.append(f"{where} calls a plot function but shows no picture")
    assert problems == []
    if path.name.startswith("05_"):
        assert pictures == 3  # reply rates, replies by hour, replies by weekday
