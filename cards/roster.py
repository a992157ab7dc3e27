"""The chair's roster (edited in place on every answer) and the escalation ping."""

from __future__ import annotations

from typing import Any

from cards.common import Element, at, box, card, execute, heading, mention_entity, text
from cards.format import escape_markdown, fmt_when, is_after, starts_in, time_left
from cards.views import EscalationView, RosterRow, RosterView

STATUS_WORDS = {
    "accepted": "✅ Accepted",
    "pending": "⏳ Awaiting reply",
    "declined": "❌ Declined",
    "withdrawn": "⚠️ Withdrawn",
    "delegated": "➡️ Delegated, awaiting reply",
}


def status_word(status: str, late: bool) -> str:
    return STATUS_WORDS.get(status, status.capitalize()) + (" (late)" if late else "")


def _quorum(view: RosterView) -> Element:
    if view.quorate:
        return box([text("QUORATE", weight="Bolder", color="Good"),
                     text("Every agency the quorum needs has confirmed.", spacing="None")], "good")  # fmt: skip
    missing = "; ".join(view.missing) or "a confirmation from a statutory partner"
    return box([text("INQUORATE", weight="Bolder", color="Attention"),
                text(f"Missing: {missing}", spacing="None")], "attention")  # fmt: skip


def _row(row: RosterRow) -> Element:
    detail = row.person_name or ""
    if detail and row.responded_at:
        detail = f"{detail}, {fmt_when(row.responded_at)}"
    if row.reason and row.status in ("declined", "withdrawn"):
        reason = escape_markdown(row.reason)  # typed by the person who answered
        detail = f"{detail}: {reason}" if detail else reason
    colour = {"accepted": "Good", "declined": "Attention", "withdrawn": "Attention"}.get(row.status, "Default")
    left: list[Element] = [text(f"**{row.agency_name}**" + ("" if row.required else " (as needed)"), spacing="None")]
    if detail:
        left.append(text(detail, size="Small", isSubtle=True, spacing="None"))
    return {"type": "ColumnSet", "columns": [
        {"type": "Column", "width": "stretch", "items": left},
        {"type": "Column", "width": "auto", "items": [text(status_word(row.status, row.late), weight="Bolder", color=colour)]},
    ]}  # fmt: skip


def roster(view: RosterView) -> dict[str, Any]:
    """One line per agency, quorum and what is missing, time left, escalations raised."""
    overdue = is_after(view.now, view.convene_by)
    body: list[Element] = [
        *heading(f"Roster: {view.case_ref}", view.status),
        _quorum(view),
        text(f"Hold by {fmt_when(view.convene_by)} ({time_left(view.now, view.convene_by)})", weight="Bolder",
             color="Attention" if overdue else "Default"),
        text(f"Rule: {view.convene_by_rule}", size="Small", spacing="None"),
        text(f"Starts {fmt_when(view.scheduled_for)} ({starts_in(view.now, view.scheduled_for)})"
             if view.scheduled_for else "Start time not set", size="Small", spacing="None"),
    ]  # fmt: skip
    if view.meeting_url:
        body.append(text(f"[Join the Teams meeting]({view.meeting_url})", size="Small"))
    if view.rows:
        body.append(box([_row(row) for row in view.rows], "default"))
    else:
        body.append(text("No agencies invited yet.", isSubtle=True))
    if view.escalations:
        body.append(text("Escalations raised", weight="Bolder"))
        for e in view.escalations:
            names = ", ".join(e.notified) or "nobody reachable: escalate by phone"
            about = f" ({e.agency_name})" if e.agency_name else ""
            body.append(text(f"🔔 {fmt_when(e.at)}: {e.kind_label}{about}. Told: {names}", size="Small"))
    body.append(text(f"Updated {fmt_when(view.updated_at)}", isSubtle=True, size="Small"))
    return card(body, [execute("Refresh", "status", {"discussion_id": view.discussion_id})])


def escalation_card(view: EscalationView) -> dict[str, Any]:
    """A ping whose `<at>` names are real @mentions (entities under the card's msteams)."""
    names = " ".join(at(name) for _, name in view.mentions)
    when = f" · {fmt_when(view.at)}" if view.at else ""
    body = [
        box([text(f"🔔 {view.kind_label}", weight="Bolder", color="Attention"),
             text(f"Case {view.case_ref}{when}", size="Small", spacing="None")], "attention"),
        text(f"{names} {view.what_is_wrong}".strip()),
        text(f"**What to do:** {view.what_to_do}"),
    ]  # fmt: skip
    return card(body, entities=[mention_entity(teams_id, name) for teams_id, name in view.mentions])
