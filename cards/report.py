"""The learning and assurance report in Teams: headline figures and one small chart.

Figures only: no case references and no free text (the card goes to a personal chat, but a
manager follows cases up from the full report). Keep the chart small: a card must stay under
28 KB, and the PNG travels inside it as a data: URI.
"""

from __future__ import annotations

from dataclasses import dataclass

from cards.common import Element, card, facts, heading, text


@dataclass(frozen=True)
class ReportCardView:
    title: str
    facts: list[tuple[str, str]]
    chart_data_uri: str  # data:image/png;base64,...
    full_report_hint: str  # the command that gives the full report


def report_card(view: ReportCardView) -> Element:
    return card([
        *heading("Learning and assurance", view.title),
        facts(view.facts),
        {"type": "Image", "url": view.chart_data_uri, "altText": "Bar chart: discussions held by the convene-by "
         "deadline, held late, not held, and not yet due (the same figures as above).", "size": "Stretch"},
        text(f"The full report (by month, by rule, by agency, escalations, cases to follow up) is available with "
             f"`{view.full_report_hint}`.", isSubtle=True, size="Small"),
    ])  # fmt: skip
