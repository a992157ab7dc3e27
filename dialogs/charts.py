"""Charts for the learning and assurance report: matplotlib (Agg, no pyplot) to inline SVG
for the HTML page, and one small PNG for the Teams card.

No pyplot: each chart is its own Figure on its own Agg canvas, so rendering in a worker
thread (off the event loop) shares no global state. Text uses matplotlib's bundled font;
nothing is fetched. The SVG keeps text as text (`svg.fonttype: none`) to stay small and
selectable, and loses matplotlib's metadata and DOCTYPE so the page makes no requests.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

# Colour-blind safe (Okabe-Ito), and distinguishable in greyscale print by hatching.
GOOD, LATE, MISSED, PENDING, NEUTRAL = "#009E73", "#E69F00", "#D55E00", "#BBBBBB", "#0072B2"
_RC: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "sdbot-report",  # stable element ids: the same figures give the same page
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _svg(figure: Figure, title: str) -> str:
    buffer = io.StringIO()
    with matplotlib.rc_context(_RC):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]  # drop the XML declaration and the DOCTYPE (a URL)
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    # Screen readers: the figure is described by its table beside it; name it here.
    return svg.replace("<svg ", f'<svg role="img" aria-label="{_attr(title)}" ', 1)


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _stacked(axes, labels: Sequence[str], series: Sequence[tuple[str, Sequence[int], str, str]], horizontal: bool) -> None:  # type: ignore[no-untyped-def]
    base = [0] * len(labels)
    positions = range(len(labels))
    for name, values, colour, hatch in series:
        if horizontal:
            axes.barh(positions, values, left=base, color=colour, hatch=hatch, label=name, edgecolor="white")
        else:
            axes.bar(positions, values, bottom=base, color=colour, hatch=hatch, label=name, edgecolor="white")
        base = [b + v for b, v in zip(base, values, strict=True)]


def _whole_numbers(axis) -> None:  # type: ignore[no-untyped-def]
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def timeliness_by_month_svg(months: Sequence[dict[str, int | str]]) -> str:
    with matplotlib.rc_context(_RC):
        figure = _figure(6.4, 3.0)
        axes = figure.add_subplot()
        labels = [str(m["month"]) for m in months]
        _stacked(axes, labels, [
            ("held by deadline", [int(m["held_by_deadline"]) for m in months], GOOD, ""),
            ("held late", [int(m["held_late"]) for m in months], LATE, "//"),
            ("not held", [int(m["not_held"]) for m in months], MISSED, "xx"),
            ("not yet due", [int(m["not_yet_due"]) for m in months], PENDING, ""),
        ], horizontal=False)  # fmt: skip
        axes.set_xticks(range(len(labels)), labels)
        axes.set_ylabel("discussions")
        _whole_numbers(axes.yaxis)
        axes.legend(loc="upper left", bbox_to_anchor=(1, 1), frameon=False)
        return _svg(figure, "Timeliness by month")


def agencies_svg(rows: Sequence[dict[str, object]]) -> str:
    with matplotlib.rc_context(_RC):
        names = [str(r["name"]) for r in rows]
        figure = _figure(6.4, max(1.6, 0.42 * len(rows) + 0.8))
        axes = figure.add_subplot()
        height = 0.27
        for offset, (key, label, colour, hatch) in enumerate((
            ("invited", "invited", PENDING, ""), ("attended", "attended", GOOD, ""),
            ("late_withdrawals", "late withdrawals", MISSED, "xx"),
        )):  # fmt: skip
            positions = [i + (offset - 1) * height for i in range(len(rows))]
            axes.barh(positions, [int(r[key]) for r in rows], height=height, color=colour, hatch=hatch,  # type: ignore[call-overload]
                      label=label, edgecolor="white")  # fmt: skip
        axes.set_yticks(range(len(rows)), names)
        axes.invert_yaxis()
        axes.set_xlabel("invitations / discussions")
        _whole_numbers(axes.xaxis)
        axes.legend(loc="upper left", bbox_to_anchor=(1, 1), frameon=False)
        return _svg(figure, "Attendance and late withdrawals by agency")


def escalations_svg(counts: Sequence[tuple[str, int]]) -> str:
    with matplotlib.rc_context(_RC):
        figure = _figure(6.4, max(1.6, 0.3 * len(counts) + 0.8))
        axes = figure.add_subplot()
        axes.barh(range(len(counts)), [n for _, n in counts], color=NEUTRAL)
        axes.set_yticks(range(len(counts)), [label for label, _ in counts])
        axes.invert_yaxis()
        axes.set_xlabel("escalations")
        _whole_numbers(axes.xaxis)
        return _svg(figure, "Escalations by kind")


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
