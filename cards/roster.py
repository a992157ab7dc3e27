"""The chair's roster: each agency's answer, quorum, time left, escalations. Edited in place."""

from __future__ import annotations

from typing import Any

from cards.common import box, card, execute, heading, text
from cards.format import fmt_when, time_left
from cards.views import EscalationView, RosterView

_WORDS = {
    "accepted": "✅ Accepted",
    "pending": "⏳ Awaiting reply",
    "declined": "❌ Declined",
    "withdrawn": "⚠️ Withdrawn",
    "delegated": "➡️ Delegated",
}


def roster(view: RosterView) -> dict[str, Any]:
    body: list[dict[str, Any]] = [*heading(f"Roster: {view.case_ref}", view.status)]
    if view.quorate:
        body.append(box([text("QUORATE: children's social care, police and health have confirmed.", weight="Bolder", color="Good")], "good"))
    else:
        body.append(box([text("INQUORATE", weight="Bolder", color="Attention"),
                         text("Missing: " + "; ".join(view.missing), spacing="None")], "attention"))  # fmt: skip
    body.append(text(f"Hold by {fmt_when(view.convene_by)}: {time_left(view.now, view.convene_by)}. "
                     f"Starts {fmt_when(view.scheduled_for)}.", size="Small"))  # fmt: skip
    if view.meeting_url:
        body.append(text(f"[Join the Teams meeting]({view.meeting_url})", size="Small"))
    rows = []
    for row in view.rows:
        status = _WORDS.get(row.status, row.status) + (" (late)" if row.late else "")
        who = row.person_name or ""
        detail = f"{who}, {fmt_when(row.responded_at)}" if who and row.responded_at else who
        if row.reason and row.status in ("declined", "withdrawn"):
            detail = f"{detail}: {row.reason}" if detail else row.reason
        rows.append({"type": "ColumnSet", "columns": [
            {"type": "Column", "width": "stretch", "items": [
                text(f"**{row.agency_name}**" + ("" if row.required else " (as needed)"), spacing="None"),
                text(detail, size="Small", isSubtle=True, spacing="None")]},
            {"type": "Column", "width": "auto", "items": [text(status, weight="Bolder")]},
        ]})  # fmt: skip
    body.append(box(rows, "default"))
    if view.escalations:
        body.append(text("Escalations", weight="Bolder"))
        for e in view.escalations:
            names = ", ".join(e.notified) or "nobody reachable"
            body.append(text(f"🔔 {fmt_when(e.at)}: {e.kind_label}" + (f" ({e.agency_name})" if e.agency_name else "")
                             + f". Told: {names}", size="Small"))  # fmt: skip
    body.append(text(f"Updated {fmt_when(view.updated_at)}", isSubtle=True, size="Small"))
    return card(body, [execute("Refresh", "status", {"discussion_id": view.discussion_id})])


def escalation_card(view: EscalationView) -> dict[str, Any]:
    names = " ".join(f"<at>{name}</at>" for _, name in view.mentions)
    entities = [{"type": "mention", "text": f"<at>{name}</at>", "mentioned": {"id": tid, "name": name}} for tid, name in view.mentions]
    body = [
        box([text(f"🔔 {view.kind_label}", weight="Bolder", color="Attention"),
             text(f"Case {view.case_ref}" + (f" · {fmt_when(view.at)}" if view.at else ""), size="Small", spacing="None")], "attention"),
        text(f"{names} {view.what_is_wrong}".strip()),
        text(f"**What to do:** {view.what_to_do}"),
    ]  # fmt: skip
    return card(body, entities=entities)
