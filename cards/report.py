"""The learning and assurance report in Teams: headline figures and one small chart.

Figures only: no case references and no free text (the card goes to a personal chat, but a
manager follows cases up from the full report). Keep the chart small: a card must stay under
28 KB, and the PNG travels inside it as a data: URI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cards.common import Element, card, execute, facts, heading, text
from cards.verbs import Verb


@dataclass(frozen=True)
class ReportCardView:
    title: str
    facts: list[tuple[str, str]]
    chart_data_uri: str  # data:image/png;base64,...
    full_report_hint: str  # the command that gives the full report
    download: dict[str, Any] | None = None  # `Download report`'s data (the period): the full report as a file


def report_card(view: ReportCardView) -> Element:
    return card([
        *heading("Learning and assurance", view.title),
        facts(view.facts),
        {"type": "Image", "url": view.chart_data_uri, "altText": "Bar chart: discussions held by the convene-by "
         "deadline, held late, not held, and not yet due (the same figures as above).", "size": "Stretch"},
        text("The full report (by month, by rule, by agency, escalations, cases to follow up): "
             + ("**Download report** saves it as a web page to your OneDrive, or " if view.download else "")
             + f"`{view.full_report_hint}`.", isSubtle=True, size="Small"),
    ], [execute("Download report", Verb.REPORT_FILE, view.download)] if view.download else None)  # fmt: skip
