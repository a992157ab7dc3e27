"""The HTML report's charts, written directly as inline SVG: stacked bars by month, grouped
bars by agency, bars by escalation kind.

Not matplotlib: importing it and laying out three figures took longer (about 1.5 s of CPU on
a small server) than the whole rest of `sdbot report`, for charts that are a few rectangles,
lines and labels. Here each chart is a pure function of the figures, a few KB, with no
external references (the page stays self-contained), text as text, a <title> for screen
readers, and hatching as well as colour so a greyscale print still tells the series apart.
The same figures are always in the table beside each chart. (The Teams card's small PNG is
still drawn with matplotlib, in `dialogs/charts.py`: a card cannot show SVG everywhere.)
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

# Colour-blind safe (Okabe-Ito), as the Teams card's chart.
GOOD, LATE, MISSED, PENDING, NEUTRAL = "#009E73", "#E69F00", "#D55E00", "#BBBBBB", "#0072B2"
FONT = 11  # px
CHAR = 0.6 * FONT  # DejaVu Sans / Arial average advance: enough to size label columns
# Hatching for print: a pattern id per chart (ids are page-wide) and per look.
HATCHES = {"//": '<path d="M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2" stroke="#fff" stroke-width="1.2"/>',
           "xx": '<path d="M0,0 l6,6 M6,0 l-6,6" stroke="#fff" stroke-width="1.1"/>'}  # fmt: skip
Series = tuple[str, Sequence[int], str, str]  # name, values, colour, hatch ("" = solid)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def nice_ticks(top: int, most: int = 5) -> list[int]:
    """Whole-number ticks from 0 to at least `top`: steps of 1, 2 or 5 times a power of ten."""
    if top <= 0:
        return [0, 1]
    raw = top / most
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(1, int(step))
    return list(range(0, (math.ceil(top / step) + 1) * step, step))


def _fit(label: str, chars: int) -> str:
    return label if len(label) <= chars else label[: chars - 1] + "…"


def _open(width: float, height: float, title: str, chart_id: str, series: Sequence[Series]) -> list[str]:
    patterns = "".join(
        f'<pattern id="{chart_id}-{i}" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<rect width="6" height="6" fill="{colour}"/>{HATCHES[hatch]}</pattern>'
        for i, (_, _, colour, hatch) in enumerate(series) if hatch
    )  # fmt: skip
    return [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{_e(title)}" viewBox="0 0 {width:.0f} '
            f'{height:.0f}" width="{width:.0f}" height="{height:.0f}" font-family="DejaVu Sans, Arial, sans-serif" '
            f'font-size="{FONT}"><title>{_e(title)}</title>' + (f"<defs>{patterns}</defs>" if patterns else "")]  # fmt: skip


def _fill(chart_id: str, index: int, colour: str, hatch: str) -> str:
    return f"url(#{chart_id}-{index})" if hatch else colour


def _legend(out: list[str], x: float, y: float, chart_id: str, series: Sequence[Series]) -> None:
    for i, (name, _, colour, hatch) in enumerate(series):
        top = y + i * (FONT + 7)
        out.append(f'<rect x="{x:.1f}" y="{top:.1f}" width="{FONT}" height="{FONT}" fill="{_fill(chart_id, i, colour, hatch)}"/>'
                   f'<text x="{x + FONT + 5:.1f}" y="{top + FONT - 1:.1f}">{_e(name)}</text>')  # fmt: skip


def stacked_columns(title: str, chart_id: str, labels: Sequence[str], series: Sequence[Series], axis_label: str) -> str:
    """One column per label, its series stacked (e.g. timeliness by month)."""
    legend_width = max(len(name) for name, *_ in series) * CHAR + FONT + 12
    left, top, plot_h, bottom = 40.0, 10.0, 170.0, 34.0
    column = max(28.0, max((len(label) for label in labels), default=1) * CHAR + 10)
    plot_w = max(120.0, column * len(labels))
    width, height = left + plot_w + 16 + legend_width, top + plot_h + bottom
    totals = [sum(values[i] for _, values, _, _ in series) for i in range(len(labels))]
    ticks = nice_ticks(max(totals, default=0))
    scale = plot_h / ticks[-1]
    out = _open(width, height, title, chart_id, series)
    for t in ticks:
        y = top + plot_h - t * scale
        out.append(f'<line x1="{left}" x2="{left + plot_w:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                   f'<text x="{left - 5}" y="{y + 4:.1f}" text-anchor="end">{t}</text>')  # fmt: skip
    out.append(f'<text transform="translate(11 {top + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle">{_e(axis_label)}</text>')
    for i, label in enumerate(labels):
        x, base = left + i * column + column * 0.15, top + plot_h
        for k, (name, values, colour, hatch) in enumerate(series):
            h = values[i] * scale
            if h > 0:
                out.append(f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{column * 0.7:.1f}" height="{h:.1f}" '
                           f'fill="{_fill(chart_id, k, colour, hatch)}"><title>{_e(label)}, {_e(name)}: {values[i]}</title></rect>')  # fmt: skip
            base -= h
        out.append(f'<text x="{x + column * 0.35:.1f}" y="{base - 3:.1f}" text-anchor="middle">{totals[i]}</text>'
                   f'<text x="{x + column * 0.35:.1f}" y="{top + plot_h + 15:.1f}" text-anchor="middle">{_e(label)}</text>')  # fmt: skip
    out.append(f'<line x1="{left}" x2="{left + plot_w:.1f}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#333"/>')
    _legend(out, left + plot_w + 16, top, chart_id, series)
    out.append("</svg>")
    return "".join(out)


def grouped_bars(title: str, chart_id: str, labels: Sequence[str], series: Sequence[Series], axis_label: str,
                 label_chars: int = 34) -> str:  # fmt: skip
    """One group of horizontal bars per label, one bar per series, each with its value."""
    shown = [_fit(label, label_chars) for label in labels]
    left = max((len(s) for s in shown), default=4) * CHAR + 12
    legend_width = max(len(name) for name, *_ in series) * CHAR + FONT + 12 if len(series) > 1 else 0
    bar, gap, top, plot_w = 9.0, 8.0, 8.0, 300.0
    group = bar * len(series) + gap
    plot_h = max(group * len(labels), 40.0)
    width, height = left + plot_w + 30 + legend_width, top + plot_h + 36
    ticks = nice_ticks(max((v for _, values, _, _ in series for v in values), default=0))
    scale = plot_w / ticks[-1]
    out = _open(width, height, title, chart_id, series)
    for t in ticks:
        x = left + t * scale
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + plot_h:.1f}" stroke="#ddd"/>'
                   f'<text x="{x:.1f}" y="{top + plot_h + 14:.1f}" text-anchor="middle">{t}</text>')  # fmt: skip
    for i, (label, full) in enumerate(zip(shown, labels, strict=True)):
        y0 = top + i * group + gap / 2
        out.append(f'<text x="{left - 6:.1f}" y="{y0 + bar * len(series) / 2 + 4:.1f}" text-anchor="end">'
                   f'<title>{_e(full)}</title>{_e(label)}</text>')  # fmt: skip
        for k, (name, values, colour, hatch) in enumerate(series):
            y, w = y0 + k * bar, values[i] * scale
            out.append(f'<rect x="{left:.1f}" y="{y:.1f}" width="{w:.1f}" height="{bar - 1:.1f}" '
                       f'fill="{_fill(chart_id, k, colour, hatch)}"><title>{_e(full)}, {_e(name)}: {values[i]}</title></rect>'
                       f'<text x="{left + w + 3:.1f}" y="{y + bar - 1.5:.1f}" font-size="{FONT - 2}">{values[i]}</text>')  # fmt: skip
    out.append(f'<line x1="{left:.1f}" x2="{left:.1f}" y1="{top}" y2="{top + plot_h:.1f}" stroke="#333"/>'
               f'<text x="{left + plot_w / 2:.1f}" y="{height - 4:.1f}" text-anchor="middle">{_e(axis_label)}</text>')  # fmt: skip
    if len(series) > 1:
        _legend(out, left + plot_w + 30, top, chart_id, series)
    out.append("</svg>")
    return "".join(out)


def timeliness_by_month_svg(months: Sequence[dict[str, int | str]]) -> str:
    return stacked_columns("Timeliness by month", "chart-months", [str(m["month"]) for m in months], [
        ("held by deadline", [int(m["held_by_deadline"]) for m in months], GOOD, ""),
        ("held late", [int(m["held_late"]) for m in months], LATE, "//"),
        ("not held", [int(m["not_held"]) for m in months], MISSED, "xx"),
        ("not yet due", [int(m["not_yet_due"]) for m in months], PENDING, ""),
    ], "discussions")  # fmt: skip


def agencies_svg(rows: Sequence[dict[str, object]]) -> str:
    return grouped_bars("Attendance and late withdrawals by agency", "chart-agencies", [str(r["name"]) for r in rows], [
        ("invited", [int(str(r["invited"])) for r in rows], PENDING, ""),
        ("attended", [int(str(r["attended"])) for r in rows], GOOD, ""),
        ("late withdrawals", [int(str(r["late_withdrawals"])) for r in rows], MISSED, "xx"),
    ], "invitations / discussions")  # fmt: skip


def escalations_svg(counts: Sequence[tuple[str, int]]) -> str:
    return grouped_bars("Escalations by kind", "chart-escalations", [label for label, _ in counts],
                        [("escalations", [n for _, n in counts], NEUTRAL, "")], "escalations")  # fmt: skip
