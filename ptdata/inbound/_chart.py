"""``Chart``: a matplotlib Figure that shows itself as a picture at the end of a notebook cell.

IPython has a picture formatter for figures only once pyplot has set up its inline backend;
the plot functions build figures without pyplot, so without this a cell ending in one shows
``<Figure size 800x400 with 1 Axes>``. A ``Chart`` draws itself as PNG through
``_repr_png_`` whichever backend is (or is not) active, and is a Figure for everything else.

>>> from ptdata.inbound._chart import Chart
>>> chart = Chart(figsize=(4, 2))
>>> chart._repr_png_()[:4]
b'\\x89PNG'
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure

__all__ = ["Chart"]


class Chart(Figure):
    """A Figure that a notebook displays as a PNG; ``savefig`` and the rest work as usual."""

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.savefig(buf, format="png")
        return buf.getvalue()
