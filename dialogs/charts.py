"""The Teams card's small chart: a PNG drawn with matplotlib (Agg). The HTML report's charts are
SVG written directly (`dialogs/svg_charts.py`), which is much quicker than matplotlib.

No pyplot (global state, every backend's machinery): the chart is its own `Figure` on its own
Agg canvas, so rendering in a worker thread (off the event loop) shares no global state.
Import this module only to draw (matplotlib takes about a second to import). Text uses
matplotlib's bundled font; nothing is fetched.
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING, Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from dialogs.svg_charts import GOOD, LATE, MISSED, PENDING

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

_RC: dict[RcKeyType, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _whole_numbers(axis) -> None:  # type: ignore[no-untyped-def]
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def timeliness_png_data_uri(held_by_deadline: int, held_late: int, not_held: int, not_yet_due: int) -> str:
    """A small bar for the Teams card: a few KB, so the card stays far under 28 KB."""
    with matplotlib.rc_context(_RC | {"font.size": 8}):
        figure = _figure(3.6, 1.5)
        axes = figure.add_subplot()
        parts = [("by deadline", held_by_deadline, GOOD), ("late", held_late, LATE),
                 ("not held", not_held, MISSED), ("not yet due", not_yet_due, PENDING)]  # fmt: skip
        axes.barh(range(len(parts)), [n for _, n, _ in parts], color=[c for _, _, c in parts])
        axes.set_yticks(range(len(parts)), [label for label, _, _ in parts])
        axes.invert_yaxis()
        for y, (_, n, _) in enumerate(parts):
            axes.annotate(str(n), (n, y), xytext=(3, 0), textcoords="offset points", va="center")
        _whole_numbers(axes.xaxis)
        axes.set_title("Discussions: held by the convene-by deadline?", loc="left", fontsize=8)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
